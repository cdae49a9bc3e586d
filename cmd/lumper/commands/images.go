package commands

import (
	"context"
	"io"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// ImagesOptions are the flags of `lumper images`.
type ImagesOptions struct {
	Global *GlobalOptions
	Quiet  bool
	Format string
	Out    io.Writer
}

func newImagesCmd(g *GlobalOptions) *cobra.Command {
	o := &ImagesOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS]",
		Short: "List images",
		Example: `  lumper images
  lumper images -q
  lumper images --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runImages(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print image IDs")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runImages(ctx context.Context, o *ImagesOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	rows, err := images.List(ctx, c)
	if err != nil {
		return err
	}
	return output.Print(o.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, imageColumns,
		func(r api.ImageInfo) string { return client.ShortID(r.ID) })
}

var imageColumns = []output.Column[api.ImageInfo]{
	{Header: "REPOSITORY", Value: func(r api.ImageInfo) string { return r.Repository }},
	{Header: "TAG", Value: func(r api.ImageInfo) string { return r.Tag }},
	{Header: "IMAGE ID", Value: func(r api.ImageInfo) string { return client.ShortID(r.ID) }},
	{Header: "CREATED", Value: func(r api.ImageInfo) string {
		if r.Created.IsZero() {
			return "-"
		}
		return units.HumanDuration(time.Since(r.Created)) + " ago"
	}},
	{Header: "SIZE", Value: func(r api.ImageInfo) string { return units.HumanSizeWithPrecision(float64(r.Size), 3) }},
}
