package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
)

// PortOptions are the arguments of `lumper port`.
type PortOptions struct {
	Global *GlobalOptions
	Ref    string
	Port   uint16 // 0: every published port
	Proto  string
	Out    io.Writer
}

func newPortCmd(g *GlobalOptions) *cobra.Command {
	o := &PortOptions{Global: g}
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List a container's published ports, or the host address of one",
		Example: `  lumper port web
  lumper port web 80/tcp`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out = args[0], cmd.OutOrStdout()
			if len(args) == 2 {
				p, proto, err := container.ParsePortFilter(args[1])
				if err != nil {
					return usageErrorf(cmd, "%v", err)
				}
				o.Port, o.Proto = p, proto
			}
			return runPort(cmd.Context(), o)
		},
	}
}

func runPort(ctx context.Context, o *PortOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ports, err := container.Ports(ctx, c, o.Ref)
	if err != nil {
		return err
	}
	out, err := container.PortLines(ports, o.Ref, o.Port, o.Proto)
	if err != nil {
		return err
	}
	for _, l := range out {
		if _, err := fmt.Fprintln(o.Out, l); err != nil {
			return err
		}
	}
	return nil
}
