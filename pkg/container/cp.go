package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/archive"
	"github.com/lumper/lumper/pkg/client"
)

// Copying files in and out of containers (`lumper cp`) works like `docker
// cp`: the source is streamed as a tar archive (ownership, permissions,
// times, symlinks and hard links kept) and extracted at the destination.
// Inside the container, every path is resolved in its root file system (see
// pkg/archive): symlinks cannot lead outside it, and a path that climbs above
// it with "..", or goes through a symlink whose target does, is refused. A running container is reached through
// /proc/PID/root (its mounts included), a stopped one by mounting its
// snapshot.

// CopyFromContainer copies src from the container ref to dst on the host,
// or writes it as a tar stream to out when dst is "-".
func CopyFromContainer(ctx context.Context, c *client.Client, ref, src, dst string, out io.Writer) error {
	srcPath, err := containerPath(src)
	if err != nil {
		return err
	}
	root, done, err := openContainerRoot(ctx, c, ref)
	if err != nil {
		return err
	}
	defer done()
	contents := copiesContents(src, srcPath)
	// The source itself may be a symlink (it is copied as one), unless its
	// contents are asked for.
	via := path.Dir(srcPath)
	if contents {
		via = srcPath
	}
	if err := refuseEscapingLink(root, via, ref+":"+src); err != nil {
		return err
	}
	srcMode, err := root.Lstat(srcPath)
	if err != nil {
		return sourceError(ref+":"+src, err)
	}
	if err := checkSourceSlash(src, srcMode, ref+":"+src); err != nil {
		return err
	}
	name := path.Base(srcPath)
	if contents {
		name = "."
	}
	if dst == "-" {
		tw := tar.NewWriter(out)
		if err := archive.Write(tw, root, srcPath, name); err != nil {
			return fmt.Errorf("copying %s: %w", src, err)
		}
		return tw.Close()
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", dst, err)
	}
	host, err := archive.OpenRoot("/")
	if err != nil {
		return err
	}
	defer host.Close()
	dir, name, err := destination(host, abs, strings.HasSuffix(dst, "/"), srcMode.IsDir(), contents, name, dst)
	if err != nil {
		return err
	}
	// Extract into the destination directory as a root of its own: the
	// entries cannot land anywhere else.
	target, err := archive.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer target.Close()
	// Owned by the caller, as Docker's cp out of a container.
	return stream(root, srcPath, name, target, "/", archive.Caller())
}

// CopyToContainer copies src from the host to dst in the container ref, or
// extracts the tar stream in (src "-") into the directory dst.
func CopyToContainer(ctx context.Context, c *client.Client, src string, in io.Reader, ref, dst string) error {
	dstPath, err := containerPath(dst)
	if err != nil {
		return err
	}
	var host *archive.Root
	var srcPath string
	var srcMode fs.FileMode
	if src != "-" {
		abs, err := filepath.Abs(src)
		if err != nil {
			return fmt.Errorf("resolving %s: %w", src, err)
		}
		if host, err = archive.OpenRoot("/"); err != nil {
			return err
		}
		defer host.Close()
		srcPath = path.Clean(abs)
		if srcMode, err = host.Lstat(srcPath); err != nil {
			return sourceError(src, err)
		}
		if err := checkSourceSlash(src, srcMode, src); err != nil {
			return err
		}
	}
	root, done, err := openContainerRoot(ctx, c, ref)
	if err != nil {
		return err
	}
	defer done()
	if err := refuseEscapingLink(root, dstPath, ref+":"+dst); err != nil {
		return err
	}
	if src == "-" {
		mode, err := root.Stat(dstPath)
		if err != nil || !mode.IsDir() {
			return api.Invalidf("destination %s:%s must be an existing directory to extract a tar stream into", ref, dst)
		}
		if err := archive.Extract(tar.NewReader(in), root, dstPath); err != nil {
			return copyError(err)
		}
		return nil
	}
	contents := copiesContents(src, srcPath)
	name := path.Base(srcPath)
	if contents {
		name = "."
	}
	dir, name, err := destination(root, dstPath, strings.HasSuffix(dst, "/"), srcMode.IsDir(), contents, name, ref+":"+dst)
	if err != nil {
		return err
	}
	return stream(host, srcPath, name, root, dir, nil)
}

// stream copies srcPath in from to dir in to, named name there (owned by
// owner, or as in from when nil).
func stream(from *archive.Root, srcPath, name string, to *archive.Root, dir string, owner *archive.Owner) error {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		tw := tar.NewWriter(pw)
		err := archive.Write(tw, from, srcPath, name)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
		errc <- err
	}()
	err := archive.ExtractWith(tar.NewReader(pr), to, dir, archive.ExtractOptions{Owner: owner})
	pr.CloseWithError(errors.New("extraction ended"))
	if werr := <-errc; werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return copyError(err)
	}
	return nil
}

