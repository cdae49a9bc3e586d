package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunFlagErrors: issue 16's run/create flags are checked before
// dialing, as one line with exit 125 (run and create alike).
func TestRunFlagErrors(t *testing.T) {
	cid := filepath.Join(t.TempDir(), "cid")
	if err := os.WriteFile(cid, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cidfile", cid}, "container ID file found"},
		{[]string{"--log-driver", "syslog"}, `unsupported --log-driver "syslog"`},
		{[]string{"--log-driver", "none", "--log-opt", "max-size=1m"}, "--log-opt is not supported with --log-driver none"},
		{[]string{"--stop-signal", "NOPE"}, `invalid --stop-signal "NOPE"`},
		{[]string{"--stop-timeout", "-2"}, "invalid --stop-timeout -2"},
		{[]string{"--userns", "private"}, "only --userns=host"},
		{[]string{"--ulimit", "nofile=2:1"}, "invalid --ulimit"},
		{[]string{"--device", "dev/null"}, "invalid --device"},
		{[]string{"--sysctl", "kernel.hostname=x"}, "not namespaced"},
		{[]string{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"}, "not allowed with --network host"},
		{[]string{"--pid", "bogus"}, "invalid --pid"},
		{[]string{"--ipc", "bogus"}, "invalid --ipc"},
		{[]string{"--shm-size", "0"}, "invalid --shm-size"},
		{[]string{"--expose", "80/icmp"}, "invalid --expose"},
		{[]string{"--group-add", "a b"}, "invalid --group-add"},
		{[]string{"--memory", "64m", "--memory-reservation", "128m"}, "invalid --memory-reservation"},
	} {
		for _, verb := range []string{"run", "create"} {
			args := append(append([]string{verb}, tc.args...), "busybox")
			_, stderr, code := runCmd(t, "", args...)
			if code != 125 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("lumper %v: exit %d, stderr %q; want 125 and one line with %q", args, code, stderr, tc.want)
			}
		}
	}
}

// TestRunFlagsParsed: the new flags reach the options.
func TestRunFlagsParsed(t *testing.T) {
	o := parsed(t, "run", "--cidfile", "/tmp/x", "--expose", "80", "--shm-size", "1g", "--ulimit", "nofile=1:2",
		"--pid", "host", "--ipc", "host", "--group-add", "10", "--stop-signal", "USR1", "--stop-timeout", "3",
		"--device", "/dev/null", "--log-driver", "none", "--sysctl", "net.a=1", "--oom-kill-disable",
		"--memory-reservation", "8m", "--userns", "host", "busybox").(*RunOptions)
	if o.CIDFile != "/tmp/x" || o.Expose[0] != "80" || o.ShmSize != "1g" || o.Ulimits[0] != "nofile=1:2" || o.PID != "host" ||
		o.IPC != "host" || o.GroupAdd[0] != "10" || o.StopSignal != "USR1" || o.StopTimeout != 3 || o.Devices[0] != "/dev/null" ||
		o.LogDriver != "none" || o.Sysctls[0] != "net.a=1" || !o.OOMKillDisable || o.MemoryReservation != "8m" || o.Userns != "host" {
		t.Fatalf("parsed %+v", o)
	}
}
