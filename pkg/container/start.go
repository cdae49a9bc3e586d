package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// Stdio are the streams a foreground container is attached to.
type Stdio struct {
	In       io.Reader // nil: the container's stdin is /dev/null
	Out, Err io.Writer
}

// AttachOptions configure a foreground run.
type AttachOptions struct {
	Stdio   Stdio
	TTY     bool
	Console console.Console // the user's terminal when TTY is set; nil otherwise
	Remove  bool            // --rm: delete the container after it exits
	// RemoveOnStartFailure deletes the container (and frees its name) when
	// its task cannot be started, as `run` wants; `start` keeps it.
	RemoveOnStartFailure bool
	Log                  LogOptions
}

// LogOptions bound a container's log files.
type LogOptions struct {
	MaxSize  int64
	MaxFiles int
	// Driver is LogDriverNone for --log-driver none (nothing captured);
	// "" is lumper's own log (json-file and local name it).
	Driver string
}

// LogDriverNone is --log-driver none: the container's output is not kept.
const LogDriverNone = "none"

func (l LogOptions) withDefaults() LogOptions {
	if l.MaxSize == 0 {
		l.MaxSize = logs.DefaultMaxSize
	}
	if l.MaxFiles == 0 {
		l.MaxFiles = logs.DefaultMaxFiles
	}
	return l
}

// RunAttached starts ctr in the foreground: its output goes to the user's
// streams and to its log, signals are forwarded, and it returns the
// container's exit status as an *api.StatusError when it is not 0.
func RunAttached(ctx context.Context, c *client.Client, ctr containerd.Container, o AttachOptions) (retErr error) {
	// Signals must reach the container, not cancel our calls.
	ctx = context.WithoutCancel(ctx)
	unlockStart, err := lockStart(c, ctr.ID())
	if err != nil {
		return err
	}
	var unlockOnce sync.Once
	started := func() { unlockOnce.Do(unlockStart) }
	defer started()
	start := time.Now()
	trace := func(step string) { log.G(ctx).WithField("t", time.Since(start)).Debug(step) }
	lo := o.Log.withDefaults()
	var outLog, errLog io.Writer = io.Discard, io.Discard
	if lo.Driver != LogDriverNone {
		lw, err := logs.NewWriter(LogPath(c, ctr.ID()), lo.MaxSize, lo.MaxFiles)
		if err != nil {
			return fmt.Errorf("opening container log: %w", err)
		}
		ol, el := lw.Stream("stdout"), lw.Stream("stderr")
		outLog, errLog = ol, el
		defer func() {
			ol.Close()
			el.Close()
			lw.Close()
		}()
	}
	var stdin *stdinCloser
	var in io.Reader
	if o.Stdio.In != nil {
		stdin = &stdinCloser{r: o.Stdio.In}
		in = stdin
	}
	streams := []cio.Opt{cio.WithStreams(in, newTee(o.Stdio.Out, outLog), newTee(o.Stdio.Err, errLog))}
	if o.TTY {
		streams = append(streams, cio.WithTerminal)
	}
	trace("log opened")
	if err := attachNetwork(ctx, c, ctr); err != nil {
		return networkFailed(ctx, c, ctr, o.Remove || o.RemoveOnStartFailure, err)
	}
	trace("network attached")
	task, err := newTask(ctx, c, ctr, cio.NewCreator(streams...))
	if err != nil {
		return finishFailedStart(ctx, c, ctr, o.Remove || o.RemoveOnStartFailure, err)
	}
	trace("task created")
	if stdin != nil {
		stdin.setCloser(func() { _ = task.CloseIO(ctx, containerd.WithStdinCloser) })
	}
	statusC, err := task.Wait(ctx)
	if err != nil {
		_, _, _ = deleteTask(ctx, c, ctr, task, nil, containerd.WithProcessKill)
		return finishFailedStart(ctx, c, ctr, o.Remove || o.RemoveOnStartFailure, err)
	}
	if o.TTY && o.Console != nil {
		if err := o.Console.SetRaw(); err != nil {
			return fmt.Errorf("setting terminal to raw mode: %w", err)
		}
		defer o.Console.Reset()
	}
	if err := task.Start(ctx); err != nil {
		_, _, _ = deleteTask(ctx, c, ctr, task, nil, containerd.WithProcessKill)
		return finishFailedStart(ctx, c, ctr, o.Remove || o.RemoveOnStartFailure, err)
	}
	trace("task started")
	if !o.Remove {
		markStarted(ctx, ctr)
	}
	started()
	stop := forwardSignals(ctx, task, o.TTY, o.Console)
	status := rewait(ctx, task, <-statusC)
	stop()
	trace("task exited")
	code, _, err := status.Result()
	if err != nil {
		return fmt.Errorf("waiting for container: %w", err)
	}
	// Every byte the container wrote is copied before the task is deleted.
	drainOutput(task.IO())
	if o.Remove {
		if _, _, err := deleteTask(ctx, c, ctr, task, nil); err != nil {
			log.G(ctx).WithError(err).Warn("deleting task")
		}
		trace("task deleted")
		if err := removeAutoContainer(ctx, c, ctr); err != nil {
			log.G(ctx).WithError(err).Warn("removing container after exit")
		}
	} else if err := reapTask(ctx, c, ctr, task); err != nil {
		log.G(ctx).WithError(err).Warn("recording exit")
	}
	trace("done")
	if code != 0 {
		return &api.StatusError{Code: int(code)}
	}
	return nil
}

