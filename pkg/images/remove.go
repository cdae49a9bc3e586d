package images

import (
	"context"
	"fmt"
	"strconv"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Remove deletes the image ref (a reference or an ID prefix). An image used by
// a container is refused unless force is set. It returns the names removed.
// Deletion is synchronous: when Remove returns, containerd's garbage collector
// has already reclaimed the content and snapshots nothing else references.
func Remove(ctx context.Context, c *client.Client, ref string, force bool) ([]string, error) {
	img, err := Resolve(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	targets := []images.Image{img}
	if _, isID := looksLikeID(ref); isID && !nameMatches(ref, img.Name) {
		// Removing by ID removes every name of that ID.
		id, err := images.Config(ctx, c.ContentStore(), img.Target, platforms.Default())
		if err == nil {
			matches, err := byIDPrefix(ctx, c, id.Digest.Encoded())
			if err != nil {
				return nil, err
			}
			if len(matches) > 1 && !force {
				return nil, api.Invalidf("image %s is referenced by %d names: remove them by name or use -f", ref, len(matches))
			}
			targets = targets[:0]
			for _, m := range matches {
				targets = append(targets, m.img)
			}
		}
	}
	if !force {
		for _, t := range targets {
			users, err := c.ContainerService().List(ctx, "image=="+strconv.Quote(t.Name))
			if err != nil {
				return nil, fmt.Errorf("checking containers of image %s: %w", t.Name, err)
			}
			if len(users) > 0 {
				return nil, api.Invalidf("image %s is used by container %s: remove the container first or use -f", ref, client.ShortID(users[0].ID))
			}
		}
	}
	var removed []string
	for i, t := range targets {
		var opts []images.DeleteOpt
		if i == len(targets)-1 {
			opts = append(opts, images.SynchronousDelete())
		}
		if err := c.ImageService().Delete(ctx, t.Name, opts...); err != nil && !errdefs.IsNotFound(err) {
			return removed, fmt.Errorf("removing image %s: %w", t.Name, err)
		}
		removed = append(removed, t.Name)
	}
	return removed, nil
}

func nameMatches(ref, name string) bool {
	n, err := Normalize(ref)
	return err == nil && n == name
}
