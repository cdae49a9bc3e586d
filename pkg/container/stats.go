package container

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// StatsTarget is a running container whose counters can be sampled.
type StatsTarget struct {
	ID, Name string
	task     containerd.Task
	prev     api.Stats
}

// StatsTargets resolves refs to the containers to sample: every running
// container when refs is empty (every container with all). A container that
// is not running is sampled as zeros, as Docker shows it.
func StatsTargets(ctx context.Context, c *client.Client, refs []string, all bool) ([]*StatsTarget, error) {
	listed := len(refs) == 0
	if listed {
		rows, err := List(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if all || r.Status == StatusRunning || r.Status == StatusPaused {
				refs = append(refs, r.ID)
			}
		}
	}
	var out []*StatsTarget
	for _, ref := range refs {
		rec, ctr, err := load(ctx, c, ref)
		if listed && errdefs.IsNotFound(err) {
			continue // listed, then removed meanwhile
		}
		if err != nil {
			return nil, err
		}
		t := &StatsTarget{ID: rec.ID, Name: rec.Labels[client.LabelName]}
		if task, _, err := runningTask(ctx, ctr, ref); err == nil {
			t.task = task
		} else if !isNotRunning(err) {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// isNotRunning reports whether runningTask failed because the container
// has no running task.
func isNotRunning(err error) bool {
	var inv *api.InvalidArgument
	return errors.As(err, &inv)
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
			if t.task == nil {
				out[i] = api.Stats{ID: t.ID, Name: t.Name, Read: time.Now()}
				return
			}
			s, err := Metrics(ctx, t.task)
			if err != nil {
				s = t.prev // the container went away: keep its last sample
			} else if !t.prev.Read.IsZero() {
				s.CPUPercent = CPUPercent(t.prev, s)
			}
			if err == nil {
				s.NetRx, s.NetTx = netIO(t.task.Pid())
			}
			s.ID, s.Name = t.ID, t.Name
			t.prev = s
			out[i] = s
		}()
	}
	wg.Wait()
	return out
}

// netIO sums the bytes received and sent on the interfaces of the network
// namespace process pid is in, loopback excluded (Docker's NET I/O).
func netIO(pid uint32) (rx, tx uint64) {
	if pid == 0 {
		return 0, 0
	}
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/net/dev")
	if err != nil {
		return 0, 0
	}
	return parseNetDev(string(b))
}

// parseNetDev reads /proc/net/dev: after two header lines, one line per
// interface, "name: rx_bytes <7 more rx counters> tx_bytes ...".
func parseNetDev(s string) (rx, tx uint64) {
	for _, line := range strings.Split(s, "\n") {
		name, counters, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(counters)
		if len(f) < 9 {
			continue
		}
		r, err1 := strconv.ParseUint(f[0], 10, 64)
		t, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		rx += r
		tx += t
	}
	return rx, tx
}
