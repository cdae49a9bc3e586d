package container

import (
	"context"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/client"
)

// ReapAndAutoRemove is what the logger runs when a detached container's init
// exits: Reap, then, for a container run with --rm -d, the removal of the
// container once its task is gone (whoever deleted it: this reaper, stop,
// kill's reaper or rm).
func ReapAndAutoRemove(ctx context.Context, c *client.Client, id string) error {
	err := Reap(ctx, c, id)
	if rerr := autoRemove(ctx, c, id); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// autoRemove removes container id if it carries LabelAutoRemove and has no
// task left. A task that is still there (its deletion by a concurrent stop
// under way) is given the time deletedMeanwhile allows.
func autoRemove(ctx context.Context, c *client.Client, id string) error {
	ctx = context.WithoutCancel(ctx)
	ctr, err := c.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil // removed meanwhile (rm -f)
	} else if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	labels, err := ctr.Labels(ctx)
	if errdefs.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading labels of %s: %w", id, err)
	}
	if labels[client.LabelAutoRemove] != "true" {
		return nil
	}
	if task, err := ctr.Task(ctx, nil); err == nil {
		if st, err := task.Status(ctx); err == nil && st.Status != containerd.Stopped {
			return nil // running again: not ours to remove
		}
		if !deletedMeanwhile(ctx, ctr) {
			return nil
		}
	} else if !errdefs.IsNotFound(err) {
		return fmt.Errorf("loading task of %s: %w", id, err)
	}
	return removeAutoContainer(ctx, c, ctr)
}

// holdAutoRemove keeps a --rm -d container from being removed while it is
// restarted: the label is cleared before the stop (the reaper then leaves
// the container alone) and set again by the returned func.
func holdAutoRemove(ctx context.Context, c *client.Client, ref string) (release func(), _ error) {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	if rec.Labels[client.LabelAutoRemove] != "true" {
		return func() {}, nil
	}
	if _, err := ctr.SetLabels(ctx, map[string]string{client.LabelAutoRemove: ""}); err != nil {
		return nil, fmt.Errorf("holding auto-removal of %s: %w", ref, err)
	}
	return func() {
		ctx := context.WithoutCancel(ctx)
		if _, err := ctr.SetLabels(ctx, map[string]string{client.LabelAutoRemove: "true"}); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).Warn("restoring auto-removal")
		}
	}, nil
}
