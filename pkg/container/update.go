package container

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/typeurl/v2"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// UpdateOptions are what `lumper update` changes: cgroup limits (as spec
// options, nil: none) and the restart policy ("": unchanged).
type UpdateOptions struct {
	Resources []oci.SpecOpts
	Restart   string
}

// Update changes the resource limits and restart policy of container ref.
// The limits go to the running task first (containerd's task update, i.e.
// runc update: the kernel's cgroup files), then into the container's spec,
// so that later starts keep them; a limit the kernel refuses changes
// nothing. The policy is the restart monitor's label; a running detached
// container is armed (or disarmed) at once. A container running in the
// foreground cannot take a policy, as with run (--restart needs -d).
func Update(ctx context.Context, c *client.Client, ref string, o UpdateOptions) error {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	var task containerd.Task
	if t, err := ctr.Task(ctx, nil); err == nil {
		if st, err := t.Status(ctx); err == nil && st.Status != containerd.Stopped {
			task = t
		}
	} else if !errdefs.IsNotFound(err) {
		return fmt.Errorf("loading task of %s: %w", ref, err)
	}
	if len(o.Resources) > 0 {
		s, err := ctr.Spec(ctx)
		if err != nil {
			return fmt.Errorf("reading spec of %s: %w", ref, err)
		}
		for _, opt := range o.Resources {
			if err := opt(ctx, nil, &rec, s); err != nil {
				return err
			}
		}
		if task != nil && s.Linux != nil && s.Linux.Resources != nil {
			if err := task.Update(ctx, containerd.WithResources(s.Linux.Resources)); err != nil {
				return fmt.Errorf("updating the limits of %s: %w", ref, err)
			}
		}
		// Only the spec is written: labels the reaper or the restart
		// monitor set meanwhile are kept.
		specAny, err := typeurl.MarshalAny(s)
		if err != nil {
			return fmt.Errorf("encoding spec of %s: %w", ref, err)
		}
		upd := containers.Container{ID: rec.ID, Spec: specAny}
		if _, err := c.ContainerService().Update(ctx, upd, "spec"); err != nil {
			return fmt.Errorf("saving the limits of %s: %w", ref, err)
		}
	}
	if o.Restart != "" {
		return updateRestart(ctx, c, ctr, task, ref, o.Restart)
	}
	return nil
}

// updateRestart records the policy and, for a running container, arms or
// disarms the restart monitor.
func updateRestart(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task, ref, policy string) error {
	if policy == RestartNo {
		if _, err := ctr.SetLabels(ctx, map[string]string{restart.PolicyLabel: ""}); err != nil {
			return fmt.Errorf("updating the restart policy of %s: %w", ref, err)
		}
		disarmRestart(ctx, ctr, false)
		return nil
	}
	var logURI string
	if task != nil {
		resp, err := c.TaskService().Get(ctx, &tasks.GetRequest{ContainerID: ctr.ID()})
		if err != nil {
			return fmt.Errorf("reading the task of %s: %w", ref, err)
		}
		logURI = resp.GetProcess().GetStdout()
		if !strings.HasPrefix(logURI, "binary://") {
			return api.Invalidf("container %s runs in the foreground: a restart policy needs a detached container (run -d)", ref)
		}
	}
	if _, err := ctr.SetLabels(ctx, map[string]string{restart.PolicyLabel: policy}); err != nil {
		return fmt.Errorf("updating the restart policy of %s: %w", ref, err)
	}
	if task != nil {
		return armRestart(ctx, ctr, logURI)
	}
	return nil
}
