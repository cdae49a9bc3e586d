package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/images"
)

// RmiOptions are the flags of `lumper rmi`.
type RmiOptions struct {
	Global *GlobalOptions
	Force  bool
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newRmiCmd(g *GlobalOptions) *cobra.Command {
	o := &RmiOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE...",
		Short: "Remove images",
		Example: `  lumper rmi busybox
  lumper rmi -f 3f57d9401f8d`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runRmi(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "remove even if containers use the image")
	return cmd
}

func runRmi(ctx context.Context, o *RmiOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(o.Err, o.Refs, func(ref string) error {
		names, err := images.Remove(ctx, c, ref, o.Force)
		if err != nil {
			return err
		}
		for _, n := range names {
			repo, tag := images.Familiar(n)
			if _, err := fmt.Fprintf(o.Out, "Untagged: %s\n", strings.TrimSuffix(repo+":"+tag, ":<none>")); err != nil {
				return err
			}
		}
		return nil
	})
}
