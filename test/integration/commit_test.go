//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// commitLeaseLabel is the label pkg/commit puts on a commit's lease.
const commitLeaseLabel = "lumper.io/commit-container"

// commitLeaseFilter selects the operation leases of commits.
const commitLeaseFilter = `labels."lumper.io/operation"==commit`

// commitImageName derives an image name from the test name.
func commitImageName(t *testing.T, tag string) string {
	return "commit-test/" + uniqueName(t) + ":" + tag
}

func rmiOnCleanup(t *testing.T, refs ...string) {
	t.Cleanup(func() {
		for _, r := range refs {
			lumperRun("rmi", "-f", r)
		}
	})
}

// imageID returns the ID (config digest) of image ref.
func imageIDOf(t *testing.T, ref string) string {
	t.Helper()
	out := lumper(t, "inspect", "--type", "image", "--format", "{{.Id}}", ref)
	return strings.TrimSpace(out)
}

// commitLeases returns the leases of commits in progress (or killed).
func commitLeases(t *testing.T) []leases.Lease {
	t.Helper()
	c, ctx := ctd(t)
	ls, err := c.LeasesService().List(ctx, commitLeaseFilter)
	if err != nil {
		t.Fatalf("listing leases: %v", err)
	}
	return ls
}

func assertNoCommitLease(t *testing.T) {
	t.Helper()
	if ls := commitLeases(t); len(ls) != 0 {
		t.Fatalf("commit leases left behind: %+v", ls)
	}
}

// taskStatus returns the status of a container's task ("" without one).
func taskStatusOf(t *testing.T, id string) containerd.ProcessStatus {
	t.Helper()
	c, ctx := ctd(t)
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatalf("loading container %s: %v", id, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		return ""
	}
	st, err := task.Status(ctx)
	if err != nil {
		return ""
	}
	return st.Status
}

// containerID returns the full ID of the container named name.
func containerIDOf(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(lumper(t, "inspect", "--type", "container", "--format", "{{.Id}}", name))
}

func TestCommitFileChanges(t *testing.T) {
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img)
	lumper(t, "run", "--name", name, "busybox", "sh", "-euc", `
		mkdir -p /new/dir && echo content > /new/dir/file
		echo modified >> /etc/passwd
		rm /etc/group
		rmdir /home
		ln -s /new/dir/file /link
		ln /new/dir/file /hardlink
		echo x > /suid && chmod 4755 /suid
		chmod 711 /var
		echo y > /owned && chown 1234:5678 /owned
	`)
	out := lumper(t, "commit", "-m", "my changes", "-a", "Ann <ann@example.com>",
		"-c", `CMD ["cat", "/new/dir/file"]`, "-c", "ENV COMMITTED=yes", name, img)
	id := strings.TrimSpace(out)
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Fatalf("commit should print the image ID, printed %q", out)
	}
	if got := imageIDOf(t, img); got != id {
		t.Fatalf("commit printed %s, image has ID %s", id, got)
	}
	// CMD from --change.
	if out := lumper(t, "run", "--rm", img); out != "content\n" {
		t.Fatalf("CMD change: run printed %q", out)
	}
	check := `
		echo "file=$(cat /new/dir/file)"
		echo "passwd=$(tail -n 1 /etc/passwd)"
		test -e /etc/group && echo group=present || echo group=absent
		test -e /home && echo home=present || echo home=absent
		echo "link=$(readlink /link) $(cat /link)"
		[ "$(stat -c %i /hardlink)" = "$(stat -c %i /new/dir/file)" ] && echo "hardlink=same-inode $(stat -c %h /hardlink)"
		echo "suid=$(stat -c %a /suid)"
		echo "var=$(stat -c %a /var)"
		echo "owned=$(stat -c %u:%g /owned)"
		echo "env=$COMMITTED"
	`
	want := "file=content\npasswd=modified\ngroup=absent\nhome=absent\nlink=/new/dir/file content\n" +
		"hardlink=same-inode 2\nsuid=4755\nvar=711\nowned=1234:5678\nenv=yes\n"
	if out := lumper(t, "run", "--rm", img, "sh", "-c", check); out != want {
		t.Fatalf("committed image:\n got %q\nwant %q", out, want)
	}
	// History: the commit's entry on top, with message and author.
	var top struct{ ID, CreatedBy, Comment, Author string }
	line := strings.SplitN(lumper(t, "history", "--format", "json", img), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &top); err != nil {
		t.Fatalf("history json %q: %v", line, err)
	}
	if top.ID != id || top.CreatedBy != "lumper commit" || top.Comment != "my changes" || top.Author != "Ann <ann@example.com>" {
		t.Fatalf("history top entry: %+v", top)
	}
	assertNoCommitLease(t)
}

func TestCommitCompression(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "sh", "-c", "echo compressed > /c")
	c, ctx := ctd(t)
	for _, tt := range []struct{ flag, mediaType string }{
		{"gzip", ocispec.MediaTypeImageLayerGzip},
		{"zstd", ocispec.MediaTypeImageLayerZstd},
		{"none", ocispec.MediaTypeImageLayer},
	} {
		img := commitImageName(t, tt.flag)
		rmiOnCleanup(t, img)
		lumper(t, "commit", "--compression", tt.flag, name, img)
		if out := lumper(t, "run", "--rm", img, "cat", "/c"); out != "compressed\n" {
			t.Fatalf("%s: run printed %q", tt.flag, out)
		}
		rec, err := c.ImageService().Get(ctx, "docker.io/"+img)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := images.Manifest(ctx, c.ContentStore(), rec.Target, platforms.Default())
		if err != nil {
			t.Fatal(err)
		}
		if got := mf.Layers[len(mf.Layers)-1].MediaType; got != tt.mediaType {
			t.Fatalf("--compression %s: layer media type %s, want %s", tt.flag, got, tt.mediaType)
		}
	}
}

