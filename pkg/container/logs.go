package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// Logs writes a container's log to stdout and stderr. With opts.Follow it
// keeps streaming until the container's task exits (or ctx ends).
func Logs(ctx context.Context, c *client.Client, ref string, opts logs.ReadOptions, stdout, stderr io.Writer) error {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return err
	}
	return LogsOf(ctx, c, rec, ref, opts, stdout, stderr)
}

// LogsOf is Logs of the container rec, which the user named ref.
func LogsOf(ctx context.Context, c *client.Client, rec containers.Container, ref string, opts logs.ReadOptions, stdout, stderr io.Writer) error {
	if rec.Labels[client.LabelLogDriver] == LogDriverNone {
		// Docker's words, and why.
		return api.Invalidf("configured logging driver does not support reading: container %s was created with --log-driver none", ref)
	}
	path := rec.Labels[client.LabelLogPath]
	if path == "" {
		path = LogPath(c, rec.ID)
	}
	if opts.Follow {
		done := make(chan struct{})
		opts.Done = done
		go func() {
			defer close(done)
			waitForExit(ctx, c, rec.ID)
		}()
	}
	labels := checkLogger(ctx, c, rec, nil, false)
	if err := logs.Read(ctx, path, opts, stdout, stderr); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // the container never wrote anything
		}
		return fmt.Errorf("reading logs of %s: %w", ref, err)
	}
	if opts.Follow {
		// The logger may have died while we followed.
		if r, err := c.Container(ctx, rec.ID); err == nil {
			labels = checkLogger(ctx, c, r, nil, false)
		}
	}
	if note := LogsLostNote(labels); note != "" {
		fmt.Fprintf(stderr, "lumper: %s\n", note)
	}
	if d, ok := logs.ReadDropped(path); ok {
		fmt.Fprintf(stderr, "lumper: %s\n", d.Note())
	}
	return nil
}

// restartWait bounds how long `logs -f` waits for the restart monitor to
// start a new task after one exits, once the policy says it will: its check
// interval, plus start time — and containerd's monitor starts its next pass
// only when every restart of the last one is done, so one slow start delays
// all (15 s was seen to run out under load on 1.7, cutting the output of
// the last restart).
const restartWait = 60 * time.Second

// waitForExit returns when container id has no running task and none is
// coming: a container that the restart monitor will restart is followed
// into its next task, whose logger appends to the same log.
func waitForExit(ctx context.Context, c *client.Client, id string) {
	for {
		ctr, err := c.LoadContainer(ctx, id)
		if err != nil {
			return
		}
		task, err := ctr.Task(ctx, nil)
		if err != nil {
			return // no task: nothing to follow
		}
		before, err := ctr.Labels(ctx)
		if err != nil {
			return
		}
		statusC, err := task.Wait(ctx)
		if err != nil {
			return
		}
		var st containerd.ExitStatus
		select {
		case st = <-statusC:
		case <-ctx.Done():
			return
		}
		st = rewait(ctx, task, st)
		labels, err := ctr.Labels(ctx)
		if err != nil {
			return
		}
		// The monitor may have restarted it already, and counted that
		// restart (its policy, read now, would then say no more).
		restarted := RestartCount(labels) > RestartCount(before)
		if (!restarted && !monitorWillRestart(labels, st)) || !awaitNewTask(ctx, ctr, task.Pid()) {
			return
		}
	}
}

// awaitNewTask polls until ctr has a task other than the one whose init was
// oldPid: running, or already exited (a short run between two polls), whose
// end the caller then waits for in turn.
func awaitNewTask(ctx context.Context, ctr containerd.Container, oldPid uint32) bool {
	deadline := time.Now().Add(restartWait)
	for time.Now().Before(deadline) {
		if t, err := ctr.Task(ctx, nil); err == nil && t.Pid() != oldPid && t.Pid() != 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
	return false
}
