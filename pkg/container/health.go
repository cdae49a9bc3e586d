package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// Health checks without a daemon: the container's health check is a label
// (LabelHealthcheck); the logger beside the shim runs `lumper
// internal-health` every interval while the container's init runs; each run
// is one probe (an exec in the container, bounded by the timeout) whose
// result goes into health.json in the container's directory, with the status
// computed by Docker's rules. ps and inspect read that file.

// HealthCommand is the hidden lumper subcommand the logger runs for each probe.
const HealthCommand = "internal-health"

// Docker's health check defaults and limits.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthRetries  = 3
	// healthLogEntries is how many results health.json keeps.
	healthLogEntries = 5
	// healthOutputMax bounds the output kept per probe.
	healthOutputMax = 4096
	// MinHealthDuration is Docker's lower bound of the durations.
	MinHealthDuration = time.Millisecond
)

// Docker's health states.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// healthFile is the state file in the container's directory.
const healthFile = "health.json"

// healthState is health.json: the Docker state plus the task it is about
// (a new task starts again from "starting").
type healthState struct {
	Pid   uint32     `json:"pid"`
	Since time.Time  `json:"since"` // the task's start, for the start period
	State api.Health `json:"state"`
}

// HealthOptions are run's health flags; zero fields keep the image's.
type HealthOptions struct {
	Cmd      string // --health-cmd (run with /bin/sh -c)
	Interval time.Duration
	Timeout  time.Duration
	Start    time.Duration
	Retries  int
	Disable  bool // --no-healthcheck
	// Test is a whole test (["CMD", args...] or ["CMD-SHELL", cmd]), as a
	// compose file's healthcheck has it; Cmd wins when both are set.
	Test []string
}

// Set reports whether any health flag is given.
func (o HealthOptions) Set() bool {
	return o.Cmd != "" || o.Interval != 0 || o.Timeout != 0 || o.Start != 0 || o.Retries != 0 || o.Disable
}

// Validate applies Docker's checks to the flags.
func (o HealthOptions) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--health-interval", o.Interval}, {"--health-timeout", o.Timeout}, {"--health-start-period", o.Start}} {
		if d.v < 0 {
			return api.Invalidf("%s cannot be negative", d.name)
		}
		if d.v != 0 && d.v < MinHealthDuration {
			return api.Invalidf("%s must be at least %v", d.name, MinHealthDuration)
		}
	}
	if o.Retries < 0 {
		return api.Invalidf("--health-retries cannot be negative")
	}
	if o.Disable && (o.Cmd != "" || o.Interval != 0 || o.Timeout != 0 || o.Start != 0 || o.Retries != 0) {
		return api.Invalidf("--no-healthcheck conflicts with --health-* options")
	}
	return nil
}

// MergeHealth is Docker's rule for a container's health check: the image's
// HEALTHCHECK (nil: none) with run's flags over it; nil when there is none
// or it is disabled (--no-healthcheck, or a test of NONE).
func MergeHealth(img *api.HealthConfig, o HealthOptions) *api.HealthConfig {
	if o.Disable {
		return nil
	}
	var hc api.HealthConfig
	if img != nil {
		hc = *img
	}
	if len(o.Test) > 0 {
		hc.Test = o.Test
	}
	if o.Cmd != "" {
		hc.Test = []string{"CMD-SHELL", o.Cmd}
	}
	if o.Interval != 0 {
		hc.Interval = int64(o.Interval)
	}
	if o.Timeout != 0 {
		hc.Timeout = int64(o.Timeout)
	}
	if o.Start != 0 {
		hc.StartPeriod = int64(o.Start)
	}
	if o.Retries != 0 {
		hc.Retries = o.Retries
	}
	if len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		return nil
	}
	return &hc
}

// probeArgs is the command a health check runs: CMD's arguments, or
// CMD-SHELL's command through /bin/sh -c; nil for a test it does not know.
func probeArgs(hc *api.HealthConfig) []string {
	if hc == nil || len(hc.Test) < 2 {
		return nil
	}
	switch hc.Test[0] {
	case "CMD":
		return hc.Test[1:]
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	}
	return nil
}

func durOr(ns int64, def time.Duration) time.Duration {
	if ns <= 0 {
		return def
	}
	return time.Duration(ns)
}

// HealthInterval is the time between two probes.
func HealthInterval(hc *api.HealthConfig) time.Duration {
	return durOr(hc.Interval, DefaultHealthInterval)
}

