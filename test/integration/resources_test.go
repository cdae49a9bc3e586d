//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
)

// cgroupLimits reads a running container's memory limit and CPU weight from
// its cgroup on the host, with containerd's cgroups library (v1 or v2).
// cgroupPathOf returns the cgroup path in the spec of the container name.
func cgroupPathOf(t *testing.T, name string) string {
	t.Helper()
	row, _ := listed(t, name)
	c, ctx := ctd(t)
	ctr, err := c.LoadContainer(ctx, row.ID)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Linux.CgroupsPath
}

func cgroupLimits(t *testing.T, name string) (memLimit uint64, shares uint64) {
	t.Helper()
	path := cgroupPathOf(t, name)
	if cgroups.Mode() == cgroups.Unified {
		m, err := cgroup2.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.Stat()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup", path, "cpu.weight"))
		weight, _ := strconv.ParseUint(strings.TrimSpace(string(w)), 10, 64)
		return st.GetMemory().GetUsageLimit(), weight
	}
	cg, err := cgroup1.Load(cgroup1.StaticPath(path))
	if err != nil {
		t.Fatal(err)
	}
	st, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpu", path, "cpu.shares"))
	if err != nil {
		t.Fatal(err)
	}
	shares, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return st.GetMemory().GetUsage().GetLimit(), shares
}

func TestMemoryAndCPUSharesInCgroup(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "-m", "64m", "-c", "512", "busybox", "sleep", "100000")
	mem, shares := cgroupLimits(t, name)
	if mem != 64<<20 {
		t.Fatalf("memory limit in the cgroup: %d", mem)
	}
	if cgroups.Mode() != cgroups.Unified && shares != 512 {
		t.Fatalf("cpu.shares in the cgroup: %d", shares)
	}
	if cgroups.Mode() == cgroups.Unified && shares == 100 {
		t.Fatalf("cpu.weight left at the default 100 for 512 shares")
	}
	inside := "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	if cgroups.Mode() == cgroups.Unified {
		inside = "/sys/fs/cgroup/memory.max"
	}
	if out := lumper(t, "exec", name, "cat", inside); strings.TrimSpace(out) != strconv.Itoa(64<<20) {
		t.Fatalf("limit seen inside: %q", out)
	}
	var d []struct {
		HostConfig struct {
			Memory    int64
			CpuShares uint64
		}
	}
	if err := json.Unmarshal([]byte(lumper(t, "inspect", name)), &d); err != nil || len(d) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	if d[0].HostConfig.Memory != 64<<20 || d[0].HostConfig.CpuShares != 512 {
		t.Fatalf("inspect limits: %+v", d[0].HostConfig)
	}
	// stats shows usage and the limit.
	var st struct{ MemUsage, PIDs string } // Docker's: "1.2MiB / 64MiB", "1"
	if err := json.Unmarshal([]byte(lumper(t, "stats", "--no-stream", "--format", "json", name)), &st); err != nil {
		t.Fatal(err)
	}
	if usage, limit, _ := strings.Cut(st.MemUsage, " / "); usage == "0B" || usage == "" || limit != "64MiB" || st.PIDs != "1" {
		t.Fatalf("stats: %+v", st)
	}
	if out := lumper(t, "stats", "--no-stream", name); !strings.Contains(out, "64MiB") {
		t.Fatalf("stats table: %q", out)
	}
}

func TestOOMKilled(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	r := lumperRun("run", "--name", name, "-m", "16m", "--memory-swap", "16m", "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	if r.code != 137 {
		t.Fatalf("want exit 137, got %s", r)
	}
	if out := lumper(t, "inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", name); out != "137 true\n" {
		t.Fatalf("inspect: %q", out)
	}
	// And a container that was not OOM-killed says so.
	lumper(t, "run", "--name", name+"-ok", "busybox", "true")
	rmOnCleanup(t, name+"-ok")
	if out := lumper(t, "inspect", "--format", "{{.State.OOMKilled}}", name+"-ok"); out != "false\n" {
		t.Fatalf("inspect of a clean exit: %q", out)
	}
}

