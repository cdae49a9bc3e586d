package commands

import (
	"context"
	"fmt"
	"io"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// KillOptions are the flags of `lumper kill`.
type KillOptions struct {
	Global *GlobalOptions
	Signal string
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newKillCmd(g *GlobalOptions) *cobra.Command {
	o := &KillOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER...",
		Short: "Send a signal (SIGKILL by default) to the main process of running containers",
		Example: `  lumper kill web
  lumper kill -s HUP web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			sig, err := container.ParseSignal(o.Signal)
			if err != nil {
				return err
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *KillOptions) error { return runKill(ctx, o, sig) })
		},
	}
	cmd.Flags().StringVarP(&o.Signal, "signal", "s", "KILL", "signal to send: a name (KILL, SIGTERM, hup) or a number")
	return cmd
}

func runKill(ctx context.Context, o *KillOptions, sig syscall.Signal) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			if err := container.Kill(ctx, c, ref, sig); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Out, ref)
			return err
		})
	})
}
