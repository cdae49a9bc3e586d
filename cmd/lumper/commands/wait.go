package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// WaitOptions are the arguments of `lumper wait`.
type WaitOptions struct {
	Global *GlobalOptions
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newWaitCmd(g *GlobalOptions) *cobra.Command {
	o := &WaitOptions{Global: g}
	return &cobra.Command{
		Use:     "wait CONTAINER...",
		Short:   "Wait until containers stop, then print their exit codes",
		Example: `  lumper wait job`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runOrHook(cmd.Context(), o.Global, o, runWait)
		},
	}
}

func runWait(ctx context.Context, o *WaitOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			code, err := container.Wait(ctx, c, ref)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(o.Out, code)
			return err
		})
	})
}
