package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// StartOptions are the flags of `lumper start`.
type StartOptions struct {
	Global      *GlobalOptions
	Attach      bool
	Interactive bool
	DetachKeys  string
	Refs        []string
	In          io.Reader
	Out         io.Writer
	Err         io.Writer
}

func newStartCmd(g *GlobalOptions) *cobra.Command {
	o := &StartOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER...",
		Short: "Start created or stopped containers (in the background, or attached with -a)",
		Example: `  lumper start web
  lumper start -a job
  lumper start -ai shell`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if (o.Attach || o.Interactive) && len(args) > 1 {
				return usageErrorf(cmd, "-a and -i attach to one container: give only one")
			}
			if _, err := container.ParseDetachKeys(o.DetachKeys); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *StartOptions) error { return runStart(ctx, cmd, o) })
		},
	}
	cmd.Flags().BoolVarP(&o.Attach, "attach", "a", false, "attach to the container's output and exit with its status")
	cmd.Flags().BoolVarP(&o.Interactive, "interactive", "i", false, "attach the container's stdin (implies -a)")
	cmd.Flags().StringVar(&o.DetachKeys, "detach-keys", "", "key sequence that detaches from a TTY container created with -i (default ctrl-p,ctrl-q)")
	return cmd
}

func runStart(ctx context.Context, cmd *cobra.Command, o *StartOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		if !o.Attach && !o.Interactive {
			return forEach(o.Err, o.Refs, func(ref string) error {
				if err := container.Start(ctx, c, ref, container.StartOptions{}); err != nil {
					return err
				}
				_, err := fmt.Fprintln(o.Out, ref)
				return err
			})
		}
		ref := o.Refs[0]
		keys, err := container.ParseDetachKeys(o.DetachKeys)
		if err != nil {
			return err
		}
		so := container.StartOptions{Attach: true, Stdio: container.Stdio{Out: o.Out, Err: o.Err}, DetachKeys: keys}
		if o.Interactive {
			so.Stdio.In = o.In
		}
		tty, err := container.IsTTY(ctx, c, ref)
		if err != nil {
			return err
		}
		if tty {
			// Only -i needs a terminal on stdin; -a alone copies the
			// container's terminal output to stdout, as Docker does.
			if so.Console, err = userTerminal(cmd, o.Global, o.Interactive); err != nil {
				return err
			}
		}
		return container.Start(ctx, c, ref, so)
	})
}
