package commit

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/moby/sys/userns"
	"github.com/opencontainers/go-digest"
)

// A layer applied while it is written. The committed image must be unpacked
// before `run` can use it; containerd's unpacker would read the new blob
// back, gunzip it on one core and untar it into a new snapshot: for 2000
// small files, more than half of the commit. Instead, the local differ's
// uncompressed tar stream is also fed, block by block as the compressor
// takes it, to the same extraction containerd's applier runs for an
// overlayfs snapshot (archive.Apply into the snapshot's upper directory,
// whiteouts converted to overlayfs's), in a snapshot prepared on the base
// image's layers. Once the layer's diff ID is known, the snapshot is
// committed under the new chain ID, which is what an unpack leaves.
// Anything that does not fit (another snapshotter, a user namespace, an
// extraction error) drops the snapshot, and containerd unpacks as before.

// applyBlocks bounds the blocks (gzipBlockSize each) queued for the
// extraction: the differ waits when it is that far ahead.
const applyBlocks = 8

type layerApply struct {
	sn     snapshots.Snapshotter
	key    string
	blocks chan *inBlock
	done   chan struct{}
	err    error // the extraction's, read after done
}

// startApply prepares a snapshot on parent and starts extracting into it
// the tar stream sent to blocks. It returns nil when the snapshot is not an
// overlayfs one lumper can write to directly.
func startApply(ctx context.Context, sn snapshots.Snapshotter, parent string) *layerApply {
	if userns.RunningInUserNS() {
		return nil
	}
	key := "lumper-commit-extract-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	mounts, err := sn.Prepare(ctx, key, parent)
	if err != nil {
		log.G(ctx).WithError(err).Debug("commit: no snapshot for the new layer; containerd unpacks it")
		return nil
	}
	upper, lowers, ok := overlayDirs(mounts)
	if !ok {
		_ = sn.Remove(context.WithoutCancel(ctx), key)
		return nil
	}
	a := &layerApply{sn: sn, key: key, blocks: make(chan *inBlock, applyBlocks), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		r := &blockReader{blocks: a.blocks}
		opts := []archive.ApplyOpt{archive.WithConvertWhiteout(archive.OverlayConvertWhiteout)}
		if len(lowers) > 0 {
			opts = append(opts, archive.WithParents(lowers))
		}
		_, a.err = archive.Apply(ctx, upper, r, opts...)
		// The tar's end-of-archive padding, or what is left after an error:
		// the writer must never block on a reader that has gone.
		_, _ = io.Copy(io.Discard, r)
	}()
	return a
}

// overlayDirs returns the upper directory and lower directories of an
// overlayfs snapshot's mounts.
func overlayDirs(mounts []mount.Mount) (upper string, lowers []string, ok bool) {
	upper, ok = upperDir(mounts)
	if !ok {
		return "", nil, false
	}
	for _, o := range mounts[0].Options {
		if l, found := strings.CutPrefix(o, "lowerdir="); found {
			lowers = strings.Split(l, ":")
		}
	}
	return upper, lowers, true
}

// finish ends the stream (every block was sent) and waits for the
// extraction; it reports the extraction's error.
func (a *layerApply) finish() error {
	close(a.blocks)
	<-a.done
	return a.err
}

// drop removes the snapshot.
func (a *layerApply) drop(ctx context.Context) {
	if err := a.sn.Remove(context.WithoutCancel(ctx), a.key); err != nil && !errdefs.IsNotFound(err) {
		log.G(ctx).WithError(err).WithField("key", a.key).Warn("removing a commit's extraction snapshot")
	}
}

// commit names the extracted snapshot chainID, as an unpack does. If that
// snapshot already exists (the same layer on the same base, committed
// before), the existing one is kept, and leased until the image refers to it.
func (a *layerApply) commit(ctx context.Context, chainID, snapshotter string, ls leases.Manager) error {
	err := a.sn.Commit(ctx, chainID, a.key)
	if err == nil {
		return nil
	}
	a.drop(ctx)
	if !errdefs.IsAlreadyExists(err) {
		return fmt.Errorf("committing snapshot %s: %w", chainID, err)
	}
	if id, ok := leases.FromContext(ctx); ok {
		res := leases.Resource{ID: chainID, Type: "snapshots/" + snapshotter}
		if err := ls.AddResource(ctx, leases.Lease{ID: id}, res); err != nil {
			return fmt.Errorf("leasing snapshot %s: %w", chainID, err)
		}
	}
	return nil
}

// markUnpacked records on the image config that its layers are unpacked in
// snapshot chainID, as containerd's unpack does: the label is also what
// keeps the snapshot from containerd's garbage collector.
func markUnpacked(ctx context.Context, cs content.Store, config digest.Digest, snapshotter, chainID string) error {
	key := "containerd.io/gc.ref.snapshot." + snapshotter
	info := content.Info{Digest: config, Labels: map[string]string{key: chainID}}
	if _, err := cs.Update(ctx, info, "labels."+key); err != nil {
		return fmt.Errorf("labelling image config %s: %w", config, err)
	}
	return nil
}

// blockReader reads the blocks sent on a channel, in order, until it is
// closed, releasing each once it is read.
type blockReader struct {
	blocks <-chan *inBlock
	held   *inBlock
	cur    []byte
}

func (r *blockReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.held != nil {
			r.held.release()
			r.held = nil
		}
		b, ok := <-r.blocks
		if !ok {
			return 0, io.EOF
		}
		r.held, r.cur = b, b.buf
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
