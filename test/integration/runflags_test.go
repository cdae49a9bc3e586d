//go:build integration

package integration

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 16 items 5 and 8: run/create flags and the runtime defaults Docker
// users rely on, each shown by its effect in the container or the kernel.

// runOut runs `lumper run --rm ARGS...` and returns its stdout.
func runOut(t *testing.T, args ...string) string {
	t.Helper()
	return lumper(t, append([]string{"run", "--rm"}, args...)...)
}

func TestRunShmSizeUlimitMemory(t *testing.T) {
	t.Parallel()
	if out := runOut(t, "--network", "none", "--shm-size", "128m", "busybox", "df", "-k", "/dev/shm"); !strings.Contains(out, " 131072 ") {
		t.Fatalf("--shm-size 128m: df says %q", out)
	}
	if out := runOut(t, "--network", "none", "busybox", "df", "-k", "/dev/shm"); !strings.Contains(out, " 65536 ") {
		t.Fatalf("default /dev/shm: df says %q (want 64 MiB, as Docker)", out)
	}
	if out := runOut(t, "--network", "none", "--ulimit", "nofile=1024:2048", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"); out != "1024\n2048\n" {
		t.Fatalf("--ulimit nofile=1024:2048: %q", out)
	}
	out := runOut(t, "--network", "none", "-m", "64m", "--memory-reservation", "32m", "--oom-kill-disable", "busybox", "sh", "-c",
		"cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control")
	if out != "33554432\noom_kill_disable 1\n" {
		t.Fatalf("--memory-reservation 32m --oom-kill-disable: %q", out)
	}
}

func TestRunSysctlAndUnprivilegedPorts(t *testing.T) {
	t.Parallel()
	out := runOut(t, "--network", "none", "--sysctl", "net.ipv4.tcp_keepalive_time=600", "busybox",
		"cat", "/proc/sys/net/ipv4/tcp_keepalive_time", "/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if out != "600\n0\n" {
		t.Fatalf("--sysctl and the default unprivileged port start: %q", out)
	}
	// A non-root process binds port 80 on the default network, as on Docker
	// (httpd binds before it daemonizes, so its status says).
	if out := runOut(t, "-u", "1000", "busybox", "sh", "-c", "httpd -p 80 && echo bound"); out != "bound\n" {
		t.Fatalf("-u 1000 httpd -p 80: %q", out)
	}
	// The contrast: with the kernel's default, the same bind is refused.
	r := lumperRun("run", "--rm", "-u", "1000", "--sysctl", "net.ipv4.ip_unprivileged_port_start=1024", "busybox", "sh", "-c", "httpd -p 80 && echo bound")
	if r.code == 0 || strings.Contains(r.stdout, "bound") {
		t.Fatalf("port 80 bound by uid 1000 with ip_unprivileged_port_start=1024: %s", r)
	}
	// The host's network is left alone.
	host, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if out := runOut(t, "--network", "host", "busybox", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"); out != string(host) {
		t.Fatalf("--network host: %q, the host has %q", out, host)
	}
}

func TestRunDeviceGroupAddUserns(t *testing.T) {
	t.Parallel()
	if out := runOut(t, "--network", "none", "--device", "/dev/null:/dev/xnull", "busybox", "sh", "-c", "echo hi > /dev/xnull && stat -c %t,%T /dev/xnull"); out != "1,3\n" {
		t.Fatalf("--device /dev/null:/dev/xnull: %q", out)
	}
	// The permissions go to the device cgroup (/dev/null is allowed rwm
	// anyway, as on Docker: take a device that is not).
	out := runOut(t, "--network", "none", "--device", "/dev/loop-control:/dev/lc:r", "busybox", "sh", "-c",
		"stat -c %t,%T /dev/lc; cat /sys/fs/cgroup/devices/devices.list")
	if !strings.HasPrefix(out, "a,ed\n") || !strings.Contains(out, "c 10:237 r\n") {
		t.Fatalf("--device /dev/loop-control:/dev/lc:r: %q", out)
	}
	if out := runOut(t, "--network", "none", "busybox", "sh", "-c", "cat /sys/fs/cgroup/devices/devices.list"); strings.Contains(out, "c 10:237") {
		t.Fatalf("without --device, loop-control is allowed: %q", out)
	}
	if out := runOut(t, "--network", "none", "-u", "1000:1000", "--group-add", "10", "--group-add", "nogroup", "busybox", "id", "-G"); out != "1000 10 65534\n" {
		t.Fatalf("--group-add 10 --group-add nogroup: id -G = %q", out)
	}
	if out := runOut(t, "--network", "none", "--group-add", "4242", "busybox", "id", "-G"); !strings.Contains(" "+strings.TrimSpace(out)+" ", " 4242 ") {
		t.Fatalf("--group-add 4242 without -u: id -G = %q", out)
	}
	runOut(t, "--network", "none", "--userns", "host", "busybox", "true")
	r := mustFail(t, 125, "run", "--rm", "--userns", "private", "busybox", "true")
	if !strings.Contains(r.stderr, "--userns=host") {
		t.Fatalf("--userns private: %s", r)
	}
}

