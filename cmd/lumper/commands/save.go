package commands

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// SaveOptions are the flags of `lumper save`.
type SaveOptions struct {
	Global *GlobalOptions
	Output string
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newSaveCmd(g *GlobalOptions) *cobra.Command {
	o := &SaveOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE...",
		Short: "Write images to a tar archive ('docker save' format with an OCI layout)",
		Long: `Write images to a tar archive that 'docker load', 'lumper load' and OCI tools
read: an OCI image layout (oci-layout, index.json, blobs/) with Docker's
manifest.json. Writes to stdout unless -o is given; stdout must not be a
terminal.`,
		Example: `  lumper save -o web.tar web:v2
  lumper save web:v2 busybox | gzip > images.tar.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Output == "" && o.Global.IO.OutTTY {
				return usageErrorf(cmd, "refusing to write an archive to a terminal: use -o FILE or redirect stdout")
			}
			return runOrHook(cmd.Context(), o.Global, o, runSave)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func runSave(ctx context.Context, o *SaveOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		plan, err := images.PlanSave(ctx, c, o.Refs)
		if err != nil {
			return err
		}
		return writeOutput(o.Output, o.Out, func(w io.Writer) error {
			p := output.NewProgress(o.Err, "Saving", plan.Size)
			defer p.Done()
			return images.Save(ctx, c, plan, p.Writer(w))
		})
	})
}
