package images

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
)

// SavePlan is what Save writes: the images the user named, resolved, and
// the total size of their blobs (for progress).
type SavePlan struct {
	entries []saveEntry
	// Size is the sum of the sizes of the blobs the archive will hold.
	Size int64
}

type saveEntry struct {
	target ocispec.Descriptor
	name   string // "" when the image was named by ID
}

// PlanSave resolves refs (references or ID prefixes) before anything is
// written, so that a typo fails without leaving a truncated archive behind.
func PlanSave(ctx context.Context, c *client.Client, refs []string) (SavePlan, error) {
	var p SavePlan
	type entryKey struct {
		target digest.Digest
		name   string
	}
	seenEntry := map[entryKey]bool{}
	seenBlob := map[digest.Digest]bool{}
	for _, ref := range refs {
		img, err := Resolve(ctx, c, ref)
		if err != nil {
			return SavePlan{}, err
		}
		e := saveEntry{target: img.Target}
		// An image asked for by name keeps that name in the archive; one
		// asked for by ID is saved without a name, as Docker does.
		if nameMatches(ref, img.Name) {
			if _, tag := Familiar(img.Name); tag != "<none>" {
				e.name = img.Name
			}
		}
		if key := (entryKey{target: e.target.Digest, name: e.name}); !seenEntry[key] {
			seenEntry[key] = true
			p.entries = append(p.entries, e)
		}
		size, err := blobSize(ctx, c, img, seenBlob)
		if err != nil {
			return SavePlan{}, err
		}
		p.Size += size
	}
	return p, nil
}

// blobSize adds up the blobs of img for this platform not counted yet.
func blobSize(ctx context.Context, c *client.Client, img images.Image, seen map[digest.Digest]bool) (int64, error) {
	cs := c.ContentStore()
	mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return 0, fmt.Errorf("reading manifest of image %s: %w", img.Name, err)
	}
	var total int64
	for _, d := range append([]ocispec.Descriptor{img.Target, mf.Config}, mf.Layers...) {
		if !seen[d.Digest] {
			seen[d.Digest] = true
			total += d.Size
		}
	}
	return total, nil
}

// Save writes the planned images to w as one tar archive that is both an OCI
// image layout (oci-layout, index.json, blobs/) and a `docker save` archive
// (manifest.json with RepoTags), so that `docker load`, `lumper load` and OCI
// tools all read it. Only this platform's manifests and layers are written.
func Save(ctx context.Context, c *client.Client, p SavePlan, w io.Writer) error {
	opts := []archive.ExportOpt{
		archive.WithPlatform(platforms.DefaultStrict()),
	}
	for _, e := range p.entries {
		if e.name != "" {
			opts = append(opts, archive.WithManifest(e.target, e.name))
		} else {
			opts = append(opts, archive.WithManifest(e.target))
		}
	}
	if err := archive.Export(ctx, c.ContentStore(), w, opts...); err != nil {
		return fmt.Errorf("writing archive: %w", err)
	}
	return nil
}
