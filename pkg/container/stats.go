package container

import (
	"context"
	"sync"

	containerd "github.com/containerd/containerd/v2/client"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// StatsTarget is a running container whose counters can be sampled.
type StatsTarget struct {
	ID, Name string
	task     containerd.Task
	prev     api.Stats
}

// StatsTargets resolves refs (all running containers when refs is empty) to
// the tasks to sample. A named container that is not running is an error.
func StatsTargets(ctx context.Context, c *client.Client, refs []string) ([]*StatsTarget, error) {
	if len(refs) == 0 {
		rows, err := List(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Status == StatusRunning || r.Status == StatusPaused {
				refs = append(refs, r.ID)
			}
		}
	}
	var out []*StatsTarget
	for _, ref := range refs {
		rec, ctr, err := load(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		task, _, err := runningTask(ctx, ctr, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, &StatsTarget{ID: rec.ID, Name: rec.Labels[client.LabelName], task: task})
	}
	return out, nil
}

// Sample reads every target's counters concurrently; CPU % is computed
// against the target's previous sample (0 on the first).
func Sample(ctx context.Context, targets []*StatsTarget) []api.Stats {
	out := make([]api.Stats, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Metrics(ctx, t.task)
			if err != nil {
				s = t.prev // the container went away: keep its last sample
			} else if !t.prev.Read.IsZero() {
				s.CPUPercent = CPUPercent(t.prev, s)
			}
			s.ID, s.Name = t.ID, t.Name
			t.prev = s
			out[i] = s
		}()
	}
	wg.Wait()
	return out
}
