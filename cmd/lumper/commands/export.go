package commands

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// ExportOptions are the flags of `lumper export`.
type ExportOptions struct {
	Global *GlobalOptions
	Ref    string
	Output string
	Out    io.Writer
}

func newExportCmd(g *GlobalOptions) *cobra.Command {
	o := &ExportOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Write a container's file system as a tar archive (what 'import' reads)",
		Example: `  lumper export -o web.tar web
  lumper export web | lumper import - web:flat`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out = args[0], cmd.OutOrStdout()
			if (o.Output == "" || o.Output == "-") && o.Global.IO.OutTTY {
				return usageErrorf(cmd, "refusing to write an archive to a terminal: use -o FILE or redirect stdout")
			}
			return runExport(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func runExport(ctx context.Context, o *ExportOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return writeOutput(o.Output, o.Out, func(w io.Writer) error {
			return container.Export(ctx, c, o.Ref, w)
		})
	})
}