func TestCommitRefusesWhiteoutNames(t *testing.T) {
	for _, tt := range []struct{ name, script, path string }{
		{"file", "touch /etc/.wh.passwd", "/etc/.wh.passwd"},
		{"opaque", "mkdir -p /d && touch /d/.wh..wh..opq", "/d/.wh..wh..opq"},
		{"dir", "mkdir -p /etc/.wh.group", "/etc/.wh.group"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := uniqueName(t)
			img := commitImageName(t, "v1")
			rmOnCleanup(t, name)
			rmiOnCleanup(t, img)
			lumper(t, "run", "--name", name, "busybox", "sh", "-c", tt.script)
			r := mustFail(t, 1, "commit", name, img)
			msg := strings.TrimSpace(r.stderr)
			if strings.Contains(msg, "\n") || !strings.Contains(msg, tt.path) || !strings.Contains(msg, ".wh.") {
				t.Fatalf("want one line naming %s, got %q", tt.path, r.stderr)
			}
			if r := lumperRun("inspect", "--type", "image", img); r.code == 0 {
				t.Fatalf("refused commit created image %s", img)
			}
			assertNoCommitLease(t)
		})
	}
	// The busybox image is intact: /etc/passwd is still there.
	if out := lumper(t, "run", "--rm", "busybox", "head", "-n", "1", "/etc/passwd"); !strings.HasPrefix(out, "root:") {
		t.Fatalf("busybox /etc/passwd: %q", out)
	}
}

func TestCommitExcludesBindMounts(t *testing.T) {
	t.Parallel()
	if help := lumper(t, "run", "--help"); !strings.Contains(help, "--volume") {
		t.Skip("run has no -v/--volume flag yet: bind mounts cannot be tested")
	}
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "from-host"), []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lumper(t, "run", "--name", name, "-v", host+":/vol", "busybox", "sh", "-euc",
		"echo inside > /vol/from-container; echo rootfs > /in-rootfs; cat /vol/from-host")
	if b, err := os.ReadFile(filepath.Join(host, "from-container")); err != nil || string(b) != "inside\n" {
		t.Fatalf("bind mount not writable from the container: %q, %v", b, err)
	}
	lumper(t, "commit", name, img)
	out := lumper(t, "run", "--rm", img, "sh", "-c", "cat /in-rootfs; ls -A /vol 2>/dev/null | wc -l")
	if out != "rootfs\n0\n" {
		t.Fatalf("committed image should hold /in-rootfs and nothing of the bind mount, got %q", out)
	}
}

func TestCommitRunningContainer(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
		"i=0; while :; do i=$((i+1)); echo $i >> /log; echo $i > /counter.tmp; mv /counter.tmp /counter; usleep 5000; done")
	id := containerIDOf(t, name)
	counter := func() int {
		var n int
		out := lumper(t, "exec", name, "cat", "/counter")
		if _, err := fmt.Sscan(out, &n); err != nil {
			t.Fatalf("reading /counter: %q", out)
		}
		return n
	}
	eventually(t, 30*time.Second, "the container to write /counter", func() bool {
		return lumperRun("exec", name, "test", "-s", "/counter").code == 0
	})
	var imgs []string
	t.Cleanup(func() {
		for _, img := range imgs {
			lumperRun("rmi", "-f", img)
		}
	})
	for i := 0; i < 20; i++ {
		img := commitImageName(t, "c"+strconv.Itoa(i))
		imgs = append(imgs, img)
		args := []string{"commit", name, img}
		if i == 19 {
			args = []string{"commit", "--pause=false", name, img}
		}
		if i < 19 {
			lumper(t, args...)
		} else if r := lumperRun(args...); r.code != 0 {
			// Unpaused, the writer may remove a file under the differ
			// (the issue: "even when a commit fails"); it must fail cleanly.
			if r.code != 1 || !strings.Contains(r.stderr, "changed files while they were being committed") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("unpaused commit: %s", r)
			}
		}
		if st := taskStatusOf(t, id); st != containerd.Running {
			t.Fatalf("after commit %d the container is %q, want running", i, st)
		}
		// Still writable, and still writing.
		if out := lumper(t, "exec", name, "sh", "-c", "echo probe"+strconv.Itoa(i)+" > /probe && cat /probe"); out != "probe"+strconv.Itoa(i)+"\n" {
			t.Fatalf("after commit %d: exec printed %q", i, out)
		}
		before := counter()
		eventually(t, 30*time.Second, "the container's counter to move on", func() bool { return counter() > before })
	}
	// The last paused commit holds whole files: the log's last line is a
	// whole number and the counter is that number, or one behind when the
	// pause fell between the writer's append to /log and its rename of
	// /counter (a pause freezes the writer anywhere between two syscalls).
	out := lumper(t, "run", "--rm", imgs[len(imgs)-2], "sh", "-c", `c=$(cat /counter); l=$(tail -n 1 /log); [ "$c" -ge 1 ] && { [ "$l" -eq "$c" ] || [ "$l" -eq $((c+1)) ]; } && echo consistent`)
	if out != "consistent\n" {
		t.Fatalf("paused commit should see /counter and /log agree: %q", out)
	}
	assertNoCommitLease(t)
}

func TestCommitOutlivesContainerAndBaseImage(t *testing.T) {
	t.Parallel()
	base := commitImageName(t, "base")
	img := commitImageName(t, "v1")
	name := uniqueName(t)
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img, base)
	lumper(t, "import", "-c", `CMD ["sh"]`, env.images.rootfs, base)
	lumper(t, "run", "--name", name, base, "sh", "-c", "echo survived > /kept")
	lumper(t, "commit", name, img)
	lumper(t, "rm", name)
	lumper(t, "rmi", base) // deletes synchronously: GC has run when it returns
	if r := lumperRun("inspect", "--type", "image", base); r.code == 0 {
		t.Fatalf("base image %s still there", base)
	}
	if out := lumper(t, "run", "--rm", img, "sh", "-c", "cat /kept; ls /bin/busybox"); out != "survived\n/bin/busybox\n" {
		t.Fatalf("committed image after base removal: %q", out)
	}
}

