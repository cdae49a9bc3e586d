//go:build integration

package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
)

type listRow struct {
	ID, Name, Status, Command string
	Pid                       uint32
	ExitCode                  int
}

// listed returns the list row of the container named name, if any.
func listed(t *testing.T, name string) (listRow, bool) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(lumper(t, "list", "--format", "json")), "\n") {
		if line == "" {
			continue
		}
		var r listRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("list --format json line %q: %v", line, err)
		}
		if r.Name == name {
			return r, true
		}
	}
	return listRow{}, false
}

func TestExitCodePropagation(t *testing.T) {
	t.Parallel()
	r := lumperRun("run", "--rm", "busybox", "sh", "-c", "exit 3")
	if r.code != 3 {
		t.Fatalf("want exit 3, got %s", r)
	}
	if r := lumperRun("run", "--rm", "busybox", "true"); r.code != 0 {
		t.Fatalf("true: %s", r)
	}
}

func TestCommandNotFoundAndNotExecutable(t *testing.T) {
	r := mustFail(t, 127, "run", "--rm", "busybox", "no-such-command")
	if !strings.Contains(r.stderr, "no-such-command") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("127 error should name the command in one line: %q", r.stderr)
	}
	mustFail(t, 126, "run", "--rm", "busybox", "/etc/passwd")
	// --rm removed both containers.
	for _, line := range strings.Split(lumper(t, "list", "--format", "{{.Command}}"), "\n") {
		if strings.Contains(line, "no-such-command") || strings.Contains(line, "/etc/passwd") {
			t.Fatalf("--rm left a container behind: %q", line)
		}
	}
}

func TestDetachedListStopRm(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	out := lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 1; done")
	id := strings.TrimSpace(out)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex ID", out)
	}
	row, ok := listed(t, name)
	if !ok || row.Status != "running" || row.Pid == 0 || row.ID != id {
		t.Fatalf("list row: %+v (found %v)", row, ok)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(int(row.Pid))); err != nil {
		t.Fatalf("listed PID %d does not exist on the host: %v", row.Pid, err)
	}
	table := lumper(t, "list")
	if !strings.HasPrefix(table, "ID") || !strings.Contains(table, id[:12]) || !strings.Contains(table, "running") {
		t.Fatalf("list table:\n%s", table)
	}
	for _, h := range []string{"ID", "NAME", "PID", "STATUS", "COMMAND", "CREATED"} {
		if !strings.Contains(strings.SplitN(table, "\n", 2)[0], h) {
			t.Fatalf("list header lacks %s: %q", h, table)
		}
	}

	// rm of a running container fails and leaves it running.
	r := mustFail(t, 1, "rm", name)
	if !strings.Contains(r.stderr, "stop it first") {
		t.Fatalf("rm error: %q", r.stderr)
	}
	if row, _ := listed(t, name); row.Status != "running" {
		t.Fatalf("after refused rm: %+v", row)
	}

	// stop kills it after the grace period, although it ignores SIGTERM.
	start := time.Now()
	lumper(t, "stop", "-t", "1", id[:12])
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("stop -t 1 took %v", d)
	}
	row, _ = listed(t, name)
	if row.Status != "exited" || row.ExitCode != 137 || row.Pid != 0 {
		t.Fatalf("after stop: %+v", row)
	}
	// Stopping a stopped container is not an error.
	lumper(t, "stop", name)

	lumper(t, "rm", name)
	if _, ok := listed(t, name); ok {
		t.Fatal("container still listed after rm")
	}
	assertGone(t, id, name)
}

func TestRmForce(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	lumper(t, "rm", "-f", name)
	assertGone(t, id, name)
	// The name is free again.
	lumper(t, "run", "--rm", "--name", name, "busybox", "true")
}

// assertGone checks that nothing of container id is left in containerd.
// assertRecordsGone fails unless containerd has no container record, no
// snapshot and no task for id.
func assertRecordsGone(t *testing.T, c *containerd.Client, ctx context.Context, id string) {
	t.Helper()
	if _, err := c.ContainerService().Get(ctx, id); !errdefs.IsNotFound(err) {
		t.Fatalf("container record still there: %v", err)
	}
	if _, err := c.SnapshotService("overlayfs").Stat(ctx, id); !errdefs.IsNotFound(err) {
		t.Fatalf("snapshot still there: %v", err)
	}
	if _, err := c.TaskService().Get(ctx, &tasks.GetRequest{ContainerID: id}); !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		t.Fatalf("task still there: %v", err)
	}
}

