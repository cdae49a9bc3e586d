// Package commit turns a container's file system changes into a new image, as
// `docker commit` does: one new layer on top of the container's image, the
// image's config with a history entry and any --change applied, unpacked so
// that `run` can start it at once.
package commit

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/containerd/v2/pkg/rootfs"
	"github.com/containerd/containerd/v2/plugins/diff/walking"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	lumperimages "github.com/lumper/lumper/pkg/images"
)

// CreatedBy is the history entry's created_by of a committed layer.
const CreatedBy = "lumper commit"

// Compression names accepted by --compression.
const (
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
	CompressionNone = "none"
)

// leaseExpiry bounds how long the content of a commit that died (SIGKILL,
// host crash) stays protected from containerd's garbage collector.
const leaseExpiry = time.Hour

// Options describe a commit.
type Options struct {
	Ref         string   // name of the new image, e.g. "myimage:1.0"; "" for an untagged one
	Message     string   // history comment (-m)
	Author      string   // image and history author (-a)
	Changes     []string // Dockerfile instructions applied to the config (-c)
	Compression string   // gzip (default), zstd or none
	// NoPause commits a running container without freezing it; the layer may
	// then catch files half-written.
	NoPause bool
	// Progress, when set, is called a few times a second while the new
	// layer is written, and once when it is complete, with the bytes of the
	// layer (compressed, unless Compression is none) written so far and an
	// estimate of the layer's uncompressed size, or -1 when it cannot be
	// known in advance. Without compression the estimate is thus the total
	// that written reaches, give or take a few blocks; compressed, the final
	// size cannot be known before the layer is written.
	Progress func(written, uncompressed int64)
}

// Result is the committed image.
type Result struct {
	Name string        // normalized reference
	ID   digest.Digest // image ID (config digest)
}

// Validate checks everything about o that does not need containerd: the
// image name, the compression and the --change instructions.
func (o Options) Validate() error {
	if o.Ref != "" {
		if _, err := lumperimages.Normalize(o.Ref); err != nil {
			return err
		}
	}
	if _, err := LayerMediaType(o.Compression); err != nil {
		return err
	}
	return lumperimages.ApplyChanges(&ocispec.ImageConfig{}, o.Changes)
}

// LayerMediaType maps a --compression value to the OCI layer media type.
func LayerMediaType(compression string) (string, error) {
	switch compression {
	case "", CompressionGzip:
		return ocispec.MediaTypeImageLayerGzip, nil
	case CompressionZstd:
		return ocispec.MediaTypeImageLayerZstd, nil
	case CompressionNone:
		return ocispec.MediaTypeImageLayer, nil
	default:
		return "", api.Invalidf("invalid --compression %q: use gzip, zstd or none", compression)
	}
}

