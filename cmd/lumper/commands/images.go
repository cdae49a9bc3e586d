package commands

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
	"github.com/lumper/lumper/pkg/view"
)

// ImagesOptions are the flags of `lumper images` (Docker's).
type ImagesOptions struct {
	Global  *GlobalOptions
	All     bool
	Quiet   bool
	NoTrunc bool
	Digests bool
	Format  string
	Filters []string
	Ref     string
	Out     io.Writer

	filters view.Filters
}

func newImagesCmd(g *GlobalOptions) *cobra.Command {
	o := &ImagesOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Long: `List images as Docker's images does; REPOSITORY[:TAG] (a glob pattern, as
--filter reference=) keeps only the images it matches.

Filters (--filter KEY=VALUE, repeatable): dangling=true|false,
reference=PATTERN, label=KEY, label=KEY=VALUE (the image config's labels),
before=IMAGE, since=IMAGE.

--format fields: .ID .Repository .Tag .Digest .CreatedSince .CreatedAt .Size
(and .Name, lumper's: the full image name); "json", "table", or
"table TEMPLATE" for a table with a header.`,
		Example: `  lumper images
  lumper images busybox
  lumper images -q --filter dangling=true
  lumper images --format '{{.Repository}}:{{.Tag}}'
  lumper images --digests --no-trunc`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if len(args) == 1 {
				o.Ref = args[0]
			}
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runOrHook(cmd.Context(), o.Global, o, runImages)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all images (lumper keeps no intermediate images: the same list)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only print image IDs")
	f.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate output (full image IDs)")
	f.BoolVar(&o.Digests, "digests", false, "show digests")
	f.StringVar(&o.Format, "format", "", `"table", "json", "table TEMPLATE" or a Go template`)
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "filter output based on conditions provided (KEY=VALUE)")
	return cmd
}

func (o *ImagesOptions) validate(cmd *cobra.Command) error {
	if err := output.Validate(o.Format); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	args := o.Filters
	if o.Ref != "" {
		args = append(slices.Clone(args), "reference="+o.Ref)
	}
	f, err := view.ParseFilters(args, view.ImageFilterKeys...)
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	// Check the values before dialing (before= and since= need the list).
	if _, err := view.CheckImageFilters(f); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	o.filters = f
	return nil
}

func runImages(ctx context.Context, o *ImagesOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		all, err := images.List(ctx, c)
		if err != nil {
			return err
		}
		sel, err := view.SelectImages(all, o.filters)
		if err != nil {
			return api.Invalidf("%v", err)
		}
		return printImages(o.Out, o, sel, time.Now())
	})
}

// printImages draws images as Docker's images does.
func printImages(w io.Writer, o *ImagesOptions, is []api.ImageInfo, now time.Time) error {
	rows := make([]view.ImageRow, len(is))
	for i, img := range is {
		rows[i] = view.NewImageRow(img, now, !o.NoTrunc)
	}
	table := view.ImageTable
	if o.Digests {
		table = view.ImageDigestTable
	}
	return output.Render(w, o.Format, table, view.ImageHeader, rows, o.Quiet,
		func(r view.ImageRow) string { return r.ID })
}
