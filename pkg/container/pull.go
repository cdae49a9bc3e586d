package container

import (
	"context"
	"errors"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	lumperimages "github.com/lumper/lumper/pkg/images"
)

// Pull policies for the image of a new container (`run --pull`).
const (
	PullMissing = "missing" // pull when the image is not here (the default)
	PullAlways  = "always"  // pull before every create
	PullNever   = "never"   // use only images that are here
)

// Puller fetches an image from its registry into c's namespace. The command
// layer provides it (with the registry options and progress output), so
// that this package stays free of registry concerns.
// platform is os/arch[/variant], "" for this host's.
type Puller func(ctx context.Context, c *client.Client, ref, platform string) error

// ValidatePullPolicy checks a --pull value ("" is PullMissing).
func ValidatePullPolicy(p string) error {
	switch p {
	case "", PullMissing, PullAlways, PullNever:
		return nil
	}
	return api.Invalidf("invalid --pull %q: use missing, always or never", p)
}

// resolveImage finds the image a new container is created from, pulling it
// as the policy says.
func resolveImage(ctx context.Context, c *client.Client, o CreateOptions) (images.Image, error) {
	if err := ValidatePullPolicy(o.Pull); err != nil {
		return images.Image{}, err
	}
	pull := func() error {
		if o.Puller == nil {
			return api.Invalidf("unable to pull image %q: pulling is not available here", o.Image)
		}
		return o.Puller(ctx, c, o.Image, o.Platform)
	}
	if o.Pull == PullAlways {
		if err := pull(); err != nil {
			return images.Image{}, err
		}
	}
	img, err := lumperimages.Resolve(ctx, c, o.Image)
	if err == nil || !errdefs.IsNotFound(err) {
		return img, err
	}
	if o.Pull == PullNever || o.Puller == nil {
		return images.Image{}, api.Invalidf("%v (unable to find it locally: pull it with 'lumper pull', or load it with 'lumper load' or 'lumper import')", lumperimages.NoSuchImage(o.Image))
	}
	if o.Pull == PullAlways {
		return images.Image{}, fmt.Errorf("image %q not found after pulling it: %w", o.Image, err)
	}
	if err := pull(); err != nil {
		return images.Image{}, err
	}
	return lumperimages.Resolve(ctx, c, o.Image)
}

// resolvePlatformImage is resolveImage for `--platform`: the image must also
// have content for that platform here, and one that lacks it is pulled for
// it as the policy allows. It returns the image unpacked for the platform.
func resolvePlatformImage(ctx context.Context, c *client.Client, o CreateOptions) (containerd.Image, error) {
	m, platform, err := lumperimages.ParsePlatform(o.Platform)
	if err != nil {
		return nil, err
	}
	img, err := resolveImage(ctx, c, o)
	if err != nil {
		return nil, err
	}
	image, err := lumperimages.ForPlatform(ctx, c, img, m, platform)
	if !errors.Is(err, lumperimages.ErrNoPlatform) {
		return image, err
	}
	if o.Pull == PullNever || o.Pull == PullAlways || o.Puller == nil {
		return nil, api.Invalidf("image %s has no content for platform %s here: pull it with 'lumper pull --platform %s %s'", o.Image, platform, platform, o.Image)
	}
	if err := o.Puller(ctx, c, o.Image, o.Platform); err != nil {
		return nil, err
	}
	if img, err = lumperimages.Resolve(ctx, c, o.Image); err != nil {
		return nil, err
	}
	return lumperimages.ForPlatform(ctx, c, img, m, platform)
}