// Commit makes the image o.Ref (untagged when o.Ref is "") from the changes in container ref's file system.
//
// Everything is written under a lease that expires after an hour and is
// deleted when Commit returns, so an interrupted commit leaves nothing that
// containerd's garbage collector will not reclaim. A running container is
// paused while its layer is computed and resumed afterwards, whatever
// happens; if lumper is killed meanwhile, the next commit resumes it (see
// recoverStale). The image record is written last: until then, an existing
// image of the same name is untouched.
func Commit(ctx context.Context, c *client.Client, ref string, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	trace := func(step string) {
		if log.G(ctx).Logger.IsLevelEnabled(log.DebugLevel) {
			log.G(ctx).WithField("after", time.Since(start).Round(10*time.Microsecond)).Debugf("commit: %s", step)
		}
	}
	var name string // "": untagged, named by its manifest digest below
	if o.Ref != "" {
		name, _ = lumperimages.Normalize(o.Ref)
	}
	mediaType, _ := LayerMediaType(o.Compression)

	rec, err := c.Container(ctx, ref)
	if err != nil {
		return Result{}, err
	}
	recoverStale(ctx, c)

	if rec.SnapshotKey == "" {
		return Result{}, api.Invalidf("container %s has no file system snapshot: it cannot be committed", ref)
	}
	snapshotter := rec.Snapshotter
	if snapshotter == "" {
		snapshotter = c.Snapshotter
	}
	sn := c.SnapshotService(snapshotter)
	info, err := sn.Stat(ctx, rec.SnapshotKey)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return Result{}, api.Invalidf("container %s has lost its file system snapshot: it cannot be committed", ref)
		}
		return Result{}, fmt.Errorf("reading snapshot of container %s: %w", ref, err)
	}
	base, err := baseImage(ctx, c, rec, info.Parent)
	if err != nil {
		return Result{}, err
	}

	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return Result{}, fmt.Errorf("loading container %s: %w", ref, err)
	}
	task, pause, err := taskToPause(ctx, ctr, !o.NoPause)
	if err != nil {
		return Result{}, err
	}
	var progress func(int64)
	if o.Progress != nil {
		// Before the pause, which this walk would only make longer.
		estimate := estimateChanges(ctx, sn, rec.SnapshotKey)
		progress = func(written int64) { o.Progress(written, estimate) }
		progress(0) // the clock of the progress's rate starts now
	}

	ctx, done, err := c.WithLease(ctx,
		leases.WithRandomID(),
		leases.WithExpiration(leaseExpiry),
		leases.WithLabels(leaseLabels(rec.ID, pause)),
	)
	if err != nil {
		return Result{}, fmt.Errorf("creating lease: %w", err)
	}
	defer func() {
		if err := done(context.WithoutCancel(ctx)); err != nil {
			log.G(ctx).WithError(err).Warn("deleting commit lease")
		}
	}()

	trace("lease taken")
	layer, extracted, err := containerLayer(ctx, c, ref, sn, rec.SnapshotKey, info.Parent, task, pause, mediaType, progress)
	if err != nil {
		return Result{}, err
	}
	trace("layer written")
	if extracted != nil {
		defer func() {
			if extracted != nil { // not committed
				extracted.drop(ctx)
			}
		}()
	}

	cs := c.ContentStore()
	diffID, err := layerDiffID(ctx, cs, layer)
	if err != nil {
		return Result{}, err
	}
	now := time.Now().UTC()
	img, err := NewConfig(base.config, diffID, now, o)
	if err != nil {
		return Result{}, err
	}
	target, err := lumperimages.WriteImage(ctx, cs, img, append(ociLayers(base.manifest.Layers), layer))
	if err != nil {
		return Result{}, err
	}
	if name == "" {
		name = lumperimages.UntaggedName(target.Digest)
	}
	newImg := images.Image{Name: name, Target: target}
	trace("manifest written")
	cfgDesc, err := images.Config(ctx, cs, target, platforms.Default())
	if err != nil {
		return Result{}, fmt.Errorf("reading config of image %s: %w", name, err)
	}
	// Unpack before the record exists, so that a failure leaves no image.
	if extracted != nil {
		chainID := identity.ChainID(img.RootFS.DiffIDs).String()
		a := extracted
		extracted = nil
		if err := a.commit(ctx, chainID, snapshotter, c.LeasesService()); err != nil {
			return Result{}, err
		}
		if err := markUnpacked(ctx, cs, cfgDesc.Digest, snapshotter, chainID); err != nil {
			return Result{}, err
		}
	} else if err := lumperimages.Unpack(ctx, c, newImg); err != nil {
		return Result{}, err
	}
	trace("unpacked")
	if _, err := lumperimages.Store(ctx, c, newImg); err != nil {
		return Result{}, err
	}
	return Result{Name: name, ID: cfgDesc.Digest}, nil
}

// base is the image a container was created from.
type base struct {
	manifest ocispec.Manifest
	config   ocispec.Image
}

// baseImage reads the image the container was created from. The image is
// looked up by the name recorded in the container, and its layers must still
// be the parent of the container's snapshot: if the image was removed, or its
// name now points to another image, the original config is gone and the
// commit is refused rather than built on a config the container never had.
func baseImage(ctx context.Context, c *client.Client, rec containers.Container, parent string) (base, error) {
	gone := api.Invalidf("the image container %s was created from (%s) no longer exists (removed, or its name moved to another image): it cannot be committed",
		client.ShortID(rec.ID), rec.Image)
	img, err := c.ImageService().Get(ctx, rec.Image)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return base{}, gone
		}
		return base{}, fmt.Errorf("looking up image %s: %w", rec.Image, err)
	}
	b, ok, err := readBase(ctx, c, img, parent)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return base{}, gone
		}
		return base{}, err
	}
	if !ok {
		return base{}, gone
	}
	return b, nil
}

