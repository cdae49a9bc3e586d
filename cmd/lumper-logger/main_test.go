package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/logs"
)

var loggerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lumper-logger-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	loggerBin = filepath.Join(dir, "lumper-logger")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-trimpath", "-ldflags", "-s -w", "-o", loggerBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building lumper-logger:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestParseArgs(t *testing.T) {
	cfg, err := parseArgs([]string{"--max-file", "2", "--on-exit-args", "a\x1fb c", "--log-path", "/x/y.log", "--on-exit", "/bin/true", "--max-size=1m"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.logPath != "/x/y.log" || cfg.maxSize != 1<<20 || cfg.maxFiles != 2 || cfg.onExit != "/bin/true" ||
		strings.Join(cfg.onExitArgs, "|") != "a|b c" || cfg.pidFile != "init.pid" {
		t.Errorf("config %+v", cfg)
	}
	cfg, err = parseArgs([]string{"--log-path", "/l", "--max-size", "0"})
	if err != nil || cfg.maxSize != -1 || cfg.maxFiles != logs.DefaultMaxFiles {
		t.Errorf("unlimited: %+v %v", cfg, err)
	}
	cfg, err = parseArgs([]string{"--log-path", "/l"})
	if err != nil || cfg.maxSize != logs.DefaultMaxSize {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{
		{}, {"--max-size", "1m"}, {"--log-path"}, {"--log-path", "/l", "--bogus", "1"},
		{"--log-path", "/l", "--max-file", "0"}, {"--log-path", "/l", "stray"},
	} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestURIRoundTrip checks that the arguments containerd's shim derives from
// logs.BinaryURI (one "key value" pair per query parameter, in map order)
// parse back.
func TestURIRoundTrip(t *testing.T) {
	uri := logs.BinaryURI("/opt/lumper-logger", "/var/lib/lumper/x/ctr.log", 5<<20, 4, "/usr/bin/lumper",
		[]string{"--data-root", "/var/lib/my lumper", "internal-reap"})
	args := shimArgs(t, uri)
	cfg, err := parseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.logPath != "/var/lib/lumper/x/ctr.log" || cfg.maxSize != 5<<20 || cfg.maxFiles != 4 || cfg.onExit != "/usr/bin/lumper" ||
		strings.Join(cfg.onExitArgs, "|") != "--data-root|/var/lib/my lumper|internal-reap" {
		t.Errorf("config %+v from %q", cfg, args)
	}
}

// shimArgs renders uri into arguments as the shim's NewBinaryCmd does.
func shimArgs(t *testing.T, uri string) []string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != logs.LoggerScheme || u.Path != "/opt/lumper-logger" {
		t.Errorf("uri %s", uri)
	}
	var args []string
	for k, vs := range u.Query() {
		args = append(args, k)
		if len(vs) > 0 {
			args = append(args, vs[0])
		}
	}
	return args
}

// shim is a simulated containerd shim running lumper-logger.
type shim struct {
	t      *testing.T
	dir    string // bundle, the logger's working directory
	log    string
	cmd    *exec.Cmd
	outW   *os.File
	errW   *os.File
	exited chan error
}

// startLogger starts the logger as the shim does: fds 3, 4 and 5, the
// environment, the bundle as working directory; it waits until ready.
func startLogger(t *testing.T, extraArgs ...string) *shim {
	t.Helper()
	s := &shim{t: t, dir: t.TempDir(), exited: make(chan error, 1)}
	s.log = filepath.Join(s.dir, "logs", "ctr.log")
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.outW, s.errW = outW, errW
	s.cmd = exec.Command(loggerBin, append([]string{"--log-path", s.log}, extraArgs...)...)
	s.cmd.Dir = s.dir
	s.cmd.Env = []string{"CONTAINER_ID=ctr1", "CONTAINER_NAMESPACE=ns1"}
	s.cmd.ExtraFiles = []*os.File{outR, errR, readyW}
	var stderr bytes.Buffer
	s.cmd.Stderr = &stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outR.Close()
	errR.Close()
	readyW.Close()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		// Wait has returned once stderr is copied: only then read it.
		select {
		case err := <-s.exited:
			s.exited <- err
		case <-time.After(5 * time.Second):
			return
		}
		if stderr.Len() > 0 {
			t.Logf("logger stderr: %s", stderr.String())
		}
	})
	b := make([]byte, 1)
	if n, err := readyR.Read(b); n != 1 {
		t.Fatalf("logger not ready: %v", err)
	}
	readyR.Close()
	return s
}

// startContainer runs script with sh, its output on the pipes, and writes
// its pid to init.pid as the shim does after runc create.
func (s *shim) startContainer(script string) *exec.Cmd {
	s.t.Helper()
	c := exec.Command("/bin/sh", "-c", script)
	c.Stdout, c.Stderr = s.outW, s.errW
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	tmp := filepath.Join(s.dir, ".init.pid")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(c.Process.Pid)), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "init.pid")); err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *shim) waitExit(timeout time.Duration) error {
	s.t.Helper()
	select {
	case err := <-s.exited:
		return err
	case <-time.After(timeout):
		s.t.Fatal("logger did not exit")
		return nil
	}
}

