package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// AttachRunningOptions configure Attach.
type AttachRunningOptions struct {
	// SigProxy forwards the signals lumper receives to the container's
	// main process (Docker's --sig-proxy, on by default) when it has no
	// TTY; the attach then ends only when the container does.
	SigProxy bool
	// Stdin is copied to the container's stdin when it was created with -i
	// (nil: --no-stdin). With a TTY it is watched for DetachKeys.
	Stdin io.Reader
	// DetachKeys end the attach and leave the container running (TTY
	// containers, as in Docker); nil means none.
	DetachKeys []byte
	// Console is the user's terminal, for a TTY container: raw mode and
	// size forwarding while attached. Nil without a terminal.
	Console console.Console
	// Since shows the output written from then on (start -a: from before
	// the start); zero means from now.
	Since time.Time
}

// Attach attaches to the running container ref, as `docker attach` does: its
// output always goes to its log (written by lumper-logger beside the shim for
// a detached container, by the foreground lumper for an attached one), so
// Attach follows that log like `logs -f --tail 0`, stdout to stdout and
// stderr to stderr. Input goes to the stdin FIFO of a container started
// detached with -i (see attach_stdin.go); the end of o.Stdin does not close
// the container's stdin. Attach returns when the container exits, with its
// exit status (a StatusError when it is not 0), or ErrDetached when the user
// typed the detach keys; a signal with SigProxy off detaches silently.
func Attach(ctx context.Context, c *client.Client, ref string, o AttachRunningOptions, stdout, stderr io.Writer) error {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	task, status, err := runningTask(ctx, ctr, ref)
	var inv *api.InvalidArgument
	switch {
	case errors.As(err, &inv) && !o.Since.IsZero():
		// start -a of a container that has already exited: its output
		// since the start, and its status.
		task, err = nil, nil
	case errors.As(err, &inv):
		return api.Invalidf("cannot attach to container %s: it is not running (start it first)", ref)
	case err != nil:
		return err
	}
	if status == containerd.Paused || status == containerd.Pausing {
		return api.Invalidf("cannot attach to container %s: it is paused (unpause it first)", ref)
	}
	tty := rec.Labels[client.LabelTTY] == "true"
	var fifo *os.File
	if task != nil && o.Stdin != nil && rec.Labels[client.LabelOpenStdin] == "true" {
		if fifo, err = openStdinForWriting(StdinPath(c, rec.ID)); err != nil {
			// Started before lumper kept stdin, by the restart monitor,
			// or in the foreground: the output is still there.
			log.G(ctx).WithError(err).Warnf("container %s has no stdin to attach to", ref)
		} else {
			defer fifo.Close()
		}
	}
	follow := ctx
	if task != nil && o.SigProxy && !tty {
		// The signal is the container's to act on: lumper ends with it, so
		// the follow outlives the cancellation a SIGINT brings.
		follow = context.WithoutCancel(ctx)
		stop := forwardSignals(follow, task, false, nil)
		defer stop()
	}
	if task != nil && tty && o.Console != nil {
		if fifo != nil {
			if err := o.Console.SetRaw(); err != nil {
				return fmt.Errorf("setting terminal to raw mode: %w", err)
			}
			defer o.Console.Reset()
		}
		stop := followSize(follow, task, o.Console)
		defer stop()
	}
	follow, detach := context.WithCancel(follow)
	defer detach()
	detached := make(chan struct{})
	ro := logs.ReadOptions{Follow: true, Tail: 0}
	if !o.Since.IsZero() {
		ro.Tail, ro.Since = -1, o.Since
	}
	if fifo != nil {
		in := o.Stdin
		if tty {
			in = newEscapeReader(in, o.DetachKeys)
		}
		// Input only once the log is followed: its reply must be seen.
		ro.Following = func() {
			go func() {
				_, err := io.Copy(fifo, in)
				if errors.Is(err, ErrDetached) {
					close(detached)
					detach()
				}
			}()
		}
	}
	err = followLog(follow, c, rec.ID, ro, stdout, stderr)
	select {
	case <-detached:
		return ErrDetached
	default:
	}
	if ctx.Err() != nil && follow.Err() != nil {
		return nil // detached by a signal: the container runs on
	}
	if err != nil {
		return err
	}
	code, err := Wait(follow, c, rec.ID)
	if err != nil {
		if errdefs.IsNotFound(err) || errors.Is(err, errdefs.ErrNotFound) {
			return nil // removed as it exited (--rm)
		}
		return fmt.Errorf("reading the exit status of %s: %w", ref, err)
	}
	awaitReaped(follow, ctr)
	if code != 0 {
		return &api.StatusError{Code: code}
	}
	return nil
}

