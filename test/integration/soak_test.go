//go:build integration && soak

package integration

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// soakCounts is everything a container can leave on the host or in
// containerd; after the soak every figure must be back where it started.
type soakCounts map[string]int

// countSoak counts this test run's leftovers (other lumpers on the machine
// are not counted): shims of its containerd, loggers of its data root, and
// the network namespaces of the containers the soak made (ids).
func countSoak(t *testing.T, ids []string) soakCounts {
	t.Helper()
	c, ctx := ctd(t)
	n := soakCounts{"mounts": 0, "netns": 0}
	n["shims"] = len(procsMatching("containerd-shim-runc-v2", env.address))
	n["loggers"] = len(procsMatching("lumper-logger", env.dataRoot))
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mounts), "\n") {
		if strings.Contains(l, env.ctdDir) || strings.Contains(l, env.dataRoot) {
			n["mounts"]++
		}
	}
	hs := snapshot(t)
	n["veths"], n["iptables rules"], n["address leases"] = len(hs.links), len(hs.rules), len(hs.leases)
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join("/run/netns", "lumper-"+id)); err == nil {
			n["netns"]++
		}
	}
	if ls, err := c.LeasesService().List(ctx); err == nil {
		n["leases"] = len(ls)
	}
	n["snapshots"] = countSnapshots(t)
	n["content"] = len(blobDigests(t, c, ctx))
	dirs, _ := os.ReadDir(filepath.Join(env.dataRoot, testNamespace, "containers"))
	n["log dirs"] = len(dirs)
	return n
}

// listLatency is the median wall time of n `lumper list` runs.
func listLatency(n int) time.Duration {
	var d []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		lumperRun("list", "-q")
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// TestSoak (make soak): 8 workers run -d, list, logs, exec and rm -f
// containers on the bridge network for SOAK_DURATION (10m), at most 25 each
// (200 in all); every run -d either starts or fails for a reason the user
// can act on, and afterwards shims, loggers, mounts, netns, veths, iptables
// rules, address leases, leases, snapshots, content and log directories are
// back at their starting counts, and list is as fast as at the start.
func TestSoak(t *testing.T) {
	duration := 10 * time.Minute
	if s := os.Getenv("SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		duration = d
	}
	// Warm up once (the bridge network exists from then on), then measure.
	lumper(t, "run", "--rm", "busybox", "true")
	before := countSoak(t, nil)
	before["netns"] = 0
	var ids []string
	latBefore := listLatency(20)

	const workers, perWorker = 8, 25
	var mu sync.Mutex
	ops := map[string]int{}
	var failures []string
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			seq := 0
			record := func(op string, r result) {
				mu.Lock()
				defer mu.Unlock()
				ops[op]++
				if r.code != 0 {
					failures = append(failures, fmt.Sprintf("%s: %s", op, strings.TrimSpace(r.stderr)))
				}
			}
			for time.Now().Before(deadline) {
				switch k := rand.IntN(10); {
				case len(mine) < perWorker && k < 4:
					name := fmt.Sprintf("soak-%d-%d", w, seq)
					seq++
					r := lumperRun("run", "-d", "--name", name, "busybox", "sh", "-c", "echo started; sleep 600")
					record("run -d", r)
					if r.code == 0 {
						mine = append(mine, name)
						mu.Lock()
						ids = append(ids, strings.TrimSpace(r.stdout))
						mu.Unlock()
					}
				case k < 5:
					record("list", lumperRun("list", "-q"))
				case len(mine) > 0 && k < 7:
					record("logs", lumperRun("logs", mine[rand.IntN(len(mine))]))
				case len(mine) > 0 && k < 8:
					record("exec", lumperRun("exec", mine[rand.IntN(len(mine))], "echo", "ok"))
				case len(mine) > 0:
					i := rand.IntN(len(mine))
					record("rm -f", lumperRun("rm", "-f", mine[i]))
					mine = slices.Delete(mine, i, i+1)
				}
			}
			for _, name := range mine {
				record("rm -f", lumperRun("rm", "-f", name))
			}
		}()
	}
	wg.Wait()

	var after soakCounts
	back := func() bool {
		after = countSoak(t, ids)
		for k, v := range before {
			if after[k] != v {
				return false
			}
		}
		return true
	}
	for end := time.Now().Add(2 * time.Minute); !back() && time.Now().Before(end); {
		time.Sleep(time.Second)
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d at the start, %d two minutes after the soak", k, v, after[k])
		}
	}
	latAfter := listLatency(20)
	keys := make([]string, 0, len(before))
	for k := range before {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var report strings.Builder
	fmt.Fprintf(&report, "soak: %v, %d workers, at most %d containers\n", duration, workers, workers*perWorker)
	for op, n := range ops {
		fmt.Fprintf(&report, "  %-6s %6d\n", op, n)
	}
	for _, k := range keys {
		fmt.Fprintf(&report, "  %-15s start %4d  end %4d\n", k, before[k], after[k])
	}
	fmt.Fprintf(&report, "  list latency   start %v  end %v  (%.2fx)\n", latBefore, latAfter, float64(latAfter)/float64(latBefore))
	fmt.Fprintf(&report, "  failures: %d\n", len(failures))
	t.Log(report.String())
	for _, f := range failures {
		t.Errorf("soak failure: %s", f)
	}
	if float64(latAfter) > 1.2*float64(latBefore) {
		t.Errorf("list latency grew from %v to %v", latBefore, latAfter)
	}
}
