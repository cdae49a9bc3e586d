//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"

	"github.com/lumper/lumper/internal/testimage"
)

func TestParallelRunSameName(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = lumperRun("run", "-d", "--name", name, "busybox", "sleep", "1000")
		}()
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			wins++
		case r.code == 125 && strings.Contains(r.stderr, "in use"):
		default:
			t.Errorf("unexpected outcome: %s", r)
		}
	}
	if wins != 1 {
		t.Fatalf("%d runs won the name, want exactly 1", wins)
	}
	count := 0
	for _, line := range strings.Split(lumper(t, "list", "--format", "{{.Name}}"), "\n") {
		if line == name {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d containers named %s", count, name)
	}
	row, _ := listed(t, name)
	lumper(t, "rm", "-f", name)
	assertGone(t, row.ID, name)
}

func TestFailedRunFreesName(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// A bad entrypoint: the task cannot start.
	mustFail(t, 127, "run", "--name", name, "busybox", "/no/such/binary")
	// A bad mount: runc cannot mount a file over a directory.
	mustFail(t, 125, "run", "--name", name, "-v", "/etc/hostname:/etc", "busybox", "true")
	// The name is free at once.
	lumper(t, "run", "--rm", "--name", name, "busybox", "true")
}

func TestStaleNameReservationIsTakenOver(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// What a lumper process SIGKILLed between reserving the name and creating
	// the container leaves behind: the name's lease, owned by a dead process.
	c, ctx := ctd(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	_, err := c.LeasesService().Create(ctx, leases.WithID(nameLease(name)), leases.WithLabels(map[string]string{
		"lumper.io/name": name, "lumper.io/container": strings.Repeat("a", 64),
		"lumper.io/owner": strconv.Itoa(dead.Process.Pid) + ":1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	lumper(t, "run", "--rm", "--name", name, "busybox", "true")
	// A live owner's reservation is respected.
	_, err = c.LeasesService().Create(ctx, leases.WithID(nameLease(name)), leases.WithLabels(map[string]string{
		"lumper.io/name": name, "lumper.io/container": strings.Repeat("b", 64),
		"lumper.io/owner": strconv.Itoa(os.Getpid()) + ":" + procStart(os.Getpid()),
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := mustFail(t, 125, "run", "--rm", "--name", name, "busybox", "true")
	if !strings.Contains(r.stderr, "in use") {
		t.Fatalf("live reservation: %q", r.stderr)
	}
	if err := c.LeasesService().Delete(ctx, leases.Lease{ID: nameLease(name)}); err != nil {
		t.Fatal(err)
	}
}

func TestParallelStopRmSafe(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	var wg sync.WaitGroup
	results := make([]result, 9)
	img := "parallel-commit-" + name
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				results[i] = lumperRun("rm", "-f", name)
			case 1:
				results[i] = lumperRun("stop", "-t", "1", name)
			default:
				results[i] = lumperRun("commit", name, img+":"+strconv.Itoa(i))
				t.Cleanup(func() { lumperRun("rmi", "-f", img+":"+strconv.Itoa(i)) })
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("multi-line error: %q", r.stderr)
		}
		if r.code == 0 {
			if i%3 == 2 {
				// A commit that won the race made a complete image.
				if out := lumper(t, "run", "--rm", "--network", "none", img+":"+strconv.Itoa(i), "echo", "ok"); out != "ok\n" {
					t.Errorf("image committed during the race: %q", out)
				}
			}
			continue
		}
		if r.code != 1 || !(strings.Contains(r.stderr, "No such container") || strings.Contains(r.stderr, "not found") ||
			strings.Contains(r.stderr, "removed while") || strings.Contains(r.stderr, "no longer exists")) {
			t.Errorf("parallel stop/rm/commit: %s", r)
		}
	}
	assertGone(t, id, name)
}

func TestHundredContainersParallel(t *testing.T) {
	prefix := uniqueName(t)
	const n = 100
	t.Cleanup(func() {
		var args []string
		for i := 0; i < n; i++ {
			args = append(args, fmt.Sprintf("%s-%d", prefix, i))
		}
		lumperRun(append([]string{"rm", "-f"}, args...)...)
	})
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cmd := "true"
			if i%10 == 0 {
				cmd = "sleep 1000"
			}
			r := lumperRun(append([]string{"run", "-d", "--name", fmt.Sprintf("%s-%d", prefix, i), "busybox"}, strings.Fields(cmd)...)...)
			if r.code != 0 {
				errs <- r.String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	eventually(t, 20*time.Second, "all 100 listed with the right state", func() bool {
		running, exited := 0, 0
		for _, line := range strings.Split(lumper(t, "list", "--format", "{{.Name}} {{.Status}}"), "\n") {
			name, status, _ := strings.Cut(line, " ")
			if !strings.HasPrefix(name, prefix+"-") {
				continue
			}
			switch status {
			case "running":
				running++
			case "exited":
				exited++
			}
		}
		return running == 10 && exited == 90
	})
}

func TestHungShimDoesNotHangList(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	shim := shimPid(t, id)
	if err := syscall.Kill(shim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(shim, syscall.SIGCONT)
	start := time.Now()
	row, ok := listed(t, name)
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("list took %v with a hung shim", d)
	}
	if !ok || row.Status != "unknown" {
		t.Fatalf("hung container listed as %+v", row)
	}
	syscall.Kill(shim, syscall.SIGCONT)
	eventually(t, 30*time.Second, "the container to be running again", func() bool {
		row, _ := listed(t, name)
		return row.Status == "running"
	})
}

// shimPid finds the shim serving container id.
func shimPid(t *testing.T, id string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) != "containerd-shim-runc-v2" {
			continue
		}
		for i, a := range args {
			if a == "-id" && i+1 < len(args) && args[i+1] == id {
				return pid
			}
		}
	}
	t.Fatalf("no shim for %s", id)
	return 0
}

// TestKilledLoadLeavesNothing is issue 7 for `load`: a lumper load
// SIGKILLed at any point registers no image (or, when the kill comes after
// the image record, a complete one), creates no container, and leaves only
// what its operation lease holds, so that once the lease expires containerd's
// GC brings the content store and the overlayfs snapshotter back to exactly
// what they held before.
//
// The load of a 200 MB archive is timed once, then killed at points spread
// over that time (in the copy into the content store, in the unpack, near the
// end). A kill that lands after the load finished counts as "completed": the
// image must then be whole (its 200 MB file readable in a container); at
// least two kills must be real mid-load kills, so the test cannot pass by
// never interrupting anything.
//
// It fails if lumper records the image before its content and layers are all
// in (a half-registered image shows in `images` or in containerd's image
// store after a kill, or a "completed" one misses a blob or is not
// unpacked), if anything is written outside the operation lease (a
// blob, an ingest or a snapshot survives the lease and GC, in containerd's
// metadata or on disk), or if the lease does not expire.
func TestKilledLoadLeavesNothing(t *testing.T) {
	const ref = "docker.io/library/killed-load:1"
	const extra = 200 << 20
	big := filepath.Join(t.TempDir(), "big.tar")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := testimage.DockerArchive(f, testimage.Options{Ref: ref, Extra: extra}); err != nil {
		t.Fatal(err)
	}
	// Written back now, not while the first load is timed.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c, ctx := ctd(t)
	rmiOnCleanup(t, ref)
	t.Cleanup(func() { expireOperationLeases(t, c, ctx, "load") })

	// checkWhole checks that the loaded image is complete and runs.
	checkWhole := func() {
		t.Helper()
		out := lumper(t, "run", "--rm", "--network", "none", ref, "sh", "-c", "wc -c < /data/random")
		if strings.TrimSpace(out) != strconv.Itoa(extra) {
			t.Fatalf("the loaded image's /data/random has %q bytes, want %d", out, extra)
		}
	}

	// One load to completion, to time it; then back to where we were.
	start := time.Now()
	lumper(t, "load", "-q", "-i", big)
	full := time.Since(start)
	checkWhole()
	lumper(t, "rmi", ref)
	collectGarbage(t, c, ctx)
	before := storeState(t, c, ctx)
	if before.hasImage(ref) {
		t.Fatalf("%s still listed after rmi", ref)
	}
	t.Logf("a full load takes %v", full)

	midLoad := 0
	for _, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.95} {
		delay := time.Duration(frac * float64(full))
		cmd := lumperCmd("load", "-q", "-i", big)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := killAfter(t, cmd, delay); err != nil {
			t.Fatalf("load to be killed after %v failed on its own: %v: %s", delay, err, stderr.String())
		}
		completed := cmd.ProcessState.Success()
		waitQuiet(t)
		after := storeState(t, c, ctx)
		if !after.sameContainers(before) {
			t.Fatalf("load killed after %v: containers changed:\n%s\n->\n%s", delay, before.containers, after.containers)
		}
		switch {
		case after.images == before.images && after.ctdImages == before.ctdImages && !completed:
			midLoad++
			t.Logf("killed after %v: mid-load, held by its lease: %d blobs, %d ingests, %d snapshots", delay,
				len(after.blobs)-len(before.blobs), len(after.ingests)-len(before.ingests), len(after.snapshots)-len(before.snapshots))
		case after.hasImage(ref) && after.withoutImage(ref) == before.images:
			// Killed after the image record was written (or not killed at
			// all): the image must be whole.
			t.Logf("killed after %v: completed (exited normally: %v)", delay, completed)
			img, err := c.GetImage(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, missing, err := images.Check(ctx, c.ContentStore(), img.Target(), platforms.Default()); err != nil || len(missing) > 0 {
				t.Fatalf("load killed after %v recorded %s without all its content: missing %v (%v)", delay, ref, missing, err)
			}
			if ok, err := img.IsUnpacked(ctx, "overlayfs"); err != nil || !ok {
				t.Fatalf("load killed after %v recorded %s before unpacking it (%v)", delay, ref, err)
			}
			checkWhole()
			lumper(t, "rmi", ref)
		default:
			t.Fatalf("load killed after %v changed the images:\nlumper images:\n%s\n->\n%s\ncontainerd: %s -> %s",
				delay, before.images, after.images, before.ctdImages, after.ctdImages)
		}
		// The lease expires later; simulate its expiry, and collect.
		expireOperationLeases(t, c, ctx, "load")
		collectGarbage(t, c, ctx)
		if after := storeState(t, c, ctx); !after.sameStore(before) {
			t.Fatalf("load killed after %v: once its lease expired and GC ran, left: %s", delay, after.leftovers(before))
		}
	}
	if midLoad < 2 {
		t.Fatalf("only %d of the kills landed mid-load, want at least 2", midLoad)
	}
}

// TestKilledRunFreesName is issue 7 for `run --name`: a foreground run
// SIGKILLed at any point, from before it reserves the name to after its
// container exits, never leaves the name unusable nor a half-made container.
// After each kill either `list` shows no container of that name (and
// containerd has none) and a new `run --rm --name` with it succeeds at once,
// or `list` shows a whole container (its image, command, a state, its
// snapshot and spec in containerd) that `rm -f` removes before the name is
// used again. Either way, once the name is used and released again and GC
// has run, no lease, snapshot, container or container directory of the
// killed run is left.
//
// It fails if a reservation left by a killed lumper is not taken over (the
// next run says "in use"), if a container record exists that list does not
// show or shows incomplete, or if the killed run's snapshot or lease
// survives its container and the GC. At least two kills must land before the
// run finished, so it cannot pass by never interrupting anything.
func TestKilledRunFreesName(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	c, ctx := ctd(t)
	collectGarbage(t, c, ctx)
	snapsBefore := snapshotNames(t, c, ctx)
	args := []string{"run", "--name", name, "busybox", "true"}

	start := time.Now()
	lumper(t, args...)
	full := time.Since(start)
	lumper(t, "rm", name)
	t.Logf("a full run takes %v", full)

	var delays []time.Duration
	for _, ms := range []int{5, 10, 15, 20, 25, 30, 40, 60, 90, 150} {
		delays = append(delays, time.Duration(ms)*time.Millisecond)
	}
	for _, frac := range []float64{0.5, 0.7, 0.9} {
		if d := time.Duration(frac * float64(full)); d > delays[len(delays)-1] {
			delays = append(delays, d)
		}
	}
	outcomes := map[string]int{}
	interrupted := 0
	for _, delay := range delays {
		cmd := lumperCmd(args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := killAfter(t, cmd, delay); err != nil {
			t.Fatalf("run to be killed after %v failed on its own: %v: %s", delay, err, stderr.String())
		}
		completed := cmd.ProcessState.Success()
		if !completed {
			interrupted++
		}
		// Which container the killed run was making, if it got that far.
		var ids []string
		if ls, err := c.LeasesService().List(ctx, "id=="+nameLease(name)); err != nil {
			t.Fatal(err)
		} else if len(ls) == 1 {
			ids = append(ids, ls[0].Labels["lumper.io/container"])
		}
		ctrs, err := c.ContainerService().List(ctx, `labels."lumper.io/name"==`+strconv.Quote(name))
		if err != nil {
			t.Fatal(err)
		}
		row, isListed := listed(t, name)
		var outcome string
		switch {
		case len(ctrs) > 1:
			t.Fatalf("run killed after %v: %d containers named %s", delay, len(ctrs), name)
		case len(ctrs) == 1 && !isListed:
			t.Fatalf("run killed after %v left container %s that list does not show", delay, ctrs[0].ID)
		case len(ctrs) == 0 && isListed:
			t.Fatalf("run killed after %v: list shows %+v, containerd has no such container", delay, row)
		case isListed:
			// A whole container: rm -f is how its name is freed.
			ctr := ctrs[0]
			if row.ID != ctr.ID || row.Command != "true" || !slices.Contains([]string{"created", "running", "exited"}, row.Status) ||
				ctr.Labels["lumper.io/image"] != "busybox" || ctr.Image == "" || ctr.Spec == nil ||
				ctr.Snapshotter != "overlayfs" || ctr.SnapshotKey != ctr.ID {
				t.Fatalf("run killed after %v left a half-made container: listed %+v, in containerd %+v", delay, row, ctr)
			}
			if _, err := c.SnapshotService("overlayfs").Stat(ctx, ctr.SnapshotKey); err != nil {
				t.Fatalf("run killed after %v left container %s without its snapshot: %v", delay, ctr.ID, err)
			}
			outcome = "container " + row.Status
			if completed {
				outcome = "completed"
			}
			if !slices.Contains(ids, ctr.ID) {
				ids = append(ids, ctr.ID)
			}
			lumper(t, "rm", "-f", name)
			assertKilledRunGone(t, c, ctx, ctr.ID, name)
		case len(ids) == 1:
			outcome = "name reserved, no container"
		default:
			outcome = "nothing reserved yet"
		}
		outcomes[outcome]++
		t.Logf("killed after %v: %s", delay, outcome)

		// The name is free at once.
		if r := lumperRun("run", "--rm", "--name", name, "busybox", "true"); r.code != 0 {
			t.Fatalf("run killed after %v (%s): the name is not reusable: %s", delay, outcome, r)
		}
		// Nothing of either run is left once GC has run.
		collectGarbage(t, c, ctx)
		ls, err := c.LeasesService().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.ID == nameLease(name) || l.Labels["lumper.io/name"] == name || slices.Contains(ids, l.Labels["lumper.io/container"]) {
				t.Fatalf("run killed after %v (%s): lease %s left: %v", delay, outcome, l.ID, l.Labels)
			}
		}
		if snaps := snapshotNames(t, c, ctx); !maps.Equal(snaps, snapsBefore) {
			var extra []string
			for k := range snaps {
				if !snapsBefore[k] {
					extra = append(extra, k)
				}
			}
			t.Fatalf("run killed after %v (%s): snapshots left after GC: %v (killed run's container: %v)", delay, outcome, extra, ids)
		}
		if ctrs, err := c.ContainerService().List(ctx, `labels."lumper.io/name"==`+strconv.Quote(name)); err != nil || len(ctrs) != 0 {
			t.Fatalf("run killed after %v (%s): containers left: %v %v", delay, outcome, ctrs, err)
		}
		for _, id := range ids {
			if _, err := os.Stat(filepath.Join(env.dataRoot, testNamespace, "containers", id)); !os.IsNotExist(err) {
				t.Fatalf("run killed after %v (%s): directory of container %s left: %v", delay, outcome, id, err)
			}
			if _, err := os.Stat("/run/netns/lumper-" + id); !os.IsNotExist(err) {
				t.Errorf("run killed after %v (%s): network namespace of container %s left: %v", delay, outcome, id, err)
			}
			if out, _ := exec.Command("grep", "-rl", id, filepath.Join(env.dataRoot, "networks")).Output(); len(out) > 0 {
				t.Errorf("run killed after %v (%s): network files of container %s left: %s", delay, outcome, id, out)
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
	if interrupted < 2 {
		t.Fatalf("only %d of the kills landed before the run finished, want at least 2", interrupted)
	}
}

// assertKilledRunGone is assertGone for the container of a killed run, with
// one exception that is containerd's and not lumper's: when the killed
// lumper was inside a task RPC (create, or the delete after the container
// exited), containerd 2.4 may go on with a canceled context, drop the task
// from its records and leave the shim running with the container still in
// its map, so that the shim never exits (containerd/containerd#11392; fix
// proposed in containerd/containerd#13702). No lumper process can reach such
// a shim through containerd. That case is logged and the shim killed, so that
// the host stays clean; a shim whose task containerd still has fails.
func assertKilledRunGone(t *testing.T, c *containerd.Client, ctx context.Context, id, name string) {
	t.Helper()
	assertRecordsGone(t, c, ctx, id)
	deadline := time.Now().Add(5 * time.Second)
	for len(shimsOf(id)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, pid := range shimsOf(id) {
		t.Logf("containerd dropped the task of %s but left its shim %d running (containerd#11392): killing it", id, pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ls, err := c.LeasesService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Labels["lumper.io/container"] == id || l.Labels["lumper.io/name"] == name {
			t.Fatalf("lease %s still there: %v", l.ID, l.Labels)
		}
	}
	if _, err := os.Stat(filepath.Join(env.dataRoot, testNamespace, "containers", id)); !os.IsNotExist(err) {
		t.Fatalf("container directory still there: %v", err)
	}
}

// killAfter starts cmd and SIGKILLs it after delay unless it has exited by
// then; it returns an error only if cmd exited on its own and failed.
func killAfter(t *testing.T, cmd *exec.Cmd, delay time.Duration) error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(delay):
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return nil
	}
	return err // exited on its own just before the kill
}

// expireOperationLeases deletes lumper's operation leases of op (as their
// expiry would, later) after checking that each does expire, within the hour
// lumper gives them. It also triggers a GC and waits for it.
func expireOperationLeases(t *testing.T, c *containerd.Client, ctx context.Context, op string) {
	t.Helper()
	ls, err := c.LeasesService().List(ctx, `labels."lumper.io/operation"==`+strconv.Quote(op))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		exp, err := time.Parse(time.RFC3339, l.Labels["containerd.io/gc.expire"])
		if err != nil {
			t.Errorf("operation lease %s has no usable expiry: %v", l.ID, err)
		} else if exp.After(time.Now().Add(time.Hour + time.Minute)) {
			t.Errorf("operation lease %s expires only at %v", l.ID, exp)
		}
		if err := c.LeasesService().Delete(ctx, l, leases.SynchronousDelete); err != nil && !errdefs.IsNotFound(err) {
			t.Fatal(err)
		}
	}
}

// waitQuiet waits until the private containerd's content and snapshot
// directories stop changing: a client killed midway leaves a request
// (a write, an apply) that containerd finishes or aborts a moment later.
// A real lease expires an hour later; deleting it before then would only
// test a race this test is not about.
func waitQuiet(t *testing.T) {
	t.Helper()
	var last string
	stable := 0
	eventually(t, 10*time.Second, "containerd to finish the killed client's requests", func() bool {
		cur := diskUsage(t)
		if cur == last {
			stable++
		} else {
			stable = 0
		}
		last = cur
		return stable >= 4 // 200 ms without a change
	})
}

// diskUsage describes (names and sizes) what the private containerd's
// content store and overlayfs snapshotter hold on disk.
func diskUsage(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, dir := range []string{ctdContentDir(), ctdOverlayDir()} {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return nil // removed meanwhile
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				fmt.Fprintf(&b, "%s %d\n", path, info.Size())
			}
			return nil
		})
	}
	return b.String()
}

func ctdContentDir() string {
	return filepath.Join(env.ctdDir, "root", "io.containerd.content.v1.content")
}

func ctdOverlayDir() string {
	return filepath.Join(env.ctdDir, "root", "io.containerd.snapshotter.v1.overlayfs")
}

// store is what a killed lumper must not change: the images and containers
// (as lumper lists them, and as containerd has them), and what the content
// store and the overlayfs snapshotter hold, in containerd's metadata and on
// disk.
type store struct {
	images, ctdImages        string // `lumper images --format json`; containerd's image names
	containers, ctdContainer string // `lumper list`; containerd's container IDs
	blobs, ingests           []string
	snapshots                []string
	diskBlobs, diskIngests   []string
	diskSnapshots            []string
}

func storeState(t *testing.T, c *containerd.Client, ctx context.Context) store {
	t.Helper()
	var s store
	// Docker's images --format json has no full name and relative times:
	// lumper's .Name and absolute fields instead.
	s.images = lumper(t, "images", "--no-trunc", "--format", `{"Name":{{json .Name}},"ID":{{json .ID}},"Digest":{{json .Digest}},"Size":{{json .Size}}}`)
	s.containers = lumper(t, "list", "--format", "{{.ID}} {{.Name}} {{.Image}}")
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range imgs {
		names = append(names, i.Name+"@"+i.Target.Digest.String())
	}
	slices.Sort(names)
	s.ctdImages = strings.Join(names, " ")
	ctrs, err := c.ContainerService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ctr := range ctrs {
		ids = append(ids, ctr.ID)
	}
	slices.Sort(ids)
	s.ctdContainer = strings.Join(ids, " ")
	for d := range blobDigests(t, c, ctx) {
		s.blobs = append(s.blobs, d.String())
	}
	slices.Sort(s.blobs)
	sts, err := c.ContentStore().ListStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		s.ingests = append(s.ingests, st.Ref)
	}
	slices.Sort(s.ingests)
	for k := range snapshotNames(t, c, ctx) {
		s.snapshots = append(s.snapshots, k)
	}
	slices.Sort(s.snapshots)
	s.diskBlobs = dirNames(t, filepath.Join(ctdContentDir(), "blobs", "sha256"))
	s.diskIngests = dirNames(t, filepath.Join(ctdContentDir(), "ingest"))
	s.diskSnapshots = dirNames(t, filepath.Join(ctdOverlayDir(), "snapshots"))
	return s
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out // sorted by ReadDir
}

func (s store) hasImage(ref string) bool {
	return strings.Contains(s.ctdImages, ref+"@")
}

// withoutImage is s.images without the line of image ref.
func (s store) withoutImage(ref string) string {
	var keep []string
	for _, line := range strings.SplitAfter(s.images, "\n") {
		if !strings.Contains(line, `"Name":"`+ref+`"`) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

func (s store) sameContainers(o store) bool {
	return s.containers == o.containers && s.ctdContainer == o.ctdContainer
}

func (s store) sameStore(o store) bool {
	return s.images == o.images && s.ctdImages == o.ctdImages && s.sameContainers(o) &&
		slices.Equal(s.blobs, o.blobs) && slices.Equal(s.ingests, o.ingests) && slices.Equal(s.snapshots, o.snapshots) &&
		slices.Equal(s.diskBlobs, o.diskBlobs) && slices.Equal(s.diskIngests, o.diskIngests) && slices.Equal(s.diskSnapshots, o.diskSnapshots)
}

// leftovers says what s holds beyond o.
func (s store) leftovers(o store) string {
	extra := func(what string, a, b []string) string {
		var n []string
		for _, x := range a {
			if !slices.Contains(b, x) {
				n = append(n, x)
			}
		}
		if len(n) == 0 {
			return ""
		}
		return fmt.Sprintf("%d %s %v; ", len(n), what, n)
	}
	out := extra("blobs", s.blobs, o.blobs) + extra("ingests", s.ingests, o.ingests) + extra("snapshots", s.snapshots, o.snapshots) +
		extra("blob files", s.diskBlobs, o.diskBlobs) + extra("ingest dirs", s.diskIngests, o.diskIngests) + extra("snapshot dirs", s.diskSnapshots, o.diskSnapshots)
	if s.images != o.images || s.ctdImages != o.ctdImages {
		out += "images changed; "
	}
	if !s.sameContainers(o) {
		out += "containers changed; "
	}
	if out == "" {
		return "nothing"
	}
	return out
}

func TestWaitersSurviveDaemonRestart(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "for i in 1 2 3 4; do echo $i; sleep 1; done")
	follow := lumperCmd("logs", "-f", name)
	var followed bytes.Buffer
	follow.Stdout = &followed
	run := lumperCmd("run", "--rm", "busybox", "sh", "-c", "sleep 3; echo done; exit 4")
	var ran bytes.Buffer
	run.Stdout = &ran
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1 * time.Second)
	killContainerd(t)
	if err := ctdScript("up"); err != nil {
		t.Fatal(err)
	}
	_ = run.Wait()
	if code := run.ProcessState.ExitCode(); code != 4 || ran.String() != "done\n" {
		t.Fatalf("foreground run across a daemon restart: exit %d, output %q", code, ran.String())
	}
	if err := follow.Wait(); err != nil || followed.String() != "1\n2\n3\n4\n" {
		t.Fatalf("logs -f across a daemon restart: %v %q", err, followed.String())
	}
}

// lockWaiters counts the processes blocked on a lock of the file with inode
// ino (the "->" lines of /proc/locks), and whether someone holds one.
func lockWaiters(t *testing.T, ino uint64) (waiters int, held bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	suffix := ":" + strconv.FormatUint(ino, 10)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if strings.Count(x, ":") == 2 && strings.HasSuffix(x, suffix) && i > 0 {
				if slices.Contains(f, "->") {
					waiters++
				} else {
					held = true
				}
			}
		}
	}
	return waiters, held
}

