package commands

import (
	"context"
	"github.com/lumper/lumper/pkg/client"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// TopOptions are the flags of `lumper top`.
type TopOptions struct {
	Global *GlobalOptions
	Format string
	Ref    string
	Out    io.Writer
}

func newTopCmd(g *GlobalOptions) *cobra.Command {
	o := &TopOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "top [OPTIONS] CONTAINER",
		Short: "Show the processes of a running container",
		Example: `  lumper top web
  lumper top --format '{{.PID}} {{.Command}}' web`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out = args[0], cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runTop)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runTop(ctx context.Context, o *TopOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		procs, err := container.Top(ctx, c, o.Ref)
		if err != nil {
			return err
		}
		return output.Print(o.Out, output.Options{Format: o.Format}, procs, topColumns,
			func(p container.Process) string { return strconv.FormatUint(uint64(p.PID), 10) })
	})
}

var topColumns = []output.Column[container.Process]{
	{Header: "PID", Value: func(p container.Process) string { return strconv.FormatUint(uint64(p.PID), 10) }},
	{Header: "PPID", Value: func(p container.Process) string { return strconv.FormatUint(uint64(p.PPID), 10) }},
	{Header: "UID", Value: func(p container.Process) string { return p.UID }},
	{Header: "STAT", Value: func(p container.Process) string { return p.State }},
	{Header: "RSS", Value: func(p container.Process) string { return p.RSS }},
	{Header: "COMMAND", Value: func(p container.Process) string { return p.Command }},
}
