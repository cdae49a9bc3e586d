package spec

import (
	"context"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/lumper/lumper/pkg/api"
)

// ShimGroupAnnotation is the OCI annotation by which containerd's runc shim
// (containerd-shim-runc-v2) serves every container that carries the same
// value from one shim process: its socket is derived from the group, not the
// container ID, and a second container's `shim start` connects to the
// running shim instead of starting one.
const ShimGroupAnnotation = "io.containerd.runc.v2.group"

// Shim modes of run/create's --shim and the configuration's `shim`.
const (
	ShimGroup    = "group"    // share a shim with other containers (the default)
	ShimIsolated = "isolated" // a shim of the container's own
)

// ParseShimMode checks a --shim value; "" is the default (group).
func ParseShimMode(s string) (string, error) {
	switch s {
	case "", ShimGroup:
		return ShimGroup, nil
	case ShimIsolated:
		return ShimIsolated, nil
	}
	return "", api.Invalidf("invalid --shim %q: use %s (share a shim with other containers) or %s (a shim of its own)", s, ShimGroup, ShimIsolated)
}

// WithShimGroup puts the container in shim group g (no-op for "").
func WithShimGroup(g string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if g == "" {
			return nil
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[ShimGroupAnnotation] = g
		return nil
	}
}
