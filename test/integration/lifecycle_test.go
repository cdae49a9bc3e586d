//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
)

// lifecycleRow is a list row with the restart fields.
type lifecycleRow struct {
	ID, Name, Status string
	Pid              uint32
	ExitCode         int
	RestartPolicy    string
	RestartCount     int
	Labels           map[string]string
}

func lifecycleListed(t *testing.T, name string) lifecycleRow {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(lumper(t, "list", "--format", "json")), "\n") {
		var r lifecycleRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("list --format json line %q: %v", line, err)
		}
		if r.Name == name {
			return r
		}
	}
	return lifecycleRow{}
}

// oneLine checks that a failed command said why in one line.
func oneLineError(t *testing.T, r result, want string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("want a one-line error with %q, got %q", want, r.stderr)
	}
}

func TestLifecycleCreateStartPauseRenameKillWaitRestart(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	rmOnCleanup(t, name+"-new")
	id := strings.TrimSpace(lumper(t, "create", "--name", name, "busybox", "sh", "-c", "echo started; sleep 1000"))
	if r := lifecycleListed(t, name); r.Status != "created" || r.ID != id || r.RestartPolicy != "no" {
		t.Fatalf("after create: %+v", r)
	}
	lumper(t, "start", name)
	if r := lifecycleListed(t, name); r.Status != "running" || r.Pid == 0 {
		t.Fatalf("after start: %+v", r)
	}
	eventually(t, 30*time.Second, "the detached start's log", func() bool {
		return lumperRun("logs", name).stdout == "started\n"
	})
	lumper(t, "start", name) // already running: nothing to do

	lumper(t, "pause", name)
	if r := lifecycleListed(t, name); r.Status != "paused" {
		t.Fatalf("after pause: %+v", r)
	}
	mustFail(t, 1, "pause", name)
	lumper(t, "unpause", name)
	if r := lifecycleListed(t, name); r.Status != "running" {
		t.Fatalf("after unpause: %+v", r)
	}

	// rename: the new name is taken, the old one free again.
	lumper(t, "rename", name, name+"-new")
	if r := lifecycleListed(t, name+"-new"); r.ID != id {
		t.Fatalf("after rename: %+v", r)
	}
	r := mustFail(t, 125, "run", "--rm", "--network", "none", "--name", name+"-new", "busybox", "true")
	oneLineError(t, r, "in use")
	lumper(t, "run", "--rm", "--network", "none", "--name", name, "busybox", "true")
	lumper(t, "rename", id[:12], name)

	oneLineError(t, mustFail(t, 1, "kill", "-s", "NOSUCHSIG", name), "invalid signal")
	oneLineError(t, mustFail(t, 1, "kill", "-s", "99", name), "invalid signal")
	lumper(t, "kill", "-s", "SIGKILL", name)
	if out := strings.TrimSpace(lumper(t, "wait", name)); out != "137" {
		t.Fatalf("wait after kill: %q", out)
	}
	// The task is reaped: wait answers from the recorded exit status.
	eventually(t, 30*time.Second, "the task to be reaped", func() bool { return taskStatusOf(t, id) == "" })
	if out := strings.TrimSpace(lumper(t, "wait", id[:12])); out != "137" {
		t.Fatalf("wait on a reaped container: %q", out)
	}
	oneLineError(t, mustFail(t, 1, "kill", name), "not running")

	lumper(t, "restart", "-t", "1", name)
	if r := lifecycleListed(t, name); r.Status != "running" {
		t.Fatalf("after restart: %+v", r)
	}
	lumper(t, "stop", "-t", "1", name)

	// start -a runs in the foreground and exits with the container's status.
	job := name + "-job"
	rmOnCleanup(t, job)
	lumper(t, "create", "--name", job, "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
	r = lumperRun("start", "-a", job)
	if r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("start -a: %s", r)
	}
	if out := strings.TrimSpace(lumper(t, "wait", job)); out != "3" {
		t.Fatalf("wait job: %q", out)
	}
	// A second start -a reaps nothing twice and runs it again.
	if r := lumperRun("start", "-a", job); r.code != 3 {
		t.Fatalf("second start -a: %s", r)
	}
}

