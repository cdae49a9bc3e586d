package images

import (
	"reflect"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestBuildHistory(t *testing.T) {
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	t3 := t2.Add(time.Hour)
	base := ocispec.Image{
		RootFS: ocispec.RootFS{DiffIDs: []digest.Digest{"sha256:a"}},
		History: []ocispec.History{
			{Created: &t1, CreatedBy: "ADD rootfs"},
			{Created: &t1, CreatedBy: "CMD sh", EmptyLayer: true},
		},
	}
	img := ocispec.Image{
		RootFS: ocispec.RootFS{DiffIDs: []digest.Digest{"sha256:a", "sha256:b", "sha256:c"}},
		History: append(append([]ocispec.History{}, base.History...),
			ocispec.History{Created: &t2, CreatedBy: "lumper commit", Comment: "second", Author: "me"},
			ocispec.History{Created: &t3, CreatedBy: "lumper commit", Comment: "third"},
		),
	}
	// The base image is local, the middle one is not.
	known := map[string]string{historyKey(base.RootFS.DiffIDs, base.History): "sha256:base"}
	got := buildHistory(img, "sha256:top", []int64{100, 20, 3}, known)
	want := []HistoryEntry{
		{ID: "sha256:top", Created: t3, CreatedBy: "lumper commit", Comment: "third", Size: 3},
		{ID: MissingID, Created: t2, CreatedBy: "lumper commit", Comment: "second", Author: "me", Size: 20},
		{ID: "sha256:base", Created: t1, CreatedBy: "CMD sh", EmptyLayer: true},
		{ID: MissingID, Created: t1, CreatedBy: "ADD rootfs", Size: 100},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("buildHistory:\n got %+v\nwant %+v", got, want)
	}
}

func TestBuildHistoryWithoutHistory(t *testing.T) {
	img := ocispec.Image{RootFS: ocispec.RootFS{DiffIDs: []digest.Digest{"sha256:a", "sha256:b"}}}
	got := buildHistory(img, "sha256:top", []int64{5, 7}, nil)
	want := []HistoryEntry{{ID: "sha256:top", Size: 7}, {ID: MissingID, Size: 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestBuildHistoryMoreEntriesThanSizes(t *testing.T) {
	// A history describing more layers than the image has must not panic.
	img := ocispec.Image{
		RootFS:  ocispec.RootFS{DiffIDs: []digest.Digest{"sha256:a"}},
		History: []ocispec.History{{CreatedBy: "1"}, {CreatedBy: "2"}},
	}
	got := buildHistory(img, "sha256:top", []int64{9}, map[string]string{})
	if len(got) != 2 || got[1].Size != 9 || got[0].Size != 0 {
		t.Errorf("got %+v", got)
	}
}

func TestHistoryKey(t *testing.T) {
	h := []ocispec.History{{CreatedBy: "x"}}
	a := historyKey([]digest.Digest{"sha256:a"}, h)
	if a != historyKey([]digest.Digest{"sha256:a"}, []ocispec.History{{CreatedBy: "x"}}) {
		t.Error("equal layers and history must give equal keys")
	}
	if a == historyKey([]digest.Digest{"sha256:b"}, h) || a == historyKey([]digest.Digest{"sha256:a"}, []ocispec.History{{CreatedBy: "y"}}) {
		t.Error("different layers or history must give different keys")
	}
}
