//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFullDiskIsNotSilent: with lumper's data root on a small file system
// that fills up, a detached container never blocks, its log never holds a
// record cut in the middle, `logs` (on stderr) and `inspect` say how many
// bytes were dropped and since when, and capture resumes once space returns.
func TestFullDiskIsNotSilent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := syscall.Mount("tmpfs", root, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mounting a small tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(root, syscall.MNT_DETACH) })
	// A filler the test removes to give space back.
	filler := filepath.Join(root, "filler")
	if err := os.WriteFile(filler, make([]byte, 256<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	dr := []string{"--data-root", root}
	name := uniqueName(t)
	// 30000 numbered lines (~1.4 MB) cannot fit; then the container waits
	// for /tmp/go and says "resumed".
	script := `i=0; while [ $i -lt 30000 ]; do echo "line $i ................................"; i=$((i+1)); done; ` +
		`echo written > /tmp/done; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo resumed; sleep 1000`
	lumper(t, append(dr, "run", "-d", "--network", "none", "--name", name, "busybox", "sh", "-c", script)...)
	t.Cleanup(func() { lumperRun(append(dr, "rm", "-f", name)...) })

	// The container is not blocked by the full disk: it finishes writing.
	eventually(t, 60*time.Second, "the container to write all its lines", func() bool {
		return lumperRun(append(dr, "exec", name, "test", "-f", "/tmp/done")...).code == 0
	})
	r := lumperRun(append(dr, "logs", name)...)
	if r.code != 0 {
		t.Fatalf("logs: %s", r)
	}
	whole := regexp.MustCompile(`^line \d+ \.{32}$`)
	out := lines(r.stdout)
	if len(out) == 0 || len(out) >= 30000 {
		t.Fatalf("logs kept %d lines of 30000 on a 1 MiB file system", len(out))
	}
	for _, l := range out {
		if !whole.MatchString(l) {
			t.Fatalf("a record cut in the middle: %q", l)
		}
	}
	if !regexp.MustCompile(`^lumper: \d+ bytes of output were not captured between \S+ and \S+: no space left on device\n$`).MatchString(r.stderr) {
		t.Fatalf("logs' stderr does not report the drop: %q", r.stderr)
	}
	if st := lumper(t, append(dr, "inspect", "-f", "{{.State.Error}}", name)...); !strings.Contains(st, "bytes of output were not captured") {
		t.Fatalf("inspect's State.Error: %q", st)
	}

	// Space returns: capture resumes.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	lumper(t, append(dr, "exec", name, "touch", "/tmp/go")...)
	eventually(t, 30*time.Second, "the log to capture output again", func() bool {
		return strings.Contains(lumperRun(append(dr, "logs", "--tail", "5", name)...).stdout, "resumed\n")
	})
}
