package images

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"

	"github.com/lumper/lumper/pkg/client"
)

// untaggedRepo names images from OCI archives that carry no usable name.
const untaggedRepo = "lumper.local/untagged"

// Load imports a `docker save` or OCI image-layout archive, unpacks every
// image it names into the snapshotter, and returns their names. All content is
// written under one lease, so an interrupted load leaves nothing that
// containerd's garbage collector will not reclaim.
func Load(ctx context.Context, c *client.Client, r io.Reader) (_ []string, retErr error) {
	ctx, done, err := c.WithOperationLease(ctx, "load", time.Hour)
	if err != nil {
		return nil, err
	}
	defer done(context.WithoutCancel(ctx))

	imgs, err := c.Import(ctx, r,
		containerd.WithImageRefTranslator(ociRefName),
		containerd.WithSkipDigestRef(func(name string) bool { return name != "" }),
		containerd.WithDigestRef(func(d digest.Digest) string { return untaggedRepo + "@" + d.String() }),
	)
	if err != nil {
		return nil, fmt.Errorf("importing archive: %w", err)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("importing archive: no image for this platform found in it")
	}
	names := make([]string, 0, len(imgs))
	for _, img := range imgs {
		if err := Unpack(ctx, c, img); err != nil {
			return nil, err
		}
		names = append(names, img.Name)
	}
	return names, nil
}

// ociRefName turns an OCI "org.opencontainers.image.ref.name" annotation into
// an image name. A bare tag ("latest") names no repository, so the image is
// recorded by digest instead.
func ociRefName(name string) string {
	if !strings.ContainsAny(name, "/:@") {
		return ""
	}
	n, err := Normalize(name)
	if err != nil {
		return ""
	}
	return n
}

// Unpack makes sure the image's layers are in the snapshotter.
func Unpack(ctx context.Context, c *client.Client, img images.Image) error {
	i := containerd.NewImage(c.Client, img)
	ok, err := i.IsUnpacked(ctx, c.Snapshotter)
	if err != nil {
		return fmt.Errorf("checking image %s: %w", img.Name, err)
	}
	if ok {
		return nil
	}
	if err := i.Unpack(ctx, c.Snapshotter); err != nil {
		return fmt.Errorf("unpacking image %s: %w", img.Name, err)
	}
	return nil
}
