package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	ctdimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// platformError is the pull of an image for another platform than the one
// asked for.
type platformError struct{ have, want string }

func (e *platformError) Error() string {
	return fmt.Sprintf("the image is for platform %s, not %s", e.have, e.want)
}

// pullLeaseTTL bounds how long what an interrupted pull fetched is kept for a
// retry to resume from, before containerd's garbage collector reclaims it.
const pullLeaseTTL = time.Hour

// PullOptions configure Pull.
type PullOptions struct {
	Remote Options
	// Platform is os/arch[/variant]; "" picks this host's platform from a
	// multi-platform index.
	Platform string
	// Progress receives one line per layer (redrawn in place on a
	// terminal) and a summary; nil pulls quietly.
	Progress io.Writer
}

// PullResult says what a pull stored.
type PullResult struct {
	Name    string // the full reference the image is stored under
	Digest  string // the manifest (or index) digest
	Updated bool   // the name points at other content than before the pull
}

// Pull fetches an image from its registry, unpacks it into the snapshotter
// and records it under its full reference. The image record is written only
// when every blob is fetched and verified against its digest, so a failed
// pull records nothing. Everything is fetched under a lease: an interrupted
// pull (Ctrl-C, a broken connection) keeps what it fetched for an hour, and
// the next pull of the same reference takes it over and goes on from there.
func Pull(ctx context.Context, c *client.Client, ref string, o PullOptions) (PullResult, error) {
	name, err := images.Normalize(ref)
	if err != nil {
		return PullResult{}, err
	}
	matcher, platform, err := images.ParsePlatform(o.Platform)
	if err != nil {
		return PullResult{}, err
	}
	r := newRemote(ctx, o.Remote, nil)
	f := failure{verb: "pulling", ref: name, host: hostOf(name), platform: platform, certs: o.Remote.CertsHint(hostOf(name))}

	var before string
	if img, err := c.ImageService().Get(ctx, name); err == nil {
		before = img.Target.Digest.String()
	}
	lctx, lease, err := pullLease(ctx, c, name)
	if err != nil {
		return PullResult{}, err
	}
	var pullErr error
	defer func() {
		// Keep what an interrupted transfer fetched; a refusal, a missing
		// platform or corrupt content leaves nothing worth resuming.
		keep := pullErr != nil && r.resolved.Load() && interrupted(pullErr)
		if keep {
			log.G(ctx).WithField("lease", lease.ID).Debug("keeping what the pull fetched for a retry")
			return
		}
		dctx := context.WithoutCancel(ctx)
		if pullErr != nil {
			// A partly or wrongly written blob must not be picked up
			// by the next pull: drop the ingests of this one.
			abortIngests(dctx, c, lease)
		}
		if err := c.LeasesService().Delete(dctx, lease); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).Warn("deleting pull lease")
		}
	}()

	opts := []containerd.RemoteOpt{
		containerd.WithResolver(r),
		containerd.WithPullUnpack,
		containerd.WithPullSnapshotter(c.Snapshotter),
		containerd.WithPlatformMatcher(matcher),
	}
	var wrappers []func(ctdimages.Handler) ctdimages.Handler
	if o.Platform != "" {
		// A single-platform image is not filtered by platform: check it.
		wrappers = append(wrappers, checkPlatform(c.ContentStore(), matcher, platform))
	}
	var t *layerTracker
	if o.Progress != nil {
		repo, tag := images.Familiar(name)
		if tag == "<none>" {
			fmt.Fprintf(o.Progress, "Pulling from %s\n", repo)
		} else {
			fmt.Fprintf(o.Progress, "%s: Pulling from %s\n", tag, repo)
		}
		cs := c.ContentStore()
		t = newLayerTracker(o.Progress)
		wrappers = append(wrappers, t.wrapPull(cs))
		t.start(ctx, t.pollPull(cs))
	}
	opts = append(opts, containerd.WithImageHandlerWrapper(func(h ctdimages.Handler) ctdimages.Handler {
		for _, w := range wrappers {
			h = w(h)
		}
		return h
	}))
	img, pullErr := c.Pull(lctx, name, opts...)
	if t != nil {
		t.finish(pullErr == nil, "Pull complete")
	}
	if pullErr != nil {
		f.offered, f.resolved = r.creds.offered.Load(), r.resolved.Load()
		return PullResult{}, f.explain(pullErr)
	}
	res := PullResult{Name: img.Name(), Digest: img.Target().Digest.String()}
	res.Updated = res.Digest != before
	if o.Progress != nil {
		repo, tag := images.Familiar(name)
		if tag != "<none>" {
			repo += ":" + tag
		}
		fmt.Fprintf(o.Progress, "Digest: %s\n", res.Digest)
		if res.Updated {
			fmt.Fprintf(o.Progress, "Status: Downloaded newer image for %s\n", repo)
		} else {
			fmt.Fprintf(o.Progress, "Status: Image is up to date for %s\n", repo)
		}
	}
	return res, nil
}

