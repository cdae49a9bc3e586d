package commands

import (
	"context"
	"fmt"
	"io"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/commit"
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
		Use:   "commit [OPTIONS] CONTAINER [IMAGE]",
		Short: "Create an image from a container's changes",
		Long: `Create an image from a container's file system changes: one new layer on top of
the container's image, whose config is kept (with --change applied). A running
container is paused while its changes are read, unless --pause=false. Bind
mounts and volumes are not part of the container's file system and are not
committed. Of extended attributes, only file capabilities (security.capability)
are kept. Prints the new image's ID; without IMAGE the image is untagged.`,
		Example: `  lumper commit web web:v2
  lumper commit -m "add config" -a "Ann <ann@example.com>" -c 'CMD ["httpd", "-f"]' web web:v2
  lumper commit --compression zstd web web:v2`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Container = args[0]
			if len(args) == 2 {
				o.Commit.Ref = args[1]
			}
			o.Out, o.Err = cmd.OutOrStdout(), cmd.ErrOrStderr()
			o.Commit.NoPause = !o.Pause
			if err := o.Commit.Validate(); err != nil {
				return err
			}
			return runOrHook(cmd.Context(), o.Global, o, runCommit)
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
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
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
	})
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
