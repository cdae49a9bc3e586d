// Package proc names a process across PID reuse, as "PID:STARTTIME" (the
// start time in clock ticks since boot, field 22 of /proc/PID/stat): how
// lumper records the owner of a name reservation and a running logger, and
// later tells whether that very process is still alive. Standard library
// only: lumper-logger uses it.
package proc

import (
	"os"
	"strconv"
	"strings"
)

// StartTime returns field 22 of /proc/PID/stat, or "" when there is no such
// process.
func StartTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may contain spaces; it ends at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// Self is this process's identity.
func Self() string {
	return strconv.Itoa(os.Getpid()) + ":" + StartTime(os.Getpid())
}

// Alive reports whether the process an identity names is still running (its
// PID is not gone, nor reused by a process that started at another time);
// ok is false when id is not an identity at all.
func Alive(id string) (alive, ok bool) {
	pidStr, start, found := strings.Cut(id, ":")
	if !found {
		return false, false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return false, false
	}
	s := StartTime(pid)
	return s != "" && s == start, true
}
