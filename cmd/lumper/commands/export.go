package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
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

func runExport(ctx context.Context, o *ExportOptions) (retErr error) {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if o.Output == "" || o.Output == "-" {
		return container.Export(ctx, c, o.Ref, o.Out)
	}
	if fi, err := os.Stat(o.Output); err == nil && fi.IsDir() {
		return api.Invalidf("cannot write %s: it is a directory, give a file name", o.Output)
	}
	// Written beside the target and renamed at the end: a failed export
	// leaves no truncated archive under the user's name.
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
	if err := container.Export(ctx, c, o.Ref, f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", o.Output, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", o.Output, err)
	}
	if err := os.Rename(f.Name(), o.Output); err != nil {
		return fmt.Errorf("writing %s: %w", o.Output, err)
	}
	return nil
}
