package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
)

func newCreateCmd(g *GlobalOptions) *cobra.Command {
	o := &RunOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a container without starting it",
		Example: `  lumper create --name web busybox httpd -f -p 8080
  lumper create --restart always --name db busybox sh -c 'while true; do sleep 1; done'
  lumper start web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Args = args[0], args[1:]
			o.Out = cmd.OutOrStdout()
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *RunOptions) error { return runCreate(ctx, cmd, o) })
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	addCreateFlags(f, o)
	f.Bool("help", false, "help for create")
	return cmd
}

func runCreate(ctx context.Context, cmd *cobra.Command, o *RunOptions) error {
	co, err := o.createOptions(cmd)
	if err != nil {
		return err
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		ctr, err := createWithCIDFile(ctx, c, co, o.CIDFile)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.Out, ctr.ID())
		return err
	})
}
