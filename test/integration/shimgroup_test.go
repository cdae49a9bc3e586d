//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Shim groups (issue 17 item 1): by default lumper's containers share a
// containerd shim per group (the io.containerd.runc.v2.group annotation).
// The rest of the suite pins LUMPER_SHIM=isolated (main_test.go: its tests
// find, kill and count shims by container ID); these tests run with the
// default, each in a namespace of its own, since groups fill up per
// namespace.

// groupNS is a private namespace with busybox loaded, where lumper runs
// with its default shim setting.
type groupNS struct{ ns string }

func newGroupNS(t *testing.T) groupNS {
	t.Helper()
	sum := sha256.Sum256([]byte(t.Name()))
	g := groupNS{ns: "shimgroup-" + hex.EncodeToString(sum[:6])}
	if r := g.run("load", "-q", "-i", env.images.docker); r.code != 0 {
		t.Fatalf("loading busybox: %s", r)
	}
	t.Cleanup(func() {
		for _, id := range strings.Fields(g.run("list", "-aq").stdout) {
			g.run("rm", "-f", id)
		}
	})
	return g
}

func (g groupNS) run(args ...string) result {
	cmd := lumperCmd(args...)
	// The last value of a key wins: the default shim setting, this namespace.
	cmd.Env = append(cmd.Env, "LUMPER_NAMESPACE="+g.ns, "LUMPER_SHIM=")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		code = -1
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (g groupNS) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := g.run(args...)
	if r.code != 0 {
		t.Fatalf("lumper %s: %s", strings.Join(args, " "), r)
	}
	return strings.TrimSpace(r.stdout)
}

func (g groupNS) inspect(t *testing.T, name, format string) string {
	t.Helper()
	return g.ok(t, "inspect", "--format", format, name)
}

// shimOf is the shim serving a running container: its init's parent (the
// shim is the subreaper of the containers it runs).
func (g groupNS) shimOf(t *testing.T, name string) int {
	t.Helper()
	pid := g.inspect(t, name, "{{.State.Pid}}")
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatalf("reading the status of %s's init %s: %v", name, pid, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PPid:"); ok {
			ppid, _ := strconv.Atoi(strings.TrimSpace(v))
			if args := procArgs(ppid); len(args) == 0 || filepath.Base(args[0]) != "containerd-shim-runc-v2" {
				t.Fatalf("the parent %d of %s's init is not a shim: %q", ppid, name, args)
			}
			return ppid
		}
	}
	t.Fatalf("no PPid for %s's init", name)
	return 0
}

// groupSocket is the socket of lumper's shim group g in this namespace.
func (g groupNS) groupSocket(group string) string {
	return shimSocketFor(env.address, g.ns, group)
}

// alive reports whether pid runs (a zombie, dead but not yet reaped by its
// parent, does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// assertNothingLeft checks that nothing of container id survives outside
// containerd's records: its netns, mounts, logger.
func assertNothingLeft(t *testing.T, id string) {
	t.Helper()
	eventually(t, 10*time.Second, "the logger of "+id+" to exit", func() bool { return procsOf(t, "lumper-logger", id) == 0 })
	// The exit is recorded first, then the network released: poll.
	ns := "/run/netns/lumper-" + id
	eventually(t, 10*time.Second, "network namespace "+ns+" to go", func() bool { return !fileExists(ns) })
	eventually(t, 10*time.Second, "the mounts of "+id+" to go", func() bool { return len(mountsMentioning(t, id)) == 0 })
}