func TestLifecycleBadRestartPolicies(t *testing.T) {
	before := lumper(t, "list", "-q")
	for _, p := range []string{"sometimes", "on-failure:-1", "on-failure:x", "always:3"} {
		oneLineError(t, mustFail(t, 125, "run", "-d", "--restart", p, "busybox", "true"), "invalid --restart")
		oneLineError(t, mustFail(t, 125, "create", "--restart", p, "busybox", "true"), "invalid --restart")
	}
	if r := mustFail(t, 125, "run", "--restart", "always", "busybox", "true"); !strings.Contains(r.stderr, "needs -d") {
		t.Fatalf("--restart without -d: %s", r)
	}
	if after := lumper(t, "list", "-q"); after != before {
		t.Fatalf("refused runs created containers:\n%s\n->\n%s", before, after)
	}
}

func TestRestartOnFailureRestartsExactlyTwice(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--network", "none", "--restart", "on-failure:2",
		"busybox", "sh", "-c", "echo run; exit 1"))
	var row lifecycleRow
	eventually(t, 60*time.Second, "two restarts", func() bool {
		row = lifecycleListed(t, name)
		return row.RestartCount == 2 && row.Status == "exited" && row.Labels["containerd.io/restart.status"] == ""
	})
	// No third run: the monitor (every second) leaves it alone.
	never(t, 2500*time.Millisecond, "an on-failure:2 container ran a third time", func() bool {
		r := lifecycleListed(t, name)
		return r.RestartCount != 2 || r.Status != "exited"
	})
	row = lifecycleListed(t, name)
	if row.RestartCount != 2 || row.Status != "exited" || row.ExitCode != 1 || row.RestartPolicy != "on-failure:2" {
		t.Fatalf("after the retries: %+v", row)
	}
	if out := lumper(t, "logs", name); out != "run\nrun\nrun\n" {
		t.Fatalf("logs of three runs: %q", out)
	}
	// The table shows the restarts too.
	if out := lumper(t, "list"); !regexp.MustCompile(`(?m)\b` + name + `\b.*exited \(1\), restarted 2 times`).MatchString(out) {
		t.Fatalf("list does not show the restarts:\n%s", out)
	}
	// The last task was reaped: no shim is left behind.
	if s := taskStatusOf(t, id); s != "" {
		t.Fatalf("task left in state %s", s)
	}
	if n := procsOf(t, "containerd-shim-runc-v2", id); n != 0 {
		t.Fatalf("%d shims left", n)
	}
}

func TestRestartAlwaysKilledFromHostAndStop(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--restart", "always", "busybox", "sh", "-c", "echo up; sleep 1000")
	first := lifecycleListed(t, name)
	if first.Status != "running" || first.RestartPolicy != "always" {
		t.Fatalf("after run: %+v", first)
	}
	if err := syscall.Kill(int(first.Pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var row lifecycleRow
	eventually(t, 30*time.Second, "the container to come back", func() bool {
		row = lifecycleListed(t, name)
		return row.Status == "running" && row.Pid != 0 && row.Pid != first.Pid
	})
	if row.RestartCount != 1 {
		t.Fatalf("restart count: %+v", row)
	}
	// The restarted task logs through lumper's logger, like `run -d`.
	eventually(t, 30*time.Second, "the restarted task's log", func() bool {
		return lumperRun("logs", name).stdout == "up\nup\n"
	})
	out := strings.TrimSpace(lumper(t, "exec", name, "echo", "ok"))
	if out != "ok" {
		t.Fatalf("exec in the restarted container: %q", out)
	}

	// stop keeps it stopped.
	lumper(t, "stop", "-t", "1", name)
	eventually(t, 30*time.Second, "the stopped container to be recorded exited", func() bool {
		return lifecycleListed(t, name).Status == "exited"
	})
	never(t, 2500*time.Millisecond, "an always container came back after stop", func() bool {
		return lifecycleListed(t, name).Status != "exited"
	})
	// kill too.
	lumper(t, "start", name)
	if row := lifecycleListed(t, name); row.Status != "running" || row.RestartCount != 0 {
		t.Fatalf("start after stop: %+v", row)
	}
	lumper(t, "kill", name)
	eventually(t, 30*time.Second, "the killed container to be recorded exited", func() bool {
		return lifecycleListed(t, name).Status == "exited"
	})
	never(t, 2500*time.Millisecond, "an always container came back after kill", func() bool {
		return lifecycleListed(t, name).Status != "exited"
	})
	if row := lifecycleListed(t, name); row.ExitCode != 137 {
		t.Fatalf("killed container's exit: %+v", row)
	}
	mustFail(t, 1, "start", "-a", name)
}

// killContainerd SIGKILLs the test's containerd and waits until it is gone.
func killContainerd(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { _ = ctdScript("up") }) // the following tests need it
	b, err := os.ReadFile(filepath.Join(env.ctdDir, "containerd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "containerd to die", func() bool {
		return syscall.Kill(pid, 0) != nil
	})
}

func TestRestartContainerdKeepsContainersManageable(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "echo hello; sleep 1000"))
	before := lifecycleListed(t, name)
	killContainerd(t)
	if err := ctdScript("up"); err != nil {
		t.Fatal(err)
	}
	if row := lifecycleListed(t, name); row.Status != "running" || row.Pid != before.Pid {
		t.Fatalf("after containerd restarted: %+v (before %+v)", row, before)
	}
	eventually(t, 30*time.Second, "logs", func() bool { return lumperRun("logs", name).stdout == "hello\n" })
	if out := strings.TrimSpace(lumper(t, "exec", name, "echo", "exec-ok")); out != "exec-ok" {
		t.Fatalf("exec: %q", out)
	}
	lumper(t, "stop", "-t", "1", name)
	if row := lifecycleListed(t, name); row.Status != "exited" || row.ExitCode != 137 {
		t.Fatalf("after stop: %+v", row)
	}
	lumper(t, "rm", name)
	assertGone(t, id, name)
}