// assertGone fails unless container id (named name) left nothing behind:
// records, snapshot and task in containerd, shim (by command line and by
// its socket), logger, mounts, network namespace, leases (the name's, and
// any lease holding one of its resources), its directory and delete lock.
func assertGone(t *testing.T, id, name string) {
	t.Helper()
	c, ctx := ctd(t)
	assertRecordsGone(t, c, ctx, id)
	// The shim and the logger exit a moment after containerd deletes the task.
	eventually(t, 5*time.Second, "the shim of "+id+" to exit", func() bool { return len(shimsOf(id)) == 0 })
	eventually(t, 5*time.Second, "the logger of "+id+" to exit", func() bool { return procsOf(t, "lumper-logger", id) == 0 })
	if sock := shimSocket(id); fileExists(sock) {
		t.Fatalf("shim socket %s still there", sock)
	}
	if m := mountsMentioning(t, id); len(m) > 0 {
		t.Fatalf("mounts of %s still there: %q", id, m)
	}
	if ns := "/run/netns/lumper-" + id; fileExists(ns) {
		t.Fatalf("network namespace %s still there", ns)
	}
	ls, err := c.LeasesService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Labels["lumper.io/container"] == id || l.Labels["lumper.io/name"] == name {
			t.Fatalf("lease %s still there: %v", l.ID, l.Labels)
		}
		rs, err := c.LeasesService().ListResources(ctx, l)
		if err != nil {
			continue // deleted meanwhile
		}
		for _, r := range rs {
			if r.ID == id {
				t.Fatalf("lease %s still holds %s %s", l.ID, r.Type, r.ID)
			}
		}
	}
	if _, err := os.Stat(env.dataRoot + "/" + testNamespace + "/containers/" + id); !os.IsNotExist(err) {
		t.Fatalf("container directory still there: %v", err)
	}
	// The logger's reaper, woken by rm's kill, may take a lock (making its
	// file again) after rm removed it; it drops the file once it sees the
	// container gone.
	for _, lock := range []string{".delete", ".start"} {
		lock := env.dataRoot + "/" + testNamespace + "/locks/" + id + lock
		eventually(t, 10*time.Second, "lock "+lock+" to go", func() bool { return !fileExists(lock) })
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// shimSocket is the socket containerd's runc shim listens on for container
// id of the test namespace (shim.SocketAddress: /run/containerd/s/ and the
// sha256 of the daemon address, namespace and ID).
func shimSocket(id string) string {
	return shimSocketFor(env.address, testNamespace, id)
}

func shimSocketFor(address, ns, id string) string {
	sum := sha256.Sum256([]byte(filepath.Join(address, ns, id)))
	return "/run/containerd/s/" + hex.EncodeToString(sum[:])
}

// mountsMentioning lists the mount points whose path or source names id
// (the rootfs overlay, bind mounts of the container's files, its netns).
func mountsMentioning(t *testing.T, id string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, id) {
			out = append(out, line)
		}
	}
	return out
}

func TestDuplicateNameCreatesNothing(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000")
	before := lumper(t, "list", "-q")
	r := mustFail(t, 125, "run", "-d", "--name", name, "busybox", "sleep", "1000")
	if !strings.Contains(r.stderr, "in use") {
		t.Fatalf("duplicate name error: %q", r.stderr)
	}
	if after := lumper(t, "list", "-q"); after != before {
		t.Fatalf("a failed run changed the list:\n%s\n->\n%s", before, after)
	}
	mustFail(t, 125, "run", "--name", "bad name!", "busybox", "true")
}

func TestUnknownImageCreatesNothing(t *testing.T) {
	c, ctx := ctd(t)
	snapsBefore := countSnapshots(t)
	leasesBefore, _ := c.LeasesService().List(ctx)
	before := lumper(t, "list", "-q")
	// --pull never: the image is only looked for locally (pulls are tested
	// against a local registry in registry_test.go).
	r := mustFail(t, 125, "run", "--pull", "never", "--name", uniqueName(t), "no-such-image:1", "true")
	if !strings.Contains(r.stderr, "no-such-image") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("unknown image error: %q", r.stderr)
	}
	mustFail(t, 125, "run", "UPPER:case")
	if after := lumper(t, "list", "-q"); after != before {
		t.Fatalf("list changed: %q -> %q", before, after)
	}
	if n := countSnapshots(t); n != snapsBefore {
		t.Fatalf("snapshots: %d -> %d", snapsBefore, n)
	}
	if ls, _ := c.LeasesService().List(ctx); len(ls) != len(leasesBefore) {
		t.Fatalf("leases: %d -> %d", len(leasesBefore), len(ls))
	}
}