func TestRunPidAndIpcNamespaces(t *testing.T) {
	t.Parallel()
	// --pid host sees the host's processes (this test's among them).
	me := strconv.Itoa(os.Getpid())
	if out := runOut(t, "--network", "none", "--pid", "host", "busybox", "sh", "-c", "test -d /proc/"+me+" && echo seen"); out != "seen\n" {
		t.Fatalf("--pid host: %q", out)
	}
	if out := runOut(t, "--network", "none", "busybox", "sh", "-c", "test -d /proc/"+me+" || echo private"); out != "private\n" {
		t.Fatalf("default PID namespace: %q", out)
	}
	// --pid container:NAME sees that container's processes; --ipc
	// container:NAME shares its System V IPC and /dev/shm... namespace.
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "--ipc", "shareable", "busybox", "sleep", "1001")
	if out := runOut(t, "--network", "none", "--pid", "container:"+name, "busybox", "ps", "-o", "args"); !strings.Contains(out, "sleep 1001") {
		t.Fatalf("--pid container:%s: ps = %q", name, out)
	}
	ipcOf := func(ref string) string {
		return strings.TrimSpace(lumper(t, "exec", ref, "readlink", "/proc/self/ns/ipc"))
	}
	if out := strings.TrimSpace(runOut(t, "--network", "none", "--ipc", "container:"+name, "busybox", "readlink", "/proc/self/ns/ipc")); out != ipcOf(name) {
		t.Fatalf("--ipc container:%s: namespace %q, want %q", name, out, ipcOf(name))
	}
	r := mustFail(t, 125, "run", "--rm", "--pid", "container:nosuch", "busybox", "true")
	if !strings.Contains(r.stderr, "nosuch") {
		t.Fatalf("--pid container:nosuch: %s", r)
	}
	// --ipc host: the host's IPC namespace and /dev/shm.
	hostIPC, err := os.Readlink("/proc/self/ns/ipc")
	if err != nil {
		t.Fatal(err)
	}
	if out := strings.TrimSpace(runOut(t, "--network", "none", "--ipc", "host", "busybox", "readlink", "/proc/self/ns/ipc")); out != hostIPC {
		t.Fatalf("--ipc host: %q, the host's is %q", out, hostIPC)
	}
	// --ipc none: no /dev/shm.
	if out := runOut(t, "--network", "none", "--ipc", "none", "busybox", "sh", "-c", "grep -c ' /dev/shm ' /proc/mounts; true"); out != "0\n" {
		t.Fatalf("--ipc none: /dev/shm mounts %q", out)
	}
}

func TestRunStopSignalAndStopTimeout(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "--stop-signal", "SIGUSR1", "busybox", "sh", "-c",
		`trap "echo got usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done`)
	eventually(t, 10*time.Second, "the trap to be set", func() bool { return strings.Contains(lumperRun("logs", name).stdout, "ready") })
	lumper(t, "stop", name)
	if out := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.State.ExitCode}}", name)); out != "7" {
		t.Fatalf("--stop-signal SIGUSR1: exit code %s, want 7 (the trap's)", out)
	}
	if !strings.Contains(lumper(t, "logs", name), "got usr1") {
		t.Fatal("--stop-signal SIGUSR1: the trap did not run")
	}

	// --stop-timeout: stop without -t waits that long, not 10 s.
	name2 := name + "-t"
	rmOnCleanup(t, name2)
	lumper(t, "run", "-d", "--name", name2, "--network", "none", "--stop-timeout", "1", "busybox", "sh", "-c",
		`trap "" TERM; echo ready; while :; do sleep 0.1; done`)
	eventually(t, 10*time.Second, "the trap to be set", func() bool { return strings.Contains(lumperRun("logs", name2).stdout, "ready") })
	start := time.Now()
	lumper(t, "stop", name2)
	if d := time.Since(start); d < 900*time.Millisecond || d > 6*time.Second {
		t.Fatalf("stop with --stop-timeout 1 took %v", d)
	}
	if out := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.State.ExitCode}}", name2)); out != "137" {
		t.Fatalf("--stop-timeout: exit code %s, want 137 (killed)", out)
	}
	// -t still wins.
	lumper(t, "start", name2)
	eventually(t, 10*time.Second, "the restart", func() bool {
		return strings.TrimSpace(lumperRun("inspect", "--format", "{{.State.Status}}", name2).stdout) == "running"
	})
	start = time.Now()
	lumper(t, "stop", "-t", "0", name2)
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Fatalf("stop -t 0 took %v", d)
	}
}

