//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/leases"

	"github.com/lumper/lumper/internal/testimage"
)

func TestParallelRunSameName(t *testing.T) {
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
	name := uniqueName(t)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sleep", "1000"))
	var wg sync.WaitGroup
	results := make([]result, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				results[i] = lumperRun("rm", "-f", name)
			} else {
				results[i] = lumperRun("stop", "-t", "1", name)
			}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.code != 0 && !strings.Contains(r.stderr, "no such container") && !strings.Contains(r.stderr, "not found") {
			t.Errorf("parallel stop/rm: %s", r)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("multi-line error: %q", r.stderr)
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
	eventually(t, 10*time.Second, "the container to be running again", func() bool {
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

func TestKilledLoadLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.tar")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := testimage.DockerArchive(f, testimage.Options{Ref: "docker.io/library/killed:1", Extra: 200 << 20}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c, ctx := ctd(t)
	blobsBefore := blobs(t)
	imagesBefore := lumper(t, "images", "-q")
	for _, delay := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond} {
		cmd := lumperCmd("load", "-q", "-i", big)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if cmd.ProcessState.Success() {
			t.Skip("the load finished before it could be killed")
		}
		if after := lumper(t, "images", "-q"); after != imagesBefore {
			t.Fatalf("a killed load changed the images: %q -> %q", imagesBefore, after)
		}
	}
	// What is left is held by lumper's expiring operation leases; let them
	// expire now and collect.
	ls, err := c.LeasesService().List(ctx, `labels."lumper.io/operation"==load`)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) == 0 {
		t.Fatal("no operation lease held the killed load's content")
	}
	for _, l := range ls {
		if l.Labels["containerd.io/gc.expire"] == "" {
			t.Fatalf("operation lease %s never expires", l.ID)
		}
		if err := c.LeasesService().Delete(ctx, l, leases.SynchronousDelete); err != nil {
			t.Fatal(err)
		}
	}
	if after := blobs(t); len(after) != len(blobsBefore) {
		t.Fatalf("content store: %d blobs before, %d after the killed loads and GC", len(blobsBefore), len(after))
	}
}

func blobs(t *testing.T) map[string]bool {
	t.Helper()
	c, ctx := ctd(t)
	out := map[string]bool{}
	if err := c.ContentStore().Walk(ctx, func(i content.Info) error {
		out[i.Digest.String()] = true
		return nil
	}); err != nil {
		t.Fatal(err)
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
