package images

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/platforms"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ulikunitz/xz"

	"github.com/lumper/lumper/pkg/client"
)

// untaggedRepo names images from OCI archives that carry no usable name.
const untaggedRepo = "lumper.local/untagged"

// UntaggedName is the containerd record name of an image without a name (an
// archive's unnamed image, `commit CONTAINER`), by its manifest's digest;
// Dangling reports it as untagged.
func UntaggedName(manifest digest.Digest) string {
	return untaggedRepo + "@" + manifest.String()
}

// Load imports a `docker save` or OCI image-layout archive: its blobs go into
// the content store under an operation lease, every layer is checked
// (CheckLayer) while it is unpacked into the snapshotter, and only then are
// the image records created. A hostile or broken archive, or a lumper killed
// midway, records no image, and what was written is garbage once the lease
// is gone.
func Load(ctx context.Context, c *client.Client, r io.Reader) (_ []string, retErr error) {
	ctx, done, err := c.WithOperationLease(ctx, "load", time.Hour)
	if err != nil {
		return nil, err
	}
	defer done(context.WithoutCancel(ctx))

	r, closeR, err := Decompress(r, "archive")
	if err != nil {
		return nil, err
	}
	defer closeR()
	recs, err := importArchive(ctx, c.ContentStore(), r)
	if err != nil {
		return nil, err
	}
	for _, img := range recs {
		if err := checkAndUnpack(ctx, c, img); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(recs))
	for _, img := range recs {
		if _, err := Store(ctx, c, img); err != nil {
			return nil, err
		}
		names = append(names, img.Name)
	}
	return names, nil
}

// Magic numbers of the compressed streams Docker's load accepts.
var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// ErrEmptyInput is the error for a load or import that reads no byte.
var ErrEmptyInput = errors.New("empty input")

// Decompress looks at the first bytes of r and returns the stream
// uncompressed: gzip, bzip2, xz and zstd are decompressed as Docker's load
// does; an empty stream is ErrEmptyInput. what names the input in errors. done
// releases the decoder.
func Decompress(r io.Reader, what string) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(magicXz))
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("reading %s: %w", what, ErrEmptyInput)
		}
		return nil, nil, fmt.Errorf("reading %s: %w", what, err)
	}
	nop := func() {}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip-compressed %s: %w", what, err)
		}
		return gz, func() { gz.Close() }, nil
	case bytes.HasPrefix(head, magicBzip2):
		return bzip2.NewReader(br), nop, nil
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading zstd-compressed %s: %w", what, err)
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(head, magicXz):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading xz-compressed %s: %w", what, err)
		}
		return xr, nop, nil
	}
	return br, nop, nil
}

// importArchive writes the blobs of an archive into cs and returns the
// images it names for this platform, their content labelled for the garbage
// collector (children first, so that the records keep it alive). It records
// no image and unpacks nothing.
func importArchive(ctx context.Context, cs content.Store, r io.Reader) ([]images.Image, error) {
	index, err := archive.ImportIndex(ctx, cs, r)
	if err != nil {
		return nil, fmt.Errorf("importing archive: %w", err)
	}
	recs, err := archiveImages(ctx, cs, index)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("importing archive: no image for this platform found in it")
	}
	handler := images.SetChildrenLabels(cs, images.FilterPlatforms(images.ChildrenHandler(cs), platforms.Default()))
	if err := images.WalkNotEmpty(ctx, handler, index); err != nil {
		return nil, fmt.Errorf("labelling archive content: %w", err)
	}
	return recs, nil
}

// archiveImages names the images an imported archive index lists, as Docker
// does: the image name annotation, a full reference in the OCI ref name, or
// (for an OCI image with only a tag) its digest.
func archiveImages(ctx context.Context, cs content.Provider, index ocispec.Descriptor) ([]images.Image, error) {
	b, err := content.ReadBlob(ctx, cs, index)
	if err != nil {
		return nil, fmt.Errorf("reading archive index: %w", err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("decoding archive index: %w", err)
	}
	var out []images.Image
	for _, m := range idx.Manifests {
		if _, ok := m.Annotations[images.AnnotationManifestSubject]; ok {
			continue // a referrer, not an image
		}
		if m.Platform != nil && !platforms.Default().Match(*m.Platform) {
			continue
		}
		name := m.Annotations[images.AnnotationImageName]
		if name == "" {
			name = ociRefName(m.Annotations[ocispec.AnnotationRefName])
		}
		if name == "" {
			name = UntaggedName(m.Digest)
		}
		out = append(out, images.Image{Name: name, Target: m})
	}
	return out, nil
}

// checkAndUnpack checks every layer of img while unpacking it.
func checkAndUnpack(ctx context.Context, c *client.Client, img images.Image) error {
	cs := c.ContentStore()
	mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
	if err != nil {
		return fmt.Errorf("reading manifest of %s: %w", img.Name, err)
	}
	var wg sync.WaitGroup
	var checkErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, l := range mf.Layers {
			if err := checkLayerBlob(ctx, cs, l); err != nil {
				checkErr = err
				return
			}
		}
	}()
	unpackErr := Unpack(ctx, c, img)
	wg.Wait()
	if checkErr != nil {
		return checkErr
	}
	return unpackErr
}

// ociRefName turns an OCI "org.opencontainers.image.ref.name" annotation into
// an image name. A bare tag ("latest") names no repository, so the image is
// recorded by digest instead.
func ociRefName(name string) string {
	if !strings.ContainsAny(name, "/:@") {
		return ""
	}
	n, err := Normalize(name)
	if err != nil {
		return ""
	}
	return n
}

// Unpack makes sure the image's layers are in the snapshotter.
func Unpack(ctx context.Context, c *client.Client, img images.Image) error {
	i := containerd.NewImage(c.Client, img)
	ok, err := i.IsUnpacked(ctx, c.Snapshotter)
	if err != nil {
		return fmt.Errorf("checking image %s: %w", img.Name, err)
	}
	if ok {
		return nil
	}
	if err := i.Unpack(ctx, c.Snapshotter); err != nil {
		return fmt.Errorf("unpacking image %s: %w", img.Name, err)
	}
	return nil
}
