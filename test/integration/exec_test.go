//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
)

// startSleeper runs a detached container that stays up.
func startSleeper(t *testing.T, extra ...string) string {
	t.Helper()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	args := append([]string{"run", "-d", "--name", name, "--hostname", "exechost", "-e", "FROM_RUN=1", "-w", "/home"}, extra...)
	args = append(args, "busybox", "sleep", "100000")
	lumper(t, args...)
	return name
}

func TestExecBasics(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	if r := lumperRun("exec", name, "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("exit code: %s", r)
	}
	out := lumper(t, "exec", name, "sh", "-c", `echo "$FROM_RUN $(pwd) $(hostname) $(id -u)"`)
	if out != "1 /home exechost 0\n" {
		t.Fatalf("inherited env/workdir/hostname/user: %q", out)
	}
	out = lumper(t, "exec", "-e", "X=y", "-w", "/tmp", "-u", "65534:65534", name, "sh", "-c", `echo "$X $(pwd) $(id -u):$(id -g)"`)
	if out != "y /tmp 65534:65534\n" {
		t.Fatalf("overridden env/workdir/user: %q", out)
	}
	if out := lumper(t, "exec", "-u", "nobody", name, "id", "-u"); out != "65534\n" {
		t.Fatalf("user by name: %q", out)
	}
	// The container's PID namespace: its init is PID 1.
	out = lumper(t, "exec", name, "ps", "-o", "pid,comm")
	if !regexpLine(out, `^\s*1\s+sleep$`) {
		t.Fatalf("ps inside does not show the container's PID 1:\n%s", out)
	}
	mustFail(t, 127, "exec", name, "no-such-cmd")
	mustFail(t, 126, "exec", name, "/etc/passwd")
	mustFail(t, 1, "exec", "-u", "nosuchuser", name, "true")
}

func regexpLine(out, re string) bool {
	for _, l := range strings.Split(out, "\n") {
		if ok, _ := regexp.MatchString(re, l); ok {
			return true
		}
	}
	return false
}

