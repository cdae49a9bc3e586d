package commands

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
)

// AttachOptions are the flags of `lumper attach`.
type AttachOptions struct {
	Global   *GlobalOptions
	Ref      string
	NoStdin  bool
	SigProxy bool
	Out, Err io.Writer
}

func newAttachCmd(g *GlobalOptions) *cobra.Command {
	o := &AttachOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Follow a running container's output until it exits",
		Long: `Follow the output of a running container from now on (stdout and stderr
apart) until it exits, and exit with its status, as 'docker attach' does.
lumper forwards no input: a detached container's stdin is /dev/null (its
output goes to lumper-logger, so there is no stdin to attach to), and a
foreground container's belongs to the lumper running it. With --sig-proxy
(the default) the signals lumper gets (Ctrl-C) go to the container; with
--sig-proxy=false Ctrl-C detaches and the container keeps running.`,
		Example: `  lumper attach web
  lumper attach --sig-proxy=false web`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out, o.Err = args[0], cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runAttach(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.NoStdin, "no-stdin", false, "do not attach stdin (lumper never does: accepted for Docker scripts)")
	cmd.Flags().BoolVar(&o.SigProxy, "sig-proxy", true, "send the signals lumper receives to the container")
	return cmd
}

func runAttach(ctx context.Context, o *AttachOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return container.Attach(ctx, c, o.Ref, container.AttachRunningOptions{SigProxy: o.SigProxy}, o.Out, o.Err)
}