// StartDetached starts ctr with its output captured by lumper's logger, which
// runs beside the shim and outlives this process.
func StartDetached(ctx context.Context, c *client.Client, ctr containerd.Container, tty bool, lo LogOptions, removeOnFailure bool) error {
	unlock, err := lockStart(c, ctr.ID())
	if err != nil {
		return err
	}
	defer unlock()
	var restartable bool
	creator, logURI, err := detachedIO(c, ctr.ID(), tty, lo.withDefaults(), netNSOf(ctx, ctr), healthIntervalOf(ctx, ctr))
	if err == nil {
		restartable, err = prepareRestart(ctx, ctr)
	}
	if err != nil {
		if removeOnFailure {
			if rerr := removeAutoContainer(context.WithoutCancel(ctx), c, ctr); rerr != nil {
				log.G(ctx).WithError(rerr).Warn("removing container after failed start")
			}
		}
		return err
	}
	if err := attachNetwork(ctx, c, ctr); err != nil {
		return networkFailed(ctx, c, ctr, removeOnFailure, err)
	}
	stdin, err := detachedStdin(ctx, c, ctr, tty, logURI) // nil without -i
	if err != nil {
		return finishFailedStart(ctx, c, ctr, removeOnFailure, err)
	}
	if stdin != nil {
		creator = stdin.creator
	}
	task, err := newTask(ctx, c, ctr, creator)
	if err != nil {
		stdin.abort(ctx)
		return finishFailedStart(ctx, c, ctr, removeOnFailure, err)
	}
	if err := stdin.started(task.Pid()); err != nil {
		_, _, _ = deleteTask(ctx, c, ctr, task, nil, containerd.WithProcessKill)
		stdin.abort(ctx)
		return finishFailedStart(ctx, c, ctr, removeOnFailure, err)
	}
	if err := task.Start(ctx); err != nil {
		_, _, _ = deleteTask(ctx, c, ctr, task, nil, containerd.WithProcessKill)
		return finishFailedStart(ctx, c, ctr, removeOnFailure, err)
	}
	markStarted(ctx, ctr)
	if restartable {
		return armRestart(ctx, ctr, logURI)
	}
	return nil
}

// finishFailedStart maps the runtime's error to the exit code Docker uses
// (126, 127) and either removes the container (run: the name is free again
// at once) or records the failure in it (start: it stays "created" with that
// status, as in Docker).
func finishFailedStart(ctx context.Context, c *client.Client, ctr containerd.Container, remove bool, err error) error {
	ctx = context.WithoutCancel(ctx)
	if removedMeanwhile(ctx, c, ctr) {
		return removedWhileStarting(ctr)
	}
	detachNetwork(ctx, c, ctr)
	serr := startError(err)
	var se *api.StatusError
	if errors.As(serr, &se) {
		if remove {
			if rerr := removeAutoContainer(ctx, c, ctr); rerr != nil {
				log.G(ctx).WithError(rerr).Warn("removing container after failed start")
			}
		} else {
			recordExit(ctx, ctr, uint32(se.Code), time.Now(), false)
		}
	} else if remove {
		if rerr := removeAutoContainer(ctx, c, ctr); rerr != nil {
			log.G(ctx).WithError(rerr).Warn("removing container after failed start")
		}
	}
	return serr
}

// removedMeanwhile reports whether ctr no longer exists: an `rm` ran while
// this lumper waited for one of the container's locks. rm dropped the lock
// files, which taking the lock here made again: they go too.
func removedMeanwhile(ctx context.Context, c *client.Client, ctr containerd.Container) bool {
	_, err := c.ContainerService().Get(ctx, ctr.ID())
	if !errdefs.IsNotFound(err) {
		return false
	}
	removeDeleteLock(c, ctr.ID())
	return true
}

