package commit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/pkg/archive"
)

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestTarSize compares the estimate with the archive containerd's differ
// code writes for the same tree (every entry an addition to an empty parent).
func TestTarSize(t *testing.T) {
	root := t.TempDir()
	write := func(p string, size int) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("empty", 0)
	write("one", 1)
	write("block", 512)
	write("block-and-one", 513)
	write("etc/big", 1<<20+7)
	write("d/e/f/"+strings.Repeat("n", 120), 10)                                                     // a name too long for a tar header
	write(strings.Repeat("a", ustarNameSize), 1)                                                     // just fits
	if err := os.Mkdir(filepath.Join(root, strings.Repeat("b", ustarNameSize)), 0o755); err != nil { // does not, with its "/"
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/big", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "etc/big"), filepath.Join(root, "hardlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := tarSize(root)
	if err != nil {
		t.Fatal(err)
	}
	var w countWriter
	if err := archive.WriteDiff(context.Background(), &w, t.TempDir(), root); err != nil {
		t.Fatal(err)
	}
	if got != w.n {
		t.Errorf("tarSize = %d, the differ writes %d bytes", got, w.n)
	}

	if _, err := tarSize(filepath.Join(root, "missing")); err == nil {
		t.Error("tarSize of a missing directory: no error")
	}
}