// containerPath checks a path in a container: relative paths are taken from
// its root, and none may climb above it.
func containerPath(p string) (string, error) {
	if p == "" {
		return "", api.Invalidf("empty path in the container")
	}
	clean, err := archive.Clean(p)
	if err != nil {
		return "", api.Invalidf("refusing %q: the path leaves the container's root file system", p)
	}
	return clean, nil
}

// refuseEscapingLink refuses a path in the container that goes through a
// symlink whose target climbs above the container's root: resolution in the
// root would keep the copy inside it, but such a link is a trap, not a place
// the user means.
func refuseEscapingLink(root *archive.Root, p, shown string) error {
	link, err := root.EscapingLink(p)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", shown, err)
	}
	if link != "" {
		return api.Invalidf("refusing %s: %s is a symlink that points outside the container's root file system", shown, link)
	}
	return nil
}

// copiesContents reports whether src means the contents of a directory
// ("dir/." as in docker cp), or is the root itself.
func copiesContents(src, clean string) bool {
	return clean == "/" || strings.HasSuffix(src, "/.") || src == "."
}

func checkSourceSlash(src string, mode fs.FileMode, shown string) error {
	if strings.HasSuffix(src, "/") && !mode.IsDir() {
		return api.Invalidf("%s is not a directory", shown)
	}
	return nil
}

func sourceError(shown string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return api.Invalidf("no such file or directory: %s", shown)
	}
	return fmt.Errorf("reading %s: %w", shown, err)
}

func copyError(err error) error {
	if errors.Is(err, archive.ErrEscape) {
		return api.Invalidf("%v", err)
	}
	return err
}

// destination applies docker cp's rules for where a source lands: into dst
// if it is a directory, as dst otherwise (replacing a file, never a
// directory by a file or the reverse). It returns the directory to extract
// into and the name of the source there.
func destination(r *archive.Root, dst string, slash, srcDir, contents bool, name, shown string) (string, string, error) {
	mode, err := r.Stat(dst)
	switch {
	case err == nil && mode.IsDir():
		return dst, name, nil
	case err == nil && srcDir:
		return "", "", api.Invalidf("cannot copy a directory to %s: it is not a directory", shown)
	case err == nil:
		return path.Dir(dst), path.Base(dst), nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("reading %s: %w", shown, err)
	case slash && !srcDir:
		return "", "", api.Invalidf("destination directory %s does not exist", shown)
	}
	parent := path.Dir(dst)
	if mode, err := r.Stat(parent); err != nil || !mode.IsDir() {
		return "", "", api.Invalidf("destination %s: its parent directory does not exist", shown)
	}
	return parent, path.Base(dst), nil
}

// openContainerRoot opens the root file system of container ref: the live
// one of its running task (mounts included), or its snapshot, mounted on a
// temporary directory, when it has none. done releases it.
func openContainerRoot(ctx context.Context, c *client.Client, ref string) (*archive.Root, func(), error) {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return nil, nil, err
	}
	dir, unmount, err := rootDir(ctx, c, rec, ctr)
	if err != nil {
		return nil, nil, err
	}
	root, err := archive.OpenRoot(dir)
	if err != nil {
		unmount()
		return nil, nil, fmt.Errorf("opening the root file system of %s: %w", ref, err)
	}
	return root, func() {
		root.Close()
		unmount()
	}, nil
}

func rootDir(ctx context.Context, c *client.Client, rec containers.Container, ctr containerd.Container) (string, func(), error) {
	if task, err := ctr.Task(ctx, nil); err == nil {
		st, err := task.Status(ctx)
		if err == nil && st.Status != containerd.Stopped && task.Pid() > 0 {
			return "/proc/" + strconv.FormatUint(uint64(task.Pid()), 10) + "/root", func() {}, nil
		}
	} else if !errdefs.IsNotFound(err) {
		return "", nil, fmt.Errorf("loading task of %s: %w", rec.ID, err)
	}
	if rec.SnapshotKey == "" {
		return "", nil, fmt.Errorf("container %s has no snapshot", client.ShortID(rec.ID))
	}
	mounts, err := c.SnapshotService(rec.Snapshotter).Mounts(ctx, rec.SnapshotKey)
	if err != nil {
		return "", nil, fmt.Errorf("reading the mounts of %s's snapshot: %w", client.ShortID(rec.ID), err)
	}
	dir, err := os.MkdirTemp("", "lumper-cp-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a mount point: %w", err)
	}
	if err := mount.All(mounts, dir); err != nil {
		os.Remove(dir)
		return "", nil, fmt.Errorf("mounting the snapshot of %s: %w", client.ShortID(rec.ID), err)
	}
	return dir, func() {
		if err := mount.UnmountAll(dir, 0); err != nil {
			log.G(ctx).WithError(err).Warn("unmounting container snapshot")
			return
		}
		if err := os.Remove(dir); err != nil {
			log.G(ctx).WithError(err).Warn("removing mount point")
		}
	}, nil
}