func countSnapshots(t *testing.T) int {
	t.Helper()
	c, ctx := ctd(t)
	n := 0
	if err := c.SnapshotService("overlayfs").Walk(ctx, func(context.Context, snapshots.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnvWorkdirHostnameEntrypoint(t *testing.T) {
	t.Parallel()
	out := lumper(t, "run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "--hostname", "box1", "busybox",
		"sh", "-c", `echo "$FOO $(pwd) $(hostname) $PATH"`)
	if out != "bar /tmp box1 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" {
		t.Fatalf("env/workdir/hostname: %q", out)
	}
	if out := lumper(t, "run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint"); out != "via entrypoint\n" {
		t.Fatalf("entrypoint: %q", out)
	}
	// Default hostname is the short ID, as in Docker.
	name := uniqueName(t)
	rmOnCleanup(t, name)
	out = lumper(t, "run", "--name", name, "busybox", "hostname")
	row, _ := listed(t, name)
	if strings.TrimSpace(out) != row.ID[:12] {
		t.Fatalf("hostname %q, want %q", out, row.ID[:12])
	}
	if row.Status != "exited" || row.ExitCode != 0 {
		t.Fatalf("foreground container after exit: %+v", row)
	}
}

func TestRunRmRemovesContainer(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	lumper(t, "run", "--rm", "--name", name, "busybox", "true")
	if _, ok := listed(t, name); ok {
		t.Fatal("--rm left the container")
	}
	lumper(t, "run", "--rm", "--name", name, "busybox", "true")
}

func TestIDPrefixResolution(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	lumper(t, "stop", "-t", "0", id[:5])
	mustFail(t, 1, "stop", "nonexistent-container")
	r := mustFail(t, 1, "rm", "ffffffffffffffffffffffff")
	if !strings.Contains(r.stderr, "No such container") {
		t.Fatalf("unknown container error: %q", r.stderr)
	}
}

func TestUnreachableContainerd(t *testing.T) {
	t.Parallel()
	r := mustFail(t, 1, "--address", "/nonexistent/containerd.sock", "list")
	if !strings.Contains(r.stderr, "/nonexistent/containerd.sock") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("unreachable error should be one line naming the address: %q", r.stderr)
	}
}

func TestStdinAndTTYFlags(t *testing.T) {
	t.Parallel()
	r := lumperStdin([]byte("piped\n"), "run", "--rm", "-i", "busybox", "cat")
	if r.code != 0 || r.stdout != "piped\n" {
		t.Fatalf("run -i with piped stdin: %s", r)
	}
	// Without -i the container's stdin is empty.
	r = lumperStdin([]byte("ignored\n"), "run", "--rm", "busybox", "cat")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("run without -i: %s", r)
	}
}

// TestInspectStateMountsAndCPU: inspect reports the process, its start and
// end, and the container's volumes; stats sees a busy container's CPU use.
func TestInspectStateMountsAndCPU(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	vol := t.TempDir()
	before := time.Now().Add(-time.Second)
	lumper(t, "run", "-d", "--name", name, "-v", vol+":/data:ro", "busybox", "sh", "-c", "while :; do :; done")
	type detail struct {
		State struct {
			Status     string
			Running    bool
			Pid        uint32
			ExitCode   int
			StartedAt  time.Time
			FinishedAt time.Time
		}
		Mounts []struct {
			Type, Source, Destination string
			RW                        bool
		}
	}
	inspect := func() detail {
		t.Helper()
		var d []detail
		if err := json.Unmarshal([]byte(lumper(t, "inspect", name)), &d); err != nil || len(d) != 1 {
			t.Fatalf("inspect: %v", err)
		}
		return d[0]
	}
	d := inspect()
	row, _ := listed(t, name)
	if !d.State.Running || d.State.Status != "running" || d.State.Pid == 0 || d.State.Pid != row.Pid {
		t.Fatalf("state of a running container: %+v (list PID %d)", d.State, row.Pid)
	}
	if d.State.StartedAt.Before(before) || d.State.StartedAt.After(time.Now()) || !d.State.FinishedAt.IsZero() {
		t.Fatalf("times of a running container: %+v", d.State)
	}
	found := false
	for _, m := range d.Mounts {
		if m.Destination == "/data" {
			found = m.Source == vol && !m.RW && m.Type == "bind"
		}
	}
	if !found {
		t.Fatalf("the volume is not in Mounts as a read-only bind of %s: %+v", vol, d.Mounts)
	}
	// A busy loop's share of a loaded 2-core machine (other tests, other
	// work) can be a few percent: stats must see some, where an idle
	// container shows 0.00%. Polled, as one sample may fall in a pause.
	var st struct{ CPUPerc string } // Docker's: "12.34%"
	var seen []string
	eventually(t, 30*time.Second, "stats to see the busy loop's CPU use", func() bool {
		if err := json.Unmarshal([]byte(lumper(t, "stats", "--no-stream", "--format", "json", name)), &st); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, st.CPUPerc)
		cpu, err := strconv.ParseFloat(strings.TrimSuffix(st.CPUPerc, "%"), 64)
		if err != nil {
			t.Fatalf("stats CPUPerc %q: %v", st.CPUPerc, err)
		}
		return cpu >= 1
	})
	t.Logf("stats CPU of a busy loop: %v", seen)
	lumper(t, "stop", "-t", "0", name)
	d = inspect()
	if d.State.Running || d.State.Pid != 0 || d.State.ExitCode != 137 || d.State.FinishedAt.Before(d.State.StartedAt) {
		t.Fatalf("state after stop: %+v", d.State)
	}
}
