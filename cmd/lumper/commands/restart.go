package commands

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// RestartOptions are the flags of `lumper restart`.
type RestartOptions struct {
	Global  *GlobalOptions
	Timeout int
	Refs    []string
	Out     io.Writer
	Err     io.Writer
}

func newRestartCmd(g *GlobalOptions) *cobra.Command {
	o := &RestartOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "restart [OPTIONS] CONTAINER...",
		Short:   "Stop and start containers again (in the background)",
		Example: `  lumper restart -t 2 web`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Timeout < 0 {
				return usageErrorf(cmd, "invalid --time %d: it must not be negative", o.Timeout)
			}
			if !cmd.Flags().Changed("time") {
				o.Timeout = -1 // the container's --stop-timeout, else 10 s
			}
			return runOrHook(cmd.Context(), o.Global, o, runRestart)
		},
	}
	cmd.Flags().IntVarP(&o.Timeout, "time", "t", 10, "seconds to wait for the container to stop before killing it (default: the container's --stop-timeout, else 10)")
	return cmd
}

func runRestart(ctx context.Context, o *RestartOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			if err := container.Restart(ctx, c, ref, time.Duration(o.Timeout)*time.Second); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Out, ref)
			return err
		})
	})
}