// healthConfigOf reads the health check from a container's labels.
func healthConfigOf(labels map[string]string) *api.HealthConfig {
	s := labels[client.LabelHealthcheck]
	if s == "" {
		return nil
	}
	var hc api.HealthConfig
	if json.Unmarshal([]byte(s), &hc) != nil || probeArgs(&hc) == nil {
		return nil
	}
	return &hc
}

// healthLabels records hc in labels (nothing for nil).
func healthLabels(labels map[string]string, hc *api.HealthConfig) {
	if hc == nil {
		return
	}
	b, _ := json.Marshal(hc)
	labels[client.LabelHealthcheck] = string(b)
}

// imageHealthcheck reads the image's HEALTHCHECK from its config blob: the
// OCI config type has no such field, Docker's config JSON has
// config.Healthcheck.
func imageHealthcheck(ctx context.Context, image containerd.Image) (*api.HealthConfig, error) {
	desc, err := image.Config(ctx)
	if err != nil {
		return nil, err
	}
	blob, err := content.ReadBlob(ctx, image.ContentStore(), desc)
	if err != nil {
		return nil, err
	}
	return parseImageHealthcheck(blob)
}

func parseImageHealthcheck(blob []byte) (*api.HealthConfig, error) {
	var cfg struct {
		Config struct {
			Healthcheck *api.HealthConfig `json:"Healthcheck"`
		} `json:"config"`
	}
	if err := json.Unmarshal(blob, &cfg); err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	return cfg.Config.Healthcheck, nil
}

// containerHealth is the health check the container gets from its image and
// the flags (nil: none).
func containerHealth(ctx context.Context, image containerd.Image, o HealthOptions) (*api.HealthConfig, error) {
	if o.Disable {
		return nil, nil
	}
	img, err := imageHealthcheck(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("reading health check of image %s: %w", image.Name(), err)
	}
	return MergeHealth(img, o), nil
}

func healthPath(c *client.Client, id string) string {
	return filepath.Join(ContainerDir(c, id), healthFile)
}

func readHealthState(path string) (healthState, bool) {
	var st healthState
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return healthState{}, false
	}
	return st, true
}

// HealthStatus is the health a running container's task pid has: "" when
// the container has no health check, "starting" before the first result
// about this task. It costs one small file read.
func HealthStatus(c *client.Client, id string, labels map[string]string, pid uint32) string {
	if labels[client.LabelHealthcheck] == "" {
		return ""
	}
	st, ok := readHealthState(healthPath(c, id))
	if !ok || st.Pid != pid || pid == 0 {
		return HealthStarting
	}
	return st.State.Status
}

// inspectHealth is inspect's State.Health: the last results of the current
// task (or of the last one, once it has stopped); nil without a health check.
func inspectHealth(c *client.Client, id string, labels map[string]string, pid uint32) *api.Health {
	if labels[client.LabelHealthcheck] == "" {
		return nil
	}
	st, ok := readHealthState(healthPath(c, id))
	if !ok || (pid != 0 && st.Pid != pid) {
		return &api.Health{Status: HealthStarting, Log: []api.HealthLog{}}
	}
	if st.State.Log == nil {
		st.State.Log = []api.HealthLog{}
	}
	return &st.State
}

// limitedBuffer keeps the first max bytes written to it, from two copiers.
type limitedBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// HealthCheck runs one probe of container id's health check and records
// its result. It is run by the logger every interval; it does nothing for a
// container without a running task or a health check.
func HealthCheck(ctx context.Context, c *client.Client, id string) error {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	hc := healthConfigOf(info.Labels)
	if hc == nil {
		return nil
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("loading task of %s: %w", id, err)
	}
	if st, err := task.Status(ctx); err != nil || st.Status != containerd.Running {
		return err
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		return fmt.Errorf("reading spec of %s: %w", id, err)
	}
	pspec := *spec.Process
	pspec.Args = probeArgs(hc)
	pspec.Terminal = false

	start := time.Now()
	result := api.HealthLog{Start: start.Format(time.RFC3339Nano), ExitCode: -1}
	timeout := durOr(hc.Timeout, DefaultHealthTimeout)
	out := &limitedBuffer{max: healthOutputMax}
	log.G(ctx).WithField("t", time.Since(start)).Debug("health: probe starting")
	code, err := probe(ctx, task, &pspec, out, timeout)
	log.G(ctx).WithField("t", time.Since(start)).Debug("health: probe done")
	if err != nil && err != errProbeTimeout {
		// A task stopping under the probe is no result about its health.
		if st, serr := task.Status(ctx); serr != nil || st.Status != containerd.Running {
			return nil
		}
	}
	switch {
	case err == errProbeTimeout:
		result.Output = fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
	case err != nil:
		result.Output = err.Error()
	default:
		result.ExitCode = code
		result.Output = out.String()
	}
	result.End = time.Now().Format(time.RFC3339Nano)
	return recordHealth(healthPath(c, id), task.Pid(), startedAt(info.Labels, start), hc, result, start)
}

