//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
)

// loggerPid reads the pid lumper-logger records for container id (its
// logs.LoggerPidFile) and checks that it is a live lumper-logger.
func loggerPid(t *testing.T, id string) int {
	t.Helper()
	var pid int
	eventually(t, 30*time.Second, "the logger of "+id+" to record its pid", func() bool {
		b, err := os.ReadFile(filepath.Join(env.dataRoot, testNamespace, "containers", id, "logger.pid"))
		if err != nil {
			return false
		}
		p, _, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
		pid, _ = strconv.Atoi(p)
		return pid > 0
	})
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil || filepath.Base(exe) != "lumper-logger" {
		t.Fatalf("pid %d recorded for the logger of %s runs %q (%v)", pid, id, exe, err)
	}
	return pid
}

// canLowerOOMScore reports whether a process of this host may lower its
// oom_score_adj (root with CAP_SYS_RESOURCE), as the logger tries to.
func canLowerOOMScore() bool {
	return exec.Command("sh", "-c", "echo -1 >/proc/self/oom_score_adj").Run() == nil
}

// killLoggerAndExit starts a detached container that prints a line, SIGKILLs
// its logger (as the OOM killer or an admin would), then lets the container
// exit 3. It returns the container's ID once its task is stopped, with
// nobody left to reap it.
func killLoggerAndExit(t *testing.T, name string) string {
	t.Helper()
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
		"echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3"))
	eventually(t, 30*time.Second, "the first line in the log", func() bool {
		return lumperRun("logs", name).stdout == "before\n"
	})
	pid := loggerPid(t, id)
	adj, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/oom_score_adj")
	switch {
	case !canLowerOOMScore():
		t.Logf("this host does not let root lower an OOM score (no CAP_SYS_RESOURCE): logger oom_score_adj %q not checked", strings.TrimSpace(string(adj)))
	case err != nil || strings.TrimSpace(string(adj)) != "-998":
		t.Errorf("logger oom_score_adj = %q (%v), want -998: it should be an unlikely OOM victim", adj, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the logger to die", func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	})
	lumper(t, "exec", name, "touch", "/tmp/go")
	eventually(t, 30*time.Second, "the task to stop", func() bool { return taskStatusOf(t, id) == containerd.Stopped })
	// Nothing reaps it by itself: the shim stays while no lumper looks.
	for i := 0; i < 5; i++ {
		if st := taskStatusOf(t, id); st != containerd.Stopped {
			t.Fatalf("task of %s is %q without any lumper looking: the test proves nothing", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(shimsOf(id)) == 0 {
		t.Fatalf("no shim for the stopped task of %s: the test proves nothing", id)
	}
	return id
}

// TestDeadLoggerIsNotSilent: when a detached container's lumper-logger dies,
// the next lumper command that looks at the container (ps, inspect, logs,
// wait) records its exit and reaps its task, so that no shim lingers; logs
// and inspect say from when its output was no longer captured.
//
// Sequential, and so are its cases: any lumper command that lists every
// container (another test's, or the "ps" case's `ps -a`) reaps a task whose
// logger died, so it would reap a stopped task that killLoggerAndExit is
// checking nobody has reaped yet.
func TestDeadLoggerIsNotSilent(t *testing.T) {
	for _, look := range []string{"ps", "inspect", "logs", "wait"} {
		t.Run(look, func(t *testing.T) {
			name := uniqueName(t)
			rmOnCleanup(t, name)
			id := killLoggerAndExit(t, name)
			var r result
			switch look {
			case "ps":
				r = lumperRun("ps", "-a")
				found := false
				for _, l := range lines(r.stdout) {
					// Docker's STATUS column says "Exited (3) ... ago".
					if slices.Contains(strings.Fields(l), name) {
						found = strings.Contains(strings.ToLower(l), "exited (3)")
					}
				}
				if r.code != 0 || !found {
					t.Fatalf("ps -a does not show %s as Exited (3): %s", name, r)
				}
			case "inspect":
				r = lumperRun("inspect", name)
			case "logs":
				r = lumperRun("logs", name)
				if r.code != 0 || r.stdout != "before\n" {
					t.Fatalf("logs: %s", r)
				}
				if !strings.Contains(r.stderr, "not captured") {
					t.Fatalf("logs does not say that output is no longer captured: %s", r)
				}
			case "wait":
				r = lumperRun("wait", name)
				if r.code != 0 || strings.TrimSpace(r.stdout) != "3" {
					t.Fatalf("wait: %s", r)
				}
			}
			if r.code != 0 {
				t.Fatalf("%s: %s", look, r)
			}
			// Reaped by that command, before it returned.
			if st := taskStatusOf(t, id); st != "" {
				t.Fatalf("task of %s still %q after %s", id, st, look)
			}
			eventually(t, 5*time.Second, "the shim of "+id+" to exit", func() bool { return len(shimsOf(id)) == 0 })
			var d []struct {
				State struct {
					Status   string
					ExitCode int
					Error    string
				}
			}
			if err := json.Unmarshal([]byte(lumper(t, "inspect", name)), &d); err != nil || len(d) != 1 {
				t.Fatalf("inspect: %v", err)
			}
			if d[0].State.Status != "exited" || d[0].State.ExitCode != 3 {
				t.Fatalf("state after the logger died: %+v, want exited 3", d[0].State)
			}
			if !strings.Contains(d[0].State.Error, "not captured") || !strings.Contains(d[0].State.Error, "lumper-logger") {
				t.Fatalf("inspect State.Error = %q, want when output was no longer captured", d[0].State.Error)
			}
			// A new start captures output again, and says so.
			lumper(t, "start", name)
			if d := lumper(t, "inspect", "--format", "{{.State.Error}}", name); strings.TrimSpace(d) != "" {
				t.Fatalf("State.Error after a new start: %q", d)
			}
		})
	}
}

// TestPrivilegedAllowsNewPrivileges: --privileged turns no_new_privs off as
// Docker does (setuid binaries work); the default and an explicit
// no-new-privileges keep it on.
func TestPrivilegedAllowsNewPrivileges(t *testing.T) {
	t.Parallel()
	nnp := func(args ...string) string {
		out := lumper(t, append(append([]string{"run", "--rm", "--network", "none"}, args...), "busybox", "grep", "NoNewPrivs", "/proc/self/status")...)
		return strings.Join(strings.Fields(out), " ")
	}
	if got := nnp("--privileged"); got != "NoNewPrivs: 0" {
		t.Errorf("--privileged: %q, want NoNewPrivs: 0", got)
	}
	if got := nnp(); got != "NoNewPrivs: 1" {
		t.Errorf("default: %q, want NoNewPrivs: 1", got)
	}
	if got := nnp("--privileged", "--security-opt", "no-new-privileges"); got != "NoNewPrivs: 1" {
		t.Errorf("--privileged with no-new-privileges: %q, want NoNewPrivs: 1", got)
	}
}
