package images

import (
	"context"

	"github.com/containerd/containerd/v2/core/images"

	"github.com/lumper/lumper/pkg/client"
)

// Tag gives the image source (a reference or an ID prefix) the name target.
// A name that already exists is moved to the source image, as `docker tag`
// does; the image it named keeps its other names.
func Tag(ctx context.Context, c *client.Client, source, target string) (images.Image, error) {
	name, err := Normalize(target)
	if err != nil {
		return images.Image{}, err
	}
	img, err := Resolve(ctx, c, source)
	if err != nil {
		return images.Image{}, err
	}
	return Store(ctx, c, images.Image{Name: name, Target: img.Target})
}
