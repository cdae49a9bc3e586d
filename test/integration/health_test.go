//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lumper/lumper/internal/testimage"
)

// healthFile is what lumper internal-health records (pkg/container/health.go).
type healthFile struct {
	Pid   uint32 `json:"pid"`
	State struct {
		Status        string
		FailingStreak int
		Log           []struct {
			Start, End string
			ExitCode   int
			Output     string
		}
	} `json:"state"`
}

// readHealth reads container id's health.json straight from the data root:
// no lumper command runs while a test polls it.
func readHealth(id string) (healthFile, bool) {
	var h healthFile
	b, err := os.ReadFile(filepath.Join(env.dataRoot, testNamespace, "containers", id, "health.json"))
	return h, err == nil && json.Unmarshal(b, &h) == nil
}

func healthStatus(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(lumperRun("inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", name).stdout)
}

// TestHealthCheckExec: --health-cmd with a 1 s interval and 2 retries; a
// file made and removed through exec turns the container healthy, then
// unhealthy, as ps, ps --filter health= and inspect show.
func TestHealthCheckExec(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok",
		"--health-interval", "1s", "--health-retries", "2", "busybox", "sleep", "1000"))
	if got := healthStatus(t, name); got != "starting" && got != "unhealthy" {
		t.Fatalf("health right after run: %q, want starting (or unhealthy already)", got)
	}
	if got := lumper(t, "inspect", "--format", "{{json .Config.Healthcheck}}", name); !strings.Contains(got, `"Test":["CMD-SHELL","test -f /tmp/ok"]`) ||
		!strings.Contains(got, `"Interval":1000000000`) || !strings.Contains(got, `"Retries":2`) {
		t.Errorf("Config.Healthcheck = %s", got)
	}

	lumper(t, "exec", name, "touch", "/tmp/ok")
	eventually(t, 20*time.Second, "the container to be healthy", func() bool {
		h, ok := readHealth(id)
		return ok && h.State.Status == "healthy"
	})
	if st := lumper(t, "ps", "--filter", "name="+name, "--format", "{{.Status}}"); !strings.HasPrefix(st, "Up ") || !strings.HasSuffix(strings.TrimSpace(st), "(healthy)") {
		t.Errorf("ps status %q, want Up ... (healthy)", st)
	}
	if got := lines(lumper(t, "ps", "-q", "--no-trunc", "--filter", "health=healthy")); !contains(got, id) {
		t.Errorf("ps --filter health=healthy does not list %s: %q", id, got)
	}
	if got := lines(lumper(t, "ps", "-q", "--no-trunc", "--filter", "health=unhealthy")); contains(got, id) {
		t.Errorf("ps --filter health=unhealthy lists the healthy %s", id)
	}
	if got := lines(lumper(t, "ps", "-q", "--no-trunc", "--filter", "health=none")); contains(got, id) {
		t.Errorf("ps --filter health=none lists %s, which has a health check", id)
	}

	lumper(t, "exec", name, "rm", "/tmp/ok")
	eventually(t, 20*time.Second, "the container to be unhealthy", func() bool {
		h, ok := readHealth(id)
		return ok && h.State.Status == "unhealthy"
	})
	var health struct {
		Status        string
		FailingStreak int
		Log           []struct {
			Start, End string
			ExitCode   int
			Output     string
		}
	}
	if err := json.Unmarshal([]byte(lumper(t, "inspect", "--format", "{{json .State.Health}}", name)), &health); err != nil {
		t.Fatal(err)
	}
	if health.Status != "unhealthy" || health.FailingStreak < 2 || len(health.Log) == 0 || len(health.Log) > 5 {
		t.Fatalf("State.Health = %+v", health)
	}
	last := health.Log[len(health.Log)-1]
	if last.ExitCode != 1 || last.Start == "" || last.End == "" {
		t.Errorf("last result %+v, want exit 1 with times", last)
	}
	if st := lumper(t, "ps", "--filter", "health=unhealthy", "--filter", "name="+name, "--format", "{{.Status}}"); !strings.HasSuffix(strings.TrimSpace(st), "(unhealthy)") {
		t.Errorf("ps status %q, want Up ... (unhealthy)", st)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

// TestHealthNoLumperRunning: the container makes itself healthy, then
// unhealthy; no lumper command runs meanwhile (the test reads health.json),
// so the probes come from beside the shim, not from a lumper process.
func TestHealthNoLumperRunning(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok",
		"--health-interval", "500ms", "--health-retries", "2", "busybox", "sh", "-c",
		"touch /tmp/ok; while [ ! -e /tmp/stop ]; do sleep 0.1; done; rm /tmp/ok; sleep 1000"))
	// The container's own file is the switch, made from the host through
	// /proc, so that no lumper command runs between the two statuses.
	pid := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.State.Pid}}", name))
	var seen []string
	watch := func(want string) {
		eventually(t, 20*time.Second, "status "+want, func() bool {
			h, ok := readHealth(id)
			if ok && (len(seen) == 0 || seen[len(seen)-1] != h.State.Status) {
				seen = append(seen, h.State.Status)
			}
			return ok && h.State.Status == want
		})
	}
	watch("healthy")
	if err := os.WriteFile("/proc/"+pid+"/root/tmp/stop", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	watch("unhealthy")
	t.Logf("statuses seen in health.json: %v", seen)
	if got := healthStatus(t, name); got != "unhealthy" {
		t.Errorf("inspect says %q", got)
	}
}