// TestShimGroupShared: containers run by default share one shim; removing
// one leaves the others running; --shim isolated gets a shim of its own; the
// group's shim exits with its last task, and its socket goes.
func TestShimGroupShared(t *testing.T) {
	t.Parallel()
	g := newGroupNS(t)
	names := []string{"a", "b", "c"}
	for _, n := range names {
		g.ok(t, "run", "-d", "--name", n, "busybox", "sleep", "1000")
	}
	shim := g.shimOf(t, "a")
	for _, n := range names[1:] {
		if s := g.shimOf(t, n); s != shim {
			t.Fatalf("%s runs in shim %d, a in %d: not one group", n, s, shim)
		}
	}
	sock := g.groupSocket("lumper-0")
	if !fileExists(sock) {
		t.Fatalf("group socket %s missing", sock)
	}
	g.ok(t, "run", "-d", "--shim", "isolated", "--name", "iso", "busybox", "sleep", "1000")
	if s := g.shimOf(t, "iso"); s == shim {
		t.Fatalf("--shim isolated runs in the group's shim %d", s)
	}
	isoShim := g.shimOf(t, "iso")

	// Removing one (the group's first, whose ID the shim was started with)
	// leaves the others running in the same shim.
	aID := g.inspect(t, "a", "{{.Id}}")
	g.ok(t, "rm", "-f", "a")
	// Nor do the orphan-shim sweeps of rm and container prune end a group
	// shim that still serves live containers.
	g.ok(t, "run", "--name", "done", "busybox", "true")
	g.ok(t, "rm", "done")
	g.ok(t, "container", "prune", "-f")
	for _, n := range []string{"b", "c"} {
		if st := g.inspect(t, n, "{{.State.Status}}"); st != "running" {
			t.Fatalf("%s is %s after rm -f a", n, st)
		}
		if s := g.shimOf(t, n); s != shim {
			t.Fatalf("%s moved from shim %d to %d", n, shim, s)
		}
	}
	assertNothingLeft(t, aID)
	// A stop leaves the shim too; the last task's delete ends it.
	g.ok(t, "stop", "-t", "0", "b")
	if !alive(shim) {
		t.Fatal("the group's shim exited while c still runs")
	}
	g.ok(t, "rm", "-f", "c")
	eventually(t, 10*time.Second, "the group's shim to exit with its last task", func() bool { return !alive(shim) })
	eventually(t, 5*time.Second, "the group's socket to go", func() bool { return !fileExists(sock) })
	if !alive(isoShim) {
		t.Fatal("the isolated container's shim exited with the group")
	}
	if st := g.inspect(t, "iso", "{{.State.Status}}"); st != "running" {
		t.Fatalf("iso is %s", st)
	}
	// A new start in the group starts a new shim.
	g.ok(t, "start", "b")
	if s := g.shimOf(t, "b"); s == shim || s == isoShim {
		t.Fatalf("b restarted in shim %d", s)
	}
}

// TestShimGroupKilled: kill -9 of a group's shim ends every member: each is
// reported exited (137) with the reason, a --restart always member comes
// back, and nothing of the others lingers (shim, logger, netns, mounts).
func TestShimGroupKilled(t *testing.T) {
	t.Parallel()
	g := newGroupNS(t)
	g.ok(t, "run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000")
	g.ok(t, "run", "-d", "--name", "m1", "busybox", "sleep", "1000")
	g.ok(t, "run", "-d", "--name", "m2", "-p", "80", "busybox", "sleep", "1000")
	shim := g.shimOf(t, "always")
	if g.shimOf(t, "m1") != shim || g.shimOf(t, "m2") != shim {
		t.Fatal("the three containers do not share a shim")
	}
	oldPid := g.inspect(t, "always", "{{.State.Pid}}")
	ids := map[string]string{}
	for _, n := range []string{"m1", "m2"} {
		ids[n] = g.inspect(t, n, "{{.Id}}")
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"m1", "m2"} {
		eventually(t, 15*time.Second, n+" to be reported exited with the reason", func() bool {
			out := g.run("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", n).stdout
			return strings.HasPrefix(out, "exited 137 ") && strings.Contains(out, "shim") && strings.Contains(out, "died")
		})
		if out := g.ok(t, "ps", "-a", "--filter", "name="+n, "--format", "{{.Status}}"); !strings.HasPrefix(out, "Exited (137)") {
			t.Fatalf("ps shows %s as %q", n, out)
		}
		assertNothingLeft(t, ids[n])
	}
	eventually(t, 20*time.Second, "the --restart always member to come back", func() bool {
		out := g.run("inspect", "--format", "{{.State.Status}} {{.State.Pid}}", "always").stdout
		f := strings.Fields(out)
		return len(f) == 2 && f[0] == "running" && f[1] != oldPid && f[1] != "0"
	})
	if alive(shim) {
		t.Fatal("the killed shim is still there")
	}
	if n := g.inspect(t, "always", "{{.RestartCount}}"); n == "0" {
		t.Fatal("restart count not raised")
	}
	// Started again, a member runs in a new shim; the reason is cleared.
	g.ok(t, "start", "m1")
	if e := g.inspect(t, "m1", "{{.State.Error}}"); e != "" {
		t.Fatalf("State.Error after a new start: %q", e)
	}
	for _, n := range []string{"always", "m1", "m2"} {
		id := g.inspect(t, n, "{{.Id}}")
		g.ok(t, "rm", "-f", n)
		assertNothingLeft(t, id)
	}
	eventually(t, 10*time.Second, "the group's socket to go", func() bool { return !fileExists(g.groupSocket("lumper-0")) })
}