// readBase reads img's manifest and config and reports whether its layers
// make up the snapshot parent.
func readBase(ctx context.Context, c *client.Client, img images.Image, parent string) (base, bool, error) {
	cs := c.ContentStore()
	mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return base{}, false, fmt.Errorf("reading manifest of image %s: %w", img.Name, err)
	}
	b, err := content.ReadBlob(ctx, cs, mf.Config)
	if err != nil {
		return base{}, false, fmt.Errorf("reading config of image %s: %w", img.Name, err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return base{}, false, fmt.Errorf("decoding config of image %s: %w", img.Name, err)
	}
	if identity.ChainID(cfg.RootFS.DiffIDs).String() != parent || len(mf.Layers) != len(cfg.RootFS.DiffIDs) {
		return base{}, false, nil
	}
	return base{manifest: mf, config: cfg}, true, nil
}

// taskToPause returns the container's task and whether Commit must pause it:
// only a running task, and only when pausing is wanted. A task the user
// paused stays paused.
func taskToPause(ctx context.Context, ctr containerd.Container, want bool) (containerd.Task, bool, error) {
	if !want {
		return nil, false, nil
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("loading task of container %s: %w", ctr.ID(), err)
	}
	st, err := task.Status(ctx)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading status of container %s: %w", ctr.ID(), err)
	}
	return task, st.Status == containerd.Running, nil
}

// containerLayer writes the changes in the container's snapshot as a layer.
// With pause set, the task is frozen meanwhile, so that the layer holds no
// half-written file, and resumed before containerLayer returns, whatever
// happens; the rest of the commit runs with the container running.
//
// The layer may come with its snapshot, extracted on parent while it was
// written (see apply.go); the caller commits or drops it.
func containerLayer(ctx context.Context, c *client.Client, ref string, sn snapshots.Snapshotter, key, parent string,
	task containerd.Task, pause bool, mediaType string, progress func(int64)) (_ ocispec.Descriptor, _ *layerApply, retErr error) {
	if pause {
		if err := task.Pause(ctx); err != nil {
			if stillRunning(ctx, task, err) {
				return ocispec.Descriptor{}, nil, fmt.Errorf("pausing container %s: %w", ref, err)
			}
			// It exited meanwhile: nothing writes to its file system any more.
			pause = false
		}
	}
	if pause {
		defer func() {
			rctx := context.WithoutCancel(ctx)
			if err := task.Resume(rctx); err != nil && !errdefs.IsNotFound(err) {
				// A stop or rm that ran meanwhile ended the paused task:
				// nothing is left to resume, and the layer is complete.
				if st, serr := task.Status(rctx); serr != nil || st.Status != containerd.Paused {
					log.G(ctx).WithError(err).WithField("container", ref).Debug("container stopped during the commit")
					return
				}
				if retErr == nil {
					retErr = fmt.Errorf("resuming container %s: %w", ref, err)
				}
			}
		}()
	}
	mounts, err := sn.Mounts(ctx, key)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("reading mounts of container %s: %w", ref, err)
	}
	if err := checkWhiteoutNames(ctx, ref, mounts); err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	layer, extracted, err := writeLayer(ctx, c, sn, key, parent, mediaType, progress)
	// Without a pause the container may remove, grow or shrink a file while
	// the differ walks its snapshot; such a race is worth a few more tries.
	for attempt := 1; err != nil && !pause && attempt < unpausedTries && isFileRace(err); attempt++ {
		log.G(ctx).WithError(err).WithField("container", ref).Debug("a file changed during an unpaused diff; trying again")
		layer, extracted, err = writeLayer(ctx, c, sn, key, parent, mediaType, progress)
	}
	if err != nil {
		if !pause && isFileRace(err) {
			return ocispec.Descriptor{}, nil, api.Invalidf("container %s changed files while they were being committed (--pause=false): try again, or commit with the default pause", ref)
		}
		return ocispec.Descriptor{}, nil, fmt.Errorf("computing the changes of container %s: %w", ref, err)
	}
	if progress != nil {
		progress(layer.Size)
	}
	return layer, extracted, nil
}