func TestRunCidfile(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	cid := filepath.Join(t.TempDir(), "cid")
	id := strings.TrimSpace(lumper(t, "create", "--cidfile", cid, "--name", name, "busybox", "true"))
	b, err := os.ReadFile(cid)
	if err != nil || string(b) != id || len(id) != 64 {
		t.Fatalf("--cidfile holds %q (%v), create printed %q", b, err, id)
	}
	r := mustFail(t, 125, "run", "--rm", "--cidfile", cid, "--name", name+"-2", "busybox", "true")
	if !strings.Contains(r.stderr, "container ID file found") {
		t.Fatalf("existing --cidfile: %s", r)
	}
	if containerExists(t, name+"-2") {
		t.Fatal("a container was created although its --cidfile exists")
	}
	if out := lumper(t, "inspect", "-f", "{{.HostConfig.ContainerIDFile}}", name); out != cid+"\n" {
		t.Fatalf("inspect ContainerIDFile %q, want %q", out, cid)
	}
	// A --cidfile that cannot be created costs no container.
	mustFail(t, 125, "run", "--rm", "--cidfile", filepath.Join(cid, "sub"), "--name", name+"-3", "busybox", "true")
	if containerExists(t, name+"-3") {
		t.Fatal("a container was created although its --cidfile cannot be")
	}
	// A failed create leaves no --cidfile.
	cid2 := filepath.Join(t.TempDir(), "cid2")
	mustFail(t, 125, "create", "--cidfile", cid2, "--name", name, "busybox")
	if _, err := os.Stat(cid2); !os.IsNotExist(err) {
		t.Fatalf("a failed create left its --cidfile: %v", err)
	}
}

func TestRunLogDriver(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "--log-driver", "none", "busybox", "sh", "-c", "echo secret; sleep 1000")
	id := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.Id}}", name))
	r := mustFail(t, 1, "logs", name)
	if !strings.Contains(r.stderr, "configured logging driver does not support reading") || r.stdout != "" {
		t.Fatalf("logs of a --log-driver none container: %s", r)
	}
	lumper(t, "stop", "-t", "0", name)
	if _, err := os.Stat(filepath.Join(env.dataRoot, testNamespace, "containers", id, "container.log")); !os.IsNotExist(err) {
		t.Fatalf("--log-driver none wrote a log: %v", err)
	}
	// A foreground run still shows its output, and keeps no log.
	name2 := name + "-fg"
	rmOnCleanup(t, name2)
	if out := lumper(t, "run", "--name", name2, "--network", "none", "--log-driver", "none", "busybox", "echo", "shown"); out != "shown\n" {
		t.Fatalf("foreground --log-driver none: %q", out)
	}
	mustFail(t, 1, "logs", name2)
	// json-file and local are lumper's own log.
	for _, d := range []string{"json-file", "local"} {
		n := name + "-" + d
		rmOnCleanup(t, n)
		lumper(t, "run", "--name", n, "--network", "none", "--log-driver", d, "busybox", "echo", "kept")
		if out := lumper(t, "logs", n); out != "kept\n" {
			t.Fatalf("--log-driver %s: logs %q", d, out)
		}
	}
}

func TestRunExposeWithPublishAll(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "-P", "--expose", "8080", "busybox", "httpd", "-f", "-p", "8080")
	ports := lumper(t, "ps", "--filter", "name="+name, "--format", "{{.Ports}}")
	if !strings.Contains(ports, "->8080/tcp") {
		t.Fatalf("-P --expose 8080: ports %q", ports)
	}
}

func TestCpOutOwnedByCaller(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c",
		"mkdir /d && echo x > /d/f && chown -R 1234:567 /d && sleep 1000")
	eventually(t, 10*time.Second, "the file", func() bool {
		return lumperRun("exec", name, "stat", "-c", "%u", "/d/f").stdout == "1234\n"
	})
	dst := filepath.Join(t.TempDir(), "out")
	lumper(t, "cp", name+":/d", dst)
	for _, p := range []string{dst, filepath.Join(dst, "f")} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
			t.Fatalf("%s owned by %d:%d, want the caller's %d:%d, as Docker's cp", p, st.Uid, st.Gid, os.Getuid(), os.Getgid())
		}
	}
	// A tar stream keeps the container's owners (Docker's too).
	h, err := tar.NewReader(strings.NewReader(lumper(t, "cp", name+":/d/f", "-"))).Next()
	if err != nil || h.Uid != 1234 || h.Gid != 567 {
		t.Fatalf("cp to -: header %+v, %v; want owner 1234:567", h, err)
	}
}

// statOwner is a file's UID and GID.
func statOwner(fi os.FileInfo) (int, int) {
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}
