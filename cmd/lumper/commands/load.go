package commands

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

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
			return runOrHook(cmd.Context(), o.Global, o, runLoad)
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
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
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
			line := "Loaded image: " + familiarRef(n)
			if images.Dangling(n) {
				id, err := images.ConfigID(ctx, c, n)
				if err != nil {
					return err
				}
				line = "Loaded image ID: " + id
			}
			if _, err := fmt.Fprintln(o.Out, line); err != nil {
				return err
			}
		}
		return nil
	})
}

// familiarRef is an image name as Docker prints it: busybox:latest for
// docker.io/library/busybox:latest, localhost:5000/x:1 as it is.
func familiarRef(name string) string {
	repo, tag := images.Familiar(name)
	return repo + ":" + tag
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