// TestDeleteLockDiesWithItsHolder: the one-delete lock is honoured by stop
// and by the logger's reaper (both wait while another process holds it —
// the reaper behind stop, on the start lock that every reap takes first —
// with the task stopped but not deleted), it is not in the container's
// directory, and it dies with its holder: once the holder is SIGKILLed, the
// task is deleted, once, and nothing lingers.
func TestDeleteLockDiesWithItsHolder(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	lock := filepath.Join(env.dataRoot, testNamespace, "locks", id+".delete")
	if err := os.MkdirAll(filepath.Dir(lock), 0o700); err != nil {
		t.Fatal(err)
	}
	// Another lumper in the middle of deleting the task, as far as the lock
	// goes; its process group is SIGKILLed below.
	holder := exec.Command("flock", lock, "sleep", "1000")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Skipf("flock(1): %v", err)
	}
	killHolder := func() { syscall.Kill(-holder.Process.Pid, syscall.SIGKILL); holder.Wait() }
	t.Cleanup(killHolder)
	var ino uint64
	eventually(t, 30*time.Second, "flock(1) to take the lock", func() bool {
		var st syscall.Stat_t
		if syscall.Stat(lock, &st) != nil {
			return false
		}
		ino = st.Ino
		_, held := lockWaiters(t, ino)
		return held
	})
	stop := lumperCmd("stop", "-t", "1", name)
	var out bytes.Buffer
	stop.Stdout, stop.Stderr = &out, &out
	if err := stop.Start(); err != nil {
		t.Fatal(err)
	}
	// stop kills the container, then waits for the delete lock (holding
	// the start lock, which a reap takes first); the logger's reaper, woken
	// by the exit, waits for the start lock.
	startLock := filepath.Join(filepath.Dir(lock), id+".start")
	eventually(t, 30*time.Second, "stop and the reaper to wait for the locks", func() bool {
		w, _ := lockWaiters(t, ino)
		var st syscall.Stat_t
		if w < 1 || syscall.Stat(startLock, &st) != nil {
			return false
		}
		ws, held := lockWaiters(t, st.Ino)
		return held && ws >= 1
	})
	if st := taskStatusOf(t, id); st != containerd.Stopped {
		t.Fatalf("task is %q while the lock is held, want stopped and not deleted", st)
	}
	killHolder()
	done := make(chan error, 1)
	go func() { done <- stop.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop: %v: %s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		stop.Process.Kill()
		t.Fatalf("stop still waiting 15 s after the lock's holder died: %s", out.String())
	}
	if st := taskStatusOf(t, id); st != "" {
		t.Fatalf("task still %q after stop", st)
	}
	eventually(t, 5*time.Second, "the shim of "+id+" to exit", func() bool { return len(shimsOf(id)) == 0 })
	if st := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)); st != "exited 137" {
		t.Fatalf("state after stop: %q", st)
	}
}

