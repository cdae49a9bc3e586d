package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/registry"
)

// PushOptions are the flags of `lumper push`.
type PushOptions struct {
	Global   *GlobalOptions
	Platform string
	Quiet    bool
	Ref      string
	Out      io.Writer
	Err      io.Writer
}

func newPushCmd(g *GlobalOptions) *cobra.Command {
	o := &PushOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Example: `  lumper tag busybox localhost:5000/busybox:1.0
  lumper push localhost:5000/busybox:1.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out, o.Err = args[0], cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runOrHook(cmd.Context(), o.Global, o, runPush)
		},
	}
	cmd.Flags().StringVar(&o.Platform, "platform", "", "push only this platform's manifest (os/arch[/variant]) of a multi-platform image")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "suppress progress output")
	return cmd
}

func runPush(ctx context.Context, o *PushOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		po := registry.PushOptions{Remote: o.Global.registryOptions(), Platform: o.Platform}
		if !o.Quiet {
			po.Progress = o.Err
		}
		res, err := registry.Push(ctx, c, o.Ref, po)
		if err != nil {
			return err
		}
		_, tag := images.Familiar(res.Name)
		_, err = fmt.Fprintf(o.Out, "%s: digest: %s size: %d\n", tag, res.Digest, res.Size)
		return err
	})
}
