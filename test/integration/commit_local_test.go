//go:build integration

package integration

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	"github.com/opencontainers/image-spec/identity"
)

// listFiles prints every file of img's root file system (not /proc, /sys,
// /dev, /run, nor the files each run mounts in /etc) with its type and mode,
// owner, size, modification time, link count (not of directories: overlayfs
// reports 1 for a directory merged from several layers) and, for regular
// files, content digest: what an unpack must reproduce.
func listFiles(t *testing.T, img string) string {
	t.Helper()
	return lumper(t, "run", "--rm", "--network", "none", img, "sh", "-c",
		`find / -xdev -mindepth 1 \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /etc/hosts -o -path /etc/hostname -o -path /etc/resolv.conf \) -prune -o -print | sort | while read -r f; do
			if [ -d "$f" ]; then stat -c '%n %f %u:%g %s %Y' "$f"; else stat -c '%n %f %u:%g %s %Y %h' "$f"; fi
			[ -f "$f" ] && [ ! -L "$f" ] && md5sum "$f"; done; true`)
}

// Commit's local path — the overlayfs upper directory walked alone, and the
// layer extracted into its snapshot while it is written — gives the layer
// containerd's walking differ gives (same diff ID) and the file system
// containerd's unpack of that layer gives, for new, modified, deleted and
// re-moded files, links, a FIFO and an empty directory; the snapshot it
// leaves survives a garbage collection, as an unpacked image's does. The
// 12 MiB file spans a dozen compression blocks, so the extraction reads
// recycled blocks: one reused too early would show in its digest.
func TestCommitLocalDiffMatchesContainerd(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--network", "none", "--name", name, "busybox", "sh", "-c",
		`set -e; echo `+name+` > /unique
		mkdir -p /new/deep/er && i=0 && while [ $i -lt 50 ]; do echo "file $i" > /new/deep/er/f$i; i=$((i+1)); done
		dd if=/dev/urandom of=/new/big bs=1M count=12 2>/dev/null
		echo more >> /etc/passwd; rm /bin/ls /etc/group
		chmod 700 /home; chown 1:2 /new/deep/er/f1; chmod 4755 /new/deep/er/f2
		ln -s /new/big /new/link; ln /new/deep/er/f3 /new/hard; mkfifo /new/fifo; mkdir /new/empty
		touch -d '2001-02-03 04:05:06' /new/deep/er/f4`)
	local, remote := commitImageName(t, "local"), commitImageName(t, "remote")
	rmiOnCleanup(t, local, remote)

	lumper(t, "commit", name, local)
	c, ctx := ctd(t)
	cs := c.ContentStore()
	rec, err := c.ImageService().Get(ctx, "docker.io/"+local)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := images.Manifest(ctx, cs, rec.Target, platforms.Default())
	if err != nil {
		t.Fatal(err)
	}
	diffIDs, err := images.RootFS(ctx, cs, mf.Config)
	if err != nil {
		t.Fatal(err)
	}
	chainID := identity.ChainID(diffIDs).String()
	info, err := cs.Info(ctx, mf.Config.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Labels["containerd.io/gc.ref.snapshot.overlayfs"]; got != chainID {
		t.Fatalf("config of the committed image refers to snapshot %q, want %s", got, chainID)
	}
	// A synchronous image delete runs containerd's garbage collector.
	tmp := commitImageName(t, "gc")
	lumper(t, "tag", "busybox", tmp)
	lumper(t, "rmi", tmp)
	if _, err := c.SnapshotService("overlayfs").Stat(ctx, chainID); err != nil {
		t.Fatalf("the committed image's snapshot %s after a garbage collection: %v", chainID, err)
	}
	_, localDiffID := committedLayer(t, local)
	want := listFiles(t, local)
	for _, s := range []string{"/unique ", "/new/deep/er/f49 ", "/new/fifo 11a4 ", "/new/deep/er/f1 81a4 1:2 ", "/new/deep/er/f2 89ed ", "/home 41c0 "} {
		if !strings.Contains(want, s) {
			t.Fatalf("the committed image lacks %q:\n%s", s, want)
		}
	}
	for _, s := range []string{"/bin/ls ", "/etc/group "} {
		if strings.Contains(want, s) {
			t.Fatalf("the committed image still has the deleted %q", s)
		}
	}

	// The same container through containerd's differ and unpacker, after
	// the first image and its snapshot are gone (same layer, same chain).
	lumper(t, "rmi", local)
	if _, err := c.SnapshotService("overlayfs").Stat(ctx, chainID); err == nil {
		t.Fatalf("snapshot %s outlived its image", chainID)
	}
	lumperOK(t, []string{"LUMPER_COMMIT_REMOTE_DIFF=1"}, "commit", name, remote)
	_, remoteDiffID := committedLayer(t, remote)
	// containerd 2's walking differ writes the same tar as the local one;
	// 1.7's writes other headers (same files: checked below).
	if v, err := c.Version(ctx); err != nil {
		t.Fatal(err)
	} else if !strings.HasPrefix(strings.TrimPrefix(v.Version, "v"), "1.") && localDiffID != remoteDiffID {
		t.Fatalf("layer diff IDs: local differ %s, containerd's %s", localDiffID, remoteDiffID)
	}
	if got := listFiles(t, remote); got != want {
		t.Fatalf("file systems differ\nlocal extraction:\n%s\ncontainerd's unpack:\n%s", want, got)
	}
}

// A directory of the image removed and made again is opaque in the upper
// directory: the local differ writes it as Docker's overlay2 does (the
// directory, then ".wh..wh..opq"), where containerd's walking differ writes
// a whiteout per file it held; the two layers differ in bytes, and give
// the same file system.
func TestCommitLocalDiffOpaqueDirectory(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	rmOnCleanup(t, name+"-2")
	base, local, remote := commitImageName(t, "base"), commitImageName(t, "local"), commitImageName(t, "remote")
	rmiOnCleanup(t, base, local, remote)
	lumper(t, "run", "--network", "none", "--name", name, "busybox", "sh", "-c",
		`mkdir -p /opq/sub && echo a > /opq/a && echo b > /opq/sub/b && echo `+name+` > /unique`)
	lumper(t, "commit", name, base)
	lumper(t, "run", "--network", "none", "--name", name+"-2", base, "sh", "-c",
		`rm -rf /opq && mkdir /opq && echo c > /opq/c`)
	lumper(t, "commit", name+"-2", local)
	layer, _ := committedLayer(t, local)
	c, ctx := ctd(t)
	ra, err := c.ContentStore().ReaderAt(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	zr, err := gzip.NewReader(content.NewReader(ra))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(h.Name, "opq") {
			names = append(names, h.Name)
		}
	}
	if got := strings.Join(names, " "); got != "opq/ opq/.wh..wh..opq opq/c" {
		t.Fatalf("the layer's entries under /opq: %s; want the directory, its opaque marker and c", got)
	}
	want := listFiles(t, local)
	if !strings.Contains(want, "/opq/c ") || strings.Contains(want, "/opq/a ") || strings.Contains(want, "/opq/sub") {
		t.Fatalf("the committed image's /opq:\n%s", want)
	}
	lumper(t, "rmi", local)
	lumperOK(t, []string{"LUMPER_COMMIT_REMOTE_DIFF=1"}, "commit", name+"-2", remote)
	if got := listFiles(t, remote); got != want {
		t.Fatalf("file systems differ\nlocal extraction:\n%s\ncontainerd's unpack:\n%s", want, got)
	}
}
