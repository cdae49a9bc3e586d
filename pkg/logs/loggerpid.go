package logs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/proc"
)

// LoggerPidFile is the file beside a container's log in which lumper-logger
// records itself, as "<pid>:<start time>" (the form of client.Owner), while
// it captures the container's output. The logger removes it when it ends
// normally (the task deleted, or a terminal closed), so a file whose process
// is gone says that the logger died (OOM, kill -9): nobody captures the
// output any more, nor reaps the task when it exits.
const LoggerPidFile = "logger.pid"

// LoggerPidPath is the logger's pid file for the log at logPath.
func LoggerPidPath(logPath string) string {
	return filepath.Join(filepath.Dir(logPath), LoggerPidFile)
}

// RecordLogger writes the calling process's identity to the pid file of the
// log at logPath. The returned func removes the file if it still names this
// process (a restarted task's new logger may have replaced it).
func RecordLogger(logPath string) (func(), error) {
	path := LoggerPidPath(logPath)
	me := proc.Self()
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, []byte(me+"\n"), 0o600); err != nil {
		return func() {}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return func() {}, err
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == me {
			os.Remove(path)
		}
	}, nil
}

// LoggerLost reports whether the logger of the log at logPath died: its pid
// file is there but names no live process (the pid gone, or reused by a
// process that started at another time). It also returns the file's content,
// for ForgetLogger.
func LoggerLost(logPath string) (bool, string) {
	b, err := os.ReadFile(LoggerPidPath(logPath))
	if err != nil {
		return false, ""
	}
	owner := strings.TrimSpace(string(b))
	alive, ok := proc.Alive(owner)
	return ok && !alive, owner
}

// ForgetLogger removes the pid file of a logger found dead, once lumper has
// dealt with it, if it still names that logger (owner, from LoggerLost).
func ForgetLogger(logPath, owner string) {
	path := LoggerPidPath(logPath)
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == owner {
		os.Remove(path)
	}
}
