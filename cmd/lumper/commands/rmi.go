package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
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
			return runOrHook(cmd.Context(), o.Global, o, runRmi)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "remove even if containers use the image")
	return cmd
}

func runRmi(ctx context.Context, o *RmiOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Err, o.Refs, func(ref string) error {
			// The ID, for Docker's "Deleted: sha256:..." once no name is left.
			var id string
			if img, err := images.Resolve(ctx, c, ref); err == nil {
				id, _ = images.ConfigID(ctx, c, img.Name)
			}
			names, err := images.Remove(ctx, c, ref, o.Force)
			if err != nil {
				return err
			}
			for _, n := range names {
				if images.Dangling(n) {
					continue // an untagged image has no name to untag
				}
				if _, err := fmt.Fprintf(o.Out, "Untagged: %s\n", familiarRef(n)); err != nil {
					return err
				}
			}
			if id != "" {
				if _, err := images.Resolve(ctx, c, id); errdefs.IsNotFound(err) {
					_, err := fmt.Fprintf(o.Out, "Deleted: %s\n", id)
					return err
				}
			}
			return nil
		})
	})
}