func TestExecStdinPipe(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	done := make(chan result, 1)
	go func() { done <- lumperStdin([]byte("hi\n"), "exec", "-i", name, "cat") }()
	select {
	case r := <-done:
		if r.code != 0 || r.stdout != "hi\n" {
			t.Fatalf("exec -i cat: %s", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("exec -i did not return when stdin closed")
	}
}

func TestExecTTY(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	ttySession(t, "exec", "-it", name, "sh")
}

func TestRunTTY(t *testing.T) {
	t.Parallel()
	ttySession(t, "run", "--rm", "-it", "busybox", "sh")
}

// ttySession runs lumper with args on a pseudo-terminal, as a user at a
// terminal would: the shell inside sees the terminal's size and follows a
// resize, answers a command, and its exit status is lumper's.
func ttySession(t *testing.T, args ...string) {
	t.Helper()
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	if err := pty.Resize(console.WinSize{Height: 33, Width: 101}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := lumperCmd(args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	chunks := make(chan []byte, 64)
	go func() {
		for {
			buf := make([]byte, 4096)
			n, err := pty.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				close(chunks)
				return
			}
		}
	}()
	var seen bytes.Buffer
	readUntil := func(want string, d time.Duration) bool {
		timeout := time.After(d)
		for {
			select {
			case b, ok := <-chunks:
				if !ok {
					return strings.Contains(seen.String(), want)
				}
				seen.Write(b)
				if strings.Contains(seen.String(), want) {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}
	if _, err := pty.Write([]byte("echo $((6*7))\r")); err != nil {
		t.Fatal(err)
	}
	if !readUntil("42", 30*time.Second) {
		t.Fatalf("no 42 from the tty session: %q", seen.String())
	}
	// The echo of the typed command contains neither size.
	_, _ = pty.Write([]byte("stty size\r"))
	if !readUntil("33 101", 30*time.Second) {
		t.Fatalf("the session does not have the terminal's size 33x101: %q", seen.String())
	}
	// A resize of the user's terminal reaches the container's (SIGWINCH).
	if err := pty.Resize(console.WinSize{Height: 41, Width: 123}); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGWINCH) // a pty sends it to the foreground group; lumper here is not one
	ok := false
	for i := 0; i < 20 && !ok; i++ {
		_, _ = pty.Write([]byte("stty size\r"))
		ok = readUntil("41 123", 500*time.Millisecond)
	}
	if !ok {
		t.Fatalf("the session did not follow the resize to 41x123: %q", seen.String())
	}
	_, _ = pty.Write([]byte("exit 5\r"))
	waitC := make(chan error, 1)
	go func() { waitC <- cmd.Wait() }()
	select {
	case <-waitC:
		if cmd.ProcessState.ExitCode() != 5 {
			t.Fatalf("tty session exit code %d", cmd.ProcessState.ExitCode())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("tty session did not end")
	}
}

func TestExecDetach(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	// The detached process waits for /tmp/go, which the test creates only
	// after exec -d has returned: exec -d returning at all proves that it
	// does not wait for its process (no wall-clock bound to miss on a loaded
	// machine).
	done := make(chan result, 1)
	go func() {
		done <- lumperRun("exec", "-d", name, "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; touch /tmp/detached-ran")
	}()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exec -d: %s", r)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("exec -d waited for its process: it must return at once")
	}
	if r := lumperRun("exec", name, "test", "-e", "/tmp/detached-ran"); r.code == 0 {
		t.Fatal("the detached process finished before it was let go: the test proves nothing")
	}
	lumper(t, "exec", name, "touch", "/tmp/go")
	eventually(t, 30*time.Second, "the detached exec to run", func() bool {
		return lumperRun("exec", name, "test", "-f", "/tmp/detached-ran").code == 0
	})
}

func TestExecStoppedOrUnknownContainer(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "true")
	r := mustFail(t, 1, "exec", name, "true")
	if !strings.Contains(r.stderr, "not running") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exec into stopped container: %q", r.stderr)
	}
	mustFail(t, 1, "exec", "no-such-container", "true")
}

func TestExecLeavesNoProcesses(t *testing.T) {
	name := startSleeper(t)
	row, _ := listed(t, name)
	fifosBefore := execFIFODirs()
	for i := 0; i < 50; i++ {
		lumper(t, "exec", name, "true")
	}
	task, ctx := taskOf(t, row.ID)
	pids, err := task.Pids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("after 50 execs the container has %d processes: %+v", len(pids), pids)
	}
	if after := execFIFODirs(); after > fifosBefore {
		t.Fatalf("exec left FIFO directories behind: %d -> %d", fifosBefore, after)
	}
}

// execFIFODirs counts containerd's FIFO directories of exec processes.
func execFIFODirs() int {
	matches, _ := filepath.Glob("/run/containerd/fifo/*/exec-*")
	dirs := map[string]bool{}
	for _, m := range matches {
		dirs[filepath.Dir(m)] = true
	}
	return len(dirs)
}

// TestExecDetachLeavesNothing: the reaper a detached exec leaves behind
// deletes the exec process from containerd when it ends, and exits.
func TestExecDetachLeavesNothing(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	row, _ := listed(t, name)
	lumper(t, "exec", "-d", name, "sleep", "1")
	var execID string
	var reaper int
	for _, pid := range procsMatching("internal-exec-reap", row.ID) {
		args := procArgs(pid)
		execID, reaper = args[len(args)-1], pid
	}
	if execID == "" {
		t.Fatal("no exec reaper running for the detached exec")
	}
	task, ctx := taskOf(t, row.ID)
	if _, err := task.LoadProcess(ctx, execID, nil); err != nil {
		t.Fatalf("the detached exec %s is not in containerd while it runs: %v", execID, err)
	}
	eventually(t, 30*time.Second, "the exec process to be deleted", func() bool {
		_, err := task.LoadProcess(ctx, execID, nil)
		return errdefs.IsNotFound(err)
	})
	eventually(t, 30*time.Second, "the exec reaper to exit", func() bool {
		return syscall.Kill(reaper, 0) != nil
	})
	if pids, err := task.Pids(ctx); err != nil || len(pids) != 1 {
		t.Fatalf("processes left in the container: %v %v", pids, err)
	}
}

// TestSignalsForwarded: SIGTERM sent to a foreground lumper run or exec
// reaches the container's process, whose exit status lumper returns.
func TestSignalsForwarded(t *testing.T) {
	t.Parallel()
	name := startSleeper(t)
	const script = `trap "exit %d" TERM; touch /tmp/%s; while :; do sleep 0.1; done`
	for _, tc := range []struct {
		args   []string
		code   int
		marker string
	}{
		{[]string{"exec", name, "sh", "-c", fmt.Sprintf(script, 3, "exec-ready")}, 3, "exec-ready"},
		{[]string{"run", "--rm", "-v", "MARKDIR:/tmp", "busybox", "sh", "-c", fmt.Sprintf(script, 7, "run-ready")}, 7, "run-ready"},
	} {
		dir := t.TempDir()
		for i, a := range tc.args {
			tc.args[i] = strings.ReplaceAll(a, "MARKDIR", dir)
		}
		cmd := lumperCmd(tc.args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, tc.args[0]+" to start", func() bool {
			if tc.args[0] == "exec" {
				return lumperRun("exec", name, "test", "-f", "/tmp/"+tc.marker).code == 0
			}
			_, err := os.Stat(filepath.Join(dir, tc.marker))
			return err == nil
		})
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("lumper %s did not end after SIGTERM", tc.args[0])
		}
		if got := cmd.ProcessState.ExitCode(); got != tc.code {
			t.Fatalf("lumper %s after SIGTERM: exit %d, want %d (stderr %q)", tc.args[0], got, tc.code, errb.String())
		}
	}
}

// procsMatching returns the PIDs of processes whose command line contains
// every one of words.
func procsMatching(words ...string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline := strings.Join(procArgs(pid), " ")
		all := cmdline != ""
		for _, w := range words {
			all = all && strings.Contains(cmdline, w)
		}
		if all {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procArgs returns the arguments of process pid (none if it is gone).
func procArgs(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// taskOf returns the task of container id, and a context for calls on it.
func taskOf(t *testing.T, id string) (containerd.Task, context.Context) {
	t.Helper()
	c, ctx := ctd(t)
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return task, ctx
}
