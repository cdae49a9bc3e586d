//go:build integration

package integration

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// committedLayer returns the descriptor of img's newest layer and its diff ID.
func committedLayer(t *testing.T, img string) (ocispec.Descriptor, digest.Digest) {
	t.Helper()
	c, ctx := ctd(t)
	rec, err := c.ImageService().Get(ctx, "docker.io/"+img)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.ContentStore()
	mf, err := images.Manifest(ctx, cs, rec.Target, platforms.Default())
	if err != nil {
		t.Fatal(err)
	}
	diffIDs, err := images.RootFS(ctx, cs, mf.Config)
	if err != nil {
		t.Fatal(err)
	}
	return mf.Layers[len(mf.Layers)-1], diffIDs[len(diffIDs)-1]
}

// The same stopped container committed twice gives the same layer (digest
// and bytes), a standard gzip stream that Go's compress/gzip reads, whose
// content is the layer's diff ID and keeps the files' modification times;
// containerd unpacks it and runs the image.
func TestPerfCommitReproducible(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// Several MiB (more than one compression block), many small files, a
	// deleted file (a whiteout), a symlink and a hard link.
	lumper(t, "run", "--network", "none", "--name", name, "busybox", "sh", "-c",
		`dd if=/dev/urandom of=/big bs=1M count=5 2>/dev/null && mkdir -p /many && i=0 && while [ $i -lt 300 ]; do echo "file $i" > /many/f$i; i=$((i+1)); done && ln -s /big /link && ln /many/f1 /hard && rm /bin/ls && md5sum /big > /sum`)
	img1, img2 := commitImageName(t, "1"), commitImageName(t, "2")
	rmiOnCleanup(t, img1, img2)
	lumper(t, "commit", name, img1)
	lumper(t, "commit", name, img2)
	l1, diffID := committedLayer(t, img1)
	l2, _ := committedLayer(t, img2)
	if l1.MediaType != ocispec.MediaTypeImageLayerGzip {
		t.Fatalf("layer media type %s, want gzip", l1.MediaType)
	}
	if l1.Digest != l2.Digest || l1.Size != l2.Size {
		t.Fatalf("two commits of the same container: layers %s (%d bytes) and %s (%d bytes)", l1.Digest, l1.Size, l2.Digest, l2.Size)
	}

	c, ctx := ctd(t)
	ra, err := c.ContentStore().ReaderAt(ctx, l1)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	zr, err := gzip.NewReader(content.NewReader(ra))
	if err != nil {
		t.Fatalf("the layer is not gzip: %v", err)
	}
	if zr.Header.Name != "" || !zr.Header.ModTime.IsZero() {
		t.Fatalf("gzip header has name %q, mtime %v: not reproducible", zr.Header.Name, zr.Header.ModTime)
	}
	dg := digest.SHA256.Digester()
	tr := tar.NewReader(io.TeeReader(zr, dg.Hash()))
	seen := map[string]*tar.Header{}
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the layer's tar: %v", err)
		}
		seen[strings.TrimSuffix(h.Name, "/")] = h
		names = append(names, h.Name)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatalf("decompressing the layer: %v", err)
	}
	if dg.Digest() != diffID {
		t.Fatalf("decompressed layer is %s, the image's diff ID %s", dg.Digest(), diffID)
	}
	for _, n := range []string{"big", "many/f299", "link", "hard", "bin/.wh.ls", "sum"} {
		if seen[n] == nil {
			t.Fatalf("layer lacks %s; it has %d entries: %.400v", n, len(names), names)
		}
	}
	if h := seen["big"]; time.Since(h.ModTime) > time.Hour || h.ModTime.After(time.Now().Add(time.Minute)) {
		t.Fatalf("/big's mtime in the layer is %v: the file's own mtime must be kept", h.ModTime)
	}
	if h := seen["link"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "/big" {
		t.Fatalf("/link: type %c -> %q", h.Typeflag, h.Linkname)
	}
	for _, h := range seen {
		if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Fatalf("%s has atime/ctime in its header: not reproducible", h.Name)
		}
	}
	out := lumper(t, "run", "--rm", "--network", "none", img2, "sh", "-c", "md5sum -c /sum && cat /many/f299 && ls /bin/ls 2>&1; readlink /link")
	if !strings.Contains(out, "/big: OK") || !strings.Contains(out, "file 299") || !strings.Contains(out, "No such file") || !strings.HasSuffix(out, "/big\n") {
		t.Fatalf("the committed image runs with %q", out)
	}
}

// --tail reads the log backwards across rotated files: whatever N, it
// prints exactly the last N lines of the whole log, and of a log with
// partial (over 16 KiB) lines too.
func TestPerfTailRotated(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--network", "none", "--name", name, "--log-opt", "max-size=256k", "--log-opt", "max-file=3", "busybox", "sh", "-c",
		`i=0; long=$(head -c 40000 /dev/zero | tr '\0' x); while [ $i -lt 30000 ]; do if [ $((i % 997)) = 0 ]; then echo "L$i $long"; else echo "line $i"; fi; i=$((i+1)); done`)
	waitExited(t, name, 60*time.Second)
	row, _ := listed(t, name)
	files, _ := filepath.Glob(filepath.Join(env.dataRoot, testNamespace, "containers", row.ID, "container.log*"))
	if len(files) != 3 {
		t.Fatalf("want the log rotated into 3 files, have %v", files)
	}
	all := lines(lumper(t, "logs", name))
	if len(all) < 1000 || all[len(all)-1] != "line 29999" {
		t.Fatalf("logs: %d lines, last %q", len(all), all[len(all)-1])
	}
	for _, n := range []int{0, 1, 10, 997, 2500, len(all) - 1, len(all), len(all) + 10} {
		got := lines(lumper(t, "logs", "--tail", fmt.Sprint(n), name))
		want := all[max(0, len(all)-n):]
		if len(got) != len(want) {
			t.Fatalf("--tail %d: %d lines, want %d", n, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("--tail %d: line %d is %.40q, want %.40q", n, i, got[i], want[i])
			}
		}
	}
}

// The diff of a gzip commit mounts the snapshots in lumper's process: a
// commit killed meanwhile leaves them mounted, and the next commit unmounts
// them and removes their directory.
func TestPerfKilledCommitLeavesNoMount(t *testing.T) {
	name, small := uniqueName(t), uniqueName(t)+"-small"
	rmOnCleanup(t, name)
	rmOnCleanup(t, small)
	img := commitImageName(t, "after-kill")
	rmiOnCleanup(t, img)
	dir := filepath.Join(env.dataRoot, testNamespace, "commit-mounts")
	lumper(t, "run", "--network", "none", "--name", name, "busybox", "sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=400 2>/dev/null")
	lumper(t, "run", "--network", "none", "--name", small, "busybox", "touch", "/x")
	cmd := lumperCmd("commit", name, commitImageName(t, "killed"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the commit to mount the snapshots", func() bool { return len(mountsUnder(t, dir)) > 0 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(mountsUnder(t, dir)) == 0 {
		t.Fatal("the killed commit left no mount: the test proves nothing")
	}
	lumper(t, "commit", small, img)
	if n := mountsUnder(t, dir); len(n) != 0 {
		t.Fatalf("mounts of the killed commit are left under %s: %v", dir, n)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left in %s: %v", dir, ents)
	}
}
