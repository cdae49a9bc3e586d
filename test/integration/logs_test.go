//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitExited waits until list shows the container exited.
func waitExited(t *testing.T, name string, timeout time.Duration) listRow {
	t.Helper()
	var row listRow
	eventually(t, timeout, name+" to exit", func() bool {
		row, _ = listed(t, name)
		return row.Status == "exited"
	})
	return row
}

func TestLogsDetachedStreamsAndOrder(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
		"echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05; echo err2 >&2; sleep 0.05; echo out3")
	waitExited(t, name, 30*time.Second)
	r := lumperRun("logs", name)
	if r.code != 0 || r.stdout != "out1\nout2\nout3\n" || r.stderr != "err1\nerr2\n" {
		t.Fatalf("logs: %s", r)
	}
	// Both streams into one pipe keep the order they were written in.
	cmd := lumperCmd("logs", name)
	both, err := cmd.CombinedOutput()
	if err != nil || string(both) != "out1\nerr1\nout2\nerr2\nout3\n" {
		t.Fatalf("combined logs: %v %q", err, both)
	}
	// --tail counts lines of both streams, as in Docker.
	if r := lumperRun("logs", "--tail", "2", name); r.stdout != "out3\n" || r.stderr != "err2\n" {
		t.Fatalf("--tail 2: %s", r)
	}
	r = lumperRun("logs", "-t", name)
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out\d$`)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !stamp.MatchString(line) {
			t.Fatalf("-t line %q lacks an RFC3339Nano stamp", line)
		}
	}
}

func TestLogsSinceUntil(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// "old", then "new" once the test creates /w/go, gap later: a duration
	// ago that falls between the two lines' ages stays between them for
	// gap/2, however slowly a loaded machine starts lumper (a fixed "--since
	// 1s" after `sleep 2` failed when the exit took over a second to see).
	dir := t.TempDir()
	lumper(t, "run", "-d", "--name", name, "--network", "none", "-v", dir+":/w", "busybox", "sh", "-c",
		"echo old; while [ ! -e /w/go ]; do sleep 0.05; done; echo new")
	eventually(t, 30*time.Second, "the first line in the log", func() bool { return lumperRun("logs", name).stdout == "old\n" })
	const gap = 5 * time.Second
	time.Sleep(gap) // ages the first line; proves nothing by itself
	released := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitExited(t, name, 30*time.Second)
	// "new" is younger than time.Since(released), "old" older than that plus gap.
	between := func() string { return (time.Since(released) + gap/2).Round(time.Millisecond).String() }
	if d := between(); lumper(t, "logs", "--since", d, name) != "new\n" {
		t.Fatalf("--since %s: %q", d, lumperRun("logs", "--since", d, name).stdout)
	}
	if d := between(); lumper(t, "logs", "--until", d, name) != "old\n" {
		t.Fatalf("--until %s: %q", d, lumperRun("logs", "--until", d, name).stdout)
	}
	oneLineError(t, mustFail(t, 1, "logs", "--tail", "abc", name), `invalid --tail "abc"`)
	oneLineError(t, mustFail(t, 1, "logs", "--since", "nonsense", name), `invalid --since "nonsense"`)
	oneLineError(t, mustFail(t, 1, "logs", "no-such-container"), "No such container: no-such-container")
}

func TestLogsFollow(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// The container prints 1, then waits for /w/go, which the test creates
	// only once logs -f has shown the 1: lines arrive as they are written,
	// proven without comparing wall-clock times on a loaded machine.
	dir := t.TempDir()
	lumper(t, "run", "-d", "--name", name, "--network", "none", "-v", dir+":/w", "busybox", "sh", "-c",
		"echo 1; while [ ! -e /w/go ]; do sleep 0.05; done; echo 2; sleep 0.2; echo 3")
	cmd := lumperCmd("logs", "-f", name)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 8)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	select {
	case l := <-lines:
		if l != "1" {
			t.Fatalf("logs -f first line %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not show the first line while the container runs: not streamed")
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := []string{"1"}
	timeout := time.After(60 * time.Second)
	for open := true; open; {
		select {
		case l, ok := <-lines:
			if open = ok; ok {
				got = append(got, l)
			}
		case <-timeout:
			t.Fatalf("logs -f did not return when the container exited (got %q)", got)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs -f: %v", err)
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("logs -f got %q", got)
	}
}

func TestLogs200kLinesDetached(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "seq", "1", "200000")
	waitExited(t, name, 60*time.Second)
	out := lumper(t, "logs", name)
	checkSeq(t, out, 200000)
}

func TestForeground200kLinesNoHang(t *testing.T) {
	t.Parallel()
	for i := 0; i < 3; i++ {
		done := make(chan result, 1)
		go func() { done <- lumperRun("run", "--rm", "busybox", "seq", "1", "200000") }()
		select {
		case r := <-done:
			if r.code != 0 {
				t.Fatalf("run: %s", r.stderr)
			}
			checkSeq(t, r.stdout, 200000)
		case <-time.After(60 * time.Second):
			t.Fatal("foreground run of seq 1 200000 hung")
		}
	}
	// And the log of a foreground container has it all too.
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "seq", "1", "50000")
	checkSeq(t, lumper(t, "logs", name), 50000)
}

func checkSeq(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q", i+1, l)
		}
	}
}

func TestLogsFinalLineWithoutNewline(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "printf", "a\\nno-newline")
	waitExited(t, name, 30*time.Second)
	if out := lumper(t, "logs", name); out != "a\nno-newline" {
		t.Fatalf("logs: %q", out)
	}
}

// procsOf counts the processes of binary that belong to this test run (their
// environment or command line names its containerd or data root) and mention
// id (all of them for id "").
func procsOf(t *testing.T, binary, id string) int {
	t.Helper()
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if filepath.Base(exe) != binary {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		mentions := func(s string) bool {
			return strings.Contains(string(environ), s) || strings.Contains(string(cmdline), s)
		}
		// Only processes of this test run's containerd and data root count.
		if !mentions(env.ctdDir) && !mentions(env.dataRoot) {
			continue
		}
		if id != "" && !mentions(id) {
			continue
		}
		n++
	}
	return n
}

func TestShortLivedDetachedLeaveNothingResident(t *testing.T) {
	var ids []string
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("%s-%d", uniqueName(t), i)
		rmOnCleanup(t, name)
		ids = append(ids, strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "echo x; exit "+strconv.Itoa(i))))
	}
	eventually(t, 2*time.Second, "loggers and shims of exited containers to go (issue #4: within 2 s)", func() bool {
		for _, id := range ids {
			if procsOf(t, "lumper-logger", id) > 0 || procsOf(t, "containerd-shim-runc-v2", id) > 0 {
				return false
			}
		}
		return true
	})
	for i := range ids {
		name := fmt.Sprintf("%s-%d", uniqueName(t), i)
		row := waitExited(t, name, 30*time.Second)
		if row.ExitCode != i {
			t.Fatalf("%s exit code %d, want %d", name, row.ExitCode, i)
		}
		if out := lumper(t, "logs", name); out != "x\n" {
			t.Fatalf("%s logs %q", name, out)
		}
	}
}

func TestEchoLogNeverLost(t *testing.T) {
	name := uniqueName(t)
	for i := 0; i < 50; i++ {
		lumper(t, "run", "-d", "--name", name, "busybox", "echo", "x")
		waitExited(t, name, 30*time.Second)
		if out := lumper(t, "logs", name); out != "x\n" {
			t.Fatalf("run %d: logs %q", i, out)
		}
		lumper(t, "rm", name)
	}
	eventually(t, 5*time.Second, "no logger process left", func() bool {
		return procsOf(t, "lumper-logger", "") == 0
	})
}

func TestLogRotation(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--log-opt", "max-size=64k", "--log-opt", "max-file=3", "busybox", "seq", "1", "100000")
	waitExited(t, name, 60*time.Second)
	row, _ := listed(t, name)
	dir := filepath.Join(env.dataRoot, testNamespace, "containers", row.ID)
	var total int64
	files, _ := filepath.Glob(filepath.Join(dir, "container.log*"))
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	if len(files) == 0 || len(files) > 3 || total > 3*64*1024 {
		t.Fatalf("rotation kept %d files, %d bytes", len(files), total)
	}
	out := strings.Split(strings.TrimSpace(lumper(t, "logs", name)), "\n")
	if out[len(out)-1] != "100000" {
		t.Fatalf("newest line %q", out[len(out)-1])
	}
	for i := 1; i < len(out); i++ {
		a, _ := strconv.Atoi(out[i-1])
		b, _ := strconv.Atoi(out[i])
		if b != a+1 {
			t.Fatalf("lines out of order at %d: %s then %s", i, out[i-1], out[i])
		}
	}
	if tail := lumper(t, "logs", "--tail", "3", name); tail != "99998\n99999\n100000\n" {
		t.Fatalf("--tail 3 after rotation: %q", tail)
	}
	// rm deletes the logs.
	lumper(t, "rm", name)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("log directory survived rm: %v", err)
	}
}

func TestLogsFollowAcrossRestarts(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; sleep 0.5; exit 1")
	done := make(chan result, 1)
	go func() { done <- lumperRun("logs", "-f", name) }()
	select {
	case r := <-done:
		if r.code != 0 || r.stdout != "run\nrun\nrun\n" {
			t.Fatalf("logs -f across restarts: %s", r)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("logs -f did not end after the last restart")
	}
}

// TestForegroundCLIKilled: when the lumper running a container in the
// foreground is SIGKILLed, the container keeps running and stays
// manageable, and its log holds what the CLI had captured (docs: foreground
// capture goes through the CLI; `run -d` is for output that outlives it).
func TestForegroundCLIKilled(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	cmd := lumperCmd("run", "--name", name, "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.02; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "output in the log", func() bool {
		r := lumperRun("logs", name)
		return r.code == 0 && strings.Contains(r.stdout, "line 5\n")
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if row, ok := listed(t, name); !ok || row.Status != "running" {
		t.Fatalf("after the CLI was killed: %+v", row)
	}
	if out := lumper(t, "logs", name); !strings.HasPrefix(out, "line 1\nline 2\n") {
		t.Fatalf("log after the CLI was killed: %q", out[:min(len(out), 80)])
	}
	if out := lumper(t, "exec", name, "echo", "alive"); out != "alive\n" {
		t.Fatalf("exec: %q", out)
	}
	lumper(t, "stop", "-t", "1", name)
	if row, _ := listed(t, name); row.Status != "exited" {
		t.Fatalf("after stop: %+v", row)
	}
	lumper(t, "rm", name)
}
