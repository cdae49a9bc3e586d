//go:build integration

package integration

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// Docker's attach with stdin: `run -d -i` / `create -i` keep a stdin open
// that attach writes to; --no-stdin, --detach-keys, the TTY check.

var _ = registerCompat("attach-stdin",
	compatCase{"run -d -i; attach: a line in, its answer out, the container's exit status", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "-i", "--name", name, "busybox", "sh", "-c", `read a; echo "1:$a"; read b; echo "2:$b"; exit 4`)
		rmOnCleanup(t, name)
		r := lumperStdin([]byte("x\ny\n"), "attach", name)
		wantExit(t, r, 4)
		wantEqual(t, "attach's output", r.stdout, "1:x\n2:y\n")
	}},
	compatCase{"create -i; start; attach: stdin open as with run -d -i", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "create", "-i", "--name", name, "busybox", "sh", "-c", `read a; echo "got:$a"`)
		rmOnCleanup(t, name)
		dockerOK(t, "start", name)
		r := lumperStdin([]byte("z\n"), "attach", name)
		wantExit(t, r, 0)
		wantEqual(t, "attach's output", r.stdout, "got:z\n")
	}},
	compatCase{"inspect: Config.OpenStdin is true with -i only", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "create", "-i", "--name", name, "busybox")
		rmOnCleanup(t, name)
		wantEqual(t, "OpenStdin with -i", dockerOK(t, "inspect", "-f", "{{.Config.OpenStdin}}", name), "true\n")
		plain := name + "-plain"
		dockerOK(t, "create", "--name", plain, "busybox")
		rmOnCleanup(t, plain)
		wantEqual(t, "OpenStdin without", dockerOK(t, "inspect", "-f", "{{.Config.OpenStdin}}", plain), "false\n")
	}},
	compatCase{"attach --no-stdin: the container's input is not touched", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "-i", "--name", name, "busybox", "sh", "-c", `read a; echo "got:$a"`)
		rmOnCleanup(t, name)
		in, _, _, cmd := attachWithInput(t, "--no-stdin", "--sig-proxy=false", name)
		io.WriteString(in, "nope\n")
		never(t, time.Second, "attach --no-stdin sent its input", func() bool {
			return strings.Contains(docker("logs", name).stdout, "got")
		})
		_ = cmd.Process.Signal(os.Interrupt)
		if code := exitCodeOf(t, cmd); code != 0 {
			t.Fatalf("attach exited %d after Ctrl-C with --sig-proxy=false", code)
		}
		r := lumperStdin([]byte("yes\n"), "attach", name)
		wantExit(t, r, 0)
		wantEqual(t, "attach's output", r.stdout, "got:yes\n")
	}},
	compatCase{"attach to a -t container with stdin not a terminal: the input device is not a TTY", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "-it", "--name", name, "busybox", "sh")
		rmOnCleanup(t, name)
		r := lumperStdin([]byte("exit 3\n"), "attach", name)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "the input device is not a TTY") {
			t.Fatalf("stderr %q", r.stderr)
		}
		wantEqual(t, "state after the refusal", dockerOK(t, "inspect", "-f", "{{.State.Running}}", name), "true\n")
	}},
	compatCase{"attach --detach-keys with an unknown key fails before attaching", func(t *testing.T) {
		r := docker("attach", "--detach-keys", "ctrl-1", fixture(t, compatExited))
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "detach-keys") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
)
