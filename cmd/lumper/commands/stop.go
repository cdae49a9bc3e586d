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

// StopOptions are the flags of `lumper stop`.
type StopOptions struct {
	Global  *GlobalOptions
	Timeout int
	Refs    []string
	Out     io.Writer
	Err     io.Writer
}

func newStopCmd(g *GlobalOptions) *cobra.Command {
	o := &StopOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER...",
		Short: "Stop running containers (stop signal, then SIGKILL after a grace period)",
		Example: `  lumper stop web
  lumper stop -t 2 web db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Timeout < 0 {
				return usageErrorf(cmd, "invalid --time %d: it must not be negative", o.Timeout)
			}
			if !cmd.Flags().Changed("time") {
				o.Timeout = -1 // the container's --stop-timeout, else 10 s
			}
			return runOrHook(cmd.Context(), o.Global, o, runStop)
		},
	}
	cmd.Flags().IntVarP(&o.Timeout, "time", "t", 10, "seconds to wait before killing the container (default: the container's --stop-timeout, else 10)")
	return cmd
}

func runStop(ctx context.Context, o *StopOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			if _, err := container.Stop(ctx, c, ref, time.Duration(o.Timeout)*time.Second); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Out, ref)
			return err
		})
	})
}

// forEach runs fn for every ref and returns the first error after trying all.
func forEach(errOut io.Writer, refs []string, fn func(string) error) error {
	var first error
	for _, ref := range refs {
		if err := fn(ref); err != nil {
			if first == nil {
				first = err
			} else {
				// Later failures are reported on the way, the first one decides.
				fmt.Fprintf(errOut, "lumper: %s\n", oneLine(describe(err)))
			}
		}
	}
	return first
}
