package container

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

func TestMergeHealth(t *testing.T) {
	img := &api.HealthConfig{Test: []string{"CMD", "true"}, Interval: int64(5 * time.Second), Retries: 4}
	if got := MergeHealth(img, HealthOptions{}); got == nil || !slices.Equal(got.Test, img.Test) || got.Interval != img.Interval || got.Retries != 4 {
		t.Errorf("image only: %+v", got)
	}
	got := MergeHealth(img, HealthOptions{Cmd: "test -f /x", Timeout: time.Second, Retries: 2})
	if got == nil || !slices.Equal(got.Test, []string{"CMD-SHELL", "test -f /x"}) || got.Interval != img.Interval || got.Timeout != int64(time.Second) || got.Retries != 2 {
		t.Errorf("flags over image: %+v", got)
	}
	if img.Retries != 4 {
		t.Error("the image's config was changed")
	}
	if got := MergeHealth(img, HealthOptions{Disable: true}); got != nil {
		t.Errorf("--no-healthcheck: %+v", got)
	}
	if got := MergeHealth(&api.HealthConfig{Test: []string{"NONE"}}, HealthOptions{}); got != nil {
		t.Errorf("NONE: %+v", got)
	}
	if got := MergeHealth(nil, HealthOptions{Interval: time.Second}); got != nil {
		t.Errorf("an interval without a test: %+v", got)
	}
}

func TestHealthOptionsValidate(t *testing.T) {
	for _, o := range []HealthOptions{
		{Interval: -time.Second}, {Timeout: time.Microsecond}, {Retries: -1}, {Disable: true, Cmd: "true"},
	} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (HealthOptions{Cmd: "true", Interval: time.Second, Start: time.Minute, Retries: 1}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestProbeArgs(t *testing.T) {
	if got := probeArgs(&api.HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}}); !slices.Equal(got, []string{"/bin/sh", "-c", "curl -f localhost"}) {
		t.Errorf("CMD-SHELL: %q", got)
	}
	if got := probeArgs(&api.HealthConfig{Test: []string{"CMD", "pg_isready", "-U", "x"}}); !slices.Equal(got, []string{"pg_isready", "-U", "x"}) {
		t.Errorf("CMD: %q", got)
	}
	if probeArgs(&api.HealthConfig{Test: []string{"NONE"}}) != nil || probeArgs(&api.HealthConfig{Test: []string{"CMD"}}) != nil {
		t.Error("NONE or an empty CMD gives a probe")
	}
}

func TestParseImageHealthcheck(t *testing.T) {
	blob := `{"architecture":"amd64","config":{"Cmd":["sh"],"Healthcheck":{"Test":["CMD-SHELL","wget -q localhost"],"Interval":30000000000,"Timeout":3000000000,"StartPeriod":5000000000,"Retries":3}}}`
	hc, err := parseImageHealthcheck([]byte(blob))
	if err != nil || hc == nil || hc.Timeout != int64(3*time.Second) || hc.StartPeriod != int64(5*time.Second) || hc.Test[1] != "wget -q localhost" {
		t.Fatalf("%+v, %v", hc, err)
	}
	if hc, err := parseImageHealthcheck([]byte(`{"config":{"Cmd":["sh"]}}`)); err != nil || hc != nil {
		t.Errorf("no HEALTHCHECK: %+v, %v", hc, err)
	}
}

// Docker's rules: success is healthy; a failure while starting and within
// the start period does not count; retries failures in a row are unhealthy.
func TestNextHealth(t *testing.T) {
	hc := &api.HealthConfig{Retries: 2, StartPeriod: int64(10 * time.Second)}
	fail, ok := api.HealthLog{ExitCode: 1}, api.HealthLog{ExitCode: 0}
	h := api.Health{Status: HealthStarting}
	h = nextHealth(h, fail, time.Second, hc)
	if h.Status != HealthStarting || h.FailingStreak != 0 {
		t.Fatalf("failure in start period: %+v", h)
	}
	h = nextHealth(h, fail, 11*time.Second, hc)
	if h.Status != HealthStarting || h.FailingStreak != 1 {
		t.Fatalf("one failure after start period: %+v", h)
	}
	h = nextHealth(h, fail, 12*time.Second, hc)
	if h.Status != HealthUnhealthy || h.FailingStreak != 2 {
		t.Fatalf("two failures: %+v", h)
	}
	h = nextHealth(h, ok, 13*time.Second, hc)
	if h.Status != HealthHealthy || h.FailingStreak != 0 {
		t.Fatalf("success: %+v", h)
	}
	// Once healthy, the start period no longer hides failures.
	h = nextHealth(h, fail, 1*time.Second, hc)
	if h.FailingStreak != 1 || h.Status != HealthHealthy {
		t.Fatalf("failure after healthy: %+v", h)
	}
	for range 10 {
		h = nextHealth(h, fail, time.Minute, hc)
	}
	if len(h.Log) != healthLogEntries || h.Status != HealthUnhealthy {
		t.Fatalf("log of %d results, status %s", len(h.Log), h.Status)
	}
	// Default retries: 3.
	h = api.Health{Status: HealthHealthy}
	for i := range 3 {
		h = nextHealth(h, fail, time.Minute, &api.HealthConfig{})
		if (h.Status == HealthUnhealthy) != (i == 2) {
			t.Fatalf("after %d failures with default retries: %s", i+1, h.Status)
		}
	}
}

// The state file is about one task: a new task (another pid) starts again.
func TestHealthFileRoundTrip(t *testing.T) {
	c := &client.Client{DataRoot: t.TempDir(), Namespace: "ns"}
	labels := map[string]string{client.LabelHealthcheck: `{"Test":["CMD","true"]}`}
	id := "abc"
	if got := HealthStatus(c, id, map[string]string{}, 10); got != "" {
		t.Errorf("no health check: %q", got)
	}
	if got := HealthStatus(c, id, labels, 10); got != HealthStarting {
		t.Errorf("before any probe: %q", got)
	}
	path := healthPath(c, id)
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	hc := healthConfigOf(labels)
	now := time.Now()
	if err := recordHealth(path, 10, now, hc, api.HealthLog{ExitCode: 0, Output: "ok"}, now); err != nil {
		t.Fatal(err)
	}
	if got := HealthStatus(c, id, labels, 10); got != HealthHealthy {
		t.Errorf("after a success: %q", got)
	}
	if got := HealthStatus(c, id, labels, 11); got != HealthStarting {
		t.Errorf("a new task: %q", got)
	}
	if h := inspectHealth(c, id, labels, 0); h == nil || h.Status != HealthHealthy || len(h.Log) != 1 || h.Log[0].Output != "ok" {
		t.Errorf("inspect of the stopped container: %+v", h)
	}
	if err := recordHealth(path, 11, now, hc, api.HealthLog{ExitCode: 1}, now); err != nil {
		t.Fatal(err)
	}
	if h := inspectHealth(c, id, labels, 11); h.Status != HealthStarting || len(h.Log) != 1 || h.FailingStreak != 1 {
		t.Errorf("first failure of a new task: %+v", h)
	}
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
