package commands

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lumper/lumper/pkg/api"
)

// writeOutput hands write the -o file of save and export, or stdout (out)
// when path is "" or "-". A file is written beside the target and renamed
// at the end, so that a failed write never leaves a truncated archive under
// the user's name.
func writeOutput(path string, out io.Writer, write func(io.Writer) error) (retErr error) {
	if path == "" || path == "-" {
		return write(out)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return api.Invalidf("cannot write %s: it is a directory, give a file name", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return api.Invalidf("cannot write %s: %v", path, errorsCause(err))
	}
	defer func() {
		if retErr != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