// TestCommitRmiCollects is issue 6: once a committed image is removed and
// containerd has collected garbage, nothing of the commit is left (its layer,
// config and manifest blobs, its unpacked snapshot), while the busybox image
// it was committed from keeps all of its own.
func TestCommitRmiCollects(t *testing.T) {
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img)
	c, ctx := ctd(t)
	base := commitImageParts(t, c, ctx, imageIDOf(t, "busybox"))
	// Content no other image can have, so that the layer blob is the commit's alone.
	unique := uniqueName(t) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
	lumper(t, "run", "--name", name, "busybox", "sh", "-c", "echo '"+unique+"' > /unique")
	id := strings.TrimSpace(lumper(t, "commit", name, img))
	lumper(t, "rm", name)
	committed := commitImageParts(t, c, ctx, id)
	if len(committed.layers) != len(base.layers)+1 || committed.chainID == base.chainID {
		t.Fatalf("committed image %+v is not one layer on top of busybox %+v", committed, base)
	}
	layer := committed.layers[len(committed.layers)-1]
	if base.blobs[layer] {
		t.Fatalf("the committed layer %s is one of busybox's", layer)
	}
	ours := map[string]string{
		"layer blob":    layer.String(),
		"config blob":   committed.config.String(),
		"manifest blob": committed.target.String(),
		"snapshot":      committed.chainID,
	}
	// present reports which of what the commit made is still there.
	present := func() []string {
		blobs, snaps := blobDigests(t, c, ctx), snapshotNames(t, c, ctx)
		var left []string
		for what, v := range ours {
			if blobs[digest.Digest(v)] || snaps[v] {
				left = append(left, what+" "+v)
			}
		}
		slices.Sort(left)
		return left
	}
	if left := present(); len(left) != len(ours) {
		t.Fatalf("before rmi, only %v of the commit's %v are there", left, ours)
	}
	assertNoCommitLease(t)

	lumper(t, "rmi", img)
	if r := lumperRun("inspect", "--type", "image", img); r.code == 0 {
		t.Fatalf("image %s still there after rmi", img)
	}
	// rmi deletes synchronously, so GC should have run already; poll anyway,
	// collecting again each time, and say what is left if it never goes.
	var left []string
	func() {
		defer func() {
			if t.Failed() {
				t.Logf("left after rmi and GC: %v", left)
			}
		}()
		eventually(t, 30*time.Second, "GC to reclaim the commit's blobs and snapshot", func() bool {
			collectGarbage(t, c, ctx)
			left = present()
			return len(left) == 0
		})
	}()

	// busybox keeps everything.
	blobs, snaps := blobDigests(t, c, ctx), snapshotNames(t, c, ctx)
	for d := range base.blobs {
		if !blobs[d] {
			t.Errorf("busybox blob %s was collected", d)
		}
	}
	if !snaps[base.chainID] {
		t.Errorf("busybox snapshot %s was collected", base.chainID)
	}
	if out := lumper(t, "run", "--rm", "busybox", "sh", "-c", "test -e /unique || echo clean"); out != "clean\n" {
		t.Fatalf("busybox after the commit's rmi: %q", out)
	}
}

// imageParts is what containerd holds for one image.
type imageParts struct {
	target, config digest.Digest          // image record's target (manifest or index), config
	layers         []digest.Digest        // of the default platform
	blobs          map[digest.Digest]bool // every blob reachable from the target
	chainID        string                 // name of its top snapshot, once unpacked
}

