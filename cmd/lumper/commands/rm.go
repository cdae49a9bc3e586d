package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// RmOptions are the flags of `lumper rm`.
type RmOptions struct {
	Global *GlobalOptions
	Force  bool
	// Volumes (-v) also removes the container's anonymous volumes.
	Volumes bool
	Refs    []string
	Out     io.Writer
	Err     io.Writer
}

func newRmCmd(g *GlobalOptions) *cobra.Command {
	o := &RmOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER...",
		Short: "Remove containers (a running one needs -f)",
		Example: `  lumper rm web
  lumper rm -f $(lumper ps -q)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runOrHook(cmd.Context(), o.Global, o, runRm)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "kill a running container before removing it")
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "also remove the container's anonymous volumes")
	return cmd
}

func runRm(ctx context.Context, o *RmOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			var labels map[string]string
			if o.Volumes {
				if rec, err := c.Container(ctx, ref); err == nil {
					labels = rec.Labels
				}
			}
			if _, err := container.Remove(ctx, c, ref, o.Force); err != nil {
				if o.Force && errdefs.IsNotFound(err) {
					return nil // Docker's rm -f: what is gone is removed, quietly
				}
				return err
			}
			if err := container.RemoveAnonymousVolumes(ctx, c, labels); err != nil {
				log.G(ctx).WithError(err).Warn("removing anonymous volumes")
			}
			_, err := fmt.Fprintln(o.Out, ref)
			return err
		})
	})
}
