package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
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
			return runImages(cmd.Context(), o)
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
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	all, err := images.List(ctx, c)
	if err != nil {
		return err
	}
	sel, err := view.SelectImages(all, o.filters)
	if err != nil {
		return api.Invalidf("%v", err)
	}
	return printImages(o.Out, o, sel, time.Now())
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

// LoadOptions are the flags of `lumper load`.
type LoadOptions struct {
	Global *GlobalOptions
	Input  string
	Quiet  bool
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
}

func newLoadCmd(g *GlobalOptions) *cobra.Command {
	o := &LoadOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a 'docker save' or OCI image-layout archive",
		Example: `  lumper load -i busybox.tar
  docker save alpine | lumper load`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runLoad(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Input, "input", "i", "", "read from this archive instead of stdin")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "suppress progress output")
	return cmd
}

func runLoad(ctx context.Context, o *LoadOptions) error {
	in, size, closeIn, err := openInput(o.Input, o.In)
	if err != nil {
		return err
	}
	defer closeIn()
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if !o.Quiet {
		p := output.NewProgress(o.Err, "Loading", size)
		defer p.Done()
		in = p.Reader(in)
	}
	names, err := images.Load(ctx, c, in)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := fmt.Fprintf(o.Out, "Loaded image: %s\n", n); err != nil {
			return err
		}
	}
	return nil
}

// openInput opens a file argument, or stdin for "" and "-".
func openInput(path string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if path == "" || path == "-" {
		return stdin, -1, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, api.Invalidf("cannot read %s: %v", path, errorsCause(err))
	}
	var size int64 = -1
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			f.Close()
			return nil, 0, nil, api.Invalidf("cannot read %s: it is a directory, give an archive file", path)
		}
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}

func errorsCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ImportOptions are the flags of `lumper import`.
type ImportOptions struct {
	Global  *GlobalOptions
	Changes []string
	Message string
	Source  string
	Ref     string
	In      io.Reader
	Out     io.Writer
}

func newImportCmd(g *GlobalOptions) *cobra.Command {
	o := &ImportOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|- REFERENCE",
		Short: "Create an image from a rootfs tarball (what 'docker export' writes)",
		Example: `  lumper import rootfs.tar myimage:1.0
  docker export c1 | lumper import -c 'CMD ["sh"]' - myimage`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source, o.Ref = args[0], args[1]
			o.In, o.Out = cmd.InOrStdin(), cmd.OutOrStdout()
			if _, err := images.Normalize(o.Ref); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runImport(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVarP(&o.Changes, "change", "c", nil, `apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE)`)
	cmd.Flags().StringVarP(&o.Message, "message", "m", "", "history comment of the imported layer")
	return cmd
}

func runImport(ctx context.Context, o *ImportOptions) error {
	in, _, closeIn, err := openInput(o.Source, o.In)
	if err != nil {
		return err
	}
	defer closeIn()
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	img, err := images.Import(ctx, c, in, o.Ref, images.ImportOptions{Changes: o.Changes, Message: o.Message})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Out, img.Target.Digest.String())
	return err
}

// RmiOptions are the flags of `lumper rmi`.
type RmiOptions struct {
	Global *GlobalOptions
	Force  bool
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newRmiCmd(g *GlobalOptions) *cobra.Command {
	o := &RmiOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE...",
		Short: "Remove images",
		Example: `  lumper rmi busybox
  lumper rmi -f 3f57d9401f8d`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runRmi(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "remove even if containers use the image")
	return cmd
}

func runRmi(ctx context.Context, o *RmiOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(o.Err, o.Refs, func(ref string) error {
		names, err := images.Remove(ctx, c, ref, o.Force)
		if err != nil {
			return err
		}
		for _, n := range names {
			repo, tag := images.Familiar(n)
			if _, err := fmt.Fprintf(o.Out, "Untagged: %s\n", strings.TrimSuffix(repo+":"+tag, ":<none>")); err != nil {
				return err
			}
		}
		return nil
	})
}
