package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/commit"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// CommitOptions are the flags of `lumper commit`.
type CommitOptions struct {
	Global    *GlobalOptions
	Container string
	Commit    commit.Options
	Pause     bool
	Out       io.Writer
	Err       io.Writer
}

func newCommitCmd(g *GlobalOptions) *cobra.Command {
	o := &CommitOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER IMAGE",
		Short: "Create an image from a container's changes",
		Long: `Create an image from a container's file system changes: one new layer on top of
the container's image, whose config is kept (with --change applied). A running
container is paused while its changes are read, unless --pause=false. Bind
mounts and volumes are not part of the container's file system and are not
committed. Of extended attributes, only file capabilities (security.capability)
are kept. Prints the new image's ID.`,
		Example: `  lumper commit web web:v2
  lumper commit -m "add config" -a "Ann <ann@example.com>" -c 'CMD ["httpd", "-f"]' web web:v2
  lumper commit --compression zstd web web:v2`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Container, o.Commit.Ref = args[0], args[1]
			o.Out, o.Err = cmd.OutOrStdout(), cmd.ErrOrStderr()
			o.Commit.NoPause = !o.Pause
			if err := o.Commit.Validate(); err != nil {
				return err
			}
			return runCommit(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Commit.Message, "message", "m", "", "commit message (the history comment)")
	f.StringVarP(&o.Commit.Author, "author", "a", "", `author, e.g. "Ann <ann@example.com>"`)
	f.StringArrayVarP(&o.Commit.Changes, "change", "c", nil, "apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL)")
	f.BoolVarP(&o.Pause, "pause", "p", true, "pause a running container while its changes are read")
	f.StringVar(&o.Commit.Compression, "compression", commit.CompressionGzip, "layer compression: gzip, zstd or none")
	return cmd
}

func runCommit(ctx context.Context, o *CommitOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if o.Global.IO.ErrTTY {
		var p *output.Progress
		var last int64
		o.Commit.Progress = func(written, uncompressed int64) {
			if p == nil {
				p = commitProgress(o.Err, o.Commit.Compression, uncompressed)
			}
			p.Add(written - last)
			last = written
		}
		defer func() {
			if p != nil {
				p.Done()
			}
		}()
	}
	res, err := commit.Commit(ctx, c, o.Container, o.Commit)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Out, res.ID)
	return err
}

// commitProgress shows the bytes of the layer written: out of the estimated
// total for an uncompressed layer; a compressed layer's final size is not
// known in advance, so the size of the changes it compresses is only named.
func commitProgress(w io.Writer, compression string, uncompressed int64) *output.Progress {
	switch {
	case uncompressed < 0:
		return output.NewProgress(w, "Committing", -1)
	case compression == commit.CompressionNone:
		return output.NewProgress(w, "Committing", uncompressed)
	default:
		if compression == "" {
			compression = commit.CompressionGzip
		}
		return output.NewProgress(w, fmt.Sprintf("Committing ~%s of changes, %s:", units.CustomSize("%.1f %s", float64(uncompressed), 1024, binarySizes), compression), -1)
	}
}

// binarySizes are the units output.Progress shows sizes in.
var binarySizes = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}

// TagOptions are the arguments of `lumper tag`.
type TagOptions struct {
	Global         *GlobalOptions
	Source, Target string
}

func newTagCmd(g *GlobalOptions) *cobra.Command {
	o := &TagOptions{Global: g}
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE TARGET_IMAGE",
		Short: "Give an image another name (an existing name is moved)",
		Example: `  lumper tag busybox mybox:1.0
  lumper tag 3f57d9401f8d registry.example.com/team/app:latest`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source, o.Target = args[0], args[1]
			if _, err := images.Normalize(o.Target); err != nil {
				return err
			}
			return runTag(cmd.Context(), o)
		},
	}
}

func runTag(ctx context.Context, o *TagOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = images.Tag(ctx, c, o.Source, o.Target)
	return err
}

// HistoryOptions are the flags of `lumper history`.
type HistoryOptions struct {
	Global  *GlobalOptions
	Image   string
	Format  string
	Quiet   bool
	NoTrunc bool
	Out     io.Writer
}

func newHistoryCmd(g *GlobalOptions) *cobra.Command {
	o := &HistoryOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image, newest layer first",
		Example: `  lumper history web:v2
  lumper history --format json web:v2
  lumper history --format '{{.CreatedBy}}: {{.Size}}' web:v2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Out = args[0], cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runHistory(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print image IDs")
	cmd.Flags().BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate CREATED BY and IDs")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runHistory(ctx context.Context, o *HistoryOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	rows, err := images.History(ctx, c, o.Image)
	if err != nil {
		return err
	}
	return output.Print(o.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, historyColumns(o.NoTrunc, time.Now()),
		func(r images.HistoryEntry) string { return historyID(r.ID, o.NoTrunc) })
}

// createdByWidth is where the CREATED BY column is cut, as in Docker.
const createdByWidth = 45

func historyColumns(noTrunc bool, now time.Time) []output.Column[images.HistoryEntry] {
	return []output.Column[images.HistoryEntry]{
		{Header: "IMAGE", Value: func(r images.HistoryEntry) string { return historyID(r.ID, noTrunc) }},
		{Header: "CREATED", Value: func(r images.HistoryEntry) string {
			if r.Created.IsZero() {
				return "-"
			}
			return units.HumanDuration(now.Sub(r.Created)) + " ago"
		}},
		{Header: "CREATED BY", Value: func(r images.HistoryEntry) string {
			s := strings.Join(strings.Fields(r.CreatedBy), " ")
			if !noTrunc && len([]rune(s)) > createdByWidth {
				s = string([]rune(s)[:createdByWidth-1]) + "…"
			}
			return s
		}},
		{Header: "SIZE", Value: func(r images.HistoryEntry) string { return units.HumanSizeWithPrecision(float64(r.Size), 3) }},
		{Header: "COMMENT", Value: func(r images.HistoryEntry) string { return r.Comment }},
	}
}

func historyID(id string, noTrunc bool) string {
	if noTrunc || id == images.MissingID {
		return id
	}
	return client.ShortID(id)
}

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
			return runSave(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func runSave(ctx context.Context, o *SaveOptions) (retErr error) {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	plan, err := images.PlanSave(ctx, c, o.Refs)
	if err != nil {
		return err
	}
	w := o.Out
	if o.Output != "" && o.Output != "-" {
		if fi, err := os.Stat(o.Output); err == nil && fi.IsDir() {
			return api.Invalidf("cannot write %s: it is a directory, give a file name", o.Output)
		}
		// Write next to the target and rename at the end, so that a failed
		// save never leaves a truncated archive under the user's name.
		f, err := os.CreateTemp(filepath.Dir(o.Output), "."+filepath.Base(o.Output)+".tmp-*")
		if err != nil {
			return api.Invalidf("cannot write %s: %v", o.Output, errorsCause(err))
		}
		defer func() {
			if retErr != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}()
		w = f
		defer func() {
			if retErr != nil {
				return
			}
			if err := f.Chmod(0o644); err != nil {
				retErr = fmt.Errorf("writing %s: %w", o.Output, err)
			} else if err := f.Close(); err != nil {
				retErr = fmt.Errorf("writing %s: %w", o.Output, err)
			} else if err := os.Rename(f.Name(), o.Output); err != nil {
				os.Remove(f.Name())
				retErr = fmt.Errorf("writing %s: %w", o.Output, err)
			}
		}()
	}
	p := output.NewProgress(o.Err, "Saving", plan.Size)
	defer p.Done()
	return images.Save(ctx, c, plan, p.Writer(w))
}