func (s *shim) running() bool {
	select {
	case err := <-s.exited:
		s.exited <- err
		return false
	default:
		return true
	}
}

func readLog(t *testing.T, path string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := logs.Read(context.Background(), path, logs.ReadOptions{Tail: -1}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String()
}

func waitFile(t *testing.T, path string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func expectedLines(prefix string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s %d\n", prefix, i)
	}
	return b.String()
}

func writeHook(t *testing.T, dir string) (string, string) {
	t.Helper()
	marker := filepath.Join(dir, "hook.out")
	hook := filepath.Join(dir, "hook.sh")
	script := "#!/bin/sh\necho \"$CONTAINER_ID $CONTAINER_NAMESPACE $PATH [$*]\" > " + marker + ".tmp && mv " + marker + ".tmp " + marker + "\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return hook, marker
}

// The container exits but the shim keeps the pipes open: the logger notices
// the exit through init.pid, saves everything, runs the exit program, and
// exits 0 on SIGTERM after saving what came late.
func TestLoggerContainerExitAndSIGTERM(t *testing.T) {
	hookDir := t.TempDir()
	hook, marker := writeHook(t, hookDir)
	s := startLogger(t, "--on-exit", hook, "--on-exit-args", "internal-reap\x1fwith space", "--max-size", "1m", "--max-file", "2")

	c := s.startContainer(`i=0; while [ $i -lt 2000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; printf 'no newline'; sleep 0.3`)
	if err := c.Wait(); err != nil {
		t.Fatal(err)
	}
	got := string(waitFile(t, marker, 10*time.Second))
	if want := "ctr1 ns1 " + hookPath[len("PATH="):] + " [internal-reap with space]\n"; got != want {
		t.Errorf("exit program saw %q, want %q", got, want)
	}
	// The hook runs after the log is saved.
	out, errs := readLog(t, s.log)
	if want := expectedLines("out", 2000) + "no newline"; out != want {
		t.Errorf("stdout: %d bytes, want %d; ends with %q", len(out), len(want), out[max(0, len(out)-30):])
	}
	if want := expectedLines("err", 2000); errs != want {
		t.Errorf("stderr: %d bytes, want %d", len(errs), len(want))
	}
	if !s.running() {
		t.Fatal("logger exited before SIGTERM")
	}
	// While it runs, the logger names itself beside the log, for lumper to
	// tell a logger that died.
	pidFile := logs.LoggerPidPath(s.log)
	if b, err := os.ReadFile(pidFile); err != nil || !strings.HasPrefix(string(b), strconv.Itoa(s.cmd.Process.Pid)+":") {
		t.Errorf("pid file %s: %q, %v; want the logger's pid %d", pidFile, b, err, s.cmd.Process.Pid)
	}
	if lost, _ := logs.LoggerLost(s.log); lost {
		t.Error("a running logger counts as lost")
	}
	// Output from a process that outlived init, then task delete.
	s.outW.WriteString("late line\n")
	time.Sleep(50 * time.Millisecond)
	s.errW.WriteString("very late")
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	out, errs = readLog(t, s.log)
	if !strings.HasSuffix(out, "no newline\nlate line\n") && !strings.HasSuffix(out, "no newlinelate line\n") {
		t.Errorf("late stdout missing: %q", out[max(0, len(out)-40):])
	}
	if !strings.HasSuffix(errs, "err 1999\nvery late") {
		t.Errorf("late stderr missing: %q", errs[max(0, len(errs)-40):])
	}
	// A normal end removes the pid file: only a killed logger leaves it.
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left after a normal end: %v", err)
	}
}

// When the shim closes the pipes (task deleted) the logger exits 0 by itself.
func TestLoggerExitsOnEOF(t *testing.T) {
	s := startLogger(t)
	s.outW.WriteString("hello\n")
	s.errW.WriteString("partial")
	s.outW.Close()
	s.errW.Close()
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	out, errs := readLog(t, s.log)
	if out != "hello\n" || errs != "partial" {
		t.Errorf("stdout %q stderr %q", out, errs)
	}
}

// A TTY container: all output on stdout, the stderr pipe unused (the shim
// drops its write end); the shim closes stdout when the console closes, a
// moment before the process is gone, and never signals the logger.
func TestLoggerTTY(t *testing.T) {
	hook, marker := writeHook(t, t.TempDir())
	s := startLogger(t, "--on-exit", hook)
	s.errW.Close()
	c := s.startContainer(`echo "tty line"; printf 'prompt> '; exec >&- 2>&-; sleep 0.3`)
	s.outW.Close()
	start := time.Now()
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("logger exited after %v, before the container", d)
	}
	c.Wait()
	waitFile(t, marker, 5*time.Second)
	out, errs := readLog(t, s.log)
	if out != "tty line\nprompt> " || errs != "" {
		t.Errorf("stdout %q stderr %q", out, errs)
	}
}

// A task that is deleted before its container ever ran (no init.pid): the
// logger exits 0 on SIGTERM without running the exit program.
func TestLoggerNoInitPid(t *testing.T) {
	hook, marker := writeHook(t, t.TempDir())
	s := startLogger(t, "--on-exit", hook)
	time.Sleep(150 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("exit program ran: %v", err)
	}
}

