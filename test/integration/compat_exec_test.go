//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

// exec as Docker's reference documents it: the process's exit code, 126/127
// for a command that cannot run, -t without a terminal, -i, -e, -w, -u, -d.

var _ = registerCompat("exec",
	compatCase{"exec c sh -c 'exit 3' exits 3", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		wantExit(t, docker("exec", name, "sh", "-c", "exit 3"), 3)
	}},
	compatCase{"exec c of a missing binary exits 127", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		wantExit(t, docker("exec", name, "no-such-binary"), 127)
	}},
	compatCase{"exec c of a file that cannot be executed exits 126", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		wantExit(t, docker("exec", name, "/etc/passwd"), 126)
	}},
	compatCase{"exec -t c tty, stdin not a terminal: works", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		out := dockerOK(t, "exec", "-t", name, "tty")
		if !strings.HasPrefix(out, "/dev/pts/") {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"exec -t c sh -c 'exit 5' exits 5", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		wantExit(t, docker("exec", "-t", name, "sh", "-c", "exit 5"), 5)
	}},
	compatCase{"exec -it c sh, stdin not a terminal: the input device is not a TTY (1)", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		r := docker("exec", "-it", name, "sh")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "the input device is not a TTY") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"echo hi | exec -i c cat", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		r := lumperStdin([]byte("hi\n"), "exec", "-i", name, "cat")
		wantExit(t, r, 0)
		if r.stdout != "hi\n" {
			t.Fatalf("stdout %q", r.stdout)
		}
	}},
	compatCase{"exec -e A=1 c sh -c 'echo $A $FOO': the run's env is kept", func(t *testing.T) {
		name := fixture(t, compatWeb)
		if out := dockerOK(t, "exec", "-e", "A=1", name, "sh", "-c", "echo $A $FOO"); out != "1 bar\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"exec -w /tmp c pwd", func(t *testing.T) {
		if out := dockerOK(t, "exec", "-w", "/tmp", fixture(t, compatWeb), "pwd"); out != "/tmp\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"exec -u 1000 c id -u", func(t *testing.T) {
		if out := dockerOK(t, "exec", "-u", "1000", fixture(t, compatWeb), "id", "-u"); out != "1000\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"exec c: stdout and stderr stay apart", func(t *testing.T) {
		r := docker("exec", fixture(t, compatWeb), "sh", "-c", "echo out; echo err >&2")
		wantExit(t, r, 0)
		if r.stdout != "out\n" || r.stderr != "err\n" {
			t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
		}
	}},
	compatCase{"exec -d c touch /tmp/x: returns at once, the command runs", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		r := docker("exec", "-d", name, "sh", "-c", "sleep 0.2; touch /tmp/x")
		wantExit(t, r, 0)
		if r.stdout != "" {
			t.Fatalf("exec -d printed %q", r.stdout)
		}
		eventually(t, 10*time.Second, "the detached exec to run", func() bool {
			return docker("exec", name, "test", "-f", "/tmp/x").code == 0
		})
	}},
	compatCase{"exec of a created container: refused (1)", func(t *testing.T) {
		wantExit(t, docker("exec", fixture(t, compatCreated), "true"), 1)
	}},
)
