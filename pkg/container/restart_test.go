package container

import (
	"errors"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/runtime/restart"

	"github.com/lumper/lumper/pkg/api"
)

func TestParseRestartPolicy(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "no", false},
		{"no", "no", false},
		{"always", "always", false},
		{"unless-stopped", "unless-stopped", false},
		{"on-failure", "on-failure", false},
		{"on-failure:0", "on-failure", false},
		{"on-failure:3", "on-failure:3", false},
		{"on-failure:-1", "", true},
		{"on-failure:x", "", true},
		{"always:2", "", true},
		{"no:1", "", true},
		{"sometimes", "", true},
		{"Always", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRestartPolicy(tt.in)
		var inv *api.InvalidArgument
		if tt.bad {
			if !errors.As(err, &inv) {
				t.Errorf("ParseRestartPolicy(%q) = %q, %v; want an InvalidArgument", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRestartPolicy(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSignal(t *testing.T) {
	good := map[string]syscall.Signal{
		"KILL": syscall.SIGKILL, "SIGKILL": syscall.SIGKILL, "kill": syscall.SIGKILL, "9": syscall.SIGKILL,
		"term": syscall.SIGTERM, "SIGHUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "64": syscall.Signal(64),
	}
	for in, want := range good {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "65", "-9", "SIGNOPE", "KILL9", "SIG"} {
		var inv *api.InvalidArgument
		if _, err := ParseSignal(in); !errors.As(err, &inv) {
			t.Errorf("ParseSignal(%q): want an InvalidArgument, got %v", in, err)
		}
	}
}

func TestMonitorWillRestart(t *testing.T) {
	exit := func(code uint32) containerd.ExitStatus { return *containerd.NewExitStatus(code, time.Now(), nil) }
	labels := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		labels map[string]string
		code   uint32
		want   bool
	}{
		{"no policy", labels(), 1, false},
		{"policy no", labels(restart.PolicyLabel, "no"), 1, false},
		{"always after success", labels(restart.PolicyLabel, "always"), 0, true},
		{"always stopped by the user", labels(restart.PolicyLabel, "always", restart.ExplicitlyStoppedLabel, "true"), 137, false},
		{"unless-stopped", labels(restart.PolicyLabel, "unless-stopped"), 2, true},
		{"on-failure after success", labels(restart.PolicyLabel, "on-failure:2"), 0, false},
		{"on-failure first failure", labels(restart.PolicyLabel, "on-failure:2"), 1, true},
		{"on-failure retries left", labels(restart.PolicyLabel, "on-failure:2", restart.CountLabel, "1"), 1, true},
		{"on-failure retries spent", labels(restart.PolicyLabel, "on-failure:2", restart.CountLabel, "2"), 1, false},
		{"on-failure unbounded", labels(restart.PolicyLabel, "on-failure", restart.CountLabel, "50"), 1, true},
	}
	for _, tt := range tests {
		if got := monitorWillRestart(tt.labels, exit(tt.code)); got != tt.want {
			t.Errorf("%s: monitorWillRestart = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRestartLabelsRoundTrip(t *testing.T) {
	l := map[string]string{}
	restartLabels(l, "on-failure:3", LogOptions{MaxSize: 1 << 20, MaxFiles: 2})
	if l[restart.PolicyLabel] != "on-failure:3" {
		t.Fatalf("policy label: %v", l)
	}
	if lo := logOptionsFromLabels(l); lo.MaxSize != 1<<20 || lo.MaxFiles != 2 {
		t.Fatalf("log options: %+v", lo)
	}
	if p, n := restartInfo(l); p != "on-failure:3" || n != 0 {
		t.Fatalf("restartInfo: %q %d", p, n)
	}
	none := map[string]string{}
	restartLabels(none, "no", LogOptions{})
	if len(none) != 0 {
		t.Fatalf("policy no set labels: %v", none)
	}
	if lo := logOptionsFromLabels(none); lo != (LogOptions{}).withDefaults() {
		t.Fatalf("default log options: %+v", lo)
	}
}
