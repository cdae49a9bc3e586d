//go:build integration

package integration

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
)

// The stdin of containers started detached with -i, and attach's detach keys
// (pkg/container/attach_stdin.go, attach.go).

// stdinFIFO is the stdin FIFO of container id in the test data root.
func stdinFIFO(id string) string {
	return filepath.Join(env.dataRoot, testNamespace, "containers", id, "stdin")
}

// fifoHolders counts the processes with path open.
func fifoHolders(path string) int {
	n := 0
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == path {
			n++
		}
	}
	return n
}

// attachWithInput starts `lumper attach ARGS...` with a pipe on its stdin.
func attachWithInput(t *testing.T, args ...string) (in io.WriteCloser, out, errb func() string, cmd *exec.Cmd) {
	t.Helper()
	cmd = lumperCmd(append([]string{"attach"}, args...)...)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, errb = startBackground(t, cmd)
	return w, out, errb, cmd
}

const echoLoop = `while read l; do echo "got $l"; [ "$l" = quit ] && exit 5; done; echo EOF; exit 9`

func TestAttachStdin(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	id := strings.TrimSpace(lumper(t, "run", "-d", "-i", "--name", name, "busybox", "sh", "-c", echoLoop))
	if got := lumper(t, "inspect", "-f", "{{.Config.OpenStdin}}", name); got != "true\n" {
		t.Fatalf("Config.OpenStdin %q", got)
	}

	// First attach: a line goes in, its answer comes out; the attach's
	// stdin ends, the container's does not; Ctrl-C detaches.
	in, out, _, cmd := attachWithInput(t, "--sig-proxy=false", name)
	if _, err := io.WriteString(in, "one\n"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the answer to the first line", func() bool { return out() == "got one\n" })
	in.Close()
	never(t, 2*time.Second, "the container read EOF when attach's stdin ended", func() bool {
		return strings.Contains(lumper(t, "logs", name), "EOF")
	})
	_ = cmd.Process.Signal(os.Interrupt)
	if code := exitCodeOf(t, cmd); code != 0 {
		t.Fatalf("attach exited %d after detaching, want 0", code)
	}
	never(t, 2*time.Second, "the container stopped or read EOF without an attach", func() bool {
		return lumper(t, "inspect", "-f", "{{.State.Running}}", name) != "true\n" || strings.Contains(lumper(t, "logs", name), "EOF")
	})

	// Two attaches at once both write to the same stdin and both see the
	// output from then on.
	in1, out1, _, cmd1 := attachWithInput(t, "--sig-proxy=false", name)
	io.WriteString(in1, "from-a\n")
	eventually(t, 10*time.Second, "the first attach's answer", func() bool { return out1() == "got from-a\n" })
	in2, out2, _, cmd2 := attachWithInput(t, "--sig-proxy=false", name)
	io.WriteString(in2, "from-b\n")
	for _, o := range []func() string{out1, out2} {
		eventually(t, 10*time.Second, "both attaches to see the second one's answer", func() bool {
			return strings.Contains(o(), "got from-b\n")
		})
	}
	io.WriteString(in1, "from-a-again\n")
	for _, o := range []func() string{out1, out2} {
		eventually(t, 10*time.Second, "both attaches to see the first one's answer", func() bool {
			return strings.Contains(o(), "got from-a-again\n")
		})
	}
	for _, c := range []*exec.Cmd{cmd1, cmd2} {
		_ = c.Process.Signal(os.Interrupt)
		if code := exitCodeOf(t, c); code != 0 {
			t.Fatalf("attach exited %d after detaching, want 0", code)
		}
	}

	// A later attach still reaches the same stdin; it returns the exit
	// status of the container, which ends on its input.
	r := lumperStdin([]byte("two\nquit\n"), "attach", name)
	if r.code != 5 || r.stdout != "got two\ngot quit\n" {
		t.Fatalf("attach: want exit 5 and both answers, got %s", r)
	}
	// Nothing holds the FIFO once the task has ended: not the logger, not
	// the shim.
	eventually(t, 10*time.Second, "the stdin FIFO to be closed by all", func() bool { return fifoHolders(stdinFIFO(id)) == 0 })
	if st, err := os.Stat(stdinFIFO(id)); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("stdin FIFO of a stopped container: %v, %v", st, err)
	}

	// start reuses it: the stdin of the new task is open again.
	lumper(t, "start", name)
	r = lumperStdin([]byte("again\nquit\n"), "attach", name)
	if r.code != 5 || r.stdout != "got again\ngot quit\n" {
		t.Fatalf("attach after start: %s", r)
	}
	lumper(t, "rm", name)
	assertGone(t, id, name)
	if _, err := os.Lstat(stdinFIFO(id)); !os.IsNotExist(err) {
		t.Fatalf("stdin FIFO after rm: %v", err)
	}
}

