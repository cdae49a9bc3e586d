package images

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/log"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"

	"github.com/lumper/lumper/internal/testimage"
)

// loadArchive runs the steps of Load that need only a content store:
// importArchive, then the check of every image's layers (CheckLayer) that
// Load runs beside unpacking.
func loadArchive(ctx context.Context, cs content.Store, r io.Reader) ([]images.Image, error) {
	recs, err := importArchive(ctx, cs, r)
	if err != nil {
		return nil, err
	}
	for _, img := range recs {
		mf, err := images.Manifest(ctx, cs, img.Target, platforms.Default())
		if err != nil {
			return nil, fmt.Errorf("reading manifest of %s: %w", img.Name, err)
		}
		for _, l := range mf.Layers {
			if err := checkLayerBlob(ctx, cs, l); err != nil {
				return nil, err
			}
		}
	}
	return recs, nil
}

// memLabels is the label store of the test's content store (containerd's
// metadata store keeps them in the real one).
type memLabels struct {
	mu sync.Mutex
	m  map[digest.Digest]map[string]string
}

func (s *memLabels) Get(d digest.Digest) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m[d]), nil
}

func (s *memLabels) Set(d digest.Digest, l map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[d] = maps.Clone(l)
	return nil
}

func (s *memLabels) Update(d digest.Digest, l map[string]string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[d]
	if cur == nil {
		cur = map[string]string{}
	}
	for k, v := range l {
		if v == "" {
			delete(cur, k)
		} else {
			cur[k] = v
		}
	}
	s.m[d] = cur
	return maps.Clone(cur), nil
}

func newStore(t testing.TB, root string) content.Store {
	t.Helper()
	log.SetLevel("error") // the local store warns that this file system has no fs-verity
	cs, err := local.NewLabeledStore(root, &memLabels{m: map[digest.Digest]map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func archiveOf(t testing.TB, write func(io.Writer, testimage.Options) error, o testimage.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadArchive(t *testing.T) {
	layer := mkTar(t, entry{name: "bin/", typ: tar.TypeDir}, entry{name: "bin/sh", body: "#!"})
	hostile := mkTar(t, entry{name: "../../escape", body: "x"})
	for _, tt := range []struct {
		name string
		b    []byte
		want string // the image name, or a piece of the error
	}{
		{"docker", archiveOf(t, testimage.DockerArchive, testimage.Options{Ref: "example.com/a/b:1", Layer: layer}), "example.com/a/b:1"},
		{"oci", archiveOf(t, testimage.OCIArchive, testimage.Options{Ref: "example.com/a/b:2", Layer: layer}), "example.com/a/b:2"},
		{"docker-hostile", archiveOf(t, testimage.DockerArchive, testimage.Options{Ref: "x:1", Layer: hostile}), "invalid layer"},
		{"oci-hostile", archiveOf(t, testimage.OCIArchive, testimage.Options{Ref: "x:1", Layer: hostile}), "invalid layer"},
		{"missing", mkTar(t, entry{name: "manifest.json", body: `[{"Config":"c.json","Layers":["l.tar"]}]`}), `image config "c.json" not found`},
		{"garbage", []byte("not an archive"), "importing archive"},
	} {
		recs, err := loadArchive(context.Background(), newStore(t, t.TempDir()), bytes.NewReader(tt.b))
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v, want a one-line error with %q", tt.name, err, tt.want)
			}
		case len(recs) != 1 || recs[0].Name != tt.want:
			t.Errorf("%s: %+v, want one image %s", tt.name, recs, tt.want)
		}
	}
}
