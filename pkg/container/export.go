package container

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/mount"

	"github.com/lumper/lumper/pkg/archive"
	"github.com/lumper/lumper/pkg/client"
)

// Export writes the root file system of container ref to w as a tar
// stream, as `docker export` does (what `import` reads): its snapshot,
// mounted read-only on a temporary directory, so a running container's
// mounts (/proc, /sys, volumes) are not in it and its upper directory is
// not mounted twice for writing.
func Export(ctx context.Context, c *client.Client, ref string, w io.Writer) error {
	rec, _, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	if rec.SnapshotKey == "" {
		return fmt.Errorf("container %s has no snapshot", ref)
	}
	mounts, err := c.SnapshotService(rec.Snapshotter).Mounts(ctx, rec.SnapshotKey)
	if err != nil {
		return fmt.Errorf("reading the mounts of %s's snapshot: %w", ref, err)
	}
	return mount.WithReadonlyTempMount(ctx, mounts, func(dir string) error {
		root, err := archive.OpenRoot(dir)
		if err != nil {
			return fmt.Errorf("opening the root file system of %s: %w", ref, err)
		}
		defer root.Close()
		tw := tar.NewWriter(w)
		if err := archive.Write(tw, root, "/", "."); err != nil {
			return fmt.Errorf("exporting %s: %w", ref, err)
		}
		return tw.Close()
	})
}
