package container

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Stop sends the container's stop signal (the image's StopSignal, SIGTERM by
// default), waits up to timeout, then sends SIGKILL. The exit status is
// recorded and the task deleted. Stopping a stopped container is not an error.
func Stop(ctx context.Context, c *client.Client, ref string, timeout time.Duration) (containerd.Container, error) {
	ctx = withTrace(ctx, "stop")
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return nil, err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("loading container %s: %w", ref, err)
	}
	// A stopped container stays stopped: the restart monitor lets it be.
	disarmIfRestartable(ctx, ctr, rec.Labels)
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ctr, nil
		}
		return nil, fmt.Errorf("loading task of %s: %w", ref, err)
	}
	sig, err := containerd.GetStopSignal(ctx, ctr, syscall.SIGTERM)
	if err != nil {
		return nil, fmt.Errorf("reading stop signal of %s: %w", ref, err)
	}
	return ctr, stopTask(ctx, c, ctr, task, sig, stopTimeout(rec.Labels, timeout))
}

// stopTimeout is stop's grace period: timeout when given (≥ 0), else the
// container's --stop-timeout, else Docker's default of 10 s.
func stopTimeout(labels map[string]string, timeout time.Duration) time.Duration {
	if timeout >= 0 {
		return timeout
	}
	if n, err := strconv.Atoi(labels[client.LabelStopTimeout]); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return DefaultStopTimeout
}

// DefaultStopTimeout is stop's grace period when neither -t nor
// --stop-timeout says otherwise.
const DefaultStopTimeout = 10 * time.Second

// stopTask ends a task (signal, grace period, SIGKILL) and reaps it.
func stopTask(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task, sig syscall.Signal, timeout time.Duration) error {
	ctx = context.WithoutCancel(ctx)
	trace(ctx, "task loaded")
	st, err := task.Status(ctx)
	if err != nil {
		if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
			return nil // reaped meanwhile
		}
		return fmt.Errorf("reading task status: %w", err)
	}
	var exit *containerd.ExitStatus
	if st.Status != containerd.Stopped {
		statusC, err := task.Wait(ctx)
		if err != nil {
			if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
				return nil // it exited and was reaped meanwhile
			}
			return fmt.Errorf("waiting for task: %w", err)
		}
		if st.Status == containerd.Paused {
			// A paused task cannot act on a catchable signal.
			sig = syscall.SIGKILL
		}
		trace(ctx, "status and wait")
		if err := task.Kill(ctx, sig, containerd.WithKillAll); err != nil {
			if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
				return nil // a concurrent stop or rm deleted it
			}
			return fmt.Errorf("sending %v: %w", sig, err)
		}
		if st.Status == containerd.Paused {
			_ = task.Resume(ctx)
		}
		trace(ctx, "signal sent")
		var es containerd.ExitStatus
		timer := time.NewTimer(timeout)
		select {
		case es = <-statusC:
			timer.Stop()
		case <-timer.C:
			trace(ctx, "grace period over")
			if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil {
				if errdefs.IsNotFound(err) || deletedMeanwhile(ctx, ctr) {
					return nil
				}
				return fmt.Errorf("sending SIGKILL: %w", err)
			}
			es = <-statusC
		}
		exit = &es
		trace(ctx, "exited")
	}
	defer trace(ctx, "reaped")
	return reapExited(ctx, c, ctr, task, exit)
}

// deletedMeanwhile tells, after a failed call on a task other than its delete
// (status, wait, kill), whether another lumper deleted the task first (the
// shim then goes away under the losing call, which sees "ttrpc: closed"
// rather than "not found"). The shim can close its connection a moment before
// containerd drops the task record, so the record is polled briefly; only
// failed calls pay for that. Deletes themselves never race: see deleteTask.
func deletedMeanwhile(ctx context.Context, ctr containerd.Container) bool {
	for i := 0; ; i++ {
		_, err := ctr.Task(ctx, nil)
		if errdefs.IsNotFound(err) {
			return true
		}
		if i == 20 || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Remove deletes a container: its task (only with force if it is running),
// the container record, its snapshot, its name and its logs.
func Remove(ctx context.Context, c *client.Client, ref string, force bool) (string, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return "", err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return "", fmt.Errorf("loading container %s: %w", ref, err)
	}
	ctx = context.WithoutCancel(ctx)
	// A lumper still starting the container finishes first (lockStart).
	unlock, err := lockStart(c, rec.ID)
	if err != nil {
		return "", err
	}
	defer unlock()
	if task, err := ctr.Task(ctx, nil); err == nil {
		st, err := task.Status(ctx)
		switch {
		case errdefs.IsNotFound(err):
			// Reaped meanwhile (the logger's reaper, or a stop).
		case err != nil:
			return "", fmt.Errorf("reading status of %s: %w", ref, err)
		case st.Status != containerd.Stopped && !force:
			return "", api.Invalidf("container %s is %s: stop it first or use rm -f", ref, st.Status)
		default:
			// The restart monitor must not start a new task meanwhile.
			disarmIfRestartable(ctx, ctr, rec.Labels)
			if _, _, err := deleteTask(ctx, c, ctr, task, nil, containerd.WithProcessKill); err != nil {
				return "", err
			}
		}
	} else if !errdefs.IsNotFound(err) {
		return "", fmt.Errorf("loading task of %s: %w", ref, err)
	}
	if err := removeContainer(ctx, c, ctr); err != nil {
		return "", err
	}
	return rec.ID, nil
}

// removeContainer deletes a container without a task: record, snapshot,
// name reservation and log directory.
func removeContainer(ctx context.Context, c *client.Client, ctr containerd.Container) error {
	// The labels cached when the container was loaded or created will do:
	// the name never changes.
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("reading labels of %s: %w", ctr.ID(), err)
	}
	labels := info.Labels
	// Release the name first: while the container exists, nobody else can
	// hold the name's lease.
	if err := c.ReleaseName(ctx, labels[client.LabelName]); err != nil {
		return err
	}
	detachNetwork(ctx, c, ctr)
	releaseUnrecordedNetwork(ctx, c, ctr.ID(), labels[client.LabelNetwork])
	if err := ctr.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("deleting container %s: %w", ctr.ID(), err)
	}
	// A shim whose delete was interrupted (its caller died) is unknown to
	// containerd now: end it, then drop the delete lock.
	endContainerShim(ctx, c, ctr.ID(), labels)
	removeDeleteLock(c, ctr.ID())
	if err := os.RemoveAll(ContainerDir(c, ctr.ID())); err != nil {
		return fmt.Errorf("removing logs of %s: %w", ctr.ID(), err)
	}
	return nil
}

type traceKey struct{}

type traceStart struct {
	what  string
	start time.Time
}

// withTrace starts the clock of trace's timings (shown with --debug).
func withTrace(ctx context.Context, what string) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{what, time.Now()})
}

// trace logs, at debug level, how long after withTrace a step ended.
func trace(ctx context.Context, step string) {
	if t, ok := ctx.Value(traceKey{}).(traceStart); ok && log.G(ctx).Logger.IsLevelEnabled(log.DebugLevel) {
		log.G(ctx).WithField("after", time.Since(t.start).Round(10*time.Microsecond)).Debugf("%s: %s", t.what, step)
	}
}