// TestRunRacingRm: an rm -f of the name a run -d is starting either waits for
// the start (the run succeeds, the rm removes the started container) or
// removes the container first (the run fails saying so) — never a runtime
// error that names something else (a missing hosts file as 127, "ttrpc:
// closed", "container not created"), and nothing is left behind.
func TestRunRacingRm(t *testing.T) {
	t.Parallel()
	base := uniqueName(t)
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("%s-%d", base, i)
		var run result
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			run = lumperRun("run", "-d", "--name", name, "busybox", "sleep", "600")
		}()
		// Spread the rm over the run's whole start.
		time.Sleep(time.Duration(i*15) * time.Millisecond)
		rm := lumperRun("rm", "-f", name)
		wg.Wait()
		if run.code != 0 && !(run.code == 125 && strings.Contains(run.stderr, "was removed (by a concurrent rm) while it was being started")) {
			t.Errorf("run -d racing rm -f: %s", run)
		}
		if rm.code != 0 && !strings.Contains(rm.stderr, "No such container") {
			t.Errorf("rm -f racing run -d: %s", rm)
		}
		lumperRun("rm", "-f", name)
		if id := strings.TrimSpace(run.stdout); id != "" {
			assertGone(t, id, name)
		} else if out := lumper(t, "ps", "-aq", "--filter", "name=^"+name+"$"); out != "" {
			t.Errorf("container %s left behind by a failed run: %q", name, out)
		}
	}
}
