//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// loadInto loads an archive into a fresh namespace and runs it there.
func loadAndRun(t *testing.T, archive string) {
	ns := "lt-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() { lumperRun("--namespace", ns, "rmi", "-f", "busybox") })
	out := lumper(t, "--namespace", ns, "load", "-i", archive)
	if strings.TrimSpace(out) != "Loaded image: busybox:latest" {
		t.Fatalf("load printed %q", out)
	}
	out = lumper(t, "--namespace", ns, "run", "--rm", "busybox", "echo", "hello from", ns)
	if out != "hello from "+ns+"\n" {
		t.Fatalf("run printed %q", out)
	}
	imgs := lumper(t, "--namespace", ns, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if strings.TrimSpace(imgs) != "busybox:latest" {
		t.Fatalf("images printed %q", imgs)
	}
}

func TestLoadDockerArchive(t *testing.T) { t.Parallel(); loadAndRun(t, env.images.docker) }

func TestLoadOCIArchive(t *testing.T) { t.Parallel(); loadAndRun(t, env.images.oci) }

func TestLoadFromStdin(t *testing.T) {
	t.Parallel()
	ns := "lt-stdin"
	t.Cleanup(func() { lumperRun("--namespace", ns, "rmi", "-f", "busybox") })
	cmd := lumperCmd("--namespace", ns, "load")
	f, err := os.Open(env.images.oci)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Loaded image: busybox:latest") {
		t.Fatalf("load from stdin: %v: %s", err, out)
	}
}

func TestLoadBadArchive(t *testing.T) {
	before := lumper(t, "images", "-q")
	r := mustFail(t, 1, "load", "-i", "/etc/passwd")
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("error is not one line: %q", r.stderr)
	}
	mustFail(t, 1, "load", "-i", "/nonexistent.tar")
	if after := lumper(t, "images", "-q"); after != before {
		t.Fatalf("images changed after failed loads: %q -> %q", before, after)
	}
}

func TestImportRootfs(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { lumperRun("rmi", "-f", "imported:1") })
	lumper(t, "import", "-c", `CMD ["echo", "from-import"]`, "-c", "ENV IMPORTED=yes", env.images.rootfs, "imported:1")
	if out := lumper(t, "run", "--rm", "imported:1"); out != "from-import\n" {
		t.Fatalf("run of imported image printed %q", out)
	}
	if out := lumper(t, "run", "--rm", "imported:1", "sh", "-c", "echo $IMPORTED"); out != "yes\n" {
		t.Fatalf("ENV change not applied: %q", out)
	}
	// Import from stdin.
	t.Cleanup(func() { lumperRun("rmi", "-f", "imported:2") })
	f, err := os.Open(env.images.rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := lumperCmd("import", "-", "imported:2")
	cmd.Stdin = f
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import from stdin: %v: %s", err, out)
	}
	if out := lumper(t, "run", "--rm", "imported:2", "echo", "ok"); out != "ok\n" {
		t.Fatalf("run printed %q", out)
	}
}

func TestImportBadInput(t *testing.T) {
	t.Parallel()
	mustFail(t, 1, "import", env.images.rootfs, "UPPER:case")
	mustFail(t, 1, "import", "/nonexistent", "x:1")
	mustFail(t, 1, "import", "-c", "FROB x", env.images.rootfs, "x:1")
	if out := lumper(t, "images", "--format", "{{.Repository}}"); strings.Contains("\n"+out, "\nx\n") {
		t.Fatalf("a failed import left an image: %q", out)
	}
}

func TestImagesFormats(t *testing.T) {
	out := lumper(t, "images")
	if !strings.HasPrefix(out, "REPOSITORY") || !strings.Contains(out, "busybox") {
		t.Fatalf("images table: %q", out)
	}
	ids := strings.Fields(lumper(t, "images", "-q"))
	if len(ids) == 0 || len(ids[0]) != 12 {
		t.Fatalf("images -q: %q", ids)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(lumper(t, "images", "--no-trunc", "--format", "json")), "\n") {
		var img struct{ Repository, Tag, ID string }
		if err := json.Unmarshal([]byte(line), &img); err != nil {
			t.Fatalf("images --format json line %q: %v", line, err)
		}
		if img.Repository == "busybox" && img.Tag == "latest" && strings.HasPrefix(img.ID, "sha256:"+ids[0]) {
			found = true
		}
	}
	if !found {
		t.Fatal("busybox not in images --format json")
	}
	// Alias.
	if out2 := lumper(t, "image", "ls", "-q"); strings.Fields(out2)[0] != ids[0] {
		t.Fatalf("image ls differs from images: %q", out2)
	}
}

func TestRmiRefusesImageInUse(t *testing.T) {
	t.Parallel()
	lumper(t, "import", env.images.rootfs, "inuse:1")
	t.Cleanup(func() { lumperRun("rmi", "-f", "inuse:1") })
	name := uniqueName(t)
	lumper(t, "run", "--name", name, "inuse:1", "true")
	rmOnCleanup(t, name)
	r := mustFail(t, 1, "rmi", "inuse:1")
	if !strings.Contains(r.stderr, "used by container") {
		t.Fatalf("rmi error: %q", r.stderr)
	}
	lumper(t, "rm", name)
	lumper(t, "rmi", "inuse:1")
	mustFail(t, 1, "rmi", "inuse:1")

	// -f removes it anyway; the container keeps its root file system and
	// still starts.
	lumper(t, "import", env.images.rootfs, "inuse:2")
	t.Cleanup(func() { lumperRun("rmi", "-f", "inuse:2") })
	lumper(t, "run", "--name", name, "inuse:2", "echo", "started")
	lumper(t, "rmi", "-f", "inuse:2")
	if out := lumper(t, "images", "--format", "{{.Name}}"); strings.Contains(out, "inuse:2") {
		t.Fatalf("rmi -f left the image: %q", out)
	}
	if out := lumper(t, "start", "-a", name); out != "started\n" {
		t.Fatalf("start after rmi -f of its image: %q", out)
	}
}

// TestStopUsesImageStopSignal: stop sends the image's STOPSIGNAL, not
// SIGTERM.
func TestStopUsesImageStopSignal(t *testing.T) {
	t.Parallel()
	lumper(t, "import", "-c", "STOPSIGNAL SIGUSR1", env.images.rootfs, "stopsignal:1")
	t.Cleanup(func() { lumperRun("rmi", "-f", "stopsignal:1") })
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", "none", "stopsignal:1", "sh", "-c",
		`trap "exit 9" USR1; trap "exit 15" TERM; touch /ready; while :; do sleep 0.1; done`)
	eventually(t, 30*time.Second, "the trap to be set", func() bool {
		return lumperRun("exec", name, "test", "-f", "/ready").code == 0
	})
	lumper(t, "stop", "-t", "5", name)
	if row, _ := listed(t, name); row.Status != "exited" || row.ExitCode != 9 {
		t.Fatalf("stop did not send SIGUSR1: %+v", row)
	}
}
