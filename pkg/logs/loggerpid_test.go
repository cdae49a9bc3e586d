package logs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lumper/lumper/pkg/proc"
)

func TestLoggerPidFile(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "container.log")
	if lost, _ := LoggerLost(logPath); lost {
		t.Fatal("no pid file (a foreground run, an old logger) must not count as a lost logger")
	}
	forget, err := RecordLogger(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if lost, _ := LoggerLost(logPath); lost {
		t.Fatal("a live logger counted as lost")
	}
	forget()
	if _, err := os.Stat(LoggerPidPath(logPath)); !os.IsNotExist(err) {
		t.Fatalf("pid file left after a normal end: %v", err)
	}

	// A logger that died: its pid names no process any more.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	owner := strconv.Itoa(dead.Process.Pid) + ":" + proc.StartTime(os.Getpid())
	if err := os.WriteFile(LoggerPidPath(logPath), []byte(owner+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lost, got := LoggerLost(logPath)
	if !lost || got != owner {
		t.Fatalf("dead logger: lost %v, owner %q", lost, got)
	}
	// A reused pid: this process, with another start time.
	reused := strconv.Itoa(os.Getpid()) + ":1"
	if err := os.WriteFile(LoggerPidPath(logPath), []byte(reused), 0o600); err != nil {
		t.Fatal(err)
	}
	if lost, _ := LoggerLost(logPath); !lost {
		t.Fatal("a pid reused by another process counted as the logger")
	}
	// ForgetLogger leaves a file that names another logger (a restarted
	// task's) alone.
	ForgetLogger(logPath, owner)
	if _, err := os.Stat(LoggerPidPath(logPath)); err != nil {
		t.Fatalf("ForgetLogger removed another logger's file: %v", err)
	}
	ForgetLogger(logPath, reused)
	if _, err := os.Stat(LoggerPidPath(logPath)); !os.IsNotExist(err) {
		t.Fatalf("ForgetLogger kept the dead logger's file: %v", err)
	}
}
