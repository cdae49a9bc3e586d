package container

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// StartOptions configure `lumper start`.
type StartOptions struct {
	// Attach runs the container in the foreground like `run` without -d;
	// otherwise it is started detached, like `run -d`.
	Attach  bool
	Stdio   Stdio           // with Attach; Stdio.In only with -i
	Console console.Console // the user's terminal, with Attach and a TTY container
	// DetachKeys detach `start -a` from a TTY container started with -i
	// (see startAttached); nil: ctrl-p,ctrl-q.
	DetachKeys []byte
}

// load resolves ref and loads the container.
func load(ctx context.Context, c *client.Client, ref string) (containers.Container, containerd.Container, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return rec, nil, err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return rec, nil, fmt.Errorf("loading container %s: %w", ref, err)
	}
	return rec, ctr, nil
}

// IsTTY reports whether the container ref has a terminal, for the command
// layer to know whether `start -a` needs one.
func IsTTY(ctx context.Context, c *client.Client, ref string) (bool, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return false, err
	}
	return rec.Labels[client.LabelTTY] == "true", nil
}

// Start starts a created or exited container again, in the same way as
// `run` did: detached through lumper's logger, or attached with o.Attach.
// Starting a running container does nothing. A stopped task still recorded
// in containerd (its exit not reaped yet) is reaped first.
func Start(ctx context.Context, c *client.Client, ref string, o StartOptions) error {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := start(ctx, c, ref, rec, ctr, o)
		// The last task may be being deleted by the reaper as we start:
		// containerd knows it until the deletion ends.
		if !errdefs.IsAlreadyExists(err) || attempt >= startRetries {
			return err
		}
		select {
		case <-time.After(startRetryDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

const (
	startRetries    = 30
	startRetryDelay = 100 * time.Millisecond
)

func start(ctx context.Context, c *client.Client, ref string, rec containers.Container, ctr containerd.Container, o StartOptions) error {
	if o.Attach && hasRestartPolicy(rec.Labels) {
		return api.Invalidf("container %s has restart policy %s: start it without -a and follow it with 'lumper logs -f'", ref, rec.Labels[restart.PolicyLabel])
	}
	task, err := ctr.Task(ctx, nil)
	switch {
	case errdefs.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("loading task of %s: %w", ref, err)
	default:
		st, err := task.Status(ctx)
		switch {
		case errdefs.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("reading status of %s: %w", ref, err)
		case st.Status == containerd.Running:
			if hasRestartPolicy(rec.Labels) && rec.Labels[restart.StatusLabel] == "" {
				// Running, but stopped by the user meanwhile (a kill that
				// did not end it): watch it again.
				return armRestart(ctx, ctr, rec.Labels[restart.LogURILabel])
			}
			return nil
		case st.Status == containerd.Paused || st.Status == containerd.Pausing:
			return api.Invalidf("container %s is paused: unpause it instead", ref)
		default:
			// Stopped (left for the restart monitor, or exited while
			// containerd was down) or created by a lumper that died before
			// starting it.
			disarmIfRestartable(ctx, ctr, rec.Labels)
			if err := reapTask(context.WithoutCancel(ctx), c, ctr, task); err != nil {
				return fmt.Errorf("reaping the last task of %s: %w", ref, err)
			}
		}
	}
	tty := rec.Labels[client.LabelTTY] == "true"
	lo := logOptionsFromLabels(rec.Labels)
	if !o.Attach {
		return StartDetached(ctx, c, ctr, tty, lo, false)
	}
	if keepsStdin(rec.Labels) {
		return startAttached(ctx, c, ctr, tty, lo, o)
	}
	return RunAttached(ctx, c, ctr, AttachOptions{Stdio: o.Stdio, TTY: tty, Console: o.Console, Log: lo})
}

// Restart stops the container ref (as Stop does) and starts it detached.
// A --rm -d container is not removed by the stop (see holdAutoRemove).
func Restart(ctx context.Context, c *client.Client, ref string, timeout time.Duration) error {
	release, err := holdAutoRemove(ctx, c, ref)
	if err != nil {
		return err
	}
	defer release()
	if _, err := Stop(ctx, c, ref, timeout); err != nil {
		return err
	}
	return Start(ctx, c, ref, StartOptions{})
}

// ParseSignal reads a signal as a name (KILL, SIGKILL, kill) or a number.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, api.Invalidf("invalid signal %q: numbers go from 1 to 64", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, api.Invalidf("invalid signal %q: use a name such as TERM, KILL or HUP, or a number", s)
}

// Kill sends sig to the main process of the running container ref. A
// signal that ends processes (KILL, TERM, INT, QUIT or the container's stop
// signal) counts as a stop for the restart policy, as in Docker.
func Kill(ctx context.Context, c *client.Client, ref string, sig syscall.Signal) error {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	task, _, err := runningTask(ctx, ctr, ref)
	if err != nil {
		return err
	}
	if hasRestartPolicy(rec.Labels) {
		stopSig, err := containerd.GetStopSignal(ctx, ctr, syscall.SIGTERM)
		if err != nil {
			return fmt.Errorf("reading stop signal of %s: %w", ref, err)
		}
		switch sig {
		case syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, stopSig:
			disarmRestart(ctx, ctr, true)
		}
	}
	if err := task.Kill(ctx, sig); err != nil {
		if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
			return api.Invalidf("container %s is not running", ref)
		}
		return fmt.Errorf("sending %v to %s: %w", sig, ref, err)
	}
	return nil
}

// runningTask returns the task of a running or paused container.
func runningTask(ctx context.Context, ctr containerd.Container, ref string) (containerd.Task, containerd.ProcessStatus, error) {
	task, err := ctr.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil, "", api.Invalidf("container %s is not running: start it first", ref)
	}
	if err != nil {
		return nil, "", fmt.Errorf("loading task of %s: %w", ref, err)
	}
	st, err := task.Status(ctx)
	if errdefs.IsNotFound(err) {
		return nil, "", api.Invalidf("container %s is not running: start it first", ref)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading status of %s: %w", ref, err)
	}
	if st.Status == containerd.Stopped {
		return nil, "", api.Invalidf("container %s is not running: start it first", ref)
	}
	return task, st.Status, nil
}