// commitImageParts finds the image whose ID (config digest) is id.
func commitImageParts(t *testing.T, c *containerd.Client, ctx context.Context, id string) imageParts {
	t.Helper()
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.ContentStore()
	for _, img := range imgs {
		mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
		if err != nil || mf.Config.Digest.String() != id {
			continue
		}
		b, err := content.ReadBlob(ctx, cs, mf.Config)
		if err != nil {
			t.Fatal(err)
		}
		var cfg ocispec.Image
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		p := imageParts{
			target:  img.Target.Digest,
			config:  mf.Config.Digest,
			blobs:   map[digest.Digest]bool{},
			chainID: identity.ChainID(cfg.RootFS.DiffIDs).String(),
		}
		for _, l := range mf.Layers {
			p.layers = append(p.layers, l.Digest)
		}
		err = images.Walk(ctx, images.HandlerFunc(func(ctx context.Context, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			p.blobs[d.Digest] = true
			children, err := images.Children(ctx, cs, d)
			if err != nil {
				return nil, nil // content of another platform
			}
			return children, nil
		}), img.Target)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Fatalf("no image with ID %s", id)
	return imageParts{}
}

// TestCommitChain is busybox and six commits on top of each other, each made
// from a container of the image before: every step sees what all the earlier
// ones wrote, and the last image holds the sum of them.
func TestCommitChain(t *testing.T) {
	t.Parallel()
	var imgs, ids []string
	t.Cleanup(func() {
		for _, img := range imgs {
			lumperRun("rmi", "-f", img)
		}
	})
	from := "busybox"
	words := []string{"one", "two", "three", "four", "five", "six"}
	steps := []struct{ sees, script string }{
		{"! test -e /data",
			"mkdir /data && echo a > /data/a && echo b > /data/b"},
		{`[ "$(ls /data)" = "$(printf 'a\nb')" ]`,
			"rm -rf /data && mkdir /data && echo c > /data/c"},
		{`[ "$(ls /data)" = c ]`,
			"rm /data/c && echo d > /data/d"},
		{`[ "$(ls /data)" = d ] && ! test -e /deep`,
			"mkdir -p /deep/x && echo e > /deep/x/e"},
		{`[ "$(cat /deep/x/e)" = e ]`,
			"mv /deep/x/e /deep/e && ln -s /deep/e /data/link"},
		{`[ "$(cat /data/link)" = e ] && ! test -e /deep/x/e`,
			"chmod 700 /deep && echo f > /data/d"},
	}
	for i, step := range steps {
		name := uniqueName(t) + "-" + strconv.Itoa(i)
		img := commitImageName(t, "step"+strconv.Itoa(i))
		rmOnCleanup(t, name)
		imgs = append(imgs, img)
		// The step fails unless it sees the earlier steps' /layers lines and files.
		script := fmt.Sprintf(`[ "$(cat /layers 2>/dev/null)" = "%s" ] || { echo "step %d sees /layers: $(cat /layers)"; exit 1; }
			%s || { echo "step %d: the earlier steps' files are not as they left them"; ls -lR /data /deep; exit 1; }
			%s && echo %s >> /layers`,
			strings.Join(words[:i], "\n"), i, step.sees, i, step.script, words[i])
		lumper(t, "run", "--name", name, from, "sh", "-euc", script)
		ids = append(ids, strings.TrimSpace(lumper(t, "commit", "-m", "step "+strconv.Itoa(i), name, img)))
		from = img
	}
	if out := lumper(t, "run", "--rm", imgs[1], "ls", "/data"); out != "c\n" {
		t.Fatalf("deleted-then-recreated /data should hold only the new file, got %q", out)
	}
	out := lumper(t, "run", "--rm", from, "sh", "-c",
		"ls /data; cat /layers; cat /data/d /data/link; readlink /data/link; stat -c %a /deep; ls -A /deep/x | wc -l")
	if want := "d\nlink\none\ntwo\nthree\nfour\nfive\nsix\nf\ne\n/deep/e\n700\n0\n"; out != want {
		t.Fatalf("chain of %d commits:\n got %q\nwant %q", len(steps), out, want)
	}
	// history names every image of the chain, newest first.
	got := strings.Fields(lumper(t, "history", "-q", "--no-trunc", from))
	want := []string{imageIDOf(t, "busybox")}
	for _, id := range ids {
		want = append([]string{id}, want...)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("history -q:\n got %v\nwant %v", got, want)
	}
	table := lumper(t, "history", from)
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != len(steps)+2 ||
		!strings.HasPrefix(lines[0], "IMAGE") || !strings.Contains(lines[0], "CREATED BY") ||
		!strings.Contains(lines[1], "lumper commit") || !strings.Contains(lines[1], "step 5") ||
		!strings.Contains(lines[len(steps)], "step 0") {
		t.Fatalf("history table:\n%s", table)
	}
}

// TestCommitOverExistingName commits twice to the same name: the name moves
// to the second image (a new ID), and a container made from the first keeps
// working, its layers held by containerd for as long as it exists.
func TestCommitOverExistingName(t *testing.T) {
	first, second, user := uniqueName(t)+"-first", uniqueName(t)+"-second", uniqueName(t)+"-user"
	img := commitImageName(t, "v1")
	for _, n := range []string{first, second, user} {
		rmOnCleanup(t, n)
	}
	rmiOnCleanup(t, img)
	c, ctx := ctd(t)

	lumper(t, "run", "--name", first, "busybox", "sh", "-c", "echo first > /f && echo one > /only-first")
	id1 := strings.TrimSpace(lumper(t, "commit", "-m", "first", first, img))
	old := commitImageParts(t, c, ctx, id1)
	userID := strings.TrimSpace(lumper(t, "run", "-d", "--name", user, img, "sleep", "100000"))

	lumper(t, "run", "--name", second, "busybox", "sh", "-c", "echo second > /f")
	id2 := strings.TrimSpace(lumper(t, "commit", "-m", "second", second, img))
	if id2 == id1 {
		t.Fatalf("the second commit has the first one's ID %s", id1)
	}
	if got := imageIDOf(t, img); got != id2 {
		t.Fatalf("%s is %s after the second commit, want %s (first was %s)", img, got, id2, id1)
	}
	var listed []string
	for _, l := range strings.Split(strings.TrimSpace(lumper(t, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")), "\n") {
		if strings.HasPrefix(l, img+" ") {
			listed = append(listed, l)
		}
	}
	if want := []string{img + " " + id2}; !slices.Equal(listed, want) {
		t.Fatalf("images lists %v, want %v", listed, want)
	}
	if out := lumper(t, "run", "--rm", img, "sh", "-c", "cat /f; test -e /only-first && echo leaked || echo clean"); out != "second\nclean\n" {
		t.Fatalf("run %s after the second commit: %q", img, out)
	}

	// The first image's layers outlive its name while a container uses
	// them, even through garbage collection, a stop and a start.
	collectGarbage(t, c, ctx)
	if !snapshotNames(t, c, ctx)[old.chainID] {
		t.Fatalf("the first image's snapshot %s was collected while container %s uses it", old.chainID, user)
	}
	if out := lumper(t, "exec", user, "cat", "/f", "/only-first"); out != "first\none\n" {
		t.Fatalf("container of the first image after the second commit: %q", out)
	}
	lumper(t, "stop", "-t", "0", user)
	collectGarbage(t, c, ctx)
	lumper(t, "start", user)
	if out := lumper(t, "exec", user, "cat", "/f", "/only-first"); out != "first\none\n" {
		t.Fatalf("container of the first image restarted after the second commit: %q", out)
	}
	if st := taskStatusOf(t, userID); st != containerd.Running {
		t.Fatalf("container of the first image is %q after start", st)
	}
	// Its config is gone with the name, so it cannot be committed any more
	// (see baseImage in pkg/commit): refused in one line.
	r := mustFail(t, 1, "commit", user, commitImageName(t, "v2"))
	if msg := strings.TrimSpace(r.stderr); !strings.Contains(msg, "no longer exists") || strings.Contains(msg, "\n") {
		t.Fatalf("commit of a container whose image name moved: %q", r.stderr)
	}

	// Once the container is gone, so are the first image's layers; the
	// second image keeps its own.
	lumper(t, "rm", "-f", user)
	eventually(t, 30*time.Second, "GC to reclaim the first image's snapshot", func() bool {
		collectGarbage(t, c, ctx)
		return !snapshotNames(t, c, ctx)[old.chainID]
	})
	if out := lumper(t, "run", "--rm", img, "cat", "/f"); out != "second\n" {
		t.Fatalf("run %s after the first image's layers went: %q", img, out)
	}
	assertNoCommitLease(t)
}

func TestCommitTag(t *testing.T) {
	t.Parallel()
	a, b := commitImageName(t, "a"), commitImageName(t, "b")
	rmiOnCleanup(t, a, b)
	lumper(t, "tag", "busybox", a)
	if imageIDOf(t, a) != imageIDOf(t, "busybox") {
		t.Fatal("tag should name the same image")
	}
	// An existing name moves, Docker-style.
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "touch", "/x")
	id := strings.TrimSpace(lumper(t, "commit", name, b))
	lumper(t, "tag", b, a)
	if imageIDOf(t, a) != id {
		t.Fatal("tag should move an existing name")
	}
	// By ID prefix.
	c := commitImageName(t, "c")
	rmiOnCleanup(t, c)
	lumper(t, "tag", strings.TrimPrefix(id, "sha256:")[:12], c)
	if imageIDOf(t, c) != id {
		t.Fatal("tag by ID prefix")
	}
	mustFail(t, 1, "tag", "no-such-image:1", c)
	mustFail(t, 1, "tag", "busybox", "UPPER:case")
}

func TestCommitSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img)
	lumper(t, "run", "--name", name, "busybox", "sh", "-c", "echo saved > /s")
	lumper(t, "commit", name, img)
	lumper(t, "rm", name)
	id := imageIDOf(t, img)

	dir := t.TempDir()
	archive := filepath.Join(dir, "img.tar")
	lumper(t, "save", "-o", archive, img)
	members := strings.Fields(tarMembers(t, archive))
	for _, want := range []string{"oci-layout", "index.json", "manifest.json"} {
		if !slices.Contains(members, want) {
			t.Fatalf("archive lacks %s: %v", want, members)
		}
	}
	var dm []struct {
		Config           string
		RepoTags, Layers []string
	}
	if err := json.Unmarshal([]byte(tarMember(t, archive, "manifest.json")), &dm); err != nil || len(dm) != 1 ||
		len(dm[0].RepoTags) != 1 || dm[0].RepoTags[0] != img || dm[0].Config != "blobs/sha256/"+strings.TrimPrefix(id, "sha256:") {
		t.Fatalf("docker manifest.json: %+v (%v)", dm, err)
	}
	// stdout (not a terminal here) gets the same archive.
	r := lumperRun("save", img)
	if r.code != 0 {
		t.Fatalf("save to stdout: %s", r)
	}
	if b, _ := os.ReadFile(archive); string(b) != r.stdout {
		t.Fatalf("save to stdout differs from save -o (%d vs %d bytes)", len(r.stdout), len(b))
	}

	// containerd's own importer reads the archive too: ctr, in a namespace
	// of its own, lists the image under its name and ID and runs it.
	ctrImport(t, archive, img, id)

	lumper(t, "rmi", img)
	out := lumper(t, "load", "-i", archive)
	if strings.TrimSpace(out) != "Loaded image: "+img {
		t.Fatalf("load printed %q", out)
	}
	if got := imageIDOf(t, img); got != id {
		t.Fatalf("round trip changed the image ID: %s -> %s", id, got)
	}
	found := false
	for _, l := range strings.Split(lumper(t, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"), "\n") {
		if l == img+" "+id {
			found = true
		}
	}
	if !found {
		t.Fatalf("images does not list %s with ID %s", img, id)
	}
	if out := lumper(t, "run", "--rm", img, "cat", "/s"); out != "saved\n" {
		t.Fatalf("loaded image: %q", out)
	}

	// Bad input: nothing written.
	bad := filepath.Join(dir, "bad.tar")
	mustFail(t, 1, "save", "-o", bad, img, "no-such-image:1")
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("failed save left %s behind", bad)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("failed save left files: %v", ents)
	}
}

