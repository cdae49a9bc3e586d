package client

import (
	"context"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/errdefs"
)

// fakeLister evaluates the two filter forms the resolver uses.
type fakeLister []containers.Container

func (f fakeLister) List(_ context.Context, filters ...string) ([]containers.Container, error) {
	var out []containers.Container
	for _, c := range f {
		for _, flt := range filters {
			if k, v, ok := strings.Cut(flt, "=="); ok && k == "labels."+strconv.Quote(LabelName) {
				if uq, _ := strconv.Unquote(v); c.Labels[LabelName] == uq {
					out = append(out, c)
					break
				}
			}
			if v, ok := strings.CutPrefix(flt, "id~="); ok {
				uq, _ := strconv.Unquote(v)
				if regexp.MustCompile(uq).MatchString(c.ID) {
					out = append(out, c)
					break
				}
			}
		}
	}
	return out, nil
}

func TestResolveContainer(t *testing.T) {
	ctrs := fakeLister{
		{ID: "abc123" + strings.Repeat("0", 58), Labels: map[string]string{LabelName: "web"}},
		{ID: "abc456" + strings.Repeat("1", 58), Labels: map[string]string{LabelName: "db"}},
		{ID: "def000" + strings.Repeat("2", 58), Labels: map[string]string{LabelName: "abc"}},
	}
	tests := []struct {
		ref, wantID string
		wantErr     func(error) bool
	}{
		{ref: "web", wantID: ctrs[0].ID},
		{ref: ctrs[1].ID, wantID: ctrs[1].ID},
		{ref: "abc1", wantID: ctrs[0].ID},
		{ref: "abc", wantID: ctrs[2].ID}, // a name beats an ID prefix
		{ref: "ab", wantErr: errdefs.IsInvalidArgument},
		{ref: "zzz", wantErr: errdefs.IsNotFound},
		{ref: "", wantErr: errdefs.IsInvalidArgument},
		{ref: "a.*", wantErr: errdefs.IsNotFound}, // never a regexp
	}
	for _, tt := range tests {
		got, err := ResolveContainer(context.Background(), ctrs, tt.ref)
		if tt.wantErr != nil {
			if err == nil || !tt.wantErr(err) {
				t.Errorf("%q: want classified error, got %v (%v)", tt.ref, err, got.ID)
			}
			continue
		}
		if err != nil || got.ID != tt.wantID {
			t.Errorf("%q: got %q, %v; want %q", tt.ref, got.ID, err, tt.wantID)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "web-1", "my_app.v2", "A9"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a b", "a/b", "ü", strings.Repeat("a", 129)} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNameLeaseIDIsValidAndStable(t *testing.T) {
	id := nameLeaseID("web")
	if id != nameLeaseID("web") || id == nameLeaseID("web2") {
		t.Fatal("lease IDs must be stable and distinct")
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$`).MatchString(id) || len(id) > 76 {
		t.Fatalf("lease ID %q is not a valid containerd identifier", id)
	}
}

func TestOwnerAlive(t *testing.T) {
	if !ownerAlive(selfOwner()) {
		t.Fatal("this process must count as alive")
	}
	for _, o := range []string{"", "x", "1:", "999999999:1", strconv.Itoa(1) + ":notthestart"} {
		if ownerAlive(o) {
			t.Errorf("%q counted as alive", o)
		}
	}
}

func TestUserLabels(t *testing.T) {
	labels := map[string]string{LabelName: "web", "containerd.io/restart.status": "running", "io.containerd.image.config.stop-signal": "SIGTERM"}
	SetUserLabels(labels, map[string]string{"app": "web", "empty": "", "z": ""})
	got := UserLabels(labels)
	want := map[string]string{"app": "web", "empty": "", "z": ""}
	if !maps.Equal(got, want) {
		t.Fatalf("UserLabels = %v, want %v", got, want)
	}
	if _, ok := labels["empty"]; ok {
		t.Fatal("an empty label must not be set on containerd (it drops it)")
	}
}

// TestNoSuchContainerWording: scripts grep Docker's wording, and callers
// classify the error as not found.
func TestNoSuchContainerWording(t *testing.T) {
	cs := fakeLister{}
	_, err := ResolveContainer(context.Background(), cs, "web")
	if err == nil || err.Error() != "No such container: web" || !errdefs.IsNotFound(err) {
		t.Fatalf("got %v, want not-found %q", err, "No such container: web")
	}
}

func TestIsIDPrefix(t *testing.T) {
	for _, s := range []string{"a", "0123456789abcdef", strings.Repeat("f", 64)} {
		if !IsIDPrefix(s) {
			t.Errorf("IsIDPrefix(%q) = false", s)
		}
	}
	for _, s := range []string{"", "web", "ABC", "12g", strings.Repeat("f", 65), "ab-cd"} {
		if IsIDPrefix(s) {
			t.Errorf("IsIDPrefix(%q) = true", s)
		}
	}
}
