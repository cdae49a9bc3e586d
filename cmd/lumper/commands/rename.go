package commands

import (
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
)

func newRenameCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "rename CONTAINER NEW_NAME",
		Short:   "Rename a container",
		Example: `  lumper rename brave_otter web`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			return container.Rename(ctx, c, args[0], args[1])
		},
	}
}
