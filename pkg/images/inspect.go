package images

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
)

// Detail is what `lumper inspect` shows of an image.
type Detail struct {
	ID           string              `json:"Id"`
	RepoTags     []string            `json:"RepoTags"`
	RepoDigests  []string            `json:"RepoDigests"`
	Created      *time.Time          `json:"Created,omitempty"`
	Author       string              `json:"Author,omitempty"`
	Architecture string              `json:"Architecture"`
	Os           string              `json:"Os"`
	Config       ocispec.ImageConfig `json:"Config"`
	RootFS       ocispec.RootFS      `json:"RootFS"`
	History      []ocispec.History   `json:"History,omitempty"`
	Size         int64               `json:"Size"`
	Labels       map[string]string   `json:"Labels,omitempty"`
}

// Inspect describes the image ref.
func Inspect(ctx context.Context, c *client.Client, ref string) (Detail, error) {
	img, err := Resolve(ctx, c, ref)
	if err != nil {
		return Detail{}, err
	}
	cs := c.ContentStore()
	cfgDesc, err := images.Config(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return Detail{}, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	b, err := content.ReadBlob(ctx, cs, cfgDesc)
	if err != nil {
		return Detail{}, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Detail{}, fmt.Errorf("decoding config of image %s: %w", img.Name, err)
	}
	d := Detail{
		ID:           cfgDesc.Digest.String(),
		Created:      cfg.Created,
		Author:       cfg.Author,
		Architecture: cfg.Architecture,
		Os:           cfg.OS,
		Config:       cfg.Config,
		RootFS:       cfg.RootFS,
		History:      cfg.History,
		Labels:       img.Labels,
	}
	// Every name pointing at the same config is a tag of this image.
	all, err := c.ImageService().List(ctx)
	if err != nil {
		return Detail{}, fmt.Errorf("listing images: %w", err)
	}
	for _, other := range all {
		if other.Target.Digest != img.Target.Digest {
			continue
		}
		repo, tag := Familiar(other.Name)
		if tag != "<none>" {
			d.RepoTags = append(d.RepoTags, repo+":"+tag)
		}
		d.RepoDigests = append(d.RepoDigests, repo+"@"+other.Target.Digest.String())
	}
	if size, err := containerd.NewImage(c.Client, img).Size(ctx); err == nil {
		d.Size = size
	}
	return d, nil
}
