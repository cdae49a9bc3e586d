package commands

import (
	"strings"
	"testing"
	"time"
)

func TestHealthAndInitFlags(t *testing.T) {
	run := parsed(t, "run", "-d", "--health-cmd", "test -f /ok", "--health-interval", "1s", "--health-timeout", "500ms",
		"--health-start-period", "1m", "--health-retries", "2", "--init", "busybox").(*RunOptions)
	h := run.Health
	if h.Cmd != "test -f /ok" || h.Interval != time.Second || h.Timeout != 500*time.Millisecond || h.Start != time.Minute || h.Retries != 2 || !run.Init {
		t.Errorf("run options: %+v init=%v", h, run.Init)
	}
	cr := parsed(t, "create", "--no-healthcheck", "busybox").(*RunOptions)
	if !cr.Health.Disable || cr.Init {
		t.Errorf("create options: %+v", cr.Health)
	}
}

// Bad health flags are run's usage errors: 125, one line, before dialing.
func TestHealthFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--health-interval", "-1s", "busybox"}, "--health-interval cannot be negative"},
		{[]string{"run", "--health-timeout", "1us", "busybox"}, "--health-timeout must be at least"},
		{[]string{"create", "--health-retries", "-2", "busybox"}, "--health-retries cannot be negative"},
		{[]string{"run", "--no-healthcheck", "--health-cmd", "true", "busybox"}, "--no-healthcheck conflicts"},
		{[]string{"run", "--health-interval", "soon", "busybox"}, "invalid argument"},
	} {
		_, stderr, code := runCmd(t, "", tc.args...)
		if code != 125 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, "containerd") {
			t.Errorf("%v: exit %d, %q; want 125 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
