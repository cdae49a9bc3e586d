package images

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// List returns the images in the namespace, newest first.
func List(ctx context.Context, c *client.Client) ([]api.ImageInfo, error) {
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	cs := c.ContentStore()
	out := make([]api.ImageInfo, 0, len(imgs))
	for _, img := range imgs {
		info, err := describe(ctx, c, cs, img)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func describe(ctx context.Context, c *client.Client, cs content.Store, img images.Image) (api.ImageInfo, error) {
	repo, tag := Familiar(img.Name)
	if strings.HasPrefix(img.Name, untaggedRepo+"@") {
		repo = "<none>" // Docker's name for an image without one
	}
	info := api.ImageInfo{Name: img.Name, Repository: repo, Tag: tag, Digest: img.Target.Digest.String(), Created: img.CreatedAt}
	platform := platforms.Default()
	cfgDesc, err := images.Config(ctx, cs, img.Target, platform)
	if err != nil {
		if errdefs.IsNotFound(err) {
			// Content missing (e.g. a foreign platform): still list it.
			info.ID = img.Target.Digest.String()
			return info, nil
		}
		return info, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	info.ID = cfgDesc.Digest.String()
	if b, err := content.ReadBlob(ctx, cs, cfgDesc); err == nil {
		var cfg ocispec.Image
		if json.Unmarshal(b, &cfg) == nil {
			if cfg.Created != nil {
				info.Created = *cfg.Created
			}
			info.Labels = cfg.Config.Labels
		}
	}
	if size, err := containerd.NewImage(c.Client, img).Size(ctx); err == nil {
		info.Size = size
	}
	return info, nil
}

// Resolve finds the image a user means: a reference, or an image ID (prefix).
func Resolve(ctx context.Context, c *client.Client, ref string) (images.Image, error) {
	is := c.ImageService()
	if name, err := Normalize(ref); err == nil {
		img, err := is.Get(ctx, name)
		if err == nil {
			return img, nil
		}
		if !errdefs.IsNotFound(err) {
			return images.Image{}, fmt.Errorf("looking up image %s: %w", ref, err)
		}
	}
	if id, ok := looksLikeID(ref); ok && (len(id) >= 4 || strings.HasPrefix(ref, "sha256:")) {
		matches, err := byIDPrefix(ctx, c, id)
		if err != nil {
			return images.Image{}, err
		}
		ids := map[string]bool{}
		for _, m := range matches {
			ids[m.id] = true
		}
		switch {
		case len(ids) == 1:
			return matches[0].img, nil
		case len(ids) > 1:
			return images.Image{}, api.Invalidf("image ID prefix %q is ambiguous: give more characters", ref)
		}
	}
	if _, isID := looksLikeID(ref); !isID {
		if _, err := Normalize(ref); err != nil {
			return images.Image{}, err
		}
	}
	return images.Image{}, NoSuchImage(ref)
}

type idMatch struct {
	img images.Image
	id  string
}

func byIDPrefix(ctx context.Context, c *client.Client, prefix string) ([]idMatch, error) {
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var out []idMatch
	for _, img := range imgs {
		cfg, err := images.Config(ctx, c.ContentStore(), img.Target, platforms.Default())
		if err != nil {
			continue
		}
		if strings.HasPrefix(cfg.Digest.Encoded(), prefix) {
			out = append(out, idMatch{img: img, id: cfg.Digest.String()})
		}
	}
	return out, nil
}

// NoSuchImage is the not-found error of an image reference, worded as
// Docker's ("No such image: x"), which scripts grep for; it is an
// errdefs.ErrNotFound.
func NoSuchImage(ref string) error {
	return errdefs.ErrNotFound.WithMessage("No such image: " + ref)
}

// ConfigID is the ID (config digest, sha256:...) of the image recorded
// under name.
func ConfigID(ctx context.Context, c *client.Client, name string) (string, error) {
	img, err := c.ImageService().Get(ctx, name)
	if err != nil {
		return "", fmt.Errorf("looking up image %s: %w", name, err)
	}
	cfgDesc, err := images.Config(ctx, c.ContentStore(), img.Target, platforms.Default())
	if err != nil {
		return "", fmt.Errorf("reading config of image %s: %w", name, err)
	}
	return cfgDesc.Digest.String(), nil
}