func TestAttachStdinCreateStart(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	lumper(t, "create", "-i", "--name", name, "busybox", "sh", "-c", echoLoop)
	rmOnCleanup(t, name)
	lumper(t, "start", name)
	// --no-stdin: output only, nothing is sent.
	in, _, _, cmd := attachWithInput(t, "--no-stdin", "--sig-proxy=false", name)
	io.WriteString(in, "ignored\n")
	never(t, 2*time.Second, "attach --no-stdin sent input", func() bool {
		return strings.Contains(lumper(t, "logs", name), "ignored")
	})
	_ = cmd.Process.Signal(os.Interrupt)
	if code := exitCodeOf(t, cmd); code != 0 {
		t.Fatalf("attach exited %d after detaching, want 0", code)
	}
	r := lumperStdin([]byte("x\nquit\n"), "attach", name)
	if r.code != 5 || r.stdout != "got x\ngot quit\n" {
		t.Fatalf("attach: want exit 5 and the answers to x and quit only, got %s", r)
	}
	// A container without -i has no stdin FIFO: attach shows its output.
	plain := name + "-plain"
	lumper(t, "run", "-d", "--name", plain, "busybox", "sh", "-c",
		`read l || echo no-input; while [ ! -f /go ]; do sleep 0.1; done; read l; echo "read $l"; exit 9`)
	rmOnCleanup(t, plain)
	// attach shows output from its start on: begin after the first line.
	eventually(t, 10*time.Second, "the first line in the log", func() bool {
		return strings.Contains(lumper(t, "logs", plain), "no-input")
	})
	in, out, _, cmd := attachWithInput(t, plain)
	io.WriteString(in, "hello\n")
	lumper(t, "exec", plain, "touch", "/go")
	if code := exitCodeOf(t, cmd); code != 9 || out() != "read \n" {
		t.Fatalf("attach to a container without -i: exit %d, output %q", code, out())
	}
}

// ptyAttach runs `lumper attach ARGS...` on a new pseudo-terminal of rows x
// cols; it returns the terminal's master (keys go in, the screen comes out).
func ptyAttach(t *testing.T, rows, cols uint16, args ...string) (master console.Console, screen func() string, cmd *exec.Cmd) {
	t.Helper()
	return ptyLumper(t, rows, cols, append([]string{"attach"}, args...)...)
}