// Pause freezes every process of the running container ref.
func Pause(ctx context.Context, c *client.Client, ref string) error {
	_, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	task, status, err := runningTask(ctx, ctr, ref)
	if err != nil {
		return err
	}
	if status != containerd.Running {
		return api.Invalidf("container %s is %s, not running", ref, status)
	}
	if err := task.Pause(ctx); err != nil {
		return fmt.Errorf("pausing %s: %w", ref, err)
	}
	return nil
}

// Unpause thaws the paused container ref.
func Unpause(ctx context.Context, c *client.Client, ref string) error {
	_, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	task, status, err := runningTask(ctx, ctr, ref)
	if err != nil {
		return err
	}
	if status != containerd.Paused {
		return api.Invalidf("container %s is not paused", ref)
	}
	if err := task.Resume(ctx); err != nil {
		return fmt.Errorf("unpausing %s: %w", ref, err)
	}
	return nil
}

// waitPoll is how often Wait looks again at a container without a task.
const waitPoll = 100 * time.Millisecond

// Wait blocks until the container ref stops and returns its exit status. A
// container that has already exited returns at once, from the status
// recorded in its labels; a created one is waited for until it has run.
func Wait(ctx context.Context, c *client.Client, ref string) (int, error) {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return 0, err
	}
	for {
		task, err := ctr.Task(ctx, nil)
		switch {
		case errdefs.IsNotFound(err):
			labels, err := ctr.Labels(ctx)
			if errdefs.IsNotFound(err) {
				return 0, fmt.Errorf("container %s was removed while waiting: %w", ref, errdefs.ErrNotFound)
			}
			if err != nil {
				return 0, fmt.Errorf("reading labels of %s: %w", ref, err)
			}
			if s := labels[client.LabelExitCode]; s != "" {
				code, err := strconv.Atoi(s)
				if err != nil {
					return 0, fmt.Errorf("container %s has a bad exit code label %q", ref, s)
				}
				return code, nil
			}
		case err != nil:
			return 0, fmt.Errorf("loading task of %s: %w", ref, err)
		default:
			statusC, err := task.Wait(ctx)
			if errdefs.IsNotFound(err) || (err != nil && deletedMeanwhile(ctx, ctr)) {
				break // reaped meanwhile: read the labels
			}
			if err != nil {
				return 0, fmt.Errorf("waiting for %s: %w", ref, err)
			}
			select {
			case st := <-statusC:
				code, _, err := st.Result()
				if err != nil {
					// Deleted while we waited (the reaper's delete makes the
					// shim go away under the wait: "ttrpc: closed").
					if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
						break
					}
					return 0, fmt.Errorf("waiting for %s: %w", ref, err)
				}
				// Nobody else reaps it if its logger died.
				checkLogger(ctx, c, rec, nil, false)
				return int(code), nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		select {
		case <-time.After(waitPoll):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