func TestCpuset(t *testing.T) {
	t.Parallel()
	for _, set := range []string{"0", "0-1", "0,1"} {
		if set != "0" && len(onlineCPUs(t)) < 2 {
			continue
		}
		out := lumper(t, "run", "--rm", "--cpuset", set, "busybox", "grep", "Cpus_allowed_list", "/proc/self/status")
		want := map[string]string{"0": "0", "0-1": "0-1", "0,1": "0-1"}[set]
		if got := strings.TrimSpace(strings.TrimPrefix(out, "Cpus_allowed_list:")); got != want {
			t.Fatalf("--cpuset %s: Cpus_allowed_list %q", set, got)
		}
	}
	if out := lumper(t, "run", "--rm", "--cpuset-cpus", "0", "busybox", "grep", "Cpus_allowed_list", "/proc/self/status"); !strings.HasSuffix(strings.TrimSpace(out), "\t0") {
		t.Fatalf("--cpuset-cpus alias: %q", out)
	}
}

func onlineCPUs(t *testing.T) []string {
	b, _ := os.ReadFile("/sys/devices/system/cpu/online")
	if strings.TrimSpace(string(b)) == "0" {
		return []string{"0"}
	}
	return []string{"0", "1"}
}

func TestVolumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	missing := filepath.Join(dir, "created", "by", "lumper")
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := lumper(t, "run", "--name", name,
		"-v", dir+":/rw", "-v", dir+":/ro:ro", "-v", missing+":/new", "-v", file+":/etc/hostfile:ro",
		"--mount", "type=bind,src="+dir+",dst=/long,readonly", "--tmpfs", "/scratch",
		"busybox", "sh", "-c",
		`echo written > /rw/out; cat /etc/hostfile; echo x > /ro/nope 2>&1 || true; echo y > /long/nope || true; touch /new/ok; echo t > /scratch/t && cat /scratch/t; grep -q " /scratch tmpfs" /proc/mounts && echo tmpfs`)
	if !strings.Contains(out, "from host") || !strings.Contains(out, "t\ntmpfs") {
		t.Fatalf("volume run output: %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != "written\n" {
		t.Fatalf("rw write not visible on host: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); !os.IsNotExist(err) {
		t.Fatal(":ro or readonly mount was writable")
	}
	if _, err := os.Stat(filepath.Join(missing, "ok")); err != nil {
		t.Fatalf("missing host directory not created: %v", err)
	}
	r := lumperRun("run", "--rm", "-v", dir+":/ro:ro", "busybox", "touch", "/ro/x")
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("write to :ro: %s", r)
	}
	lumper(t, "rm", name)
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != "written\n" {
		t.Fatalf("volume data did not survive rm: %v", err)
	}
}

