//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
)

// The double delete of issue 15 (containerd issue 12344): two task deletes
// of one task at once make containerd 2.4's runc shim lose its own shutdown.
// Its Delete marks the init process deleted before it removes the container
// from its map, so a second Delete in between gets "cannot delete a deleted
// process: not found", its shutdown finds the map not yet empty, and the
// connection closes under the first Delete, whose shutdown never happens:
// the shim lingers, unknown to containerd. The window is microseconds; the
// test makes it 300 ms with a shim built from the module cache's source with
// a sleep before delete(s.containers, id) (a tree of links to the module
// cache with the changed files; the cache itself is not touched), run by a
// private containerd of its own. The same
// shim records every init Delete it receives, so the test proves one delete
// per task, not just a tidy end.

// slowShimHook is added to the shim's task package.
const slowShimHook = `package task

import (
	"os"
	"time"
)

// lumperTestDeleteCalled records, in $LUMPER_TEST_SHIM_DELETE_LOG, each
// delete of a task's init process this shim receives.
func lumperTestDeleteCalled(id, execID string) {
	p := os.Getenv("LUMPER_TEST_SHIM_DELETE_LOG")
	if p == "" || execID != "" {
		return
	}
	if f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		f.WriteString(id + "\n")
		f.Close()
	}
}

// lumperTestDeleteDelay widens the window between marking the init process
// deleted and removing the container from the shim's map.
func lumperTestDeleteDelay() {
	if d, err := time.ParseDuration(os.Getenv("LUMPER_TEST_SHIM_DELETE_DELAY")); err == nil {
		time.Sleep(d)
	}
}
`

// buildSlowShim builds containerd-shim-runc-v2 at go.mod's version with the
// hook above into dir.
func buildSlowShim(t *testing.T, dir string) {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	root, _ := filepath.Abs("../..")
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "github.com/containerd/containerd/v2").Output()
	if err != nil {
		t.Fatalf("locating containerd's source: %v", err)
	}
	taskDir := filepath.Join(strings.TrimSpace(string(out)), "cmd", "containerd-shim-runc-v2", "task")
	src, err := os.ReadFile(filepath.Join(taskDir, "service.go"))
	if err != nil {
		t.Fatal(err)
	}
	patched := string(src)
	for _, p := range [][2]string{
		{"func (s *service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {\n",
			"func (s *service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {\n\tlumperTestDeleteCalled(r.ID, r.ExecID)\n"},
		{"\tif r.ExecID == \"\" {\n\t\ts.mu.Lock()\n\t\tdelete(s.containers, r.ID)",
			"\tif r.ExecID == \"\" {\n\t\tlumperTestDeleteDelay()\n\t\ts.mu.Lock()\n\t\tdelete(s.containers, r.ID)"},
	} {
		if strings.Count(patched, p[0]) != 1 {
			t.Fatalf("the shim's Delete changed: cannot find %q once in %s", p[0], taskDir)
		}
		patched = strings.Replace(patched, p[0], p[1], 1)
	}
	// Files beneath the module cache cannot be overlaid: build from a tree
	// of symbolic links to it, with the two files changed, put in place of
	// the module by a replace directive in a copy of go.mod (-modfile).
	modDir := strings.TrimSpace(string(out))
	work := t.TempDir()
	tree := filepath.Join(work, "containerd")
	err = filepath.WalkDir(modDir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(modDir, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(tree, rel), 0o755)
		}
		if p == filepath.Join(taskDir, "service.go") {
			return os.WriteFile(filepath.Join(tree, rel), []byte(patched), 0o644)
		}
		return os.Symlink(p, filepath.Join(tree, rel))
	})
	if err != nil {
		t.Fatalf("building the shim's source tree: %v", err)
	}
	relTask, _ := filepath.Rel(modDir, taskDir)
	if err := os.WriteFile(filepath.Join(tree, relTask, "zz_lumper_test_hook.go"), []byte(slowShimHook), 0o644); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gomod = append(gomod, []byte("\nreplace github.com/containerd/containerd/v2 => "+tree+"\n")...)
	modfile := filepath.Join(work, "go.mod")
	if err := os.WriteFile(modfile, gomod, 0o644); err != nil {
		t.Fatal(err)
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "go.sum"), gosum, 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(goBin, "build", "-modfile", modfile, "-trimpath", "-tags", "no_btrfs,no_devmapper,no_zfs",
		"-o", filepath.Join(dir, "containerd-shim-runc-v2"), "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the slowed shim: %v\n%s", err, b)
	}
}

// slowDaemon is a private containerd whose shims are slowed.
type slowDaemon struct {
	dir, address, dataRoot, deleteLog string
}

func (d slowDaemon) lumper(args ...string) result {
	cmd := exec.Command(filepath.Join(env.binDir, "lumper"), args...)
	cmd.Env = append(os.Environ(),
		"LUMPER_ADDRESS="+d.address,
		"LUMPER_NAMESPACE="+testNamespace,
		"LUMPER_DATA_ROOT="+d.dataRoot,
		"LUMPER_SHIM=group", // issue 17: one delete per task holds in a group
	)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// deletes counts the init deletes the shims of this daemon received for id.
func (d slowDaemon) deletes(id string) int {
	b, _ := os.ReadFile(d.deleteLog)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if l == id {
			n++
		}
	}
	return n
}

