// Command lumper-init is the init process of a container run with `lumper
// run --init` (Docker's docker-init): lumper mounts it read-only at
// /lumper-init and makes it PID 1, with the container's command after "--".
//
// It starts the command in a process group of its own (the terminal's
// foreground group when stdin is a terminal), forwards every signal it
// receives (SIGTERM from stop, SIGINT, SIGHUP, SIGUSR1, ...) to that group,
// reaps every process that ends in the container (orphans are reparented to
// PID 1, so without an init that waits for them they stay zombies), and exits
// with the command's status (128+N when signal N killed it) once the command
// has ended.
//
// It only imports the standard library and golang.org/x/sys, and is static.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "lumper-init: usage: lumper-init -- COMMAND [ARG...]")
		return 127
	}
	// Outside a PID namespace of its own (tests), orphans still come here.
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

	// Every signal, subscribed before the child exists so none is lost.
	sigC := make(chan os.Signal, 64)
	signal.Notify(sigC)

	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-init: %v\n", err)
		return 127
	}
	attr := &syscall.SysProcAttr{Setpgid: true}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		attr.Foreground, attr.Ctty = true, 0
	}
	p, err := os.StartProcess(path, args, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   attr,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-init: %v\n", err)
		if os.IsPermission(err) {
			return 126
		}
		return 127
	}
	child := p.Pid
	// Reap whatever may have ended before SIGCHLD was delivered.
	if code, done := reap(child); done {
		return code
	}
	for sig := range sigC {
		s, ok := sig.(syscall.Signal)
		if !ok {
			continue
		}
		switch s {
		case syscall.SIGCHLD:
			if code, done := reap(child); done {
				return code
			}
		case syscall.SIGURG:
			// The Go runtime's preemption signal, not the user's.
		default:
			// The whole group, as a shell's job control would: a
			// process that has not made its own group gets it too.
			if err := unix.Kill(-child, s); err != nil {
				_ = unix.Kill(child, s)
			}
		}
	}
	return 0
}

// reap waits for every child that has ended; it returns the command's exit
// code and true once the command itself has ended.
func reap(child int) (int, bool) {
	code, done := 0, false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return code, done
		}
		if pid == child {
			done = true
			switch {
			case ws.Exited():
				code = ws.ExitStatus()
			case ws.Signaled():
				code = 128 + int(ws.Signal())
			}
		}
	}
}
