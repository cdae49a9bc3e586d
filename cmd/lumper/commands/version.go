package commands

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show lumper's version and containerd's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := "devel"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lumper:     %s\n", v)
			c, ctx, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			sv, err := c.Version(ctx)
			if err != nil {
				return fmt.Errorf("asking containerd for its version: %w", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "containerd: %s (%s)\n", sv.Version, sv.Revision)
			return err
		},
	}
}
