package commit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/continuity/fs"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// overlayDiff is the local differ. For an overlayfs snapshot, the upper
// directory holds exactly what the container changed (deletions as 0/0
// character devices, replaced directories marked opaque), so only it is
// walked, as Docker's overlay2 driver and containerd's erofs differ do
// (continuity's DiffDirChanges): the base image is only looked up, for the
// paths found there, and the files are read from the upper directory
// itself rather than through two overlay mounts. Any other snapshot goes to
// containerd's walking differ, which walks both trees in full and compares
// them. Both write the tar entries with containerd's ChangeWriter.
type overlayDiff struct {
	cs       content.Store
	fallback diff.Comparer
}

func (d overlayDiff) Compare(ctx context.Context, lower, upper []mount.Mount, opts ...diff.Opt) (ocispec.Descriptor, error) {
	var cfg diff.Config
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	upperRoot, ok := upperDir(upper)
	if !ok || !isDir(upperRoot) || cfg.Compressor == nil || cfg.Reference == "" || cfg.SourceDateEpoch != nil {
		return d.fallback.Compare(ctx, lower, upper, opts...)
	}
	return writeOverlayDiff(ctx, d.cs, cfg, lower, upperRoot)
}

// writeOverlayDiff writes the changes in upperRoot over the lower mounts as
// a compressed layer to the content store, under cfg.Reference, labelled
// with its uncompressed digest, as the walking differ does.
func writeOverlayDiff(ctx context.Context, cs content.Store, cfg diff.Config, lower []mount.Mount, upperRoot string) (_ ocispec.Descriptor, retErr error) {
	cw, err := cs.Writer(ctx, content.WithRef(cfg.Reference), content.WithDescriptor(ocispec.Descriptor{MediaType: cfg.MediaType}))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("opening layer writer: %w", err)
	}
	defer func() {
		if retErr != nil {
			cw.Close()
		}
	}()
	if err := cw.Truncate(0); err != nil { // a reference left by an earlier try
		return ocispec.Descriptor{}, err
	}
	zw, err := cfg.Compressor(cw, cfg.MediaType)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	dgst := digest.SHA256.Digester()
	err = mount.WithReadonlyTempMount(ctx, lower, func(lowerRoot string) error {
		chw := archive.NewChangeWriter(io.MultiWriter(zw, dgst.Hash()), upperRoot)
		of := opaqueFirst{next: chw.HandleChange, upper: upperRoot}
		if err := fs.DiffDirChanges(ctx, lowerRoot, upperRoot, fs.DiffSourceOverlayFS, of.handle); err != nil {
			return err
		}
		return chw.Close()
	})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("writing the layer: %w", err)
	}
	uncompressed := map[string]string{labels.LabelUncompressed: dgst.Digest().String()}
	if err := cw.Commit(ctx, 0, cw.Digest(), content.WithLabels(uncompressed)); err != nil && !errdefs.IsAlreadyExists(err) {
		return ocispec.Descriptor{}, fmt.Errorf("committing the layer: %w", err)
	}
	info, err := cs.Info(ctx, cw.Digest())
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("reading the layer's info: %w", err)
	}
	// The same blob may already have been there without the label.
	if info.Labels[labels.LabelUncompressed] == "" {
		info.Labels = uncompressed
		if _, err := cs.Update(ctx, info, "labels."+labels.LabelUncompressed); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("labelling the layer: %w", err)
		}
	}
	return ocispec.Descriptor{MediaType: cfg.MediaType, Size: info.Size, Digest: info.Digest}, nil
}

// opaqueFirst puts an opaque directory's entry before its opaque marker
// (".wh..wh..opq"), as Docker's overlay2 layers have it, and once.
// DiffDirChanges reports the marker first; the ChangeWriter then writes the
// directory as the marker's parent, and again when it is reported itself.
type opaqueFirst struct {
	next  fs.ChangeFunc
	upper string
	done  string // the opaque directory just written
}

func (o *opaqueFirst) handle(k fs.ChangeKind, p string, f os.FileInfo, err error) error {
	if err != nil {
		return o.next(k, p, f, err)
	}
	if k == fs.ChangeKindDelete && filepath.Base(p) == ".wh..opq" {
		dir := filepath.Dir(p)
		fi, err := os.Lstat(filepath.Join(o.upper, dir))
		if err != nil {
			return err
		}
		if err := o.next(fs.ChangeKindModify, dir, fi, nil); err != nil {
			return err
		}
		o.done = dir
		return o.next(k, p, f, nil)
	}
	if p == o.done && f != nil && f.IsDir() {
		o.done = ""
		return nil
	}
	o.done = ""
	return o.next(k, p, f, nil)
}