// TestHealthStartPeriod: failures within --health-start-period do not count.
func TestHealthStartPeriod(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--health-cmd", "exit 1",
		"--health-interval", "300ms", "--health-retries", "1", "--health-start-period", "1h", "busybox", "sleep", "1000"))
	eventually(t, 20*time.Second, "three failed probes", func() bool {
		h, ok := readHealth(id)
		return ok && len(h.State.Log) >= 3
	})
	h, _ := readHealth(id)
	if h.State.Status != "starting" || h.State.FailingStreak != 0 {
		t.Fatalf("after failures within the start period: %+v, want starting with no streak", h.State)
	}
	if st := lumper(t, "ps", "--filter", "name="+name, "--format", "{{.Status}}"); !strings.HasSuffix(strings.TrimSpace(st), "(health: starting)") {
		t.Errorf("ps status %q", st)
	}
	if got := lines(lumper(t, "ps", "-q", "--no-trunc", "--filter", "health=starting")); !contains(got, id) {
		t.Errorf("--filter health=starting does not list %s", id)
	}
}

// TestHealthProbeTimeout: a probe that outlives --health-timeout fails with
// Docker's message.
func TestHealthProbeTimeout(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--health-cmd", "sleep 10",
		"--health-interval", "500ms", "--health-timeout", "200ms", "--health-retries", "1", "busybox", "sleep", "1000"))
	eventually(t, 30*time.Second, "unhealthy after a timeout", func() bool {
		h, ok := readHealth(id)
		return ok && h.State.Status == "unhealthy"
	})
	h, _ := readHealth(id)
	last := h.State.Log[len(h.State.Log)-1]
	if last.ExitCode != -1 || !strings.Contains(last.Output, "Health check exceeded timeout (200ms)") {
		t.Errorf("timed-out probe recorded as %+v", last)
	}
}

// healthImage loads busybox with a HEALTHCHECK in its config (as Docker's
// builder writes it) under ref.
func healthImage(t *testing.T, ref string, hc map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if err := testimage.DockerArchive(&buf, testimage.Options{Ref: ref}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	var manifest []struct{ Config string }
	type entry struct {
		h    *tar.Header
		body []byte
	}
	var entries []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if h.Name == "manifest.json" {
			json.Unmarshal(body, &manifest)
		}
		entries = append(entries, entry{h, body})
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json: %v", manifest)
	}
	for _, e := range entries {
		if e.h.Name == manifest[0].Config {
			var cfg map[string]any
			if err := json.Unmarshal(e.body, &cfg); err != nil {
				t.Fatal(err)
			}
			c, _ := cfg["config"].(map[string]any)
			if c == nil {
				c = map[string]any{}
				cfg["config"] = c
			}
			c["Healthcheck"] = hc
			e.body, _ = json.Marshal(cfg)
			e.h.Size = int64(len(e.body))
		}
		tw.WriteHeader(e.h)
		tw.Write(e.body)
	}
	tw.Close()
	archive := filepath.Join(t.TempDir(), "img.tar")
	os.WriteFile(archive, out.Bytes(), 0o644)
	lumper(t, "load", "-q", "-i", archive)
	t.Cleanup(func() { lumperRun("rmi", "-f", ref) })
}