// pullLease creates the lease a pull writes under, labelled with the image
// and this process, and moves into it what earlier pulls of the same image
// fetched before their process died, so that they need not be fetched again.
func pullLease(ctx context.Context, c *client.Client, name string) (context.Context, leases.Lease, error) {
	ls := c.LeasesService()
	l, err := ls.Create(ctx, leases.WithRandomID(), leases.WithExpiration(pullLeaseTTL), leases.WithLabels(map[string]string{
		client.LabelLeaseOperation: "pull",
		client.LabelImage:          name,
		client.LabelLeaseOwner:     client.Owner(),
	}))
	if err != nil {
		return ctx, l, fmt.Errorf("creating pull lease: %w", err)
	}
	prev, err := ls.List(ctx,
		"labels."+strconv.Quote(client.LabelLeaseOperation)+"==pull,labels."+strconv.Quote(client.LabelImage)+"=="+strconv.Quote(name))
	if err != nil {
		log.G(ctx).WithError(err).Debug("listing earlier pull leases")
	}
	for _, p := range prev {
		if p.ID == l.ID || client.OwnerAlive(p.Labels[client.LabelLeaseOwner]) {
			continue
		}
		if err := adoptLease(ctx, ls, p, l); err != nil {
			log.G(ctx).WithError(err).WithField("lease", p.ID).Debug("taking over an interrupted pull")
		}
	}
	return leases.WithLease(ctx, l.ID), l, nil
}

// abortIngests cancels the unfinished writes held by a lease.
func abortIngests(ctx context.Context, c *client.Client, l leases.Lease) {
	rs, err := c.LeasesService().ListResources(ctx, l)
	if err != nil {
		log.G(ctx).WithError(err).Debug("listing pull lease resources")
		return
	}
	for _, r := range rs {
		if r.Type != "ingests" {
			continue
		}
		if err := c.ContentStore().Abort(ctx, r.ID); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).WithField("ref", r.ID).Debug("aborting ingest")
		}
	}
}

// adoptLease moves the resources of from into to and deletes from.
func adoptLease(ctx context.Context, ls leases.Manager, from, to leases.Lease) error {
	rs, err := ls.ListResources(ctx, from)
	if err != nil {
		return fmt.Errorf("listing resources of lease %s: %w", from.ID, err)
	}
	for _, r := range rs {
		if err := ls.AddResource(ctx, to, r); err != nil {
			return fmt.Errorf("moving %s %s to lease %s: %w", r.Type, r.ID, to.ID, err)
		}
	}
	log.G(ctx).WithField("lease", from.ID).WithField("resources", len(rs)).Debug("resuming an interrupted pull")
	if err := ls.Delete(ctx, from); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("deleting lease %s: %w", from.ID, err)
	}
	return nil
}

// hostOf is the registry of a normalised reference.
func hostOf(name string) string {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.Domain(named)
}

// checkPlatform fails the pull of a single-platform image whose config
// names another platform than the one asked for, before the image is
// recorded. In a multi-platform index, the index says which manifest is for
// which platform, and containerd picks by it.
func checkPlatform(cs content.Store, m platforms.MatchComparer, want string) func(ctdimages.Handler) ctdimages.Handler {
	var index atomic.Bool
	return func(h ctdimages.Handler) ctdimages.Handler {
		return ctdimages.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if ctdimages.IsIndexType(desc.MediaType) {
				index.Store(true)
			}
			children, err := h.Handle(ctx, desc)
			if err != nil || index.Load() || !ctdimages.IsConfigType(desc.MediaType) {
				return children, err
			}
			b, err := content.ReadBlob(ctx, cs, desc)
			if err != nil {
				return nil, fmt.Errorf("reading image config: %w", err)
			}
			var cfg ocispec.Image
			if err := json.Unmarshal(b, &cfg); err != nil {
				return nil, fmt.Errorf("decoding image config: %w", err)
			}
			if cfg.OS != "" && !m.Match(cfg.Platform) {
				return nil, &platformError{have: platforms.Format(cfg.Platform), want: want}
			}
			return children, nil
		})
	}
}
