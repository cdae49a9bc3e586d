package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	ctdimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// PushOptions configure Push.
type PushOptions struct {
	Remote Options
	// Platform, when set, pushes only that platform's manifest of a
	// multi-platform image.
	Platform string
	// Progress receives one line per layer; nil pushes quietly.
	Progress io.Writer
}

// PushResult says what a push sent.
type PushResult struct {
	Name   string // the full reference pushed
	Digest string // the digest of the manifest (or index) pushed
	Size   int64  // its size
}

// Push sends the image named ref (a reference, as the registry will know
// it) to its registry: layers and config first, then the manifest, then the
// index, under the reference's tag. A multi-platform image of which only
// some platforms were pulled is pushed as this host's (or --platform's)
// manifest alone.
func Push(ctx context.Context, c *client.Client, ref string, o PushOptions) (PushResult, error) {
	name, err := images.Normalize(ref)
	if err != nil {
		return PushResult{}, err
	}
	img, err := c.ImageService().Get(ctx, name)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return PushResult{}, api.Invalidf("pushing %s: no such image: give the image this name first with 'lumper tag IMAGE %s'", ref, ref)
		}
		return PushResult{}, fmt.Errorf("looking up image %s: %w", ref, err)
	}
	target, err := pushTarget(ctx, c.ContentStore(), img.Target, o.Platform)
	if err != nil {
		return PushResult{}, err
	}
	if target.Digest != img.Target.Digest {
		log.G(ctx).WithField("manifest", target.Digest).Info("pushing one platform's manifest: the image's other platforms are not on this host")
	}
	tracker := docker.NewInMemoryTracker()
	r := newRemote(ctx, o.Remote, tracker)
	opts := []containerd.RemoteOpt{containerd.WithResolver(r), containerd.WithPlatformMatcher(platforms.All)}
	var t *layerTracker
	if o.Progress != nil {
		repo, _ := images.Familiar(name)
		fmt.Fprintf(o.Progress, "The push refers to repository [%s]\n", repo)
		t = newLayerTracker(o.Progress)
		opts = append(opts, containerd.WithImageHandlerWrapper(t.wrapPush(tracker)))
		t.start(ctx, t.pollPush(tracker))
	}
	err = c.Push(ctx, name, target, opts...)
	if t != nil {
		t.finish(err == nil, "Pushed")
	}
	if err != nil {
		f := failure{verb: "pushing", ref: name, host: hostOf(name), offered: r.creds.offered.Load(), certs: o.Remote.CertsHint(hostOf(name))}
		return PushResult{}, f.explain(err)
	}
	return PushResult{Name: name, Digest: target.Digest.String(), Size: target.Size}, nil
}

// pushTarget picks what to push: the image's target when all its content is
// here, else (or with a platform) the manifest of one platform.
func pushTarget(ctx context.Context, cs content.Store, target ocispec.Descriptor, platform string) (ocispec.Descriptor, error) {
	if !ctdimages.IsIndexType(target.MediaType) {
		return target, nil
	}
	if platform == "" {
		if ok, err := complete(ctx, cs, target); err != nil || ok {
			return target, err
		}
	}
	m, p, err := images.ParsePlatform(platform)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := presentManifest(ctx, cs, target, m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if desc == nil {
		return ocispec.Descriptor{}, api.Invalidf("pushing: the image has no manifest for platform %s on this host", p)
	}
	return *desc, nil
}

// complete reports whether every blob an image references is in the store.
func complete(ctx context.Context, cs content.Store, target ocispec.Descriptor) (bool, error) {
	err := ctdimages.Walk(ctx, ctdimages.HandlerFunc(func(ctx context.Context, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if _, err := cs.Info(ctx, d.Digest); err != nil {
			return nil, err
		}
		return ctdimages.Children(ctx, cs, d)
	}), target)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading image content: %w", err)
	}
	return true, nil
}

// presentManifest finds, in an index, the best manifest for m whose content
// is in the store.
func presentManifest(ctx context.Context, cs content.Store, index ocispec.Descriptor, m platforms.MatchComparer) (*ocispec.Descriptor, error) {
	b, err := content.ReadBlob(ctx, cs, index)
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", index.Digest, err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("decoding index %s: %w", index.Digest, err)
	}
	var found []ocispec.Descriptor
	for _, d := range idx.Manifests {
		if d.Platform != nil && !m.Match(*d.Platform) {
			continue
		}
		if ctdimages.IsIndexType(d.MediaType) {
			sub, err := presentManifest(ctx, cs, d, m)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				found = append(found, *sub)
			}
			continue
		}
		if !ctdimages.IsManifestType(d.MediaType) {
			continue
		}
		if ok, err := complete(ctx, cs, d); err != nil {
			return nil, err
		} else if ok {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].Platform == nil || found[j].Platform == nil {
			return found[j].Platform == nil && found[i].Platform != nil
		}
		return m.Less(*found[i].Platform, *found[j].Platform)
	})
	return &found[0], nil
}
