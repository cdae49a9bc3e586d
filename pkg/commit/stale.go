package commit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/client"
)

// Labels of a commit's lease. They let a later commit clean up after one
// that was killed (SIGKILL, OOM, host crash) before its deferred calls ran.
const (
	// labelCommitContainer is the ID of the container being committed.
	labelCommitContainer = "lumper.io/commit-container"
	// labelCommitPaused is "true" when the commit pauses the container.
	labelCommitPaused = "lumper.io/commit-paused"
)

// operation is the lumper.io/operation label of a commit's lease.
const operation = "commit"

func leaseLabels(containerID string, pause bool) map[string]string {
	return map[string]string{
		client.LabelLeaseOperation: operation,
		labelCommitContainer:       containerID,
		labelCommitPaused:          strconv.FormatBool(pause),
		client.LabelLeaseOwner:     client.Owner(),
	}
}

// recoverStale finishes the work of commits whose lumper process died: it
// resumes the containers they paused (when still paused) and deletes their
// leases, which makes the half-written layer and snapshot views garbage for
// containerd's collector. Without this, a killed commit would leave its
// container frozen and its content held until the lease expires (1 h).
// Failures are logged, never returned: they must not block a new commit.
func recoverStale(ctx context.Context, c *client.Client) {
	sweepMounts(ctx, c)
	ls := c.LeasesService()
	found, err := ls.List(ctx, "labels."+strconv.Quote(client.LabelLeaseOperation)+"=="+operation)
	if err != nil {
		log.G(ctx).WithError(err).Warn("listing commit leases")
		return
	}
	for _, l := range found {
		if client.OwnerAlive(l.Labels[client.LabelLeaseOwner]) {
			continue
		}
		id := l.Labels[labelCommitContainer]
		logger := log.G(ctx).WithField("lease", l.ID).WithField("container", id)
		if l.Labels[labelCommitPaused] == "true" {
			if err := resumeIfPaused(ctx, c, id); err != nil {
				logger.WithError(err).Warn("resuming container paused by an interrupted commit")
				continue // keep the lease, so that a later commit tries again
			}
		}
		if err := ls.Delete(ctx, leases.Lease{ID: l.ID}); err != nil && !errdefs.IsNotFound(err) {
			logger.WithError(err).Warn("deleting lease of an interrupted commit")
			continue
		}
		logger.Info("cleaned up after an interrupted commit")
	}
}

func resumeIfPaused(ctx context.Context, c *client.Client, id string) error {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	st, err := task.Status(ctx)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	if st.Status != containerd.Paused {
		return nil
	}
	return task.Resume(ctx)
}

// mountsDir holds, per lumper process, the temporary mounts of its
// commits' diffs: <data-root>/<namespace>/commit-mounts/<pid>-<start time>.
func mountsDir(c *client.Client) string {
	return filepath.Join(c.DataRoot, c.Namespace, "commit-mounts")
}

// setMountDir points the differ's temporary mounts at this process's own
// directory and returns it.
func setMountDir(c *client.Client) (string, error) {
	dir := filepath.Join(mountsDir(c), strings.ReplaceAll(client.Owner(), ":", "-"))
	if err := mount.SetTempMountLocation(dir); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, nil
}

// sweepMounts unmounts what the diffs of dead lumper processes left mounted
// (a commit killed while its differ had the snapshots mounted) and removes
// their directories. A directory is only ever removed empty: nothing is
// deleted through a mount that did not go.
func sweepMounts(ctx context.Context, c *client.Client) {
	entries, err := os.ReadDir(mountsDir(c))
	if err != nil {
		return
	}
	for _, e := range entries {
		if client.OwnerAlive(strings.Replace(e.Name(), "-", ":", 1)) {
			continue
		}
		dir := filepath.Join(mountsDir(c), e.Name())
		if err := mount.UnmountRecursive(dir, 0); err != nil {
			log.G(ctx).WithError(err).WithField("dir", dir).Warn("unmounting what a killed commit left mounted")
		}
		subs, _ := os.ReadDir(dir)
		for _, s := range subs {
			_ = os.Remove(filepath.Join(dir, s.Name()))
		}
		if err := os.Remove(dir); err != nil {
			log.G(ctx).WithError(err).WithField("dir", dir).Warn("removing the mounts of a killed commit")
		}
	}
}
