package commit

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

func TestLayerMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"":     ocispec.MediaTypeImageLayerGzip,
		"gzip": ocispec.MediaTypeImageLayerGzip,
		"zstd": ocispec.MediaTypeImageLayerZstd,
		"none": ocispec.MediaTypeImageLayer,
	} {
		if got, err := LayerMediaType(in); err != nil || got != want {
			t.Errorf("LayerMediaType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := LayerMediaType("xz")
	var inv *api.InvalidArgument
	if !errors.As(err, &inv) {
		t.Errorf("xz: want an InvalidArgument, got %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		o    Options
		want string // "" for valid
	}{
		{Options{Ref: "myimage"}, ""},
		{Options{Ref: "registry.example.com:5000/team/app:1.0", Compression: "zstd", Changes: []string{`CMD ["sh"]`}}, ""},
		{Options{Ref: "UPPER:case"}, "must be lowercase"},
		{Options{Ref: "a::b"}, "invalid reference"},
		{Options{Ref: ""}, ""}, // commit CONTAINER: an untagged image
		{Options{Ref: "ok", Compression: "lz4"}, "--compression"},
		{Options{Ref: "ok", Changes: []string{"RUN make"}}, "RUN is not supported"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tt.o, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: want an error containing %q, got %v", tt.o, tt.want, err)
		case err != nil:
			var inv *api.InvalidArgument
			if !errors.As(err, &inv) {
				t.Errorf("%+v: %v is not an InvalidArgument", tt.o, err)
			}
		}
	}
}

func TestNewConfig(t *testing.T) {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	parent := ocispec.Image{
		Created:  &created,
		Author:   "base author",
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm64"},
		Config: ocispec.ImageConfig{
			Env:    []string{"PATH=/bin", "KEEP=1"},
			Cmd:    []string{"sh"},
			Labels: map[string]string{"a": "1"},
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{"sha256:aaaa", "sha256:bbbb"}},
		History: []ocispec.History{
			{Created: &created, CreatedBy: "layer 1"},
			{Created: &created, CreatedBy: "ENV KEEP=1", EmptyLayer: true},
			{Created: &created, CreatedBy: "layer 2"},
		},
	}
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	o := Options{Message: "msg", Author: "me", Changes: []string{`CMD ["echo", "hi"]`, "ENV PATH=/usr/bin", "LABEL b=2"}}
	img, err := NewConfig(parent, "sha256:cccc", now, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []digest.Digest{"sha256:aaaa", "sha256:bbbb", "sha256:cccc"}; !reflect.DeepEqual(img.RootFS.DiffIDs, want) {
		t.Errorf("diff IDs %v, want %v", img.RootFS.DiffIDs, want)
	}
	if len(img.History) != 4 {
		t.Fatalf("history has %d entries, want 4", len(img.History))
	}
	last := img.History[3]
	if last.CreatedBy != CreatedBy || last.Comment != "msg" || last.Author != "me" || !last.Created.Equal(now) || last.EmptyLayer {
		t.Errorf("new history entry %+v", last)
	}
	if img.Author != "me" || !img.Created.Equal(now) || img.Architecture != "arm64" || img.OS != "linux" {
		t.Errorf("author %q, created %v, platform %s/%s", img.Author, img.Created, img.OS, img.Architecture)
	}
	if want := []string{"echo", "hi"}; !reflect.DeepEqual(img.Config.Cmd, want) {
		t.Errorf("cmd %v, want %v", img.Config.Cmd, want)
	}
	if want := []string{"PATH=/usr/bin", "KEEP=1"}; !reflect.DeepEqual(img.Config.Env, want) {
		t.Errorf("env %v, want %v", img.Config.Env, want)
	}
	if want := map[string]string{"a": "1", "b": "2"}; !reflect.DeepEqual(img.Config.Labels, want) {
		t.Errorf("labels %v, want %v", img.Config.Labels, want)
	}
	// The parent is untouched.
	if parent.Config.Env[0] != "PATH=/bin" || len(parent.Config.Labels) != 1 || len(parent.RootFS.DiffIDs) != 2 || len(parent.History) != 3 {
		t.Errorf("NewConfig modified its parent: %+v", parent)
	}

	if _, err := NewConfig(parent, "sha256:cccc", now, Options{Changes: []string{"WORKDIR relative"}}); err == nil {
		t.Error("a bad --change must fail")
	}
}

func TestAlignHistory(t *testing.T) {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// Two layers but no history at all: two placeholders, so that the
	// commit's entry describes the third layer.
	parent := ocispec.Image{Created: &created, RootFS: ocispec.RootFS{DiffIDs: []digest.Digest{"sha256:a", "sha256:b"}}}
	if h := alignHistory(parent); len(h) != 2 || h[0].EmptyLayer || !h[1].Created.Equal(created) {
		t.Errorf("alignHistory without history = %+v", h)
	}
	parent.History = []ocispec.History{{CreatedBy: "1"}, {CreatedBy: "empty", EmptyLayer: true}, {CreatedBy: "2"}}
	if h := alignHistory(parent); len(h) != 3 {
		t.Errorf("a complete history must be kept as is, got %+v", h)
	}
}

func TestOCILayers(t *testing.T) {
	in := []ocispec.Descriptor{
		{MediaType: images.MediaTypeDockerSchema2Layer, Digest: "sha256:a"},
		{MediaType: images.MediaTypeDockerSchema2LayerGzip, Digest: "sha256:b"},
		{MediaType: images.MediaTypeDockerSchema2LayerZstd, Digest: "sha256:c"},
		{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: "sha256:d"},
		{MediaType: images.MediaTypeDockerSchema2LayerForeignGzip, Digest: "sha256:e"},
	}
	want := []string{ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerGzip, images.MediaTypeDockerSchema2LayerForeignGzip}
	out := ociLayers(in)
	for i := range out {
		if out[i].MediaType != want[i] || out[i].Digest != in[i].Digest {
			t.Errorf("layer %d: %+v, want media type %s", i, out[i], want[i])
		}
	}
	if in[0].MediaType != images.MediaTypeDockerSchema2Layer {
		t.Error("ociLayers modified its input")
	}
}

func TestLeaseLabels(t *testing.T) {
	l := leaseLabels("abc", true)
	if l["lumper.io/operation"] != "commit" || l[labelCommitContainer] != "abc" || l[labelCommitPaused] != "true" || !client.OwnerAlive(l["lumper.io/owner"]) {
		t.Errorf("lease labels %v", l)
	}
}

func TestIsFileRace(t *testing.T) {
	src := "/var/lib/containerd/snapshots/12/fs/log"
	for _, tt := range []struct {
		err  error
		want bool
	}{
		// Local errors, wrapped as containerd's archive writer wraps them.
		{fmt.Errorf("failed to copy: %v: %w", src, tar.ErrWriteTooLong), true},
		{fmt.Errorf("failed to copy: %v: %w", src, io.ErrShortWrite), true},
		// The same errors after gRPC: only their text is left.
		{errors.New("failed to compare: failed to copy: " + src + ": archive/tar: write too long: unknown"), true},
		{errors.New("short write copying file: unknown"), true},
		{errors.New("failed to write file header: archive/tar: missed writing 4096 bytes: unknown"), true},
		{errors.New("failed to open path: " + src + ": open " + src + ": no such file or directory: unknown"), true},
		// Anything else is a real failure.
		{errors.New("failed to write compressed diff: no space left on device"), false},
		{errors.New("snapshot abc does not exist: not found"), false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := isFileRace(tt.err); got != tt.want {
			t.Errorf("isFileRace(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