// simulateReboot does to the test's containerd what a host reboot does:
// containerd, the shims and the containers' processes die, and containerd's
// state directory (a tmpfs under /run on a real host), runc's state and the
// network namespaces (under /run/netns) of the given containers are gone. The
// persistent root stays.
func simulateReboot(t *testing.T, ids ...string) {
	t.Helper()
	killContainerd(t)
	for _, id := range ids {
		for _, pid := range shimsOf(id) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		// Kills the container's processes, removes its cgroup and runc's
		// state (other test runs share runc's root: only these IDs).
		out, err := exec.Command("runc", "--root", "/run/containerd/runc/"+testNamespace, "delete", "--force", id).CombinedOutput()
		if err != nil {
			t.Fatalf("runc delete %s: %v: %s", id, err, out)
		}
		netns := "/run/netns/lumper-" + id
		if err := syscall.Unmount(netns, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("unmounting %s: %v", netns, err)
		}
		if err := os.Remove(netns); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	state := filepath.Join(env.ctdDir, "state")
	for _, mp := range mountsUnder(t, state) {
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil {
			t.Fatalf("unmounting %s: %v", mp, err)
		}
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if err := ctdScript("up"); err != nil {
		t.Fatal(err)
	}
}

// shimsOf returns the PIDs of the test containerd's shims for container id.
func shimsOf(id string) []int {
	var pids []int
	for _, pid := range procsMatching("-id "+id, env.address) {
		if args := procArgs(pid); len(args) > 0 && filepath.Base(args[0]) == "containerd-shim-runc-v2" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists the mount points under dir, deepest first.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(f[4])
		if strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// TestBridgeRestartAfterHostReboot: a restart-policy container on the default
// bridge network comes back after a reboot with a working network, although
// the reboot took its network namespace (mounted under /run/netns) with it.
func TestBridgeRestartAfterHostReboot(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--restart", "always", "busybox", "sleep", "1000"))
	netns := "/run/netns/lumper-" + id
	if _, err := os.Stat(netns); err != nil {
		t.Fatalf("no network namespace at %s: %v", netns, err)
	}
	simulateReboot(t, id)
	eventually(t, 60*time.Second, name+" to come back", func() bool {
		return lifecycleListed(t, name).Status == "running"
	})
	if out := lumper(t, "exec", name, "ip", "-4", "addr", "show", "eth0"); !strings.Contains(out, "inet ") {
		t.Fatalf("no address on eth0 after the reboot:\n%s", out)
	}
	gw := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.NetworkSettings.Gateway}}", name))
	if gw == "" {
		t.Fatal("inspect shows no gateway after the reboot")
	}
	lumper(t, "exec", name, "ping", "-c", "1", "-W", "2", gw)
	lumper(t, "rm", "-f", name)
	if _, err := os.Stat(netns); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("network namespace left after rm: %v", err)
	}
}

func TestRestartAfterHostReboot(t *testing.T) {
	base := uniqueName(t)
	policies := []string{"always", "unless-stopped", "on-failure", "no"}
	ids := map[string]string{}
	var all []string
	for _, p := range policies {
		name := base + "-" + p
		rmOnCleanup(t, name)
		ids[p] = strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "--network", "none", "--restart", p, "busybox", "sleep", "1000"))
		all = append(all, ids[p])
	}
	// A stopped unless-stopped container stays stopped.
	stopped := base + "-stopped"
	rmOnCleanup(t, stopped)
	lumper(t, "run", "-d", "--name", stopped, "--network", "none", "--restart", "unless-stopped", "busybox", "sleep", "1000")
	lumper(t, "stop", "-t", "0", stopped)

	simulateReboot(t, all...)
	for _, p := range []string{"always", "unless-stopped"} {
		name := base + "-" + p
		eventually(t, 30*time.Second, name+" to come back", func() bool {
			return lifecycleListed(t, name).Status == "running"
		})
		out := strings.TrimSpace(lumper(t, "exec", name, "echo", "ok"))
		if out != "ok" {
			t.Fatalf("exec in %s: %q", name, out)
		}
	}
	for _, p := range []string{"on-failure", "no"} {
		if row := lifecycleListed(t, base+"-"+p); row.Status != "exited" {
			t.Fatalf("%s after reboot: %+v", p, row)
		}
	}
	never(t, 2500*time.Millisecond, "a stopped unless-stopped container came back", func() bool {
		return lifecycleListed(t, stopped).Status != "exited"
	})
	// They are all manageable, and their names free again once removed.
	for _, p := range policies {
		lumper(t, "rm", "-f", base+"-"+p)
		if out := lumper(t, "run", "--rm", "--name", base+"-"+p, "--network", "none", "busybox", "echo", "reused"); out != "reused\n" {
			t.Fatalf("reusing the name %s-%s: %q", base, p, out)
		}
	}
}