func TestCommitBadInput(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "touch", "/x")
	before := lumper(t, "images", "-q")
	for _, args := range [][]string{
		{"commit", "no-such-container", "x:1"},
		{"commit", name, "UPPER:case"},
		{"commit", name, "a::b"},
		{"commit", "--compression", "xz", name, "x:1"},
		{"commit", "-c", "FROM scratch", name, "x:1"},
	} {
		r := mustFail(t, 1, args...)
		if msg := strings.TrimSpace(r.stderr); msg == "" || strings.Contains(msg, "\n") {
			t.Fatalf("%v: want a one-line error, got %q", args, r.stderr)
		}
	}

	// A container whose snapshot is gone.
	gone := uniqueName(t) + "-gone"
	rmOnCleanup(t, gone)
	lumper(t, "run", "--name", gone, "busybox", "touch", "/x")
	id := containerIDOf(t, gone)
	c, ctx := ctd(t)
	t.Cleanup(func() { c.ContainerService().Delete(ctx, id) })
	if err := c.SnapshotService("overlayfs").Remove(ctx, id); err != nil {
		t.Fatalf("removing snapshot: %v", err)
	}
	r := mustFail(t, 1, "commit", gone, "x:1")
	if msg := strings.TrimSpace(r.stderr); !strings.Contains(msg, "snapshot") || strings.Contains(msg, "\n") {
		t.Fatalf("want one line about the snapshot, got %q", r.stderr)
	}
	if after := lumper(t, "images", "-q"); after != before {
		t.Fatalf("failed commits changed the images: %q -> %q", before, after)
	}

	// A container whose image was force-removed: its layers are gone.
	base := commitImageName(t, "base")
	orphan := uniqueName(t) + "-orphan"
	rmOnCleanup(t, orphan)
	rmiOnCleanup(t, base)
	lumper(t, "import", env.images.rootfs, base)
	lumper(t, "run", "--name", orphan, base, "touch", "/x")
	lumper(t, "rmi", "-f", base)
	r = mustFail(t, 1, "commit", orphan, "x:1")
	if msg := strings.TrimSpace(r.stderr); !strings.Contains(msg, "no longer exists") || strings.Contains(msg, "\n") {
		t.Fatalf("want one line about the missing image, got %q", r.stderr)
	}
	assertNoCommitLease(t)
}

// TestCommitNativeSnapshotter covers snapshotters without an overlay upper
// directory, where the ".wh." check walks the mounted container file system.
func TestCommitNativeSnapshotter(t *testing.T) {
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	t.Cleanup(func() {
		lumperRun("--snapshotter", "native", "rm", "-f", name, name+"-wh")
		lumperRun("--snapshotter", "native", "rmi", "-f", img)
	})
	lumper(t, "--snapshotter", "native", "run", "--name", name, "busybox", "sh", "-c", "echo native > /n && rm /etc/group")
	lumper(t, "--snapshotter", "native", "commit", name, img)
	if out := lumper(t, "--snapshotter", "native", "run", "--rm", img, "sh", "-c", "cat /n; test -e /etc/group || echo gone"); out != "native\ngone\n" {
		t.Fatalf("native commit: %q", out)
	}
	lumper(t, "--snapshotter", "native", "run", "--name", name+"-wh", "busybox", "touch", "/etc/.wh.passwd")
	r := mustFail(t, 1, "--snapshotter", "native", "commit", name+"-wh", img+"-wh")
	if !strings.Contains(r.stderr, "/etc/.wh.passwd") {
		t.Fatalf("native: want the .wh. file refused, got %q", r.stderr)
	}
	assertNoCommitLease(t)
}

