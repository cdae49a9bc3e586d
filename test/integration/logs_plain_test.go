//go:build integration

package integration

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// A log of 28 MB rotated into three files, read by logs' plain copy across
// mapping windows and files: every line once, in order, stdout to stdout
// and stderr to stderr.
func TestLogsLargeRotated(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--network", "none", "--name", name, "--log-opt", "max-size=10m", "--log-opt", "max-file=3",
		"busybox", "sh", "-c", "seq 1 400000; echo middle >&2; seq 400001 600000")
	waitExited(t, name, 120*time.Second)
	r := lumperRun("logs", name)
	if r.code != 0 {
		t.Fatalf("logs: %s", r)
	}
	if r.stderr != "middle\n" {
		t.Fatalf("stderr %q, want the one stderr line", r.stderr)
	}
	checkSeq(t, r.stdout, 600000)
	// Both streams into one pipe: the records in the log files' order.
	path := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.LogPath}}", name))
	var want strings.Builder
	for _, p := range []string{path + ".2", path + ".1", path} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.SplitAfter(string(b), "\n") {
			f := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 4)
			if len(f) == 4 && strings.HasSuffix(line, "\n") {
				want.WriteString(f[3])
				if f[2] == "F" {
					want.WriteString("\n")
				}
			}
		}
	}
	cmd := lumperCmd("logs", name)
	var both bytes.Buffer
	cmd.Stdout, cmd.Stderr = &both, &both
	if err := cmd.Run(); err != nil {
		t.Fatalf("logs: %v", err)
	}
	if both.String() != want.String() {
		t.Fatalf("stdout and stderr in one pipe: %d bytes, not the %d of the records in order", both.Len(), want.Len())
	}
}