// awaitReaped waits (at most reapWait) until the reaper has deleted the
// exited task and released its network (it does so after the delete, out
// of the delete lock), so that a `start` right after attach does not race
// it: the release would take the new task's network namespace.
func awaitReaped(ctx context.Context, ctr containerd.Container) {
	deadline := time.Now().Add(reapWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		task, err := ctr.Task(ctx, nil)
		if err == nil {
			if st, err := task.Status(ctx); err == nil && st.Status == containerd.Running {
				return // a new task (the restart monitor's)
			}
		} else if labels, err := ctr.Labels(ctx); err != nil || labels[client.LabelNetNS] == "" {
			return // deleted and released (or the container removed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reapWait bounds attach's wait for the reaper.
const reapWait = 10 * time.Second

// followLog is Logs -f for attach: once the task has exited it also waits
// (at most loggerEndWait) for the logger to end, so that the container's
// last output, which the logger writes after the exit, is shown.
func followLog(ctx context.Context, c *client.Client, id string, ro logs.ReadOptions, stdout, stderr io.Writer) error {
	rec, err := c.Container(ctx, id)
	if err != nil {
		return err
	}
	if rec.Labels[client.LabelLogDriver] == LogDriverNone {
		return api.Invalidf("cannot attach to container %s: it was created with --log-driver none, and attach reads its log", id)
	}
	path := rec.Labels[client.LabelLogPath]
	if path == "" {
		path = LogPath(c, id)
	}
	done := make(chan struct{})
	ro.Done = done
	go func() {
		defer close(done)
		waitForExit(ctx, c, id)
		deadline := time.Now().Add(loggerEndWait)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if _, err := os.Stat(logs.LoggerPidPath(path)); err != nil {
				return
			}
			if lost, _ := logs.LoggerLost(path); lost {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if err := logs.Read(ctx, path, ro, stdout, stderr); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading the output of %s: %w", id, err)
	}
	return nil
}

// loggerEndWait bounds attach's wait for the logger after the exit.
const loggerEndWait = 5 * time.Second

// openStdinForWriting opens a container's stdin FIFO for writing. It fails
// (ENXIO) rather than waits when nothing holds the FIFO for reading: no
// logger keeps it, so no task of this start reads it.
func openStdinForWriting(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Writes wait for the container to read, as a pipe's do.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// followSize sets the container's terminal to the size of the user's, then
// follows its changes (SIGWINCH) until the returned func is called. As
// Docker does, it first sets a size one larger, so that a program already
// drawn for this size (a shell's prompt) redraws on a second attach.
func followSize(ctx context.Context, task containerd.Task, con console.Console) func() {
	resize := func(extra uint32) {
		if ws, err := con.Size(); err == nil {
			if err := task.Resize(ctx, uint32(ws.Width)+extra, uint32(ws.Height)+extra); err != nil {
				log.G(ctx).WithError(err).Debug("resizing terminal")
			}
		}
	}
	resize(1)
	resize(0)
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sigc:
				resize(0)
			}
		}
	}()
	return func() {
		signal.Stop(sigc)
		close(done)
	}
}
