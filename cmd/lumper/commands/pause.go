package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// PauseOptions are the arguments of `lumper pause` and `lumper unpause`.
type PauseOptions struct {
	Global *GlobalOptions
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newPauseCmd(g *GlobalOptions) *cobra.Command {
	return pauseCmd(g, "pause", "Freeze every process of running containers", container.Pause)
}

func newUnpauseCmd(g *GlobalOptions) *cobra.Command {
	return pauseCmd(g, "unpause", "Thaw paused containers", container.Unpause)
}

func pauseCmd(g *GlobalOptions, verb, short string, fn func(context.Context, *client.Client, string) error) *cobra.Command {
	o := &PauseOptions{Global: g}
	return &cobra.Command{
		Use:   verb + " CONTAINER...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *PauseOptions) error { return runPause(ctx, o, fn) })
		},
	}
}

func runPause(ctx context.Context, o *PauseOptions, fn func(context.Context, *client.Client, string) error) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			if err := fn(ctx, c, ref); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Out, ref)
			return err
		})
	})
}