// TestShimGroupJoinWhileLastDeleted: a container that joins a group while
// the group's last task is deleted (its shim shutting down) still starts.
func TestShimGroupJoinWhileLastDeleted(t *testing.T) {
	t.Parallel()
	g := newGroupNS(t)
	for i := 0; i < 4; i++ {
		old, nw := "old"+strconv.Itoa(i), "new"+strconv.Itoa(i)
		g.ok(t, "run", "-d", "--network", "none", "--name", old, "busybox", "sleep", "1000")
		var wg sync.WaitGroup
		var rm, run result
		wg.Add(2)
		go func() { defer wg.Done(); rm = g.run("rm", "-f", old) }()
		go func() {
			defer wg.Done()
			run = g.run("run", "-d", "--network", "none", "--name", nw, "busybox", "sleep", "1000")
		}()
		wg.Wait()
		if rm.code != 0 || run.code != 0 {
			t.Fatalf("round %d: rm -f: %s\nrun -d: %s", i, rm, run)
		}
		if st := g.inspect(t, nw, "{{.State.Status}}"); st != "running" {
			t.Fatalf("round %d: %s is %s", i, nw, st)
		}
		g.ok(t, "rm", "-f", nw)
	}
	eventually(t, 10*time.Second, "the group's socket to go", func() bool { return !fileExists(g.groupSocket("lumper-0")) })
}

// TestShimGroupConfig: `shim = "isolated"` in lumper.toml gives each
// container its own shim, `lumper info` says where the setting comes from,
// and --shim overrides the file.
func TestShimGroupConfig(t *testing.T) {
	t.Parallel()
	g := newGroupNS(t)
	cfg := filepath.Join(t.TempDir(), "lumper.toml")
	if err := os.WriteFile(cfg, []byte("shim = \"isolated\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := g.ok(t, "--config", cfg, "info"); !strings.Contains(out, "isolated") {
		t.Fatalf("info does not show the file's shim setting:\n%s", out)
	}
	g.ok(t, "--config", cfg, "run", "-d", "--name", "i1", "busybox", "sleep", "1000")
	g.ok(t, "--config", cfg, "run", "-d", "--name", "i2", "busybox", "sleep", "1000")
	g.ok(t, "--config", cfg, "run", "-d", "--shim", "group", "--name", "g1", "busybox", "sleep", "1000")
	g.ok(t, "run", "-d", "--name", "g2", "busybox", "sleep", "1000")
	if g.shimOf(t, "i1") == g.shimOf(t, "i2") {
		t.Fatal("shim = isolated: two containers share a shim")
	}
	if g.shimOf(t, "g1") != g.shimOf(t, "g2") {
		t.Fatal("--shim group over the file: not in the default's group")
	}
	if r := g.run("run", "-d", "--shim", "shared", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "--shim") {
		t.Fatalf("--shim shared: %s", r)
	}
}
