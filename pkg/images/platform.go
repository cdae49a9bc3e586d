package images

import (
	"context"
	"errors"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// ParsePlatform reads os/arch[/variant]; "" is this host's platform. It
// returns the matcher to select an image's content with and the platform in
// its normal form.
func ParsePlatform(s string) (platforms.MatchComparer, string, error) {
	if s == "" {
		return platforms.Default(), platforms.DefaultString(), nil
	}
	p, err := platforms.Parse(s)
	if err == nil && p.OS == "" {
		err = errors.New("no OS")
	}
	if err != nil {
		return nil, "", api.Invalidf("invalid --platform %q: use os/arch[/variant], e.g. linux/arm64", s)
	}
	return platforms.Only(p), platforms.Format(p), nil
}

// ErrNoPlatform reports an image without content for the platform asked for.
var ErrNoPlatform = errors.New("no content for that platform")

// ForPlatform returns img as a client image for the platform m, unpacked in
// the client's snapshotter. An image whose content for the platform is not
// in the content store (another platform was pulled, or none of its
// manifests is for it) is an ErrNoPlatform error.
func ForPlatform(ctx context.Context, c *client.Client, img images.Image, m platforms.MatchComparer, platform string) (containerd.Image, error) {
	i := containerd.NewImageWithPlatform(c.Client, img, m)
	if _, err := images.Config(ctx, c.ContentStore(), img.Target, m); err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("image %s has no content for platform %s here: %w", img.Name, platform, ErrNoPlatform)
		}
		return nil, fmt.Errorf("reading image %s for platform %s: %w", img.Name, platform, err)
	}
	ok, err := i.IsUnpacked(ctx, c.Snapshotter)
	if err != nil {
		return nil, fmt.Errorf("checking image %s: %w", img.Name, err)
	}
	if !ok {
		if err := i.Unpack(ctx, c.Snapshotter); err != nil {
			return nil, fmt.Errorf("unpacking image %s for platform %s: %w", img.Name, platform, err)
		}
	}
	return i, nil
}
