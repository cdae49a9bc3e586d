package images

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
)

// MissingID stands for a history entry no local image ends at.
const MissingID = "<missing>"

// HistoryEntry is one row of `lumper history`.
type HistoryEntry struct {
	// ID is the ID of a local image whose layers and history end at this
	// entry (the image itself for the newest one), or MissingID.
	ID        string    `json:"ID"`
	Created   time.Time `json:"Created"`
	CreatedBy string    `json:"CreatedBy"`
	Author    string    `json:"Author,omitempty"`
	Comment   string    `json:"Comment"`
	// Size is what the entry's layer adds, unpacked (its compressed size when
	// the image is not unpacked); 0 for an entry that made no layer.
	Size       int64 `json:"Size"`
	EmptyLayer bool  `json:"EmptyLayer,omitempty"`
}

// History returns the history of image ref, newest entry first.
func History(ctx context.Context, c *client.Client, ref string) ([]HistoryEntry, error) {
	img, err := Resolve(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	cs := c.ContentStore()
	mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return nil, fmt.Errorf("reading manifest of image %s: %w", img.Name, err)
	}
	cfg, err := readImageConfig(ctx, cs, mf.Config)
	if err != nil {
		return nil, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	known, err := knownHistories(ctx, c)
	if err != nil {
		return nil, err
	}
	return buildHistory(cfg, mf.Config.Digest.String(), layerSizes(ctx, c, cfg, mf), known), nil
}

// layerSizes returns the unpacked size of each layer, from the snapshotter,
// or the compressed size from the manifest when a layer is not unpacked.
func layerSizes(ctx context.Context, c *client.Client, cfg ocispec.Image, mf ocispec.Manifest) []int64 {
	chain := identity.ChainIDs(slices.Clone(cfg.RootFS.DiffIDs))
	sn := c.SnapshotService(c.Snapshotter)
	sizes := make([]int64, len(chain))
	for i, id := range chain {
		if u, err := sn.Usage(ctx, id.String()); err == nil {
			sizes[i] = u.Size
		} else if i < len(mf.Layers) {
			sizes[i] = mf.Layers[i].Size
		}
	}
	return sizes
}

// knownHistories maps the key of every local image's layers and history to
// its ID, so that a history entry can name the local image that ends there.
func knownHistories(ctx context.Context, c *client.Client) (map[string]string, error) {
	all, err := c.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	cs := c.ContentStore()
	known := map[string]string{}
	for _, img := range all {
		desc, err := images.Config(ctx, cs, img.Target, platforms.Default())
		if err != nil {
			continue // content of another platform, or missing
		}
		cfg, err := readImageConfig(ctx, cs, desc)
		if err != nil {
			continue
		}
		k := historyKey(cfg.RootFS.DiffIDs, cfg.History)
		if id, ok := known[k]; !ok || desc.Digest.String() < id {
			known[k] = desc.Digest.String()
		}
	}
	return known, nil
}

func readImageConfig(ctx context.Context, cs content.Provider, desc ocispec.Descriptor) (ocispec.Image, error) {
	b, err := content.ReadBlob(ctx, cs, desc)
	if err != nil {
		return ocispec.Image{}, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return ocispec.Image{}, fmt.Errorf("decoding image config: %w", err)
	}
	return cfg, nil
}

// historyKey identifies an image by its layers and its history.
func historyKey(diffIDs []digest.Digest, hist []ocispec.History) string {
	b, _ := json.Marshal(hist)
	return identity.ChainID(diffIDs).String() + "/" + digest.FromBytes(b).String()
}

// buildHistory lays out cfg's history newest first. Entries that made a layer
// take the layers' sizes in order, as Docker does. An image without history
// gets one anonymous entry per layer.
func buildHistory(cfg ocispec.Image, id string, sizes []int64, known map[string]string) []HistoryEntry {
	hist := cfg.History
	if len(hist) == 0 {
		hist = make([]ocispec.History, len(cfg.RootFS.DiffIDs))
	}
	diffIDs := cfg.RootFS.DiffIDs
	out := make([]HistoryEntry, 0, len(hist))
	layer := 0
	for i, h := range hist {
		e := HistoryEntry{ID: MissingID, CreatedBy: h.CreatedBy, Author: h.Author, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if h.Created != nil {
			e.Created = *h.Created
		}
		if !h.EmptyLayer {
			if layer < len(sizes) {
				e.Size = sizes[layer]
			}
			layer++
		}
		if i == len(hist)-1 {
			e.ID = id
		} else if k, ok := known[historyKey(diffIDs[:min(layer, len(diffIDs))], hist[:i+1])]; ok {
			e.ID = k
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out
}