// TestHealthImageHealthcheck: the image's HEALTHCHECK runs, run's flags
// override its fields, and --no-healthcheck disables it.
func TestHealthImageHealthcheck(t *testing.T) {
	ref := "docker.io/library/healthy-busybox:1"
	healthImage(t, ref, map[string]any{"Test": []string{"CMD", "true"}, "Interval": int64(400 * time.Millisecond), "Retries": 1})
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, ref, "sleep", "1000"))
	eventually(t, 20*time.Second, "healthy from the image's HEALTHCHECK", func() bool {
		h, ok := readHealth(id)
		return ok && h.State.Status == "healthy"
	})
	if got := lumper(t, "inspect", "--format", "{{json .Config.Healthcheck.Test}}", name); strings.TrimSpace(got) != `["CMD","true"]` {
		t.Errorf("Config.Healthcheck.Test = %s", got)
	}

	over := uniqueName(t) + "-over"
	rmOnCleanup(t, over)
	lumper(t, "create", "--name", over, "--health-cmd", "exit 3", "--health-retries", "5", ref, "sleep", "1000")
	if got := strings.TrimSpace(lumper(t, "inspect", "--format", "{{json .Config.Healthcheck}}", over)); got != `{"Test":["CMD-SHELL","exit 3"],"Interval":400000000,"Retries":5}` {
		t.Errorf("merged health check %s", got)
	}

	off := uniqueName(t) + "-off"
	rmOnCleanup(t, off)
	lumper(t, "run", "-d", "--name", off, "--no-healthcheck", ref, "sleep", "1000")
	if got := strings.TrimSpace(lumper(t, "inspect", "--format", "{{json .State.Health}} {{json .Config.Healthcheck}}", off)); got != "null null" {
		t.Errorf("--no-healthcheck: %s", got)
	}
	if st := strings.TrimSpace(lumper(t, "ps", "--filter", "name="+off, "--format", "{{.Status}}")); strings.Contains(st, "health") {
		t.Errorf("ps status %q of a container without health check", st)
	}
	if got := lines(lumper(t, "ps", "-q", "--no-trunc", "--filter", "health=none", "--filter", "name="+off)); len(got) != 1 {
		t.Errorf("--filter health=none: %q", got)
	}
}

// TestHealthFlagErrors: bad values are refused before anything is created,
// with exit 125 and one line.
func TestHealthFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--health-interval", "-1s", "busybox", "true"},
		{"run", "--health-retries", "-1", "busybox", "true"},
		{"run", "--no-healthcheck", "--health-cmd", "true", "busybox", "true"},
		{"run", "--health-timeout", "soon", "busybox", "true"},
	} {
		r := lumperRun(args...)
		wantExit(t, r, 125)
	}
}

// loggerRSS is the VmRSS (KiB) of container id's lumper-logger.
func loggerRSS(t *testing.T, id string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(loggerPid(t, id)) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestHealthCheckCost measures what health checking costs per container
// (bench/RESULTS.md): the logger's resident size with and without a health
// check once probes have run, and one probe's lumper process (peak RSS,
// CPU, wall time), which exists only while it runs.
func TestHealthCheckCost(t *testing.T) {
	const n = 3
	var with, without int
	var ids, plainIDs []string
	for i := range n {
		name := uniqueName(t) + "-h" + strconv.Itoa(i)
		rmOnCleanup(t, name)
		ids = append(ids, strings.TrimSpace(lumper(t, "run", "-d", "--network", "none", "--name", name,
			"--health-cmd", "true", "--health-interval", "300ms", "busybox", "sleep", "1000")))
		plain := uniqueName(t) + "-p" + strconv.Itoa(i)
		rmOnCleanup(t, plain)
		plainIDs = append(plainIDs, strings.TrimSpace(lumper(t, "run", "-d", "--network", "none", "--name", plain, "busybox", "sleep", "1000")))
	}
	for _, id := range ids {
		eventually(t, 30*time.Second, "3 probes", func() bool {
			h, ok := readHealth(id)
			return ok && len(h.State.Log) >= 3
		})
	}
	for i := range ids {
		with += loggerRSS(t, ids[i])
		without += loggerRSS(t, plainIDs[i])
	}
	// One probe by hand, as the logger runs it.
	cmd := lumperCmd("--debug", "internal-health")
	cmd.Env = append(cmd.Env, "CONTAINER_ID="+ids[0], "CONTAINER_NAMESPACE="+testNamespace)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("internal-health: %v: %s", err, out)
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.Cleanup(func() {
		t.Logf("lumper-logger VmRSS per container: %d KiB with a health check (after ≥3 probes), %d KiB without (%d containers each)",
			with/n, without/n, n)
		t.Logf("one probe (lumper internal-health): peak RSS %d KiB, CPU %v user + %v sys, wall %v",
			ru.Maxrss, time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), wall)
		if with/n > without/n+1024 {
			t.Errorf("health checking grows the logger by %d KiB per container", with/n-without/n)
		}
	})
}
