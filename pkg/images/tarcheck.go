package images

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
)

// CheckLayer reads a layer tarball to its end and refuses what could write
// outside the root it is unpacked into, or what an image has no business
// carrying: entry names that leave the root ("../x", or "/../x"), hard links
// to targets outside it, relative symbolic links that climb above it, entries
// reached through a symbolic link of the same layer (write-through), and
// device nodes. Absolute symlink targets are allowed: inside a container
// they resolve within its root. A truncated stream is an error too.
//
// containerd's own applier already resolves every path inside the root; this
// check turns hostile archives into a clear error before anything is
// recorded, instead of a silently rewritten image.
func CheckLayer(r io.Reader) error {
	tr := tar.NewReader(r)
	symlinks := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return layerErr("", fmt.Errorf("reading tar: %w", err))
		}
		name, err := cleanEntry(h.Name)
		if err != nil {
			return layerErr(h.Name, err)
		}
		for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if symlinks[dir] {
				return layerErr(h.Name, fmt.Errorf("it is reached through the symbolic link %s of the same layer", dir))
			}
		}
		switch h.Typeflag {
		case tar.TypeChar, tar.TypeBlock:
			return layerErr(h.Name, errors.New("device nodes are not allowed in images"))
		case tar.TypeLink:
			if _, err := cleanEntry(h.Linkname); err != nil {
				return layerErr(h.Name, fmt.Errorf("hard link target %q: %w", h.Linkname, err))
			}
		case tar.TypeSymlink:
			if !strings.HasPrefix(h.Linkname, "/") {
				if _, err := cleanEntry(path.Join(path.Dir(name), h.Linkname)); err != nil {
					return layerErr(h.Name, fmt.Errorf("symbolic link target %q climbs out of the root", h.Linkname))
				}
			}
			symlinks[name] = true
		default:
			delete(symlinks, name)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return layerErr(h.Name, fmt.Errorf("reading its content: %w", err))
		}
	}
}

// cleanEntry returns the cleaned, root-relative form of a tar entry name, or
// an error if it leaves the root.
func cleanEntry(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	rel := strings.TrimLeft(name, "/")
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return "", errors.New("it leaves the root with ..")
		}
	}
	if strings.HasPrefix(name, "/") {
		return "", errors.New("absolute paths are not allowed")
	}
	return path.Clean(rel), nil
}

func layerErr(entry string, err error) error {
	if entry == "" {
		return api.Invalidf("invalid layer: %v", err)
	}
	return api.Invalidf("invalid layer entry %q: %v", entry, err)
}

// checkLayerBlob runs CheckLayer on a (possibly compressed) layer blob. The
// blob is read in 1 MiB requests: containerd's remote ReaderAt makes one RPC
// per read, and the decompressor's small reads made the check cost more
// than the whole unpack (100 MB load: 1.8 s with, 0.9 s without the buffer).
func checkLayerBlob(ctx context.Context, cs content.Provider, desc ocispec.Descriptor) error {
	ra, err := cs.ReaderAt(ctx, desc)
	if err != nil {
		return fmt.Errorf("reading layer %s: %w", desc.Digest, err)
	}
	defer ra.Close()
	ds, err := compression.DecompressStream(bufio.NewReaderSize(content.NewReader(ra), 1<<20))
	if err != nil {
		return api.Invalidf("invalid layer %s: %v", desc.Digest, err)
	}
	defer ds.Close()
	return CheckLayer(ds)
}
