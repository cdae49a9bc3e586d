package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var initBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lumper-init-test")
	if err != nil {
		panic(err)
	}
	initBin = filepath.Join(dir, "lumper-init")
	if out, err := exec.Command("go", "build", "-o", initBin, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestExitStatus(t *testing.T) {
	for script, want := range map[string]int{"exit 0": 0, "exit 7": 7, "kill -KILL $$": 137} {
		err := exec.Command(initBin, "--", "sh", "-c", script).Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Errorf("%s: exit %d, want %d", script, code, want)
		}
	}
	if err := exec.Command(initBin, "--", "/nonexistent").Run(); err == nil || err.(*exec.ExitError).ExitCode() != 127 {
		t.Errorf("missing command: %v, want exit 127", err)
	}
}

// SIGTERM to lumper-init reaches the command (and its group).
func TestForwardsSignals(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	cmd := exec.Command(initBin, "--", "sh", "-c", "trap 'exit 42' TERM; touch "+ready+"; while :; do sleep 0.05; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("command did not start")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 42 {
			t.Errorf("exit %v, want 42 from the command's trap", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM not forwarded")
	}
}

// Orphans are reparented to lumper-init (a subreaper here, PID 1 in a
// container) and reaped: none is left a zombie while the command runs.
func TestReapsOrphans(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	cmd := exec.Command(initBin, "--", "sh", "-c",
		"for i in $(seq 50); do (sleep 0.2 &) ; done; sleep 0.5; touch "+done+"; sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := os.Stat(done)
		kids := children(cmd.Process.Pid)
		if err == nil && len(kids) == 1 {
			return // only the command left: the 50 sleeps were reaped
		}
		if time.Now().After(deadline) {
			t.Fatalf("children of lumper-init: %v", kids)
		}
	}
}

// children lists the pids and states of pid's children.
func children(pid int) []string {
	var out []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndex(s, ") ")
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+2:])
		if len(fields) > 1 && fields[1] == itoa(pid) {
			out = append(out, filepath.Base(filepath.Dir(f))+":"+fields[0])
		}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