// TestCommitKilled interrupts, then kills lumper in the middle of committing
// a 200 MB change.
//
// An interrupted commit (SIGINT) resumes the container and deletes its lease
// itself. For a killed one (SIGKILL), what is verified: no image appears; the container, paused by the killed
// commit, is resumed by the next commit (of any container), which also
// deletes the dead commit's lease instead of letting it hold its content for
// the hour it was given; once containerd's GC has run (deleting a lease with
// SynchronousDelete triggers a collection and waits for it), the content
// store holds no blob, upload or snapshot that is not either older than the
// commit or part of an image.
func TestCommitKilled(t *testing.T) {
	name := uniqueName(t)
	img := commitImageName(t, "killed")
	rmOnCleanup(t, name)
	rmiOnCleanup(t, img)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
		"dd if=/dev/urandom of=/big bs=1M count=200 2>/dev/null && touch /done && exec sleep 100000"))
	eventually(t, 60*time.Second, "the container to write 200 MB", func() bool {
		return lumperRun("exec", name, "test", "-e", "/done").code == 0
	})
	c, ctx := ctd(t)
	blobsBefore := blobDigests(t, c, ctx)
	snapsBefore := snapshotNames(t, c, ctx)

	// Ctrl-C: lumper cleans up after itself. Both signals are sent when the
	// commit's progress (on a terminal) first counts layer bytes written:
	// the commit then holds its lease, has paused the container and is in
	// the middle of the diff, however fast or slow the machine is.
	cmd := startCommitMidLayer(t, name, img)
	if ls := commitLeases(t); len(ls) != 1 || ls[0].Labels[commitLeaseLabel] != id {
		t.Fatalf("a commit writing its layer should hold one lease for %s: %+v", id, ls)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the commit finished before it was interrupted: make the change bigger")
	}
	if st := taskStatusOf(t, id); st != containerd.Running {
		t.Fatalf("an interrupted commit should resume the container, it is %q", st)
	}
	assertNoCommitLease(t)

	cmd = startCommitMidLayer(t, name, img)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the commit finished before it was killed: make the change bigger")
	}
	if r := lumperRun("inspect", "--type", "image", img); r.code == 0 {
		t.Fatalf("killed commit created image %s", img)
	}
	if ls := commitLeases(t); len(ls) != 1 || ls[0].Labels[commitLeaseLabel] != id {
		t.Fatalf("the killed commit should have left its lease: %+v", ls)
	}
	if st := taskStatusOf(t, id); st != containerd.Paused {
		t.Fatalf("the killed commit should have left the container paused, it is %q", st)
	}
	// Its garbage: the view of the parent snapshot that the diff compares
	// against, and the half-written layer.
	views := 0
	for k := range snapshotNames(t, c, ctx) {
		if !snapsBefore[k] && strings.Contains(k, "-view-") {
			views++
		}
	}
	if views == 0 {
		t.Fatal("the killed commit left no snapshot view: was it killed before the diff started?")
	}
	if sts, err := c.ContentStore().ListStatuses(ctx); err == nil {
		for _, st := range sts {
			t.Logf("killed during upload %s at %d bytes", st.Ref, st.Offset)
		}
	}

	// The next commit cleans up.
	other := name + "-other"
	otherImg := commitImageName(t, "other")
	rmOnCleanup(t, other)
	rmiOnCleanup(t, otherImg)
	lumper(t, "run", "--name", other, "busybox", "touch", "/small")
	lumper(t, "commit", other, otherImg)
	if st := taskStatusOf(t, id); st != containerd.Running {
		t.Fatalf("the next commit should have resumed the container, it is %q", st)
	}
	assertNoCommitLease(t)
	if out := lumper(t, "exec", name, "sh", "-c", "echo alive > /alive && cat /alive"); out != "alive\n" {
		t.Fatalf("resumed container: %q", out)
	}

	// Collect garbage, then look for leftovers.
	eventually(t, 30*time.Second, "no upload of the killed commit", func() bool {
		sts, err := c.ContentStore().ListStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		collectGarbage(t, c, ctx)
		for _, st := range sts {
			if strings.HasPrefix(st.Ref, "lumper-commit-") {
				return false
			}
		}
		return true
	})
	collectGarbage(t, c, ctx)
	inImages := imageBlobDigests(t, c, ctx)
	for d := range blobDigests(t, c, ctx) {
		if !blobsBefore[d] && !inImages[d] {
			t.Errorf("orphan blob %s after GC", d)
		}
	}
	snapsAfter := snapshotNames(t, c, ctx)
	for k := range snapsAfter {
		if !snapsBefore[k] && strings.Contains(k, "-view-") {
			t.Errorf("orphan snapshot %s after GC", k)
		}
	}
}

