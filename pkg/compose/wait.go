package compose

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// pollInterval is how often dependency conditions and --wait look at the
// containers (one List: two RPCs, and a file read per health check).
const pollInterval = 200 * time.Millisecond

// waitDependencies waits until each of s's dependencies meets its
// condition: started (already, they are started first), healthy, or
// completed successfully.
func waitDependencies(ctx context.Context, c *client.Client, p *types.Project, s types.ServiceConfig) error {
	for _, dep := range sortedDeps(s) {
		d := s.DependsOn[dep]
		if _, ok := p.Services[dep]; !ok {
			continue // an optional dependency that is not in the project
		}
		var err error
		switch d.Condition {
		case types.ServiceConditionHealthy:
			err = waitUntil(ctx, c, p.Name, dep, healthy)
		case types.ServiceConditionCompletedSuccessfully:
			err = waitUntil(ctx, c, p.Name, dep, completed)
		}
		if err != nil {
			return fmt.Errorf("dependency failed to start: %w", err)
		}
	}
	return nil
}

// waitServices is --wait: every container of the services running, and
// healthy when it has a health check; one that exits or turns unhealthy
// fails it with its last probe's output.
func waitServices(ctx context.Context, c *client.Client, p *types.Project, services []string) error {
	for _, name := range services {
		check := healthy
		switch {
		case awaitedCompletion(p, name):
			check = completed
		case !hasHealthcheck(p.Services[name]):
			check = running
		}
		if err := waitUntil(ctx, c, p.Name, name, check); err != nil {
			return err
		}
	}
	return nil
}

// awaitedCompletion reports whether another service waits for this one to
// complete successfully: --wait then expects it to have exited 0.
func awaitedCompletion(p *types.Project, name string) bool {
	for _, s := range p.Services {
		if d, ok := s.DependsOn[name]; ok && d.Condition == types.ServiceConditionCompletedSuccessfully {
			return true
		}
	}
	return false
}

func hasHealthcheck(s types.ServiceConfig) bool {
	return s.HealthCheck != nil && !s.HealthCheck.Disable && len(s.HealthCheck.Test) > 0 && s.HealthCheck.Test[0] != "NONE"
}

// A check says whether a container is there yet (done), or never will be
// (a non-nil error).
type check func(ctx context.Context, c *client.Client, ci api.ContainerInfo) (done bool, err error)

func running(_ context.Context, _ *client.Client, ci api.ContainerInfo) (bool, error) {
	switch ci.Status {
	case "running":
		return true, nil
	case "exited":
		return false, fmt.Errorf("container %s exited (%d)", ci.Name, ci.ExitCode)
	}
	return false, nil
}

func healthy(ctx context.Context, c *client.Client, ci api.ContainerInfo) (bool, error) {
	if ok, err := running(ctx, c, ci); !ok || err != nil {
		return false, err
	}
	switch container.HealthStatus(c, ci.ID, ci.Labels, ci.PID) {
	case "":
		return false, fmt.Errorf("container %s has no healthcheck configured", ci.Name)
	case container.HealthHealthy:
		return true, nil
	case container.HealthUnhealthy:
		return false, fmt.Errorf("container %s is unhealthy%s", ci.Name, lastProbe(ctx, c, ci.ID))
	}
	return false, nil
}

func completed(_ context.Context, _ *client.Client, ci api.ContainerInfo) (bool, error) {
	if ci.Status != "exited" {
		return false, nil
	}
	if ci.ExitCode != 0 {
		return false, fmt.Errorf("service %q didn't complete successfully: exit %d", ci.Labels[LabelService], ci.ExitCode)
	}
	return true, nil
}

// lastProbe is ": " and the output of the container's last health probe.
func lastProbe(ctx context.Context, c *client.Client, id string) string {
	j, err := container.Inspect(ctx, c, id)
	if err != nil || j.State.Health == nil || len(j.State.Health.Log) == 0 {
		return ""
	}
	l := j.State.Health.Log[len(j.State.Health.Log)-1]
	out := strings.TrimSpace(l.Output)
	if out == "" {
		return fmt.Sprintf(": last probe exited %d with no output", l.ExitCode)
	}
	return fmt.Sprintf(": last probe (exit %d): %s", l.ExitCode, out)
}

// waitUntil polls the service's containers until check holds for all.
func waitUntil(ctx context.Context, c *client.Client, project, service string, ok check) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		cs, err := Containers(ctx, c, project, service)
		if err != nil {
			return err
		}
		done := len(cs) > 0
		for _, ci := range cs {
			d, err := ok(ctx, c, ci)
			if err != nil {
				return err
			}
			done = done && d
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			waiting := make([]string, 0, len(cs))
			for _, ci := range cs {
				waiting = append(waiting, ci.Name)
			}
			slices.Sort(waiting)
			return fmt.Errorf("timed out waiting for service %s (%s): %w", service, strings.Join(waiting, ", "), ctx.Err())
		case <-t.C:
		}
	}
}