// A bad flag: the logger exits without signalling ready, so that the shim
// fails the task creation.
func TestLoggerBadFlagNotReady(t *testing.T) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer readyR.Close()
	cmd := exec.Command(loggerBin, "--log-path", filepath.Join(t.TempDir(), "l.log"), "--max-size", "lots")
	cmd.ExtraFiles = []*os.File{os.Stdin, os.Stdin, readyW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readyW.Close()
	n, _ := readyR.Read(make([]byte, 1))
	werr := cmd.Wait()
	if n != 0 || werr == nil {
		t.Errorf("ready %d bytes, exit %v", n, werr)
	}
	if !strings.Contains(stderr.String(), "max-size") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestLoggerMemory pushes 64 MiB of short and long lines through the logger
// and reports its peak resident size.
func TestLoggerMemory(t *testing.T) {
	s := startLogger(t, "--max-size", "8m", "--max-file", "2")
	short := []byte(strings.Repeat("a short log line of a busy container\n", 100))
	long := append(bytes.Repeat([]byte("L"), 100000), '\n')
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; n < 32<<20; {
			s.errW.Write(long)
			k, _ := s.outW.Write(short)
			n += k + len(long)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("writing timed out")
	}
	time.Sleep(100 * time.Millisecond) // let the logger catch up
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	s.outW.Close()
	s.errW.Close()
	var hwm string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") || strings.HasPrefix(l, "VmRSS:") {
			t.Log(strings.Join(strings.Fields(l), " "))
		}
		if strings.HasPrefix(l, "VmHWM:") {
			hwm = strings.Fields(l)[1]
		}
	}
	if err := s.waitExit(10 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	kb, err := strconv.Atoi(hwm)
	if err != nil {
		t.Fatalf("VmHWM %q: %v", hwm, err)
	}
	if kb > 8*1024 {
		t.Errorf("peak RSS %d KiB > 8 MiB", kb)
	}
	if st, err := os.Stat(loggerBin); err == nil {
		t.Logf("binary size %d bytes", st.Size())
	}
}

// TestLoggerRestoresMissingNetNS: with --netns naming a path where no network
// namespace is mounted, the logger runs the exit program with
// --on-netns-args, and signals ready only after it has finished; with a
// namespace mounted there (here: the logger's own), it runs nothing.
func TestLoggerRestoresMissingNetNS(t *testing.T) {
	dir := t.TempDir()
	hook := filepath.Join(dir, "hook.sh")
	marker := filepath.Join(dir, "marker")
	script := "#!/bin/sh\nsleep 0.3\necho \"$CONTAINER_ID $*\" >" + marker + "\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--on-exit", hook, "--on-exit-args", "reap", "--on-netns-args", "--x" + logs.OnExitArgsSep + "netns"}
	s := startLogger(t, append(args, "--netns", filepath.Join(dir, "missing"))...)
	b, err := os.ReadFile(marker)
	if err != nil {
		t.Fatalf("ready before the network program finished: %v", err)
	}
	if got := strings.TrimSpace(string(b)); got != "ctr1 --x netns" {
		t.Errorf("network program ran as %q", got)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitExit(5 * time.Second)

	os.Remove(marker)
	s = startLogger(t, append(args, "--netns", "/proc/self/ns/net")...)
	time.Sleep(500 * time.Millisecond)
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("network program ran although the namespace exists: %v", err)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitExit(5 * time.Second)
}

// --fifo-io (a logger lumper starts for `run -d -i`): the output comes
// through the shim's copy into FIFOs, which goes on after the init has
// exited, so the exit program runs only at their EOF, after the last output;
// the --stdin FIFO is held open for writing while the init runs.
func TestLoggerFIFOIOAndStdin(t *testing.T) {
	hookDir := t.TempDir()
	hook, marker := writeHook(t, hookDir)
	stdin := filepath.Join(t.TempDir(), "stdin")
	if err := unix.Mkfifo(stdin, 0o600); err != nil {
		t.Fatal(err)
	}
	canWrite := func() bool {
		fd, err := unix.Open(stdin, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err == nil
	}
	s := startLogger(t, "--fifo-io", "true", "--stdin", stdin, "--on-exit", hook, "--on-exit-args", "internal-reap")
	if !canWrite() {
		t.Fatal("the stdin FIFO has no reader: the logger does not hold it")
	}
	c := s.startContainer(`echo first`)
	if err := c.Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("the exit program ran before the output's EOF")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The shim's last copy, then its end.
	s.outW.WriteString("last\n")
	s.outW.Close()
	s.errW.Close()
	waitFile(t, marker, 5*time.Second)
	if out, _ := readLog(t, s.log); out != "first\nlast\n" {
		t.Errorf("log before the exit program: %q", out)
	}
	if err := s.waitExit(5 * time.Second); err != nil {
		t.Fatalf("logger exit: %v", err)
	}
	if canWrite() {
		t.Error("the stdin FIFO is still held after the init exited")
	}
}