// shims lists the shims of this daemon for container id.
func (d slowDaemon) shims(id string) []int {
	var pids []int
	for _, pid := range procsMatching("-id "+id, d.address) {
		if args := procArgs(pid); len(args) > 0 && filepath.Base(args[0]) == "containerd-shim-runc-v2" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// lumperProcs counts lumper processes about container id: the reaper the
// logger starts has it in its environment (CONTAINER_ID).
func lumperProcs(id string) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); filepath.Base(exe) != "lumper" {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.Contains(string(environ), id) || strings.Contains(string(cmdline), id) {
			n++
		}
	}
	return n
}

func startSlowDaemon(t *testing.T) slowDaemon {
	t.Helper()
	base, err := os.MkdirTemp("", "lumper-slowshim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	bin := filepath.Join(base, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	buildSlowShim(t, bin)
	if err := os.Symlink(filepath.Join(env.binDir, "containerd"), filepath.Join(bin, "containerd")); err != nil {
		t.Fatal(err)
	}
	d := slowDaemon{
		dir:       filepath.Join(base, "ctd"),
		dataRoot:  filepath.Join(base, "data"),
		deleteLog: filepath.Join(base, "deletes.log"),
	}
	d.address = filepath.Join(d.dir, "containerd.sock")
	root, _ := filepath.Abs("../..")
	script := func(action string) error {
		cmd := exec.Command(filepath.Join(root, "hack", "containerd.sh"), action)
		cmd.Env = append(os.Environ(),
			"LUMPER_CTD_DIR="+d.dir,
			"LUMPER_CTD_BIN="+bin,
			"LUMPER_BIN_DIR="+env.binDir,
			"LUMPER_TEST_SHIM_DELETE_LOG="+d.deleteLog,
			"LUMPER_TEST_SHIM_DELETE_DELAY=300ms",
		)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("containerd.sh %s: %v\n%s", action, err, b)
		}
		return nil
	}
	if err := script("up"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(d.dir, "containerd.log")); err == nil {
				t.Logf("slowed containerd's log:\n%s", b)
			}
		}
		if err := script("down"); err != nil {
			t.Error(err)
		}
		// Shims a failing lumper leaked (the bug this test is about): end
		// them, by pid, and their sockets.
		for _, pid := range procsMatching("containerd-shim-runc-v2", "-address "+d.address) {
			args := procArgs(pid)
			syscall.Kill(pid, syscall.SIGKILL)
			for i, a := range args {
				if a == "-id" && i+1 < len(args) {
					os.Remove(shimSocketFor(d.address, testNamespace, args[i+1]))
				}
			}
		}
	})
	if r := d.lumper("load", "-i", env.images.docker); r.code != 0 {
		t.Fatalf("loading busybox: %s", r)
	}
	return d
}

// TestSlowShimOneDeletePerTask: with the shim's delete slowed, stop, rm -f,
// and rm -f racing stop each delete the task exactly once (the logger's
// reaper, woken by the same exit, waits and finds it deleted), and no shim
// outlives its container.
func TestSlowShimOneDeletePerTask(t *testing.T) {
	d := startSlowDaemon(t)
	cases := []struct {
		name string
		end  func(name string) []result
	}{
		{"stop", func(n string) []result { return []result{d.lumper("stop", "-t", "1", n)} }},
		{"rm-f", func(n string) []result { return []result{d.lumper("rm", "-f", n)} }},
		{"rm-f-and-stop", func(n string) []result {
			rs := make([]result, 4)
			var wg sync.WaitGroup
			for i := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						rs[i] = d.lumper("rm", "-f", n)
					} else {
						rs[i] = d.lumper("stop", "-t", "1", n)
					}
				}()
			}
			wg.Wait()
			return rs
		}},
		{"rm-f-killed-then-rm-f", func(n string) []result {
			// Containerd issue 11392: the caller of a delete dies while the
			// shim is deleting (its connection drops, so containerd never
			// shuts the shim down). The next rm must still leave no shim.
			id := strings.TrimSpace(d.lumper("inspect", "--format", "{{.Id}}", n).stdout)
			cmd := exec.Command(filepath.Join(env.binDir, "lumper"), "rm", "-f", n)
			cmd.Env = append(os.Environ(), "LUMPER_ADDRESS="+d.address, "LUMPER_NAMESPACE="+testNamespace, "LUMPER_DATA_ROOT="+d.dataRoot)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the shim to start deleting", func() bool { return d.deletes(id) >= 1 })
			cmd.Process.Kill()
			cmd.Wait()
			return []result{d.lumper("rm", "-f", n)}
		}},
		{"exit", func(n string) []result {
			// The reaper alone, racing the ps that looks at it.
			return []result{d.lumper("kill", n), d.lumper("ps", "-a")}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "slowshim-" + tc.name
			r := d.lumper("run", "-d", "--network", "none", "--name", name, "busybox", "sleep", "1000")
			if r.code != 0 {
				t.Fatalf("run: %s", r)
			}
			id := strings.TrimSpace(r.stdout)
			t.Cleanup(func() { d.lumper("rm", "-f", name) })
			for _, r := range tc.end(name) {
				if r.code != 0 && !strings.Contains(r.stderr, "No such container") {
					t.Errorf("%s", r)
				}
			}
			eventually(t, 10*time.Second, "the shim of "+id+" to exit", func() bool { return len(d.shims(id)) == 0 })
			eventually(t, 10*time.Second, "lumper's reaper of "+id+" to finish", func() bool { return lumperProcs(id) == 0 })
			if n := d.deletes(id); n != 1 && !strings.Contains(tc.name, "killed") {
				t.Fatalf("the shim received %d deletes of the task of %s, want exactly 1", n, id)
			}
			// lumper's default: each case's container is alone in shim
			// group lumper-0, whose shim must go with it.
			// group lumper-0, whose shim must go with it (containerd's
			// group shim leaves its socket path; nothing may listen there).
			if sock := shimSocketFor(d.address, testNamespace, id); fileExists(sock) {
				t.Fatalf("shim socket %s left", sock)
			}
			assertNoGroupListener(t, d, "lumper-0")
			if tc.name == "exit" {
				if st := d.lumper("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name); strings.TrimSpace(st.stdout) != "exited 137" {
					t.Fatalf("after kill: %s", st)
				}
			}
		})
	}
}