// cpTree builds a tree with a file (odd mode and owner), a hard link,
// relative and absolute symlinks, a read-only directory and a FIFO.
func cpTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub", "deep"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "file"), []byte("content\n"), 0o644))
	must(os.Chown(filepath.Join(dir, "file"), 1234, 567))
	must(syscall.Chmod(filepath.Join(dir, "file"), 0o4751)) // after chown, which clears it; os.Chmod would drop it
	must(os.Link(filepath.Join(dir, "file"), filepath.Join(dir, "hardlink")))
	must(os.Symlink("file", filepath.Join(dir, "rel")))
	must(os.Symlink("/etc/hostname", filepath.Join(dir, "abs")))
	must(os.WriteFile(filepath.Join(dir, "sub", "deep", "x"), []byte("x"), 0o600))
	must(os.Chmod(filepath.Join(dir, "sub"), 0o555))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
}

// describeTree lists a tree: path, type, mode, owner, size, link target.
func describeTree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		line := rel + " " + fi.Mode().String() + " " + strconv.Itoa(int(st.Uid)) + ":" + strconv.Itoa(int(st.Gid)) + " nlink=" + strconv.Itoa(int(st.Nlink))
		if fi.Mode().IsRegular() {
			line += " size=" + strconv.FormatInt(fi.Size(), 10)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		if rel != "." {
			line += " mtime=" + fi.ModTime().UTC().Format(time.RFC3339)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestCpRoundTripRunningAndStopped(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "1000")
	tmp := t.TempDir()
	src := filepath.Join(tmp, "tree")
	cpTree(t, src)
	// Docker's cp out of a container creates files owned by its caller:
	// what comes back is the tree with the caller as every owner.
	want := strings.ReplaceAll(describeTree(t, src), " 1234:567 ", " "+strconv.Itoa(os.Getuid())+":"+strconv.Itoa(os.Getgid())+" ")

	// Host → running container → host.
	lumper(t, "cp", src, name+":/data")
	if out := lumper(t, "exec", name, "stat", "-c", "%a %u:%g %h", "/data/file"); out != "4751 1234:567 2\n" {
		t.Fatalf("in the container: %q", out)
	}
	lumper(t, "cp", name+":/data", filepath.Join(tmp, "back"))
	if got := describeTree(t, filepath.Join(tmp, "back")); got != want {
		t.Fatalf("round trip through a running container:\n%s\nwant:\n%s", got, want)
	}

	// Contents with "/.", into an existing directory, on a stopped container.
	lumper(t, "stop", "-t", "0", name)
	lumper(t, "cp", src+"/.", name+":/tmp")
	if err := os.Mkdir(filepath.Join(tmp, "back2"), 0o755); err != nil {
		t.Fatal(err)
	}
	lumper(t, "cp", name+":/tmp/.", filepath.Join(tmp, "back2"))
	if got := describeTree(t, filepath.Join(tmp, "back2")); got != want {
		t.Fatalf("round trip through a stopped container:\n%s\nwant:\n%s", got, want)
	}
	// A single file onto a new name, and as a tar stream.
	lumper(t, "cp", name+":/data/file", filepath.Join(tmp, "one"))
	if b, _ := os.ReadFile(filepath.Join(tmp, "one")); string(b) != "content\n" {
		t.Fatalf("single file: %q", b)
	}
	out := lumper(t, "cp", name+":/data/sub", "-")
	tr := tar.NewReader(strings.NewReader(out))
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "sub/,sub/deep/,sub/deep/x" {
		t.Fatalf("tar stream: %v", names)
	}
	// Nothing was left mounted for the stopped container.
	for _, mp := range mountsUnder(t, os.TempDir()) {
		if strings.Contains(mp, "lumper-cp-") {
			t.Fatalf("left mounted: %s", mp)
		}
	}
	lumper(t, "start", name)
	if out := lumper(t, "exec", name, "cat", "/tmp/file"); out != "content\n" {
		t.Fatalf("copied into the stopped container: %q", out)
	}
}

func TestCpRefusesEscapes(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "1000")
	host := t.TempDir()
	victim := filepath.Join(host, "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(host, "payload")
	if err := os.WriteFile(file, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// ".." above the container's root is refused outright.
	rel := "../../../../../../../.." + victim + "/pwned"
	oneLineError(t, mustFail(t, 1, "cp", file, name+":"+rel), "leaves the container's root")
	oneLineError(t, mustFail(t, 1, "cp", name+":../../../../etc/shadow", filepath.Join(host, "shadow")), "leaves the container's root")
	// A symlink whose target climbs out of the root is refused, both ways;
	// an absolute one is a path in the container and resolves inside it.
	lumper(t, "exec", name, "sh", "-c", "mkdir -p "+victim+" && ln -s ../../../../../../.."+victim+" /rel && ln -s "+victim+" /abs && ln -s ../../../../etc /etcout")
	oneLineError(t, mustFail(t, 1, "cp", file, name+":/rel/viarel"), "/rel is a symlink that points outside the container's root")
	oneLineError(t, mustFail(t, 1, "cp", name+":/etcout/hostname", filepath.Join(host, "hostname")), "/etcout is a symlink that points outside")
	if _, err := os.Stat(filepath.Join(host, "hostname")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused copy wrote %s: %v", filepath.Join(host, "hostname"), err)
	}
	lumper(t, "cp", file, name+":/abs/viaabs")
	if out := lumper(t, "exec", name, "ls", victim); out != "viaabs\n" {
		t.Fatalf("in the container's %s: %q", victim, out)
	}
	// The link itself can still be copied out (as a link).
	lumper(t, "cp", name+":/etcout", filepath.Join(host, "etcout"))
	if target, err := os.Readlink(filepath.Join(host, "etcout")); err != nil || target != "../../../../etc" {
		t.Fatalf("copied link: %q %v", target, err)
	}
	// A tar stream whose entries climb out is refused.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "../../../../../../.." + victim + "/fromtar", Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("x\n"))
	_ = tw.Close()
	r := lumperStdin(buf.Bytes(), "cp", "-", name+":/tmp")
	if r.code != 1 {
		t.Fatalf("cp of an escaping tar stream: %s", r)
	}
	oneLineError(t, r, "leaves the destination")
	// Nothing was written on the host.
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("written outside the container: %v", entries)
	}
	// The same refusals on a stopped container.
	lumper(t, "stop", "-t", "0", name)
	oneLineError(t, mustFail(t, 1, "cp", file, name+":"+rel), "leaves the container's root")
	oneLineError(t, mustFail(t, 1, "cp", file, name+":/rel/stopped"), "points outside the container's root")
	lumper(t, "cp", file, name+":/abs/stopped")
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("written outside the stopped container: %v", entries)
	}
}

