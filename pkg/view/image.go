package view

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/lumper/lumper/pkg/api"
)

// ImageRow is one row of images, with Docker's field names and renderings.
type ImageRow struct {
	Containers   string `json:"Containers"`
	CreatedAt    string `json:"CreatedAt"`
	CreatedSince string `json:"CreatedSince"`
	Digest       string `json:"Digest"`
	ID           string `json:"ID"`
	Repository   string `json:"Repository"`
	SharedSize   string `json:"SharedSize"`
	Size         string `json:"Size"`
	Tag          string `json:"Tag"`
	UniqueSize   string `json:"UniqueSize"`
	VirtualSize  string `json:"VirtualSize"`

	name string
}

// Name is the image's full containerd name
// ("docker.io/library/busybox:latest"), lumper's own field: what rmi and
// run accept whatever the image's tag.
func (r ImageRow) Name() string { return r.name }

// ImageHeader is the header row of images' table.
var ImageHeader = ImageRow{
	Containers: "CONTAINERS", CreatedAt: "CREATED AT", CreatedSince: "CREATED", Digest: "DIGEST", ID: "IMAGE ID",
	Repository: "REPOSITORY", SharedSize: "SHARED SIZE", Size: "SIZE", Tag: "TAG", UniqueSize: "UNIQUE SIZE",
	VirtualSize: "VIRTUAL SIZE", name: "NAME",
}

// ImageTable is images' default table; ImageDigestTable the one of
// --digests.
const (
	ImageTable       = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	ImageDigestTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

// NewImageRow renders i as seen at now; trunc shows the 12-character ID.
func NewImageRow(i api.ImageInfo, now time.Time, trunc bool) ImageRow {
	r := ImageRow{
		Containers: "N/A", SharedSize: "N/A", UniqueSize: "N/A",
		Repository: i.Repository, Tag: i.Tag, ID: i.ID, Digest: i.Digest,
		Size: HumanSize(i.Size), VirtualSize: HumanSize(i.Size), name: i.Name,
		CreatedSince: "N/A", CreatedAt: "N/A",
	}
	if !i.Created.IsZero() {
		r.CreatedSince = Ago(i.Created, now)
		r.CreatedAt = CreatedAt(i.Created)
	}
	if r.Digest == "" {
		r.Digest = "<none>"
	}
	if trunc {
		r.ID = ShortID(i.ID)
	}
	return r
}

// ImageFilterKeys are the keys images --filter accepts.
var ImageFilterKeys = []string{"dangling", "reference", "label", "before", "since"}

// Dangling reports whether an image has no tag.
func Dangling(i api.ImageInfo) bool { return i.Tag == "<none>" || i.Tag == "" }

// SelectImages applies images' filters to is (newest first).
func SelectImages(is []api.ImageInfo, f Filters) ([]api.ImageInfo, error) {
	dangling, err := CheckImageFilters(f)
	if err != nil {
		return nil, err
	}
	before, err := imageBoundary(is, f, "before")
	if err != nil {
		return nil, err
	}
	since, err := imageBoundary(is, f, "since")
	if err != nil {
		return nil, err
	}
	var out []api.ImageInfo
	for _, i := range is {
		if len(dangling) > 0 && !containsBool(dangling, Dangling(i)) {
			continue
		}
		if f.Has("reference") && !matchReference(f["reference"], i) {
			continue
		}
		if !f.MatchLabels(i.Labels) {
			continue
		}
		if before != nil && !i.Created.Before(before.Created) || since != nil && !i.Created.After(since.Created) {
			continue
		}
		out = append(out, i)
	}
	return out, nil
}

// CheckImageFilters refuses the filter values Docker refuses (dangling= not
// a boolean, a reference= pattern that does not parse) and returns the
// dangling= values.
func CheckImageFilters(f Filters) ([]bool, error) {
	var dangling []bool
	for _, d := range f["dangling"] {
		switch strings.ToLower(d) {
		case "true", "1":
			dangling = append(dangling, true)
		case "false", "0":
			dangling = append(dangling, false)
		default:
			return nil, fmt.Errorf("invalid filter 'dangling=%s'", d)
		}
	}
	for _, p := range f["reference"] {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("invalid filter 'reference=%s': %v", p, err)
		}
	}
	return dangling, nil
}

func containsBool(bs []bool, b bool) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

// matchReference is Docker's reference filter: a glob pattern matched
// against "repository:tag" or the repository alone.
func matchReference(patterns []string, i api.ImageInfo) bool {
	if Dangling(i) {
		return false
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, i.Repository+":"+i.Tag); ok {
			return true
		}
		if ok, _ := path.Match(p, i.Repository); ok {
			return true
		}
	}
	return false
}

// imageBoundary finds the image a before= or since= filter names: a
// reference (the tag "latest" when none is given), or an ID (prefix).
func imageBoundary(is []api.ImageInfo, f Filters, key string) (*api.ImageInfo, error) {
	vs := f[key]
	if len(vs) == 0 {
		return nil, nil
	}
	ref := vs[len(vs)-1]
	full := ref
	if !strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
		full = ref + ":latest"
	}
	for k, i := range is {
		if i.Name == ref || i.Repository+":"+i.Tag == full {
			return &is[k], nil
		}
	}
	id := strings.TrimPrefix(ref, "sha256:")
	for k, i := range is {
		if len(id) >= 4 && strings.HasPrefix(strings.TrimPrefix(i.ID, "sha256:"), id) {
			return &is[k], nil
		}
	}
	return nil, fmt.Errorf("no such image: %s", ref)
}
