package commands

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// AttachOptions are the flags of `lumper attach`.
type AttachOptions struct {
	Global     *GlobalOptions
	Ref        string
	NoStdin    bool
	SigProxy   bool
	DetachKeys string
	In         io.Reader
	Out, Err   io.Writer
}

func newAttachCmd(g *GlobalOptions) *cobra.Command {
	o := &AttachOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach stdin, stdout and stderr to a running container",
		Long: `Follow the output of a running container from now on (stdout and stderr
apart) until it exits, and exit with its status, as 'docker attach' does.
Input goes to the container's stdin when it was started detached with -i
('run -d -i', 'create -i' then 'start'); its stdin stays open between
attaches, and two attaches at once both write to it. With a TTY the local
terminal is raw, its size follows, and the detach keys (--detach-keys,
default ctrl-p,ctrl-q) leave the container running: lumper then prints
"read escape sequence" and exits 1, as Docker does. Without a TTY, --sig-proxy
(the default) sends the signals lumper gets (Ctrl-C) to the container; with
--sig-proxy=false Ctrl-C detaches and the container keeps running.`,
		Example: `  lumper attach web
  lumper attach --sig-proxy=false web
  lumper attach --detach-keys ctrl-x,x shell`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.In, o.Out, o.Err = args[0], cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if _, err := container.ParseDetachKeys(o.DetachKeys); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *AttachOptions) error { return runAttach(ctx, cmd, o) })
		},
	}
	cmd.Flags().BoolVar(&o.NoStdin, "no-stdin", false, "do not attach stdin")
	cmd.Flags().BoolVar(&o.SigProxy, "sig-proxy", true, "send the signals lumper receives to the container (no TTY)")
	cmd.Flags().StringVar(&o.DetachKeys, "detach-keys", "", "key sequence that detaches from a TTY container (default ctrl-p,ctrl-q)")
	return cmd
}

func runAttach(ctx context.Context, cmd *cobra.Command, o *AttachOptions) error {
	keys, err := container.ParseDetachKeys(o.DetachKeys)
	if err != nil {
		return err
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		ao := container.AttachRunningOptions{SigProxy: o.SigProxy, DetachKeys: keys}
		if !o.NoStdin {
			ao.Stdin = o.In
		}
		tty, err := container.IsTTY(ctx, c, o.Ref)
		if err != nil {
			return err
		}
		if tty {
			// Docker refuses to send a non-terminal into a TTY container.
			if ao.Console, err = userTerminal(cmd, o.Global, !o.NoStdin); err != nil {
				return err
			}
		}
		return container.Attach(ctx, c, o.Ref, ao, o.Out, o.Err)
	})
}