func TestEnvPrecedence(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { lumperRun("rmi", "-f", "envimg:1") })
	lumper(t, "import", "-c", "ENV A=image B=image C=image", env.images.rootfs, "envimg:1")
	f := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(f, []byte("# comment\nA=file\nB=file\n\nHOSTVAR\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := lumperCmd("run", "--rm", "--env-file", f, "-e", "A=cli", "-e", "HOSTVAR2", "envimg:1", "sh", "-c", `echo $A $B $C $HOSTVAR $HOSTVAR2`)
	cmd.Env = append(cmd.Env, "HOSTVAR=h1", "HOSTVAR2=h2")
	out, err := cmd.Output()
	if err != nil || string(out) != "cli file image h1 h2\n" {
		t.Fatalf("env precedence: %q %v", out, err)
	}
}

func TestSecurityOptions(t *testing.T) {
	t.Parallel()
	if out := lumper(t, "run", "--rm", "-u", "65534:65534", "busybox", "id"); !strings.Contains(out, "uid=65534") || !strings.Contains(out, "gid=65534") {
		t.Fatalf("--user: %q", out)
	}
	if r := lumperRun("run", "--rm", "--read-only", "busybox", "touch", "/x"); r.code == 0 {
		t.Fatal("--read-only root was writable")
	}
	// Default isolation: no mount, no sysrq, no kernel modules; --privileged lifts mount.
	if r := lumperRun("run", "--rm", "busybox", "mount", "-t", "tmpfs", "t", "/tmp"); r.code == 0 {
		t.Fatal("mount succeeded in a default container")
	}
	if r := lumperRun("run", "--rm", "busybox", "sh", "-c", "echo h > /proc/sysrq-trigger"); r.code == 0 {
		t.Fatal("/proc/sysrq-trigger writable in a default container")
	}
	if r := lumperRun("run", "--rm", "--privileged", "busybox", "mount", "-t", "tmpfs", "t", "/tmp"); r.code != 0 {
		t.Fatalf("mount in a --privileged container: %s", r)
	}
	if out := lumper(t, "run", "--rm", "--cap-drop", "CHOWN", "busybox", "sh", "-c", "chown 1 /tmp && echo chowned || echo denied"); out != "denied\n" {
		t.Fatalf("--cap-drop CHOWN: %q", out)
	}
	if out := lumper(t, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); strings.TrimSpace(out) != "lo" {
		t.Fatalf("--network none interfaces: %q", out)
	}
	if ns, host := containerNetNS(t, "--network", "host"), hostNetNS(t); ns != host {
		t.Fatalf("--network host: the container is in network namespace %s, the host in %s", ns, host)
	}
}

func TestBadRunInputCreatesNothing(t *testing.T) {
	before := lumper(t, "list", "-a", "-q")
	dir := t.TempDir()
	unreadable := filepath.Join(dir, "missing.env")
	for _, args := range [][]string{
		{"-m", "foo"}, {"-m", "1k"}, {"--cpuset", "99"}, {"--cpuset", "1-0"}, {"-c", "-5"},
		{"-v", "./relative:/x"}, {"-v", "bad@name:/x"}, {"-v", "/a:/b:bogus"}, {"-e", "=x"}, {"--env-file", unreadable},
		{"--memory-swap", "1m", "-m", "64m"}, {"--cap-add", "NOPE"}, {"--network", "nosuchnet"},
		{"--security-opt", "bogus"}, {"--pids-limit", "-5"}, {"--tmpfs", "relative"},
	} {
		full := append(append([]string{"run", "--name", uniqueName(t)}, args...), "busybox", "true")
		r := mustFail(t, 125, full...)
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 || r.stderr == "" {
			t.Errorf("%v: error is not one line: %q", args, r.stderr)
		}
	}
	if after := lumper(t, "list", "-a", "-q"); after != before {
		t.Fatalf("bad input changed the list: %q -> %q", before, after)
	}
	if _, err := os.Stat("relative"); err == nil {
		t.Fatal("a relative -v created a directory")
	}
}

func TestTop(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 1000 & sleep 2000")
	var out string
	eventually(t, 30*time.Second, "two processes", func() bool {
		out = lumper(t, "top", "--format", "{{.Command}}", name)
		return strings.Contains(out, "sleep 1000") && strings.Contains(out, "sleep 2000")
	})
	row, _ := listed(t, name)
	table := lumper(t, "top", name)
	if !strings.HasPrefix(table, "PID") || !strings.Contains(table, strconv.Itoa(int(row.Pid))) {
		t.Fatalf("top table lacks the init's host PID %d:\n%s", row.Pid, table)
	}
	stopped := uniqueName(t) + "-stopped"
	rmOnCleanup(t, stopped)
	lumper(t, "run", "--name", stopped, "busybox", "true")
	mustFail(t, 1, "top", stopped)
}

// TestCPUQuotaAndPidsLimitInCgroup: --cpus becomes a CFS quota over the
// default period, --pids-limit the pids controller's maximum, and the kernel
// enforces the latter.
func TestCPUQuotaAndPidsLimitInCgroup(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--cpus", "0.5", "--pids-limit", "20", "busybox", "sleep", "100000")
	path := cgroupPathOf(t, name)
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if cgroups.Mode() == cgroups.Unified {
		if got := read(filepath.Join("/sys/fs/cgroup", path, "cpu.max")); got != "50000 100000" {
			t.Fatalf("cpu.max: %q", got)
		}
		if got := read(filepath.Join("/sys/fs/cgroup", path, "pids.max")); got != "20" {
			t.Fatalf("pids.max: %q", got)
		}
	} else {
		quota := read(filepath.Join("/sys/fs/cgroup/cpu", path, "cpu.cfs_quota_us"))
		period := read(filepath.Join("/sys/fs/cgroup/cpu", path, "cpu.cfs_period_us"))
		if quota != "50000" || period != "100000" {
			t.Fatalf("cfs quota/period: %s/%s", quota, period)
		}
		if got := read(filepath.Join("/sys/fs/cgroup/pids", path, "pids.max")); got != "20" {
			t.Fatalf("pids.max: %q", got)
		}
	}
	// 30 more processes do not fit under 20.
	r := lumperRun("exec", name, "sh", "-c", "for i in $(seq 30); do sleep 30 </dev/null >/dev/null 2>&1 & done 2>&1; echo started")
	if !strings.Contains(r.stdout+r.stderr, "can't fork") && !strings.Contains(r.stdout+r.stderr, "Resource temporarily unavailable") {
		t.Fatalf("30 processes started under --pids-limit 20: %s", r)
	}
}