// stillRunning tells whether a task whose pause failed with pauseErr is still
// running. A stop or rm racing the commit kills the task first: runc then
// refuses the pause ("container not running") while the shim, which has not
// reaped the exit yet, still reports the task running for a moment. So the
// status is polled for a while before a failed pause counts as a failure.
func stillRunning(ctx context.Context, task containerd.Task, pauseErr error) bool {
	if strings.Contains(pauseErr.Error(), "not running") {
		return false
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := task.Status(ctx)
		if err != nil || st.Status != containerd.Running {
			return false
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// unpausedTries bounds the diffs of a running, unpaused container.
const unpausedTries = 3

// fileRaceMessages are the texts of the errors containerd's differ returns
// when a file changes under it: the file disappeared between the directory
// walk and its open ("no such file or directory"); it grew after its tar
// header was written (archive/tar's ErrWriteTooLong, "write too long"); or
// it shrank ("short write copying file" from containerd's pkg/archive,
// io.ErrShortWrite's "short write", or archive/tar's "missed writing N
// bytes" when the next header is written). The differ runs in containerd, so
// only the messages survive the trip back over gRPC.
var fileRaceMessages = []string{
	"no such file or directory",
	"write too long",
	"short write",
	"missed writing",
}

// isFileRace reports whether a diff failed because a file was removed,
// grew or shrank while it was read, something only an unpaused container
// can do to its snapshot.
func isFileRace(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, tar.ErrWriteTooLong) || errors.Is(err, io.ErrShortWrite) {
		return true
	}
	msg := err.Error()
	for _, m := range fileRaceMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// writeLayer has containerd's diff service write the difference between the
// container's snapshot and its parent into the content store. When the diff
// runs in this process, the layer is also extracted into a new snapshot on
// parent as it is written, returned when that succeeded.
func writeLayer(ctx context.Context, c *client.Client, sn snapshots.Snapshotter, key, parent, mediaType string,
	progress func(int64)) (_ ocispec.Descriptor, _ *layerApply, retErr error) {
	cs := c.ContentStore()
	ref := "lumper-commit-" + key + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	defer func() {
		// With a reference of its own, the differ leaves a failed upload to
		// the caller.
		if retErr != nil {
			if err := cs.Abort(context.WithoutCancel(ctx), ref); err != nil && !errdefs.IsNotFound(err) {
				log.G(ctx).WithError(err).WithField("ref", ref).Warn("aborting layer upload")
			}
		}
	}()
	if progress != nil {
		stop := watchUpload(ctx, cs, ref, progress)
		defer stop()
	}
	opts := []diff.Opt{diff.WithMediaType(mediaType), diff.WithReference(ref)}
	if !localDiff(mediaType) {
		layer, err := rootfs.CreateDiff(ctx, key, sn, c.DiffService(), opts...)
		return layer, nil, err
	}
	// The same walking differ containerd runs, in this process, so that the
	// layer is gzipped with all cores (compressLayer) and written to the
	// content store in large requests. Its temporary mounts go in a
	// directory of this process's own, which a later commit clears if this
	// one is killed (sweepMounts).
	dir, err := setMountDir(c)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	defer os.Remove(dir) // empty once the differ has unmounted
	var tee chan<- *inBlock
	extract := startApply(ctx, sn, parent)
	if extract != nil {
		tee = extract.blocks
	}
	differ := overlayDiff{cs: cs, fallback: walking.NewWalkingDiff(cs)}
	layer, err := rootfs.CreateDiff(ctx, key, sn, differ, append(opts, diff.WithCompressor(compressLayer(tee)))...)
	if extract == nil {
		return layer, nil, err
	}
	if aerr := extract.finish(); err != nil || aerr != nil {
		if aerr != nil && err == nil {
			log.G(ctx).WithError(aerr).Warn("commit: extracting the new layer failed; containerd unpacks it")
		}
		extract.drop(ctx)
		extract = nil
	}
	return layer, extract, err
}

// localDiff reports whether the diff is computed in this process: for
// gzip, which containerd's differ does on one core at the default level,
// and only as root (it mounts the snapshots). zstd (already on all cores)
// and uncompressed layers are left to containerd's diff service, which
// writes them to its content store without sending them over gRPC.
func localDiff(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageLayerGzip && os.Geteuid() == 0 && os.Getenv("LUMPER_COMMIT_REMOTE_DIFF") == ""
}

// watchUpload reports the size of the upload ref until stop is called.
func watchUpload(ctx context.Context, cs content.Store, ref string, report func(int64)) (stop func()) {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if st, err := cs.Status(ctx, ref); err == nil {
					report(st.Offset)
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// layerDiffID is the digest of the uncompressed layer.
func layerDiffID(ctx context.Context, cs content.Store, layer ocispec.Descriptor) (digest.Digest, error) {
	if layer.MediaType == ocispec.MediaTypeImageLayer {
		return layer.Digest, nil
	}
	info, err := cs.Info(ctx, layer.Digest)
	if err != nil {
		return "", fmt.Errorf("reading layer %s: %w", layer.Digest, err)
	}
	d, err := digest.Parse(info.Labels[labels.LabelUncompressed])
	if err != nil {
		return "", fmt.Errorf("reading uncompressed digest of layer %s: %w", layer.Digest, err)
	}
	return d, nil
}

// NewConfig derives the committed image's config from its base: one more
// diff ID, one more history entry, the author, and the --change instructions.
func NewConfig(parent ocispec.Image, diffID digest.Digest, now time.Time, o Options) (ocispec.Image, error) {
	img := parent
	img.Created = &now
	img.Author = o.Author
	if img.OS == "" {
		img.OS = "linux"
	}
	if img.Architecture == "" {
		img.Architecture = runtime.GOARCH
	}
	img.RootFS = ocispec.RootFS{
		Type:    "layers",
		DiffIDs: append(append([]digest.Digest{}, parent.RootFS.DiffIDs...), diffID),
	}
	img.History = append(alignHistory(parent), ocispec.History{
		Created:   &now,
		CreatedBy: CreatedBy,
		Author:    o.Author,
		Comment:   o.Message,
	})
	img.Config = copyConfig(parent.Config)
	if err := lumperimages.ApplyChanges(&img.Config, o.Changes); err != nil {
		return ocispec.Image{}, err
	}
	return img, nil
}

// alignHistory copies parent's history, padded with placeholder entries when
// it describes fewer layers than the image has, so that the new entry lines
// up with the new layer.
func alignHistory(parent ocispec.Image) []ocispec.History {
	h := append([]ocispec.History{}, parent.History...)
	layers := 0
	for _, e := range h {
		if !e.EmptyLayer {
			layers++
		}
	}
	for ; layers < len(parent.RootFS.DiffIDs); layers++ {
		h = append(h, ocispec.History{Created: parent.Created})
	}
	return h
}

// copyConfig deep-copies the slices and maps ApplyChanges writes to.
func copyConfig(c ocispec.ImageConfig) ocispec.ImageConfig {
	c.Env = append([]string(nil), c.Env...)
	c.Cmd = append([]string(nil), c.Cmd...)
	c.Entrypoint = append([]string(nil), c.Entrypoint...)
	if c.Labels != nil {
		m := make(map[string]string, len(c.Labels))
		for k, v := range c.Labels {
			m[k] = v
		}
		c.Labels = m
	}
	if c.ExposedPorts != nil {
		m := make(map[string]struct{}, len(c.ExposedPorts))
		for k := range c.ExposedPorts {
			m[k] = struct{}{}
		}
		c.ExposedPorts = m
	}
	return c
}

// ociLayers gives Docker layer descriptors their OCI media types (the bytes
// are the same), so that the new manifest is OCI throughout.
func ociLayers(layers []ocispec.Descriptor) []ocispec.Descriptor {
	out := make([]ocispec.Descriptor, len(layers))
	for i, l := range layers {
		switch l.MediaType {
		case images.MediaTypeDockerSchema2Layer:
			l.MediaType = ocispec.MediaTypeImageLayer
		case images.MediaTypeDockerSchema2LayerGzip:
			l.MediaType = ocispec.MediaTypeImageLayerGzip
		case images.MediaTypeDockerSchema2LayerZstd:
			l.MediaType = ocispec.MediaTypeImageLayerZstd
		}
		out[i] = l
	}
	return out
}
