//go:build integration

package integration

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// zombieWorkload leaves 100 orphans (cat blocked opening a FIFO) once the
// shell has exec'd `sleep 1000`; the test then opens the FIFO for writing
// and they all exit at once. Without an init, PID 1 is that sleep, which
// never waits, and they stay zombies.
const zombieWorkload = "mkfifo /tmp/f; for i in $(seq 100); do (cat /tmp/f >/dev/null &) ; done; exec sleep 1000"

// procStates reads the processes of container name (its /proc, through
// exec): how many are zombies, and how many live cat processes there are.
func procStates(t *testing.T, name string) (zombies, cats int) {
	t.Helper()
	r := lumperRun("exec", name, "sh", "-c", "for f in /proc/[0-9]*/stat; do cat $f 2>/dev/null; echo; done")
	if r.code != 0 {
		t.Fatalf("reading /proc in %s: %s", name, r)
	}
	for _, l := range lines(r.stdout) {
		i := strings.LastIndex(l, ") ")
		if i < 0 || i+2 >= len(l) {
			continue
		}
		if l[i+2] == 'Z' {
			zombies++
		} else if strings.Contains(l, "(cat) ") && l[i+2] == 'S' {
			cats++
		}
	}
	return zombies, cats
}

// TestInitReapsZombies: with --init, 100 orphans are reaped (no process in
// state Z once they have exited); without it they stay zombies, which shows
// the check can fail.
func TestInitReapsZombies(t *testing.T) {
	withInit, without := uniqueName(t), uniqueName(t)+"-noinit"
	rmOnCleanup(t, withInit)
	rmOnCleanup(t, without)
	lumper(t, "run", "-d", "--init", "--name", withInit, "busybox", "sh", "-c", zombieWorkload)
	lumper(t, "run", "-d", "--name", without, "busybox", "sh", "-c", zombieWorkload)
	for _, name := range []string{withInit, without} {
		eventually(t, 60*time.Second, "100 orphans waiting in "+name, func() bool {
			z, c := procStates(t, name)
			return z == 0 && c == 100
		})
		// Opening the FIFO for writing releases all 100 at once.
		lumper(t, "exec", name, "sh", "-c", "echo > /tmp/f")
	}
	eventually(t, 30*time.Second, "100 zombies without --init", func() bool {
		z, _ := procStates(t, without)
		return z == 100
	})
	eventually(t, 30*time.Second, "all orphans exited and reaped with --init", func() bool {
		z, c := procStates(t, withInit)
		return z == 0 && c == 0
	})
	// PID 1 is lumper-init, the command its child.
	if pid1 := lumper(t, "exec", withInit, "cat", "/proc/1/cmdline"); !strings.HasPrefix(pid1, "/lumper-init\x00--\x00sh\x00-c") {
		t.Errorf("PID 1 runs %q", pid1)
	}
	if got := strings.TrimSpace(lumper(t, "inspect", "--format", "{{json .HostConfig.Init}} {{json .Config.Cmd}}", withInit)); got != `true ["sh","-c","`+zombieWorkload+`"]` {
		t.Errorf("inspect: %s", got)
	}
	if got := strings.TrimSpace(lumper(t, "inspect", "--format", "{{json .HostConfig.Init}}", without)); got != "null" {
		t.Errorf("HostConfig.Init without --init: %s", got)
	}
}

// TestInitStopLatency: sh as PID 1 ignores SIGTERM (the kernel drops
// signals PID 1 has no handler for), so stop waits its 10 s and kills;
// lumper-init forwards SIGTERM to the command, which ends at once.
func TestInitStopLatency(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--init", "--name", name, "busybox", "sh", "-c", "for i in $(seq 100); do (sleep 0 &) ; done; sleep 1000")
	waitInitHandlers(t, name)
	start := time.Now()
	lumper(t, "stop", name)
	took := time.Since(start)
	t.Logf("stop of an --init container took %v", took)
	if took > 5*time.Second {
		t.Errorf("stop took %v: SIGTERM did not reach the command through lumper-init", took)
	}
	code, _ := strconv.Atoi(strings.TrimSpace(lumper(t, "inspect", "--format", "{{.State.ExitCode}}", name)))
	if code != 143 {
		t.Errorf("exit code %d, want 143 (SIGTERM, passed on by lumper-init)", code)
	}
}

// TestInitExitStatusAndSignals: the command's status is the container's,
// and a signal from kill reaches the command.
func TestInitExitStatusAndSignals(t *testing.T) {
	r := lumperRun("run", "--rm", "--init", "busybox", "sh", "-c", "exit 7")
	if r.code != 7 {
		t.Fatalf("run --init exit 7: %s", r)
	}
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--init", "--name", name, "busybox", "sh", "-c", "trap 'exit 42' USR1; touch /tmp/ready; while :; do sleep 0.1; done")
	eventually(t, 10*time.Second, "the trap to be set", func() bool {
		return lumperRun("exec", name, "test", "-f", "/tmp/ready").code == 0
	})
	lumper(t, "kill", "-s", "USR1", name)
	eventually(t, 10*time.Second, "exit 42 after USR1", func() bool {
		return strings.TrimSpace(lumperRun("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).stdout) == "exited 42"
	})
}

// TestInitTTY: with -t the command is the terminal's foreground process
// group (job control and ^C reach it), and stop still ends it at once.
func TestInitTTY(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "-t", "--init", "--name", name, "busybox", "sh", "-c", "sleep 1000")
	var stat string
	eventually(t, 10*time.Second, "the command as PID 1's child", func() bool {
		// The command is the child of lumper-init: the lowest pid after 1.
		stat = lumperRun("exec", name, "sh", "-c", "for f in /proc/[0-9]*/stat; do read l < $f; case \"$l\" in *') S 1 '*|*') R 1 '*) echo \"$l\";; esac; done").stdout
		return strings.Contains(stat, "(sh)") || strings.Contains(stat, "(sleep)")
	})
	var found bool
	for _, l := range lines(stat) {
		i := strings.LastIndex(l, ") ")
		f := strings.Fields(l[i+2:]) // state ppid pgrp session tty_nr tpgid
		pid := strings.Fields(l)[0]
		if len(f) < 6 || !(strings.Contains(l, "(sh)") || strings.Contains(l, "(sleep)")) {
			continue
		}
		found = true
		if f[2] != pid || f[5] != pid || f[4] == "0" {
			t.Errorf("command %q: want its own process group, foreground on its terminal", l)
		}
	}
	if !found {
		t.Fatalf("no command under lumper-init: %q", stat)
	}
	waitInitHandlers(t, name)
	start := time.Now()
	lumper(t, "stop", name)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stop took %v", took)
	}
}

// waitInitHandlers waits until PID 1 of container name catches SIGTERM:
// the kernel drops a signal to a namespace's init that has no handler for
// it, so a stop that lands between the exec of lumper-init and its signal
// setup (a window of microseconds, longer on a loaded host) would be
// lost, as with Docker's docker-init.
func waitInitHandlers(t *testing.T, name string) {
	t.Helper()
	eventually(t, 10*time.Second, "lumper-init to catch SIGTERM", func() bool {
		r := lumperRun("exec", name, "grep", "SigCgt", "/proc/1/status")
		f := strings.Fields(r.stdout)
		if r.code != 0 || len(f) != 2 {
			return false
		}
		mask, err := strconv.ParseUint(f[1], 16, 64)
		return err == nil && mask&(1<<(15-1)) != 0
	})
}