// leakShim makes the shim of container name outlive its task the way two
// concurrent deletes do (issue 12344), straight through containerd's API:
// containerd forgets the task, the shim stays. It returns the container ID.
func (d slowDaemon) leakShim(t *testing.T, name string) string {
	t.Helper()
	r := d.lumper("run", "-d", "--network", "none", "--name", name, "busybox", "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	id := strings.TrimSpace(r.stdout)
	c, err := containerd.New(d.address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := namespaces.WithNamespace(context.Background(), testNamespace)
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Two deletes at once, bypassing lumper's lock (the logger's reaper may
	// make a third, under it).
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	statusC, err := task.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-statusC
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); task.Delete(ctx) }()
	}
	wg.Wait()
	eventually(t, 10*time.Second, "containerd to forget the task", func() bool {
		_, err := ctr.Task(ctx, nil)
		return errdefs.IsNotFound(err)
	})
	// A shim that exits does so within milliseconds of its delete; one that
	// is still there a second later is the leak this test is about.
	time.Sleep(time.Second)
	if len(d.shims(id)) == 0 {
		t.Skipf("two concurrent deletes left no shim for %s: the leak did not reproduce", id)
	}
	return id
}

// TestSlowShimOrphanEnded: a shim that containerd no longer knows (its
// task gone, by the double delete or a delete whose caller died, containerd
// issue 11392) is ended by rm, and by container prune once the container is
// gone, found by its socket and PID.
func TestSlowShimOrphanEnded(t *testing.T) {
	d := startSlowDaemon(t)
	t.Run("rm", func(t *testing.T) {
		name := "orphan-rm"
		id := d.leakShim(t, name)
		if r := d.lumper("rm", "-f", name); r.code != 0 {
			t.Fatalf("rm -f: %s", r)
		}
		eventually(t, 5*time.Second, "rm to end the shim of "+id, func() bool { return len(d.shims(id)) == 0 })
		assertNoGroupListener(t, d, "lumper-0")
		if sock := shimSocketFor(d.address, testNamespace, id); fileExists(sock) {
			t.Fatalf("shim socket %s left", sock)
		}
	})
	t.Run("prune", func(t *testing.T) {
		name := "orphan-prune"
		id := d.leakShim(t, name)
		// What a lumper SIGKILLed in rm after the container record went
		// leaves: no container, its delete lock, the shim.
		c, err := containerd.New(d.address, containerd.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := namespaces.WithNamespace(context.Background(), testNamespace)
		if err := c.ContainerService().Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		lock := filepath.Join(d.dataRoot, testNamespace, "locks", id+".delete")
		if err := os.MkdirAll(filepath.Dir(lock), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lock, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := d.lumper("container", "prune", "-f"); r.code != 0 {
			t.Fatalf("container prune: %s", r)
		}
		eventually(t, 5*time.Second, "prune to end the shim of "+id, func() bool { return len(d.shims(id)) == 0 })
		assertNoGroupListener(t, d, "lumper-0")
		if fileExists(lock) || fileExists(shimSocketFor(d.address, testNamespace, id)) {
			t.Fatalf("prune left the delete lock or the shim socket of %s", id)
		}
		// The name lease the removed record left is released by prune too.
		d.lumper("rm", "-f", name)
	})
}

// assertNoGroupListener fails if a shim still listens on shim group g's
// socket (lumper's default puts each case's container alone in lumper-0).
func assertNoGroupListener(t *testing.T, d slowDaemon, g string) {
	t.Helper()
	if sock := shimSocketFor(d.address, testNamespace, g); fileExists(sock) {
		if conn, err := net.Dial("unix", sock); err == nil {
			conn.Close()
			t.Fatalf("a shim still listens on group socket %s", sock)
		}
	}
}
