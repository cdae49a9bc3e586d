package images

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/client"
)

// DefaultPath is the PATH an imported image gets, as Docker gives it.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ImportOptions configure Import.
type ImportOptions struct {
	Changes []string // Dockerfile-style instructions for the config
	Message string   // history comment
}

// Import makes a one-layer image named ref from a rootfs tarball (what
// `docker export` writes), and unpacks it. Content is written under a lease;
// the image record is created only when every blob is in place.
func Import(ctx context.Context, c *client.Client, r io.Reader, ref string, o ImportOptions) (_ images.Image, retErr error) {
	name, err := Normalize(ref)
	if err != nil {
		return images.Image{}, err
	}
	cfg := ocispec.ImageConfig{Env: []string{DefaultPath}}
	if err := ApplyChanges(&cfg, o.Changes); err != nil {
		return images.Image{}, err
	}
	ctx, done, err := c.WithOperationLease(ctx, "import", time.Hour)
	if err != nil {
		return images.Image{}, err
	}
	defer done(context.WithoutCancel(ctx))

	r, closeR, err := Decompress(r, "rootfs tarball")
	if err != nil {
		return images.Image{}, err
	}
	defer closeR()
	cs := c.ContentStore()
	layer, diffID, err := writeGzipLayer(ctx, cs, r)
	if err != nil {
		return images.Image{}, err
	}
	now := time.Now().UTC()
	comment := o.Message
	if comment == "" {
		comment = "imported from rootfs tarball"
	}
	img := ocispec.Image{
		Created:  &now,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config:   cfg,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
		History:  []ocispec.History{{Created: &now, CreatedBy: "lumper import", Comment: comment}},
	}
	target, err := WriteImage(ctx, cs, img, []ocispec.Descriptor{layer})
	if err != nil {
		return images.Image{}, err
	}
	rec, err := Store(ctx, c, images.Image{Name: name, Target: target})
	if err != nil {
		return images.Image{}, err
	}
	if err := Unpack(ctx, c, rec); err != nil {
		return images.Image{}, err
	}
	return rec, nil
}

// writeGzipLayer streams an uncompressed tar into the content store as a
// gzip layer and returns its descriptor and diff ID.
func writeGzipLayer(ctx context.Context, cs content.Store, r io.Reader) (ocispec.Descriptor, digest.Digest, error) {
	w, err := content.OpenWriter(ctx, cs, content.WithRef("lumper-import-"+randHex()))
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("opening content writer: %w", err)
	}
	defer w.Close()
	compressed := digest.Canonical.Digester()
	cw := &countingWriter{w: io.MultiWriter(w, compressed.Hash())}
	gz, err := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	uncompressed := digest.Canonical.Digester()
	// The tarball is checked (CheckLayer) as it streams through.
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		err := CheckLayer(pr)
		_, _ = io.Copy(io.Discard, pr) // let the copy finish either way
		checked <- err
	}()
	_, err = io.Copy(io.MultiWriter(gz, uncompressed.Hash(), pw), r)
	pw.CloseWithError(err)
	if cerr := <-checked; cerr != nil {
		return ocispec.Descriptor{}, "", cerr
	}
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("reading rootfs tarball: %w", err)
	}
	if err := gz.Close(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("compressing layer: %w", err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: compressed.Digest(), Size: cw.n}
	if err := w.Commit(ctx, cw.n, desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return ocispec.Descriptor{}, "", fmt.Errorf("committing layer: %w", err)
	}
	return desc, uncompressed.Digest(), nil
}

// WriteImage writes an image config and its manifest, children first, each
// blob carrying the GC reference labels that keep its children alive.
func WriteImage(ctx context.Context, cs content.Ingester, img ocispec.Image, layers []ocispec.Descriptor) (ocispec.Descriptor, error) {
	cfgJSON, err := json.Marshal(img)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("encoding image config: %w", err)
	}
	cfgDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfgJSON), Size: int64(len(cfgJSON))}
	if err := content.WriteBlob(ctx, cs, "config-"+cfgDesc.Digest.String(), bytes.NewReader(cfgJSON), cfgDesc); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("writing image config: %w", err)
	}
	mf := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfgDesc,
		Layers:    layers,
	}
	mfJSON, err := json.Marshal(mf)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("encoding manifest: %w", err)
	}
	labels := map[string]string{"containerd.io/gc.ref.content.config": cfgDesc.Digest.String()}
	for i, l := range layers {
		labels[fmt.Sprintf("containerd.io/gc.ref.content.l.%d", i)] = l.Digest.String()
	}
	mfDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mfJSON), Size: int64(len(mfJSON))}
	if err := content.WriteBlob(ctx, cs, "manifest-"+mfDesc.Digest.String(), bytes.NewReader(mfJSON), mfDesc, content.WithLabels(labels)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("writing manifest: %w", err)
	}
	return mfDesc, nil
}

// Store creates the image record, or moves an existing name to the new
// target (as `docker tag` does).
func Store(ctx context.Context, c *client.Client, img images.Image) (images.Image, error) {
	is := c.ImageService()
	rec, err := is.Create(ctx, img)
	if err == nil {
		return rec, nil
	}
	if !errdefs.IsAlreadyExists(err) {
		return images.Image{}, fmt.Errorf("creating image %s: %w", img.Name, err)
	}
	rec, err = is.Update(ctx, img, "target")
	if err != nil {
		return images.Image{}, fmt.Errorf("updating image %s: %w", img.Name, err)
	}
	return rec, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func randHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
