package container

import (
	"context"
	"errors"
	"fmt"

	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Rename gives the container ref the name newName. The new name is reserved
// first (the name lease is the mutex that `run --name` takes too), then the
// container's label changes, then the old name's reservation is released:
// at no time can two containers hold one name.
func Rename(ctx context.Context, c *client.Client, ref, newName string) error {
	if err := client.ValidateName(newName); err != nil {
		return &api.InvalidArgument{Msg: err.Error()}
	}
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	oldName := rec.Labels[client.LabelName]
	if oldName == newName {
		return api.Invalidf("container %s is already named %s", ref, newName)
	}
	if _, err := c.ReserveName(ctx, newName, rec.ID); err != nil {
		if errors.Is(err, client.ErrNameInUse) {
			return api.Invalidf("%v", err) // Docker's wording
		}
		return err
	}
	if _, err := ctr.SetLabels(ctx, map[string]string{client.LabelName: newName}); err != nil {
		if rerr := c.ReleaseName(context.WithoutCancel(ctx), newName); rerr != nil {
			log.G(ctx).WithError(rerr).Warn("releasing name after failed rename")
		}
		return fmt.Errorf("renaming %s: %w", ref, err)
	}
	return c.ReleaseName(context.WithoutCancel(ctx), oldName)
}
