//go:build integration

package integration

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 16 items 5 and 8: Docker's run/create flags from its reference,
// and the defaults scripts rely on (unprivileged ports, cp ownership).

// rmRun runs `run --rm ARGS...` as Docker's invocation and returns stdout.
func rmRun(t *testing.T, args ...string) string {
	t.Helper()
	return dockerOK(t, append([]string{"run", "--rm"}, args...)...)
}

var _ = registerCompat("runflags",
	compatCase{"run --rm --shm-size=256m busybox df -k /dev/shm", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--shm-size=256m", "busybox", "df", "-k", "/dev/shm"); !strings.Contains(out, " 262144 ") {
			t.Fatalf("df: %q", out)
		}
	}},
	compatCase{"run --rm --ulimit nofile=1024:1024 busybox sh -c 'ulimit -n'", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--ulimit", "nofile=1024:1024", "busybox", "sh", "-c", "ulimit -n"); out != "1024\n" {
			t.Fatalf("ulimit -n: %q", out)
		}
	}},
	compatCase{"run --rm --ulimit core=0 busybox sh -c 'ulimit -c'", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--ulimit", "core=0", "busybox", "sh", "-c", "ulimit -c"); out != "0\n" {
			t.Fatalf("ulimit -c: %q", out)
		}
	}},
	compatCase{"run --ulimit nofile=20:10 (soft above hard) exits 125", func(t *testing.T) {
		r := docker("run", "--rm", "--ulimit", "nofile=20:10", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "soft limit must be less than or equal to hard limit") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --rm --pid=host busybox ps: the host's processes", func(t *testing.T) {
		out := rmRun(t, "--network", "none", "--pid=host", "busybox", "ps", "-o", "pid,args")
		if len(lines(out)) < 5 || !strings.Contains(out, "containerd") {
			t.Fatalf("ps with --pid=host shows %d lines, no containerd:\n%s", len(lines(out)), out)
		}
	}},
	compatCase{"run --rm --pid=container:NAME busybox ps: the other container's processes", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "busybox", "sleep", "1002")
		if out := rmRun(t, "--network", "none", "--pid=container:"+name, "busybox", "ps", "-o", "args"); !strings.Contains(out, "sleep 1002") {
			t.Fatalf("ps: %q", out)
		}
	}},
	compatCase{"run --rm --ipc=host busybox readlink /proc/self/ns/ipc: the host's", func(t *testing.T) {
		host, _ := os.Readlink("/proc/self/ns/ipc")
		if out := strings.TrimSpace(rmRun(t, "--network", "none", "--ipc=host", "busybox", "readlink", "/proc/self/ns/ipc")); out != host {
			t.Fatalf("ipc ns %q, host %q", out, host)
		}
	}},
	compatCase{"run --rm --ipc=none busybox: no /dev/shm", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--ipc=none", "busybox", "sh", "-c", "grep -c ' /dev/shm ' /proc/mounts; true"); out != "0\n" {
			t.Fatalf("/dev/shm mounts: %q", out)
		}
	}},
	compatCase{"run --rm --group-add nogroup --group-add 1234 busybox id -G", func(t *testing.T) {
		out := " " + strings.TrimSpace(rmRun(t, "--network", "none", "--group-add", "nogroup", "--group-add", "1234", "busybox", "id", "-G")) + " "
		if !strings.Contains(out, " 65534 ") || !strings.Contains(out, " 1234 ") {
			t.Fatalf("id -G: %q", out)
		}
	}},
	compatCase{"run --group-add nosuchgroup exits 125", func(t *testing.T) {
		r := docker("run", "--rm", "--network", "none", "--group-add", "nosuchgroup", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "nosuchgroup") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --rm --device=/dev/null:/dev/xnull busybox ls -l /dev/xnull", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--device=/dev/null:/dev/xnull", "busybox", "ls", "-l", "/dev/xnull"); !strings.HasPrefix(out, "c") || !strings.Contains(out, "1,   3") {
			t.Fatalf("ls -l: %q", out)
		}
	}},
	compatCase{"run --device=/dev/nosuch exits 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "--network", "none", "--device=/dev/nosuch", "busybox", "true"), 125)
	}},
	compatCase{"run --rm --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward"); out != "1\n" {
			t.Fatalf("ip_forward: %q", out)
		}
	}},
	compatCase{"run --rm --sysctl kernel.shmmax=1073741824 busybox cat /proc/sys/kernel/shmmax", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--sysctl", "kernel.shmmax=1073741824", "busybox", "cat", "/proc/sys/kernel/shmmax"); out != "1073741824\n" {
			t.Fatalf("shmmax: %q", out)
		}
	}},
	compatCase{"run --network=host --sysctl net.ipv4.ip_forward=1 exits 125", func(t *testing.T) {
		r := docker("run", "--rm", "--network=host", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "--network host") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --sysctl kernel.hostname=x (not namespaced) exits 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "--sysctl", "kernel.hostname=x", "busybox", "true"), 125)
	}},
	compatCase{"run --rm busybox: any user may bind ports below 1024 and ping", func(t *testing.T) {
		out := rmRun(t, "busybox", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/net/ipv4/ping_group_range")
		if f := strings.Fields(out); len(f) != 3 || f[0] != "0" || f[1] != "0" || f[2] != "2147483647" {
			t.Fatalf("sysctls: %q", out)
		}
	}},
	compatCase{"run --rm -u 1000 busybox httpd -p 80 binds port 80", func(t *testing.T) {
		if out := rmRun(t, "-u", "1000", "busybox", "sh", "-c", "httpd -p 80 && echo bound"); out != "bound\n" {
			t.Fatalf("httpd: %q", out)
		}
	}},
	compatCase{"run --rm -m 64m --memory-reservation 32m busybox: memory.soft_limit_in_bytes", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "-m", "64m", "--memory-reservation", "32m", "busybox", "cat", "/sys/fs/cgroup/memory/memory.soft_limit_in_bytes"); out != "33554432\n" {
			t.Fatalf("soft limit: %q", out)
		}
	}},
	compatCase{"run --memory-reservation 128m -m 64m exits 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "-m", "64m", "--memory-reservation", "128m", "busybox", "true"), 125)
	}},
	compatCase{"run --rm -m 64m --oom-kill-disable busybox: memory.oom_control", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "-m", "64m", "--oom-kill-disable", "busybox", "grep", "oom_kill_disable", "/sys/fs/cgroup/memory/memory.oom_control"); out != "oom_kill_disable 1\n" {
			t.Fatalf("oom_control: %q", out)
		}
	}},
	compatCase{"run --rm --cpu-shares 512 busybox cat /sys/fs/cgroup/cpu/cpu.shares", func(t *testing.T) {
		if out := rmRun(t, "--network", "none", "--cpu-shares", "512", "busybox", "cat", "/sys/fs/cgroup/cpu/cpu.shares"); out != "512\n" {
			t.Fatalf("cpu.shares: %q", out)
		}
	}},
	compatCase{"run --rm --userns=host busybox true", func(t *testing.T) {
		rmRun(t, "--network", "none", "--userns=host", "busybox", "true")
	}},
	compatCase{"run --stop-signal=SIGUSR1: stop sends it", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "--stop-signal=SIGUSR1", "busybox", "sh", "-c",
			`trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done`)
		eventually(t, 10*time.Second, "the trap", func() bool { return strings.Contains(docker("logs", name).stdout, "ready") })
		dockerOK(t, "stop", name)
		if out := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.ExitCode}}", name)); out != "9" {
			t.Fatalf("exit code %s, want 9", out)
		}
	}},
	compatCase{"run --stop-timeout 1: stop without -t kills after 1 s", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "--stop-timeout", "1", "busybox", "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 0.1; done`)
		eventually(t, 10*time.Second, "the trap", func() bool { return strings.Contains(docker("logs", name).stdout, "ready") })
		start := time.Now()
		dockerOK(t, "stop", name)
		if d := time.Since(start); d > 6*time.Second {
			t.Fatalf("stop took %v", d)
		}
	}},
	compatCase{"create --cidfile FILE busybox: FILE holds the ID; again: exit 125", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		cid := filepath.Join(t.TempDir(), "cid")
		id := strings.TrimSpace(dockerOK(t, "create", "--cidfile", cid, "--name", name, "busybox"))
		if b, _ := os.ReadFile(cid); string(b) != id || !hex64.MatchString(id) {
			t.Fatalf("cidfile %q, ID %q", b, id)
		}
		r := docker("create", "--cidfile", cid, "busybox")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "container ID file found") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run -d --log-driver none; logs: exit 1, does not support reading", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "--log-driver", "none", "busybox", "echo", "hi")
		r := docker("logs", name)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "configured logging driver does not support reading") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --log-driver json-file busybox echo hi; logs: hi", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--name", name, "--network", "none", "--log-driver", "json-file", "busybox", "echo", "hi")
		if out := dockerOK(t, "logs", name); out != "hi\n" {
			t.Fatalf("logs %q", out)
		}
	}},
	compatCase{"run --log-driver syslog exits 125", func(t *testing.T) {
		r := docker("run", "--rm", "--log-driver", "syslog", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "syslog") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run -d -P --expose 8080 busybox httpd -f -p 8080: port published", func(t *testing.T) {
		name := runDetached(t, "-P", "--expose", "8080", "busybox", "httpd", "-f", "-p", "8080")
		if out := dockerOK(t, "ps", "--filter", "name="+name, "--format", "{{.Ports}}"); !strings.Contains(out, "->8080/tcp") {
			t.Fatalf("ports %q", out)
		}
		if out := dockerOK(t, "inspect", "-f", "{{json .Config.ExposedPorts}}", name); out != `{"8080/tcp":{}}`+"\n" {
			t.Fatalf("inspect ExposedPorts %q", out)
		}
	}},
	compatCase{"run --expose 80/icmp exits 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "--expose", "80/icmp", "busybox", "true"), 125)
	}},
	compatCase{"cp CONTAINER:/etc/passwd DIR: owned by the caller", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "busybox", "sh", "-c", "chown 1234:567 /etc/passwd && sleep 1000")
		eventually(t, 10*time.Second, "the chown", func() bool {
			return docker("exec", name, "stat", "-c", "%u", "/etc/passwd").stdout == "1234\n"
		})
		dir := t.TempDir()
		dockerOK(t, "cp", name+":/etc/passwd", dir)
		fi, err := os.Stat(filepath.Join(dir, "passwd"))
		if err != nil {
			t.Fatal(err)
		}
		if uid, gid := statOwner(fi); uid != os.Getuid() || gid != os.Getgid() {
			t.Fatalf("owned by %d:%d, want %d:%d", uid, gid, os.Getuid(), os.Getgid())
		}
	}},
	compatCase{"cp CONTAINER:/etc/passwd -: the tar header keeps the container's owner", func(t *testing.T) {
		name := runDetached(t, "--network", "none", "busybox", "sh", "-c", "chown 1234:567 /etc/passwd && sleep 1000")
		eventually(t, 10*time.Second, "the chown", func() bool {
			return docker("exec", name, "stat", "-c", "%u", "/etc/passwd").stdout == "1234\n"
		})
		h, err := tar.NewReader(strings.NewReader(dockerOK(t, "cp", name+":/etc/passwd", "-"))).Next()
		if err != nil || h.Uid != 1234 || h.Gid != 567 {
			t.Fatalf("header %+v, %v", h, err)
		}
	}},
	compatCase{"create --shm-size 128m --ulimit nofile=1024:2048 ...; inspect -f HostConfig fields", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--shm-size", "128m", "--ulimit", "nofile=1024:2048", "--pid", "host", "--ipc", "shareable",
			"-m", "64m", "--memory-reservation", "32m", "--oom-kill-disable", "--group-add", "10", "--sysctl", "net.ipv4.ip_forward=1",
			"--log-driver", "none", "busybox")
		out := dockerOK(t, "inspect", "-f", "{{.HostConfig.ShmSize}} {{json .HostConfig.Ulimits}} {{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} "+
			"{{.HostConfig.MemoryReservation}} {{.HostConfig.OomKillDisable}} {{.HostConfig.GroupAdd}} {{.HostConfig.Sysctls}} {{.HostConfig.LogConfig.Type}}", name)
		want := `134217728 [{"Name":"nofile","Hard":2048,"Soft":1024}] host shareable 33554432 true [10] map[net.ipv4.ip_forward:1] none` + "\n"
		if out != want {
			t.Fatalf("inspect:\n%q\nwant\n%q", out, want)
		}
	}},
	compatCase{"create busybox; inspect -f '{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}}': Docker's defaults", func(t *testing.T) {
		out := dockerOK(t, "inspect", "-f", "{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.LogConfig.Type}}", fixture(t, compatCreated))
		if out != "67108864 private local\n" {
			t.Fatalf("inspect: %q", out)
		}
	}},
	compatCase{"create --stop-signal SIGUSR1 --stop-timeout 5; inspect -f '{{.Config.StopSignal}} {{.Config.StopTimeout}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--stop-signal", "USR1", "--stop-timeout", "5", "busybox")
		if out := dockerOK(t, "inspect", "-f", "{{.Config.StopSignal}} {{.Config.StopTimeout}}", name); out != "SIGUSR1 5\n" {
			t.Fatalf("inspect: %q", out)
		}
	}},
)
