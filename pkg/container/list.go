package container

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/network"
)

// Container states, as `list` shows them.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusExited  = "exited"
	StatusUnknown = "unknown"
)

// List returns every container in the namespace, newest first. It costs two
// calls to containerd whatever the number of containers: one for the
// container records, one for all tasks.
func List(ctx context.Context, c *client.Client) ([]api.ContainerInfo, error) {
	rows, _, err := list(ctx, c)
	return rows, err
}

// list returns every container's list row and its record (the same index),
// newest first.
func list(ctx context.Context, c *client.Client) ([]api.ContainerInfo, []containers.Container, error) {
	ctrs, err := c.ContainerService().List(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing containers: %w", err)
	}
	resp, err := c.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	if err != nil {
		return nil, nil, fmt.Errorf("listing tasks: %w", errgrpc.ToNative(err))
	}
	tasks := make(map[string]*tasktypes.Process, len(resp.Tasks))
	for _, t := range resp.Tasks {
		tasks[t.ID] = t
	}
	out := make([]api.ContainerInfo, 0, len(ctrs))
	var lost []int
	for _, ctr := range ctrs {
		t := tasks[ctr.ID]
		if t != nil {
			// A task whose logger died is reaped here (orphan.go).
			ctr.Labels = checkLogger(ctx, c, ctr, t, true)
		}
		if t == nil && ctr.Labels[client.LabelStartedAt] != "" && ctr.Labels[client.LabelExitCode] == "" {
			lost = append(lost, len(out))
		}
		out = append(out, Info(ctr, t))
	}
	if len(lost) > 0 {
		checkLost(ctx, c, out, lost)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return out[order[i]].Created.After(out[order[j]].Created) })
	rows, recs := make([]api.ContainerInfo, len(out)), make([]containers.Container, len(out))
	for i, k := range order {
		rows[i], recs[i] = out[k], ctrs[k]
	}
	return rows, recs, nil
}

// lostTaskTimeout bounds the question to a shim that did not answer.
const lostTaskTimeout = 1500 * time.Millisecond

// checkLost settles the state of started containers whose task is missing
// from the task list and whose exit was never recorded: containerd leaves out
// a task whose shim does not answer (hung: "unknown"), and a task that is
// gone since containerd lost its state (a reboot: "exited").
func checkLost(ctx context.Context, c *client.Client, out []api.ContainerInfo, lost []int) {
	var wg sync.WaitGroup
	for _, i := range lost {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tctx, cancel := context.WithTimeout(ctx, lostTaskTimeout)
			defer cancel()
			resp, err := c.TaskService().Get(tctx, &tasksapi.GetRequest{ContainerID: out[i].ID})
			switch err = errgrpc.ToNative(err); {
			case err == nil:
				out[i].Status, out[i].PID, out[i].ExitCode = state(containers.Container{}, resp.Process)
			case errdefs.IsNotFound(err):
				out[i].Status, out[i].ExitCode = StatusExited, lostExitCode
			default:
				out[i].Status = StatusUnknown
			}
		}()
	}
	wg.Wait()
}

// lostExitCode is shown for a container whose task vanished without a
// recorded exit (e.g. the host rebooted).
const lostExitCode = 255

// Info builds a container's list row from its record and its task (nil when
// it has none).
func Info(ctr containers.Container, t *tasktypes.Process) api.ContainerInfo {
	info := api.ContainerInfo{
		ID:      ctr.ID,
		Name:    ctr.Labels[client.LabelName],
		Image:   ctr.Labels[client.LabelImage],
		Command: ctr.Labels[client.LabelCommand],
		Created: ctr.CreatedAt,
		Labels:  ctr.Labels,
	}
	if info.Image == "" {
		info.Image = ctr.Image
	}
	info.Status, info.PID, info.ExitCode = state(ctr, t)
	info.RestartPolicy, info.RestartCount = restartInfo(ctr.Labels)
	info.Ports, _ = network.ParsePorts(ctr.Labels[client.LabelPorts])
	return info
}

func state(ctr containers.Container, t *tasktypes.Process) (string, uint32, int) {
	if t != nil {
		switch t.Status {
		case tasktypes.Status_RUNNING:
			return StatusRunning, t.Pid, 0
		case tasktypes.Status_PAUSED, tasktypes.Status_PAUSING:
			return StatusPaused, t.Pid, 0
		case tasktypes.Status_CREATED:
			return StatusCreated, t.Pid, 0
		case tasktypes.Status_STOPPED:
			return StatusExited, 0, int(t.ExitStatus)
		default:
			return StatusUnknown, t.Pid, 0
		}
	}
	if s := ctr.Labels[client.LabelExitCode]; s != "" {
		code, _ := strconv.Atoi(s)
		return StatusExited, 0, code
	}
	return StatusCreated, 0, 0
}
