//go:build integration

package integration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Lifecycle invocations whose effect a script reads back with ps or inspect:
// stop, rm -f and kill of a detached container.

// compatState is `inspect --format '{{.State.Status}} {{.State.ExitCode}}'`.
func compatState(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name))
}

// compatListedAll reports whether `ps -aq` lists id.
func compatListedAll(t *testing.T, id string) bool {
	t.Helper()
	return slices.ContainsFunc(lines(dockerOK(t, "ps", "-a", "-q")), func(l string) bool { return strings.HasPrefix(id, l) })
}

// compatSleeper starts a detached busybox sleep named from t.
func compatSleeper(t *testing.T) (name, id string) {
	t.Helper()
	name = uniqueName(t)
	rmOnCleanup(t, name)
	id = strings.TrimSpace(dockerOK(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want the 64-hex ID", id)
	}
	return name, id
}

var _ = registerCompat("lifecycle",
	compatCase{"stop -t 1 CONTAINER", func(t *testing.T) {
		name, id := compatSleeper(t)
		// Docker prints each container as it was named on the command line.
		if out := dockerOK(t, "stop", "-t", "1", name); out != name+"\n" {
			t.Fatalf("stop printed %q, want %q", out, name+"\n")
		}
		// sleep as PID 1 ignores SIGTERM: killed after the grace period.
		if st := compatState(t, name); st != "exited 137" {
			t.Fatalf("state after stop: %q, want exited 137", st)
		}
		if !compatListedAll(t, id) {
			t.Fatalf("after stop: ps -aq must still list %s", id)
		}
		assertNoTask(t, id)
	}},
	compatCase{"stop CONTAINER (already stopped)", func(t *testing.T) {
		name, _ := compatSleeper(t)
		dockerOK(t, "stop", "-t", "0", name)
		r := docker("stop", name)
		wantExit(t, r, 0)
		if r.stdout != name+"\n" || compatState(t, name) != "exited 137" {
			t.Fatalf("second stop: %s; state %q", r, compatState(t, name))
		}
	}},
	compatCase{"stop CONTAINER CONTAINER", func(t *testing.T) {
		a, _ := compatSleeper(t)
		b := a + "-2"
		rmOnCleanup(t, b)
		dockerOK(t, "run", "-d", "--name", b, "busybox", "sleep", "1000")
		if out := dockerOK(t, "stop", "-t", "0", a, b); out != a+"\n"+b+"\n" {
			t.Fatalf("stop printed %q", out)
		}
		for _, n := range []string{a, b} {
			if st := compatState(t, n); !strings.HasPrefix(st, "exited ") {
				t.Fatalf("%s: %q after stop", n, st)
			}
		}
	}},
	compatCase{"rm -f CONTAINER", func(t *testing.T) {
		name, id := compatSleeper(t)
		if out := dockerOK(t, "rm", "-f", name); out != name+"\n" {
			t.Fatalf("rm -f printed %q, want %q", out, name+"\n")
		}
		if compatListedAll(t, id) {
			t.Fatalf("ps -a still lists %s after rm -f", id)
		}
		assertGone(t, id, name)
		// The name is free again at once.
		dockerOK(t, "run", "-d", "--name", name, "busybox", "sleep", "1000")
	}},
	compatCase{"rm CONTAINER (running, without -f)", func(t *testing.T) {
		name, _ := compatSleeper(t)
		r := docker("rm", name)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "stop") || compatState(t, name) != "running 0" {
			t.Fatalf("rm of a running container: %s; state %q", r, compatState(t, name))
		}
	}},
	compatCase{"kill CONTAINER", func(t *testing.T) {
		name, id := compatSleeper(t)
		if out := dockerOK(t, "kill", name); out != name+"\n" {
			t.Fatalf("kill printed %q, want %q", out, name+"\n")
		}
		// SIGKILL: 128+9, read back once the reaper has recorded it.
		eventually(t, 10*time.Second, name+" to be exited 137", func() bool { return compatState(t, name) == "exited 137" })
		if !compatListedAll(t, id) {
			t.Fatalf("ps -a does not list %s after kill", id)
		}
		assertNoTask(t, id)
	}},
	compatCase{"kill --signal=HUP CONTAINER", func(t *testing.T) {
		name, _ := compatSleeper(t)
		dockerOK(t, "kill", "--signal=HUP", name)
		// PID 1 without a handler ignores HUP: it keeps running.
		if st := compatState(t, name); st != "running 0" {
			t.Fatalf("after kill -s HUP: %q", st)
		}
	}},
	compatCase{"kill CONTAINER (not running)", func(t *testing.T) {
		r := docker("kill", fixture(t, compatExited))
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "not running") {
			t.Fatalf("kill of an exited container: %s", r)
		}
	}},
)

// assertNoTask waits until the reaper has deleted container id's task, so
// that no shim stays for an exited container.
func assertNoTask(t *testing.T, id string) {
	t.Helper()
	eventually(t, 10*time.Second, "the task of "+id+" to be reaped", func() bool { return taskStatusOf(t, id) == "" })
	eventually(t, 10*time.Second, "the shim of "+id+" to exit", func() bool { return len(shimsOf(id)) == 0 })
}
