package spec

import "github.com/containerd/containerd/v2/pkg/oci"

// ResourceOpts renders the cgroup limits r sets (zero fields are left as
// they are) as spec options, with run's rules (--memory-swap defaults to
// twice --memory), for `lumper update`.
func ResourceOpts(r Resources) ([]oci.SpecOpts, error) { return resourceOpts(r) }
