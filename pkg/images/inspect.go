package images

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Inspect describes the image ref as `docker image inspect` does.
func Inspect(ctx context.Context, c *client.Client, ref string) (api.ImageInspect, error) {
	img, err := Resolve(ctx, c, ref)
	if err != nil {
		return api.ImageInspect{}, err
	}
	cs := c.ContentStore()
	cfgDesc, err := images.Config(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return api.ImageInspect{}, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	b, err := content.ReadBlob(ctx, cs, cfgDesc)
	if err != nil {
		return api.ImageInspect{}, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	d, err := imageDocument(cfgDesc.Digest.String(), b)
	if err != nil {
		return api.ImageInspect{}, fmt.Errorf("decoding config of image %s: %w", img.Name, err)
	}
	d.Metadata.LastTagTime = img.UpdatedAt.UTC().Format(time.RFC3339Nano)
	// Every name pointing at the same config is a tag of this image.
	all, err := c.ImageService().List(ctx)
	if err != nil {
		return api.ImageInspect{}, fmt.Errorf("listing images: %w", err)
	}
	for _, other := range all {
		if other.Target.Digest != img.Target.Digest {
			continue
		}
		repo, tag := Familiar(other.Name)
		if tag != "<none>" {
			d.RepoTags = append(d.RepoTags, repo+":"+tag)
		}
		if dg := repo + "@" + other.Target.Digest.String(); !slices.Contains(d.RepoDigests, dg) {
			d.RepoDigests = append(d.RepoDigests, dg)
		}
	}
	slices.Sort(d.RepoTags)
	if size, err := containerd.NewImage(c.Client, img).Size(ctx); err == nil {
		d.Size = size
	}
	d.GraphDriver = api.GraphDriver{Name: c.Snapshotter, Data: map[string]string{}}
	return d, nil
}

// imageDocument builds the inspect document from an image config blob.
func imageDocument(id string, blob []byte) (api.ImageInspect, error) {
	var cfg struct {
		ocispec.Image
		Comment string `json:"comment"` // Docker's image configs carry one
	}
	if err := json.Unmarshal(blob, &cfg); err != nil {
		return api.ImageInspect{}, err
	}
	d := api.ImageInspect{
		ID:           id,
		RepoTags:     []string{},
		RepoDigests:  []string{},
		Comment:      cfg.Comment,
		Created:      api.ZeroTime,
		Author:       cfg.Author,
		Architecture: cfg.Architecture,
		Variant:      cfg.Variant,
		Os:           cfg.OS,
		RootFS:       api.RootFS{Type: cfg.RootFS.Type, Layers: []string{}},
	}
	if cfg.Created != nil && !cfg.Created.IsZero() {
		d.Created = cfg.Created.UTC().Format(time.RFC3339Nano)
	}
	if d.Comment == "" && len(cfg.History) > 0 {
		d.Comment = cfg.History[len(cfg.History)-1].Comment
	}
	for _, l := range cfg.RootFS.DiffIDs {
		d.RootFS.Layers = append(d.RootFS.Layers, l.String())
	}
	c := cfg.Config
	d.Config = api.ContainerConfig{
		User:         c.User,
		ExposedPorts: c.ExposedPorts,
		Env:          c.Env,
		Cmd:          c.Cmd,
		Volumes:      c.Volumes,
		WorkingDir:   c.WorkingDir,
		Entrypoint:   c.Entrypoint,
		StopSignal:   c.StopSignal,
	}
	if len(c.Labels) > 0 { // null when the image has none, as Docker
		d.Config.Labels = maps.Clone(c.Labels)
	}
	return d, nil
}