// ptyLumper runs `lumper ARGS...` on a new pseudo-terminal (see ptyAttach).
func ptyLumper(t *testing.T, rows, cols uint16, args ...string) (master console.Console, screen func() string, cmd *exec.Cmd) {
	t.Helper()
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	if err := pty.Resize(console.WinSize{Height: rows, Width: cols}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd = lumperCmd(args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	var mu sync.Mutex
	var shown bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := pty.Read(buf)
			mu.Lock()
			shown.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return pty, func() string { mu.Lock(); defer mu.Unlock(); return shown.String() }, cmd
}

func TestAttachTTYDetachKeys(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	id := strings.TrimSpace(lumper(t, "run", "-d", "-it", "--name", name, "busybox", "sh"))
	rmOnCleanup(t, name)

	// The shell reads the terminal, which has the local terminal's size;
	// ctrl-p ctrl-q detaches as in Docker: "read escape sequence", exit 1.
	m, screen, cmd := ptyAttach(t, 31, 101, name)
	eventually(t, 10*time.Second, "the shell to answer", func() bool {
		m.Write([]byte("echo sum-$((40+2)); stty size\r"))
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(screen(), "sum-42") && strings.Contains(screen(), "31 101")
	})
	m.Write([]byte{16, 17})
	if code := exitCodeOf(t, cmd); code != 1 {
		t.Fatalf("attach exited %d after the detach keys, want 1 (Docker's)", code)
	}
	eventually(t, 5*time.Second, `Docker's "read escape sequence" after detaching`, func() bool {
		return strings.Contains(screen(), "read escape sequence")
	})
	if st := lumper(t, "inspect", "-f", "{{.State.Running}}", name); st != "true\n" {
		t.Fatalf("container running %q after detaching", st)
	}

	// Attach again with other keys: the same shell (its variable is still
	// set), ctrl-p passes through, and its exit status is attach's.
	m, screen, cmd = ptyAttach(t, 24, 80, "--detach-keys", "ctrl-x,x", name)
	eventually(t, 10*time.Second, "the same shell to answer again", func() bool {
		m.Write([]byte("X=kept; echo again-$((2+3))-$X\r"))
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(screen(), "again-5-kept")
	})
	m.Write([]byte{16, 17}) // not this attach's keys: they go to the shell
	m.Write([]byte("\rexit 7\r"))
	if code := exitCodeOf(t, cmd); code != 7 {
		t.Fatalf("attach exited %d, want the shell's 7; screen %q", code, screen())
	}
	eventually(t, 10*time.Second, "the stdin FIFO to be closed by all", func() bool { return fifoHolders(stdinFIFO(id)) == 0 })
}

func TestAttachStartInteractive(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	lumper(t, "create", "-i", "--name", name, "busybox", "sh", "-c", echoLoop)
	rmOnCleanup(t, name)
	// start -ai of a -i container writes to its stdin FIFO; the exit
	// status is start's.
	r := lumperStdin([]byte("a\nquit\n"), "start", "-ai", name)
	if r.code != 5 || r.stdout != "got a\ngot quit\n" {
		t.Fatalf("start -ai: %s", r)
	}
	// A container that is over before the attach: its output since the
	// start, and its status.
	quick := name + "-quick"
	lumper(t, "create", "-i", "--name", quick, "busybox", "sh", "-c", "echo hi; exit 4")
	rmOnCleanup(t, quick)
	if r := lumperRun("start", "-a", quick); r.code != 4 || r.stdout != "hi\n" {
		t.Fatalf("start -a of a quick container: %s", r)
	}
	if r := lumperRun("start", "-a", quick); r.code != 4 || r.stdout != "hi\n" {
		t.Fatalf("second start -a shows only the new run's output: %s", r)
	}

	// With a TTY, start -ai detaches on the keys with exit 0 and no
	// message, as Docker's start; the shell runs on for a later attach.
	shell := name + "-tty"
	lumper(t, "create", "-it", "--name", shell, "busybox", "sh")
	rmOnCleanup(t, shell)
	m, screen, cmd := ptyLumper(t, 24, 80, "start", "-ai", "--detach-keys", "ctrl-a", shell)
	eventually(t, 10*time.Second, "the shell to answer", func() bool {
		m.Write([]byte("echo v-$((6*7))\r"))
		time.Sleep(200 * time.Millisecond)
		return strings.Contains(screen(), "v-42")
	})
	m.Write([]byte{1})
	if code := exitCodeOf(t, cmd); code != 0 || strings.Contains(screen(), "escape") {
		t.Fatalf("start -ai exited %d after the detach keys, want 0 and no message: %q", code, screen())
	}
	m, screen, cmd = ptyAttach(t, 24, 80, shell)
	m.Write([]byte("exit 3\r"))
	if code := exitCodeOf(t, cmd); code != 3 {
		t.Fatalf("attach after start -ai exited %d, want 3; screen %q", code, screen())
	}
}