// removedWhileStarting is the error of a start whose container was removed
// by a concurrent rm.
func removedWhileStarting(ctr containerd.Container) error {
	ref := client.ShortID(ctr.ID())
	if info, err := ctr.Info(context.Background(), containerd.WithoutRefreshedMetadata); err == nil && info.Labels[client.LabelName] != "" {
		ref = info.Labels[client.LabelName]
	}
	return fmt.Errorf("container %s was removed (by a concurrent rm) while it was being started: create it again: %w", ref, errdefs.ErrNotFound)
}

var execErrRE = regexp.MustCompile(`exec: "([^"]*)": ([^:]+(?: in \$PATH)?)`)

// startError maps runc's failure to start the command to 127 (not found) or
// 126 (cannot be invoked), as Docker does.
func startError(err error) error {
	msg := err.Error()
	detail := msg
	if m := execErrRE.FindStringSubmatch(msg); m != nil {
		detail = fmt.Sprintf("exec %q: %s", m[1], m[2])
	}
	switch {
	case strings.Contains(msg, "executable file not found"),
		// The command's path is missing, not some file of the runtime's
		// (a shim socket, a mount source).
		strings.Contains(msg, "no such file or directory") && strings.Contains(msg, "exec: "):
		return &api.StatusError{Code: 127, Err: errors.New(detail)}
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"), strings.Contains(msg, "exec format error"):
		return &api.StatusError{Code: 126, Err: errors.New(detail)}
	}
	return fmt.Errorf("starting container: %w", err)
}

// recordExit stores the exit of the container's last task in its labels, so
// that it survives the deletion of the task (and of its shim).
func recordExit(ctx context.Context, ctr containerd.Container, code uint32, at time.Time, oom bool) {
	if at.IsZero() {
		at = time.Now()
	}
	_, err := ctr.SetLabels(ctx, map[string]string{
		client.LabelExitCode:   strconv.FormatUint(uint64(code), 10),
		client.LabelFinishedAt: at.UTC().Format(time.RFC3339Nano),
		client.LabelOOMKilled:  strconv.FormatBool(oom),
	})
	if err != nil && !errdefs.IsNotFound(err) {
		log.G(ctx).WithError(err).Warn("recording exit status")
	}
}

func markStarted(ctx context.Context, ctr containerd.Container) {
	_, err := ctr.SetLabels(ctx, map[string]string{
		client.LabelStartedAt:  time.Now().UTC().Format(time.RFC3339Nano),
		client.LabelExitCode:   "",
		client.LabelFinishedAt: "",
		client.LabelOOMKilled:  "",
		// A new logger captures this task's output.
		client.LabelLogsLostSince: "",
		client.LabelExitReason:    "",
	})
	if err != nil {
		log.G(ctx).WithError(err).Warn("recording start time")
	}
}

// signalTarget is a task or an exec process.
type signalTarget interface {
	Kill(ctx context.Context, sig syscall.Signal, opts ...containerd.KillOpts) error
	Resize(ctx context.Context, w, h uint32) error
}

// forwardSignals sends the signals lumper receives to the task, and follows
// the terminal's size when there is one. The returned func stops it.
func forwardSignals(ctx context.Context, task signalTarget, tty bool, con console.Console) func() {
	sigc := make(chan os.Signal, 64)
	signal.Notify(sigc)
	done := make(chan struct{})
	resize := func() {
		if con == nil {
			return
		}
		if ws, err := con.Size(); err == nil {
			if err := task.Resize(ctx, uint32(ws.Width), uint32(ws.Height)); err != nil {
				log.G(ctx).WithError(err).Debug("resizing terminal")
			}
		}
	}
	if tty {
		resize()
	}
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-sigc:
				sig, ok := s.(syscall.Signal)
				if !ok {
					continue
				}
				switch sig {
				case syscall.SIGCHLD, syscall.SIGPIPE, syscall.SIGURG:
					continue
				case syscall.SIGWINCH:
					if tty {
						resize()
					}
					continue
				}
				if err := task.Kill(ctx, sig); err != nil && !errdefs.IsNotFound(err) {
					log.G(ctx).WithError(err).Debugf("forwarding signal %v", sig)
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigc)
		close(done)
	}
}

// tee copies to the user's stream and to the log. If the user's stream
// breaks (e.g. `| head`), the log keeps everything and the container never
// blocks on a full pipe.
type tee struct {
	user   io.Writer
	log    io.Writer
	broken bool
}

func newTee(user io.Writer, lw io.Writer) io.Writer {
	if user == nil {
		return lw
	}
	return &tee{user: user, log: lw}
}

func (t *tee) Write(p []byte) (int, error) {
	if !t.broken {
		if _, err := t.user.Write(p); err != nil {
			t.broken = true
		}
	}
	if _, err := t.log.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
