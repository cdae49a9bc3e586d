package registry

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/output"
)

// progressTick is how often transfer progress is sampled.
const progressTick = 150 * time.Millisecond

// layerTracker follows the layers of one pull or push and reports them to an
// output.Layers. The layers are learnt from the manifests as they are
// handled; bytes come from containerd's ingest statuses (pull) or the
// resolver's push tracker (push).
type layerTracker struct {
	out *output.Layers

	mu     sync.Mutex
	layers []ocispec.Descriptor
	seen   map[string]bool
	done   map[string]bool

	stop chan struct{}
	wg   sync.WaitGroup
}

func newLayerTracker(w io.Writer) *layerTracker {
	return &layerTracker{out: output.NewLayers(w), seen: map[string]bool{}, done: map[string]bool{}}
}

func shortDigest(d ocispec.Descriptor) string { return client.ShortID(d.Digest.String()) }

// add starts following a layer; present layers need no transfer.
func (t *layerTracker) add(d ocispec.Descriptor, present bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[d.Digest.String()] {
		return
	}
	t.seen[d.Digest.String()] = true
	t.layers = append(t.layers, d)
	if present {
		t.done[d.Digest.String()] = true
		t.out.Set(shortDigest(d), "Already exists", 0, 0, true)
		return
	}
	t.out.Set(shortDigest(d), "Waiting", 0, d.Size, false)
}

func (t *layerTracker) pending() []ocispec.Descriptor {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []ocispec.Descriptor
	for _, d := range t.layers {
		if !t.done[d.Digest.String()] {
			out = append(out, d)
		}
	}
	return out
}

func (t *layerTracker) finished(d ocispec.Descriptor, status string) {
	t.mu.Lock()
	t.done[d.Digest.String()] = true
	t.mu.Unlock()
	t.out.Set(shortDigest(d), status, d.Size, d.Size, true)
}

// start samples progress with poll until finish.
func (t *layerTracker) start(ctx context.Context, poll func(context.Context)) {
	t.stop = make(chan struct{})
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(progressTick)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				poll(ctx)
				t.out.Flush()
			}
		}
	}()
}

// finish stops sampling. On success the layers still open get status.
func (t *layerTracker) finish(ok bool, status string) {
	if t.stop != nil {
		close(t.stop)
		t.wg.Wait()
	}
	if ok {
		t.out.Finish(status)
	} else {
		t.out.Flush()
	}
}

// wrapPull learns the layers of each manifest the pull handles. It runs
// inside containerd's unpacker, which fetches the layers itself.
func (t *layerTracker) wrapPull(cs content.Store) func(images.Handler) images.Handler {
	return func(h images.Handler) images.Handler {
		return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			children, err := h.Handle(ctx, desc)
			if err != nil || !images.IsManifestType(desc.MediaType) {
				return children, err
			}
			for _, ch := range children {
				if images.IsLayerType(ch.MediaType) {
					_, infoErr := cs.Info(ctx, ch.Digest)
					t.add(ch, infoErr == nil)
				}
			}
			return children, nil
		})
	}
}

// pollPull reads the ingest statuses: a layer with an ingest is
// downloading; one whose blob is committed is complete.
func (t *layerTracker) pollPull(cs content.Store) func(context.Context) {
	return func(ctx context.Context) {
		pending := t.pending()
		if len(pending) == 0 {
			return
		}
		statuses, err := cs.ListStatuses(ctx)
		if err != nil {
			log.G(ctx).WithError(err).Debug("reading download progress")
			return
		}
		active := make(map[string]content.Status, len(statuses))
		for _, s := range statuses {
			active[s.Ref] = s
		}
		for _, d := range pending {
			if s, ok := active[remotes.MakeRefKey(ctx, d)]; ok {
				t.out.Set(shortDigest(d), "Downloading", s.Offset, d.Size, false)
				continue
			}
			if _, err := cs.Info(ctx, d.Digest); err == nil {
				t.finished(d, "Download complete")
			}
		}
	}
}

// wrapPush reports each layer as the push handles it.
func (t *layerTracker) wrapPush(tracker docker.StatusTracker) func(images.Handler) images.Handler {
	return func(h images.Handler) images.Handler {
		return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if !images.IsLayerType(desc.MediaType) {
				return h.Handle(ctx, desc)
			}
			t.add(desc, false)
			t.out.Set(shortDigest(desc), "Pushing", 0, desc.Size, false)
			children, err := h.Handle(ctx, desc)
			if err != nil {
				return children, err
			}
			status := "Pushed"
			if st, err := tracker.GetStatus(remotes.MakeRefKey(ctx, desc)); err == nil {
				switch {
				case st.MountedFrom != "":
					status = "Mounted from " + st.MountedFrom
				case st.Exists:
					status = "Layer already exists"
				}
			}
			t.finished(desc, status)
			return children, nil
		})
	}
}

// pollPush reads the bytes sent from the resolver's push tracker.
func (t *layerTracker) pollPush(tracker docker.StatusTracker) func(context.Context) {
	return func(ctx context.Context) {
		for _, d := range t.pending() {
			if st, err := tracker.GetStatus(remotes.MakeRefKey(ctx, d)); err == nil && !st.Committed {
				t.out.Set(shortDigest(d), "Pushing", st.Offset, d.Size, false)
			}
		}
	}
}