// startCommitMidLayer starts `lumper commit args...` with stderr on a
// pseudo-terminal and returns once its progress shows a non-zero count of
// layer bytes written (the first report, "0 B", comes before the pause and
// the lease): the commit is then in the middle of writing its layer. The
// terminal is drained until the test ends, so lumper never blocks on it.
func startCommitMidLayer(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close() // lumper has its own copy
	cmd := lumperCmd(append([]string{"commit"}, args...)...)
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	// "\rCommitting ~200.0 MiB of changes, gzip: 12.5 MiB (3.1 MiB/s)\x1b[K"
	written := regexp.MustCompile(`([0-9.]+ (?:[KMGTPE]i)?B)(?: / [^(]*)? \([^)]*/s\)`)
	started := make(chan string, 1)
	go func() {
		var shown []byte
		sent := false
		buf := make([]byte, 4096)
		for {
			n, err := pty.Read(buf)
			shown = append(shown, buf[:n]...)
			for _, m := range written.FindAllSubmatch(shown, -1) {
				if !sent && string(m[1]) != "0 B" {
					started <- string(m[0])
					sent = true
				}
			}
			if sent {
				shown = shown[:0]
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan struct{})
	go func() {
		// Only to notice a commit that ends before showing progress; the
		// caller's cmd.Wait reaps it.
		var st unix.Siginfo
		_ = unix.Waitid(unix.P_PID, cmd.Process.Pid, &st, unix.WEXITED|unix.WNOWAIT, nil)
		close(exited)
	}()
	select {
	case p := <-started:
		t.Logf("signalling the commit at %q", strings.TrimSpace(p))
	case <-exited:
		t.Fatal("the commit ended before its progress counted any layer bytes: make the change bigger")
	case <-time.After(120 * time.Second):
		t.Fatal("the commit showed no layer bytes written within 120 s")
	}
	return cmd
}

// collectGarbage makes containerd collect garbage now and waits for it.
func collectGarbage(t *testing.T, c *containerd.Client, ctx context.Context) {
	t.Helper()
	ls := c.LeasesService()
	l, err := ls.Create(ctx, leases.WithRandomID())
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.Delete(ctx, l, leases.SynchronousDelete); err != nil {
		t.Fatal(err)
	}
}

func blobDigests(t *testing.T, c *containerd.Client, ctx context.Context) map[digest.Digest]bool {
	t.Helper()
	out := map[digest.Digest]bool{}
	if err := c.ContentStore().Walk(ctx, func(i content.Info) error { out[i.Digest] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshotNames(t *testing.T, c *containerd.Client, ctx context.Context) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := c.SnapshotService("overlayfs").Walk(ctx, func(_ context.Context, i snapshots.Info) error { out[i.Name] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// imageDigests returns every blob the namespace's images reference.
func imageBlobDigests(t *testing.T, c *containerd.Client, ctx context.Context) map[digest.Digest]bool {
	t.Helper()
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := c.ContentStore()
	out := map[digest.Digest]bool{}
	for _, img := range imgs {
		err := images.Walk(ctx, images.HandlerFunc(func(ctx context.Context, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			out[d.Digest] = true
			children, err := images.Children(ctx, cs, d)
			if err != nil {
				return nil, nil // content of another platform
			}
			return children, nil
		}), img.Target)
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func tarMembers(t *testing.T, archive string) string {
	t.Helper()
	out, err := exec.Command("tar", "tf", archive).Output()
	if err != nil {
		t.Fatalf("tar tf %s: %v", archive, err)
	}
	return string(out)
}

func tarMember(t *testing.T, archive, member string) string {
	t.Helper()
	out, err := exec.Command("tar", "xOf", archive, member).Output()
	if err != nil {
		t.Fatalf("tar xOf %s %s: %v", archive, member, err)
	}
	return string(out)
}

// taskPidOf returns the pid of a running container's init process.
func taskPidOf(t *testing.T, id string) uint32 {
	t.Helper()
	c, ctx := ctd(t)
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		t.Fatalf("loading container %s: %v", id, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		t.Fatalf("loading task of %s: %v", id, err)
	}
	return task.Pid()
}

// getxattr returns the value of attribute attr of file path ("" and
// ENODATA when it has none).
func getxattr(path, attr string) (string, error) {
	buf := make([]byte, 256)
	n, err := unix.Getxattr(path, attr, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// TestCommitXattrs: of a file's extended attributes, commit keeps file
// capabilities (security.capability, which containerd's differ writes into
// the layer) and drops the others, such as user.*.
func TestCommitXattrs(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	img := commitImageName(t, "v1")
	rmOnCleanup(t, name)
	rmOnCleanup(t, name+"-new")
	rmiOnCleanup(t, img)
	id := strings.TrimSpace(lumper(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
		"echo cap > /capfile && exec sleep 100000"))
	eventually(t, 30*time.Second, "the container to write /capfile", func() bool {
		return lumperRun("exec", name, "test", "-s", "/capfile").code == 0
	})
	// A valid VFS_CAP_REVISION_2 value (struct vfs_cap_data, little-endian):
	// magic_etc without the effective bit, then the permitted and
	// inheritable words of capabilities 0-31 and 32-63. Permitted:
	// CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13); inheritable: CAP_CHOWN (0).
	capValue := make([]byte, 20)
	binary.LittleEndian.PutUint32(capValue[0:], 0x02000000)
	binary.LittleEndian.PutUint32(capValue[4:], 1<<10|1<<13)
	binary.LittleEndian.PutUint32(capValue[8:], 1<<0)
	// Set from the host, through the container's root: a new file (in the
	// upper directory already) and one of busybox's (copied up by the write).
	root := fmt.Sprintf("/proc/%d/root", taskPidOf(t, id))
	for _, f := range []string{"/capfile", "/etc/passwd"} {
		p := root + f
		if err := unix.Setxattr(p, "security.capability", capValue, 0); err != nil {
			t.Fatalf("setting security.capability on %s: %v", f, err)
		}
		if err := unix.Setxattr(p, "user.test", []byte("dropped"), 0); err != nil {
			t.Fatalf("setting user.test on %s: %v", f, err)
		}
		// Both are really there before the commit.
		if v, err := getxattr(p, "security.capability"); err != nil || v != string(capValue) {
			t.Fatalf("%s: security.capability reads back %x, %v", f, v, err)
		}
		if v, err := getxattr(p, "user.test"); err != nil || v != "dropped" {
			t.Fatalf("%s: user.test reads back %q, %v", f, v, err)
		}
	}
	lumper(t, "commit", name, img)

	newID := strings.TrimSpace(lumper(t, "run", "-d", "--name", name+"-new", img, "sleep", "100000"))
	root = fmt.Sprintf("/proc/%d/root", taskPidOf(t, newID))
	for _, f := range []string{"/capfile", "/etc/passwd"} {
		p := root + f
		if v, err := getxattr(p, "security.capability"); err != nil || v != string(capValue) {
			t.Errorf("committed %s: security.capability = %x, %v; want %x", f, v, err, capValue)
		}
		if v, err := getxattr(p, "user.test"); !errors.Is(err, unix.ENODATA) {
			t.Errorf("committed %s: user.test = %q, %v; want it dropped (ENODATA)", f, v, err)
		}
	}
	// The file's content came along too, and busybox's own /etc/passwd has
	// no capability.
	if out := lumper(t, "exec", name+"-new", "cat", "/capfile"); out != "cap\n" {
		t.Errorf("committed /capfile: %q", out)
	}
	busybox := strings.TrimSpace(lumper(t, "run", "-d", "busybox", "sleep", "100000"))
	rmOnCleanup(t, busybox)
	if v, err := getxattr(fmt.Sprintf("/proc/%d/root/etc/passwd", taskPidOf(t, busybox)), "security.capability"); !errors.Is(err, unix.ENODATA) {
		t.Errorf("busybox /etc/passwd has security.capability %x (%v): the commit changed its base", v, err)
	}
}

// ctrImport imports a `lumper save` archive with containerd's ctr into a
// namespace of its own and checks that ctr lists image ref with ID id (its
// config digest), unpacks it and runs it: /s must read "saved".
func ctrImport(t *testing.T, archive, ref, id string) {
	t.Helper()
	ns := "lumper-test-ctr-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctr := func(args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(env.binDir, "ctr"), append([]string{"--address", env.address, "--namespace", ns}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return string(out), fmt.Errorf("ctr %s: %v: %s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out), nil
	}
	full := "docker.io/" + ref
	t.Cleanup(func() {
		ctr("images", "rm", "--sync", full)
		if _, err := ctr("namespaces", "rm", ns); err != nil {
			t.Logf("removing namespace %s: %v", ns, err)
		}
	})
	if _, err := ctr("images", "import", archive); err != nil {
		t.Fatal(err)
	}
	out, err := ctr("images", "ls", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Fields(out); !slices.Contains(names, full) {
		t.Fatalf("ctr images ls -q lists %v, not %s", names, full)
	}
	c, _ := ctd(t)
	ctx := namespaces.WithNamespace(context.Background(), ns)
	rec, err := c.ImageService().Get(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := images.Config(ctx, c.ContentStore(), rec.Target, platforms.Default())
	if err != nil || cfg.Digest.String() != id {
		t.Fatalf("ctr imported %s with config %s (%v), want %s", full, cfg.Digest, err, id)
	}
	// ctr unpacks on import (into overlayfs, its default) and runs it.
	if out, err := ctr("run", "--rm", full, "lumper-test-ctr-run", "cat", "/s"); err != nil || out != "saved\n" {
		t.Fatalf("ctr run printed %q (%v), want \"saved\\n\"", out, err)
	}
}

// commitOnTerminal runs `lumper commit args...` with stderr on a
// pseudo-terminal and returns what the terminal showed, cut into the lines
// the progress redraws (at "\r" and "\n").
func commitOnTerminal(t *testing.T, args ...string) []string {
	t.Helper()
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := lumperCmd(append([]string{"commit"}, args...)...)
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, slave
	shown := make(chan string, 1)
	go func() {
		var b []byte
		buf := make([]byte, 4096)
		for {
			n, err := pty.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil || bytes.Contains(b, []byte("\n")) {
				shown <- string(b)
				return
			}
		}
	}()
	if err := cmd.Run(); err != nil {
		t.Fatalf("lumper commit %v: %v", args, err)
	}
	if !strings.HasPrefix(stdout.String(), "sha256:") {
		t.Fatalf("commit printed %q on stdout", stdout.String())
	}
	var out string
	select {
	case out = <-shown:
	case <-time.After(10 * time.Second):
		t.Fatal("commit showed no progress line on its terminal")
	}
	var lines []string
	for _, l := range strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if l = strings.TrimSuffix(strings.TrimSpace(l), "\x1b[K"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestCommitProgress: on a terminal, commit shows the bytes of the layer
// written; without compression out of the layer's size, estimated
// beforehand from the container's changes, and compressed with the size of
// the changes it compresses.
func TestCommitProgress(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	img := commitImageName(t, "none")
	gz := commitImageName(t, "gzip")
	rmiOnCleanup(t, img, gz)
	// Random bytes do not compress: 24 MiB, plus some small files.
	lumper(t, "run", "--name", name, "busybox", "sh", "-euc",
		"head -c 25165824 /dev/urandom > /big && mkdir /small && for i in $(seq 100); do echo $i > /small/$i; done")

	lines := commitOnTerminal(t, "--compression", "none", name, img)
	last := lines[len(lines)-1]

	var done, total float64
	var doneUnit, totalUnit string
	if n, err := fmt.Sscanf(last, "Committing %f %s / %f %s", &done, &doneUnit, &total, &totalUnit); n != 4 || err != nil {
		t.Fatalf("uncompressed commit: the progress shows no total: %q (all: %q)", last, lines)
	}
	// The final count is the layer's size; the estimate is within a block
	// per file of it, well under 0.1 MiB here.
	c, ctx := ctd(t)
	rec, err := c.ImageService().Get(ctx, "docker.io/"+img)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := images.Manifest(ctx, c.ContentStore(), rec.Target, platforms.Default())
	if err != nil {
		t.Fatal(err)
	}
	size := float64(mf.Layers[len(mf.Layers)-1].Size) / (1 << 20)
	if doneUnit != "MiB" || totalUnit != "MiB" || fmt.Sprintf("%.1f", size) != fmt.Sprintf("%.1f", done) || total < size-0.1 || total > size+0.1 {
		t.Fatalf("progress %q: want the layer's size %.2f MiB written out of about as much", last, size)
	}

	lines = commitOnTerminal(t, name, gz)
	last = lines[len(lines)-1]

	var changes float64
	var written string
	if n, err := fmt.Sscanf(last, "Committing ~%f MiB of changes, gzip: %s", &changes, &written); n != 2 || err != nil || changes < 24 || changes > 24.1 {
		t.Fatalf("gzip commit: want the ~24 MiB of changes named: %q (all: %q)", last, lines)
	}
	if strings.Contains(last, " / ") {
		t.Fatalf("gzip commit: a compressed layer's size is not known in advance, yet the progress shows a total: %q", last)
	}
}
