package spec

import (
	"context"
	"testing"

	"github.com/containerd/containerd/v2/pkg/oci"
)

func TestParseShimMode(t *testing.T) {
	for in, want := range map[string]string{"": ShimGroup, "group": ShimGroup, "isolated": ShimIsolated} {
		if got, err := ParseShimMode(in); err != nil || got != want {
			t.Errorf("ParseShimMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"shared", "Group", "none"} {
		if _, err := ParseShimMode(bad); err == nil {
			t.Errorf("ParseShimMode(%q) accepted", bad)
		}
	}
}

func TestWithShimGroup(t *testing.T) {
	var s oci.Spec
	if err := WithShimGroup("")(context.Background(), nil, nil, &s); err != nil || s.Annotations != nil {
		t.Fatalf("empty group set annotations: %v %v", s.Annotations, err)
	}
	if err := WithShimGroup("lumper-0")(context.Background(), nil, nil, &s); err != nil {
		t.Fatal(err)
	}
	if s.Annotations[ShimGroupAnnotation] != "lumper-0" {
		t.Fatalf("annotations = %v", s.Annotations)
	}
}