func TestPruneContainersLeasesImages(t *testing.T) {
	base := uniqueName(t)
	running, exited, created := base+"-running", base+"-exited", base+"-created"
	for _, n := range []string{running, exited, created} {
		rmOnCleanup(t, n)
	}
	// The running container also keeps busybox in use through the image
	// prunes below.
	runningID := strings.TrimSpace(lumper(t, "run", "-d", "--name", running, "--network", "none", "busybox", "sleep", "1000"))
	lumper(t, "run", "--name", exited, "--network", "none", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /blob")
	exitedID := containerIDOf(t, exited)
	createdID := strings.TrimSpace(lumper(t, "create", "--name", created, "busybox", "true"))

	// A stale name reservation: its container never came to be and its
	// owner is dead.
	c, ctx := ctd(t)
	stale := "lumper-name.0000000000000000000000000000dead"
	if _, err := c.LeasesService().Create(ctx, leases.WithID(stale), leases.WithLabels(map[string]string{
		"lumper.io/name": base + "-ghost", "lumper.io/container": strings.Repeat("0", 64), "lumper.io/owner": "999999999:1",
	})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.LeasesService().Delete(ctx, leases.Lease{ID: stale}) })

	df := lumper(t, "system", "df")
	for _, w := range []string{"TYPE", "RECLAIMABLE", "Images", "Containers", "Logs"} {
		if !strings.Contains(df, w) {
			t.Fatalf("system df lacks %s:\n%s", w, df)
		}
	}

	out := lumper(t, "container", "prune", "-f")
	for _, id := range []string{exitedID, createdID} {
		if !strings.Contains(out, id) {
			t.Fatalf("prune did not report %s:\n%s", id, out)
		}
	}
	if strings.Contains(out, runningID) || !strings.Contains(out, base+"-ghost") || strings.Contains(out, "Total reclaimed space: 0B") {
		t.Fatalf("prune output:\n%s", out)
	}
	if _, ok := listed(t, running); !ok {
		t.Fatal("prune removed a running container")
	}
	for _, n := range []string{exited, created} {
		if _, ok := listed(t, n); ok {
			t.Fatalf("%s still listed after prune", n)
		}
	}
	assertGone(t, exitedID, exited)
	if ls, _ := c.LeasesService().List(ctx, "id=="+stale); len(ls) != 0 {
		t.Fatal("stale name reservation survived the prune")
	}

	// image prune: an untagged image goes, busybox (in use) stays; with -a
	// an unused tagged one goes too.
	bb, err := c.ImageService().Get(ctx, "docker.io/library/busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	dangling := "lumper.local/untagged@" + bb.Target.Digest.String()
	if _, err := c.ImageService().Create(ctx, images.Image{Name: dangling, Target: bb.Target}); err != nil && !errdefs.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tagged := "docker.io/library/" + base + ":unused"
	lumper(t, "import", env.images.rootfs, tagged)
	t.Cleanup(func() { lumperRun("rmi", tagged) })
	out = lumper(t, "image", "prune")
	if !strings.Contains(out, dangling) || strings.Contains(out, tagged) || strings.Contains(out, "busybox:latest") {
		t.Fatalf("image prune:\n%s", out)
	}
	out = lumper(t, "image", "prune", "-a")
	if !strings.Contains(out, tagged) || strings.Contains(out, "busybox:latest") {
		t.Fatalf("image prune -a:\n%s", out)
	}
	if _, err := c.ImageService().Get(ctx, "docker.io/library/busybox:latest"); err != nil {
		t.Fatalf("busybox was pruned: %v", err)
	}
	lumper(t, "exec", running, "true")
}