func startedAt(labels map[string]string, fallback time.Time) time.Time {
	if t := labelTime(labels[client.LabelStartedAt]); !t.IsZero() {
		return t
	}
	return fallback
}

var errProbeTimeout = fmt.Errorf("health check timed out")

// probe execs args in the task and returns its exit code.
func probe(ctx context.Context, task containerd.Task, pspec *specs.Process, out *limitedBuffer, timeout time.Duration) (int, error) {
	execID := "health-" + client.NewID()[:24]
	proc, err := task.Exec(ctx, execID, pspec, cio.NewCreator(cio.WithStreams(nil, out, out)))
	if err != nil {
		return -1, startError(err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = proc.Delete(dctx, containerd.WithProcessKill)
	}()
	statusC, err := proc.Wait(ctx)
	if err != nil {
		return -1, err
	}
	log.G(ctx).Debug("health: exec created")
	if err := proc.Start(ctx); err != nil {
		return -1, startError(err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case st := <-statusC:
		code, _, err := st.Result()
		if err != nil {
			return -1, err
		}
		log.G(ctx).Debug("health: exited")
		drainOutput(proc.IO())
		log.G(ctx).Debug("health: drained")
		return int(code), nil
	case <-timer.C:
		_ = proc.Kill(ctx, syscall.SIGKILL)
		return -1, errProbeTimeout
	}
}

// recordHealth adds a result to the state file with Docker's rules:
// success is healthy (streak 0); a failure within the start period, while
// still starting, does not count; otherwise the streak grows, and reaching
// the retries makes the container unhealthy.
func recordHealth(path string, pid uint32, since time.Time, hc *api.HealthConfig, r api.HealthLog, probeStart time.Time) error {
	// Probes may end together (the logger's, and a manual or overlapping
	// one): each read-modify-write of the file is one at a time, under a
	// lock on the container's directory (never made again once rm removed
	// it).
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("recording health: %w", err)
	}
	defer dir.Close()
	for {
		if err = syscall.Flock(int(dir.Fd()), syscall.LOCK_EX); !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("recording health: locking %s: %w", dir.Name(), err)
	}
	st, ok := readHealthState(path)
	if !ok || st.Pid != pid {
		st = healthState{Pid: pid, Since: since, State: api.Health{Status: HealthStarting}}
	}
	st.State = nextHealth(st.State, r, probeStart.Sub(st.Since), hc)
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("recording health: %w", err)
	}
	return os.Rename(tmp, path)
}

// nextHealth is h after result r of a probe that began sinceStart after the
// task started.
func nextHealth(h api.Health, r api.HealthLog, sinceStart time.Duration, hc *api.HealthConfig) api.Health {
	h.Log = append(h.Log, r)
	if n := len(h.Log); n > healthLogEntries {
		h.Log = append([]api.HealthLog(nil), h.Log[n-healthLogEntries:]...)
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = HealthHealthy
		return h
	}
	if h.Status == HealthStarting && sinceStart < time.Duration(hc.StartPeriod) {
		return h
	}
	h.FailingStreak++
	retries := hc.Retries
	if retries <= 0 {
		retries = DefaultHealthRetries
	}
	if h.FailingStreak >= retries {
		h.Status = HealthUnhealthy
	}
	return h
}

// healthIntervalOf is the probe interval of ctr's health check, 0 without one.
func healthIntervalOf(ctx context.Context, ctr containerd.Container) time.Duration {
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return 0
	}
	hc := healthConfigOf(info.Labels)
	if hc == nil {
		return 0
	}
	return HealthInterval(hc)
}

// withHealthURI adds the health probe's interval and lumper arguments to a
// logger URI (see cmd/lumper-logger: --health-interval, --on-health-args).
func withHealthURI(uri string, interval time.Duration, args []string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	q.Set("--health-interval", interval.String())
	q.Set("--on-health-args", strings.Join(args, logs.OnExitArgsSep))
	u.RawQuery = q.Encode()
	return u.String()
}
