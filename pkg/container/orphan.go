package container

// A dead logger is never silent.
//
// A detached container's lumper-logger (started by the shim) captures its
// output and, when the container exits, runs `lumper internal-reap`. If the
// logger dies first (the OOM killer, an admin's kill -9), nothing would
// record the exit or delete the task, and the shim would linger. The logger
// keeps a pid file beside the log while it runs (logs.LoggerPidFile); every
// lumper command that looks at a container (list/ps, inspect, logs, wait;
// stop and rm reap anyway) checks it when the container has a task — one
// small file read, so list stays at two RPCs — and when it names a dead
// process: records from when the output is no longer captured
// (client.LabelLogsLostSince: the last write to the log), and reaps a
// stopped task inline, under the one-delete lock (see reap.go), as the
// logger's reaper would have.

import (
	"context"
	"fmt"
	"os"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// logPathOf is the log file of a container record.
func logPathOf(c *client.Client, rec containers.Container) string {
	if p := rec.Labels[client.LabelLogPath]; p != "" {
		return p
	}
	return LogPath(c, rec.ID)
}

// checkLogger settles a container whose logger died (see above) and returns
// its labels, updated. t is its task as the caller read it (nil: none; the
// task is then read here, and only if the logger is gone).
func checkLogger(ctx context.Context, c *client.Client, rec containers.Container, t *tasktypes.Process, haveTask bool) map[string]string {
	path := logPathOf(c, rec)
	lost, owner := logs.LoggerLost(path)
	if !lost {
		return rec.Labels
	}
	ctx = context.WithoutCancel(ctx)
	if !haveTask {
		resp, err := c.TaskService().Get(ctx, &tasksapi.GetRequest{ContainerID: rec.ID})
		switch err = errgrpc.ToNative(err); {
		case err == nil:
			t = resp.Process
		case !errdefs.IsNotFound(err):
			return rec.Labels
		}
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return rec.Labels
	}
	labels := rec.Labels
	if labels[client.LabelLogsLostSince] == "" {
		since := time.Now()
		if fi, err := os.Stat(path); err == nil {
			since = fi.ModTime()
		}
		v := since.UTC().Format(time.RFC3339Nano)
		if l, err := ctr.SetLabels(ctx, map[string]string{client.LabelLogsLostSince: v}); err == nil {
			labels = l
		}
	}
	switch {
	case t == nil:
		// Reaped meanwhile (stop, rm): nothing more to do.
		logs.ForgetLogger(path, owner)
	case t.Status == tasktypes.Status_STOPPED:
		task, err := ctr.Task(ctx, nil)
		if err != nil {
			break
		}
		st := containerd.NewExitStatus(t.ExitStatus, t.ExitedAt.AsTime(), nil)
		if err := reapOrLeave(ctx, c, ctr, task, *st); err != nil {
			log.G(ctx).WithError(err).Warnf("reaping %s, whose logger died", client.ShortID(rec.ID))
			break
		}
		if _, err := ctr.Task(ctx, nil); errdefs.IsNotFound(err) {
			logs.ForgetLogger(path, owner)
		}
		if l, err := ctr.Labels(ctx); err == nil {
			labels = l
		}
	}
	return labels
}

// LogsLostNote is the sentence that logs and inspect show for a container
// whose logger died, or "" when its output is captured.
func LogsLostNote(labels map[string]string) string {
	since := labels[client.LabelLogsLostSince]
	if since == "" {
		return ""
	}
	return fmt.Sprintf("output after %s was not captured: the container's lumper-logger died", since)
}
