package container

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/errdefs/pkg/errgrpc"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
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
	ctrs, err := c.ContainerService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	resp, err := c.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	if err != nil {
		return nil, fmt.Errorf("listing tasks: %w", errgrpc.ToNative(err))
	}
	tasks := make(map[string]*tasktypes.Process, len(resp.Tasks))
	for _, t := range resp.Tasks {
		tasks[t.ID] = t
	}
	out := make([]api.ContainerInfo, 0, len(ctrs))
	for _, ctr := range ctrs {
		out = append(out, Info(ctr, tasks[ctr.ID]))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

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
