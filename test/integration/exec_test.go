//go:build integration

package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/containerd/console"
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
	mustFail(t, 125, "exec", "-u", "nosuchuser", name, "true")
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
	name := startSleeper(t)
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := lumperCmd("exec", "-it", name, "sh")
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
	if !readUntil("42", 10*time.Second) {
		t.Fatalf("no 42 from the tty session: %q", seen.String())
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
	name := startSleeper(t)
	start := time.Now()
	lumper(t, "exec", "-d", name, "sh", "-c", "sleep 1; touch /tmp/detached-ran")
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Fatalf("exec -d took %v: it must return at once", d)
	}
	eventually(t, 10*time.Second, "the detached exec to run", func() bool {
		return lumperRun("exec", name, "test", "-f", "/tmp/detached-ran").code == 0
	})
}

func TestExecStoppedOrUnknownContainer(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "true")
	r := mustFail(t, 125, "exec", name, "true")
	if !strings.Contains(r.stderr, "not running") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exec into stopped container: %q", r.stderr)
	}
	mustFail(t, 125, "exec", "no-such-container", "true")
}

func TestExecLeavesNoProcesses(t *testing.T) {
	name := startSleeper(t)
	row, _ := listed(t, name)
	fifosBefore := execFIFODirs()
	for i := 0; i < 50; i++ {
		lumper(t, "exec", name, "true")
	}
	c, ctx := ctd(t)
	ctr, err := c.LoadContainer(ctx, row.ID)
	if err != nil {
		t.Fatal(err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
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
