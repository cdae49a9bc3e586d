package images

import (
	"context"
	"fmt"
	"slices"
	"sort"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Footprint is what images hold on disk: content blobs (manifests, configs,
// compressed layers) and unpacked layers (snapshots, by chain ID). Shared
// data is counted once.
type Footprint struct {
	Blobs  map[digest.Digest]int64
	Layers map[string]int64
}

// NewFootprint returns an empty footprint.
func NewFootprint() Footprint {
	return Footprint{Blobs: map[digest.Digest]int64{}, Layers: map[string]int64{}}
}

// Size is the number of bytes of the footprint.
func (f Footprint) Size() int64 {
	var n int64
	for _, s := range f.Blobs {
		n += s
	}
	for _, s := range f.Layers {
		n += s
	}
	return n
}

// Add merges o into f.
func (f Footprint) Add(o Footprint) {
	for k, v := range o.Blobs {
		f.Blobs[k] = v
	}
	for k, v := range o.Layers {
		f.Layers[k] = v
	}
}

// Footprints returns the footprint of every image, by image name.
func Footprints(ctx context.Context, c *client.Client) (map[string]Footprint, error) {
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	out := make(map[string]Footprint, len(imgs))
	for _, img := range imgs {
		fp, err := footprint(ctx, c, img)
		if err != nil {
			return nil, err
		}
		out[img.Name] = fp
	}
	return out, nil
}

func footprint(ctx context.Context, c *client.Client, img images.Image) (Footprint, error) {
	fp := NewFootprint()
	cs := c.ContentStore()
	children := images.FilterPlatforms(images.ChildrenHandler(cs), platforms.Default())
	walk := images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		info, err := cs.Info(ctx, desc.Digest)
		if errdefs.IsNotFound(err) {
			return nil, nil // not here (another platform's, or not fetched)
		}
		if err != nil {
			return nil, err
		}
		fp.Blobs[desc.Digest] = info.Size
		return children(ctx, desc)
	})
	if err := images.Walk(ctx, walk, img.Target); err != nil {
		return fp, fmt.Errorf("reading content of image %s: %w", img.Name, err)
	}
	diffIDs, err := containerd.NewImage(c.Client, img).RootFS(ctx)
	if err != nil {
		return fp, nil // no config for this platform: nothing unpacked
	}
	sn := c.SnapshotService(c.Snapshotter)
	for _, chain := range identity.ChainIDs(diffIDs) {
		u, err := sn.Usage(ctx, chain.String())
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fp, fmt.Errorf("reading usage of layer %s: %w", chain, err)
		}
		fp.Layers[chain.String()] = u.Size
	}
	return fp, nil
}

// UsedImages returns the names of the images that containers were created
// from.
func UsedImages(ctx context.Context, c *client.Client) (map[string]bool, error) {
	ctrs, err := c.ContainerService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	used := map[string]bool{}
	for _, ctr := range ctrs {
		used[ctr.Image] = true
	}
	return used, nil
}

// Dangling reports whether an image name carries no tag (an image known by
// digest only, e.g. loaded from an archive without a name).
func Dangling(name string) bool {
	_, tag := Familiar(name)
	return tag == "<none>"
}

// Prune removes the images no container uses: the untagged ones, or with
// all every unused one. It reports the names removed and the bytes freed.
func Prune(ctx context.Context, c *client.Client, all bool) (api.PruneReport, error) {
	var rep api.PruneReport
	used, err := UsedImages(ctx, c)
	if err != nil {
		return rep, err
	}
	before, err := Footprints(ctx, c)
	if err != nil {
		return rep, err
	}
	var victims []string
	for name := range before {
		if !used[name] && (all || Dangling(name)) {
			victims = append(victims, name)
		}
	}
	sort.Strings(victims)
	for i, name := range victims {
		var opts []images.DeleteOpt
		if i == len(victims)-1 {
			// containerd's garbage collector has run when this returns.
			opts = append(opts, images.SynchronousDelete())
		}
		if err := c.ImageService().Delete(ctx, name, opts...); err != nil && !errdefs.IsNotFound(err) {
			return rep, fmt.Errorf("removing image %s: %w", name, err)
		}
		rep.Deleted = append(rep.Deleted, name)
	}
	if len(rep.Deleted) == 0 {
		return rep, nil
	}
	total, kept := NewFootprint(), NewFootprint()
	for name, fp := range before {
		total.Add(fp)
		if !slices.Contains(rep.Deleted, name) {
			kept.Add(fp)
		}
	}
	rep.SpaceReclaimed = total.Size() - kept.Size()
	return rep, nil
}
