package spec

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// Opts turns parsed run options into containerd spec options. They are
// meant to follow oci.WithImageConfig (so --user overrides the image's USER)
// and expect containerd's default Linux spec underneath.
//
// Order matters and is fixed here: resources, mounts, network, privileges
// and capabilities, read-only rootfs, no_new_privs, seccomp (the default
// profile allows syscalls according to the capabilities, so it must come
// after them), then the user.
//
// Notes on the choices:
//   - CPU shares are written as cgroup v1 cpu.shares; on cgroup v2 runc
//     converts them to cpu.weight, so nothing differs here.
//   - Memory swap follows Docker: unset means as much swap as memory
//     (limit 2×Memory), -1 unlimited, else the memory+swap total.
//   - --privileged gives every capability lumper itself holds, all host
//     devices, no masked or read-only /proc paths and no seccomp filter; as
//     in Docker, --cap-add/--cap-drop and a seccomp profile are then ignored.
//   - no_new_privs keeps containerd's default (set) unless the user gave
//     no-new-privileges explicitly; Docker's default is unset. --privileged
//     turns it off (setuid binaries work, as in Docker) unless the user
//     asked for it explicitly.
//   - A numeric UID:GID is applied directly and needs no rootfs; names and
//     a bare UID are resolved in the container's rootfs by containerd when
//     the container is created (with supplementary groups from /etc/group
//     when no group is given, as Docker does).
func Opts(r Resources, mounts []Mount, sec Security) ([]oci.SpecOpts, error) {
	var opts []oci.SpecOpts

	res, err := resourceOpts(r)
	if err != nil {
		return nil, err
	}
	opts = append(opts, res...)

	if len(mounts) > 0 {
		ms := make([]specs.Mount, 0, len(mounts))
		var dsts []string
		for _, m := range mounts {
			if m.Type != TypeBind && m.Type != TypeTmpfs && m.Type != TypeVolume {
				return nil, api.Invalidf("unsupported mount type %q for %s: use bind, volume or tmpfs", m.Type, m.Destination)
			}
			if slices.Contains(dsts, m.Destination) {
				return nil, api.Invalidf("duplicate mount point %s: mount each container path only once", m.Destination)
			}
			dsts = append(dsts, m.Destination)
			if m.Type == TypeVolume {
				continue // pkg/container mounts the volume once it exists
			}
			ms = append(ms, m.toOCI())
		}
		if len(ms) > 0 {
			opts = append(opts, oci.WithMounts(ms))
		}
	}

	if sec.Network == NetworkHost {
		opts = append(opts,
			oci.WithHostNamespace(specs.NetworkNamespace),
			oci.WithHostHostsFile,
			oci.WithHostResolvconf,
		)
	}
	// Otherwise containerd's default spec gives a new network namespace
	// (none); for bridge and user networks pkg/network replaces it with one
	// it prepares when the container is created.

	opts = append(opts, isolationOpts(sec.Isolation, sec.Network)...)

	if sec.Privileged {
		opts = append(opts,
			oci.WithPrivileged, // all current caps, no masked/readonly paths, writable sysfs and cgroupfs, no seccomp
			oci.WithAllDevicesAllowed,
			oci.WithHostDevices,
		)
	} else {
		capOpts, err := capabilityOpts(sec.CapAdd, sec.CapDrop)
		if err != nil {
			return nil, err
		}
		opts = append(opts, capOpts...)
	}

	if sec.ReadOnly {
		opts = append(opts, oci.WithRootFSReadonly())
	}

	nnp := sec.NoNewPrivileges
	if nnp == nil && sec.Privileged {
		// As Docker: a privileged container's setuid binaries work.
		off := false
		nnp = &off
	}
	if nnp != nil {
		if *nnp {
			opts = append(opts, oci.WithNoNewPrivileges)
		} else {
			opts = append(opts, oci.WithNewPrivileges)
		}
	}

	if !sec.Privileged {
		switch sec.Seccomp {
		case SeccompDefault:
			opts = append(opts, withLinux, seccomp.WithDefaultProfile())
		case SeccompUnconfined:
			opts = append(opts, oci.WithSeccompUnconfined)
		default:
			opts = append(opts, withLinux, seccomp.WithProfile(sec.Seccomp))
		}
	}

	if sec.User != "" {
		if err := ParseUser(sec.User); err != nil {
			return nil, err
		}
		if uid, gid, ok := numericUser(sec.User); ok {
			opts = append(opts, oci.WithUIDGID(uid, gid))
		} else {
			opts = append(opts, oci.WithUser(sec.User))
			if !strings.Contains(sec.User, ":") {
				opts = append(opts, oci.WithAdditionalGIDs(sec.User))
			}
		}
	}
	return opts, nil
}

// withLinux makes sure the spec has a Linux section: the seccomp options
// write into it without checking.
func withLinux(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	return nil
}

// resourceOpts renders the cgroup limits.
func resourceOpts(r Resources) ([]oci.SpecOpts, error) {
	var opts []oci.SpecOpts
	switch {
	case r.Memory < 0:
		return nil, api.Invalidf("invalid --memory %d: use a size like 64m or 1g", r.Memory)
	case r.Memory > 0:
		swap := r.MemorySwap
		switch {
		case swap == 0 && r.Memory > math.MaxInt64/2:
			swap = -1
		case swap == 0:
			swap = 2 * r.Memory
		case swap > 0 && swap < r.Memory:
			return nil, api.Invalidf("invalid --memory-swap %d: it is memory plus swap, so it must be at least --memory (%d)", swap, r.Memory)
		case swap < -1:
			return nil, api.Invalidf("invalid --memory-swap %d: use a size, or -1 for unlimited swap", swap)
		}
		opts = append(opts, oci.WithMemoryLimit(uint64(r.Memory)), withMemorySwap(swap))
	case r.MemorySwap > 0:
		return nil, api.Invalidf("invalid --memory-swap %d: it is the total of memory and swap, so set --memory too", r.MemorySwap)
	}
	if r.MemoryReservation < 0 {
		return nil, api.Invalidf("invalid --memory-reservation %d: use a size like 64m", r.MemoryReservation)
	}
	if r.MemoryReservation > 0 || r.OOMKillDisable {
		opts = append(opts, withMemoryExtras(r.MemoryReservation, r.OOMKillDisable))
	}
	if r.CPUShares != 0 {
		opts = append(opts, oci.WithCPUShares(r.CPUShares))
	}
	if r.CPUs < 0 || math.IsNaN(r.CPUs) || math.IsInf(r.CPUs, 0) {
		return nil, api.Invalidf("invalid --cpus %v: use a number of CPUs like 0.5 or 2", r.CPUs)
	}
	if r.CPUs > 0 {
		opts = append(opts, oci.WithCPUCFS(cfsQuota(r.CPUs), cfsPeriod))
	}
	if r.CpusetCpus != "" {
		opts = append(opts, oci.WithCPUs(r.CpusetCpus))
	}
	switch {
	case r.PidsLimit < -1:
		return nil, api.Invalidf("invalid --pids-limit %d: use a positive number, or -1 for unlimited", r.PidsLimit)
	case r.PidsLimit != 0:
		opts = append(opts, oci.WithPidsLimit(r.PidsLimit))
	}
	return opts, nil
}

// withMemorySwap sets the memory+swap limit; it must follow
// oci.WithMemoryLimit, which creates the Memory section.
func withMemorySwap(swap int64) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.Memory == nil {
			return nil
		}
		s.Linux.Resources.Memory.Swap = &swap
		return nil
	}
}

// withMemoryExtras sets the memory soft limit and disables the OOM killer.
func withMemoryExtras(reservation int64, oomKillDisable bool) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		if s.Linux.Resources.Memory == nil {
			s.Linux.Resources.Memory = &specs.LinuxMemory{}
		}
		if reservation > 0 {
			s.Linux.Resources.Memory.Reservation = &reservation
		}
		if oomKillDisable {
			disable := true
			s.Linux.Resources.Memory.DisableOOMKiller = &disable
		}
		return nil
	}
}

// capabilityOpts applies --cap-add and --cap-drop with Docker's rules:
// with ALL in --cap-add the container gets every capability except those
// dropped; with ALL in --cap-drop it gets exactly those added; otherwise the
// drops come off the default set and then the adds go on (so a capability
// both added and dropped ends up added).
func capabilityOpts(add, drop []string) ([]oci.SpecOpts, error) {
	add, err := NormalizeCaps(add)
	if err != nil {
		return nil, err
	}
	drop, err = NormalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	switch {
	case slices.Contains(add, AllCaps):
		// Every capability lumper holds: more cannot be granted anyway.
		return []oci.SpecOpts{oci.WithAllCurrentCapabilities, oci.WithDroppedCapabilities(without(drop, AllCaps))}, nil
	case slices.Contains(drop, AllCaps):
		return []oci.SpecOpts{oci.WithCapabilities(add)}, nil
	}
	var opts []oci.SpecOpts
	if len(drop) > 0 {
		opts = append(opts, oci.WithDroppedCapabilities(drop))
	}
	if len(add) > 0 {
		opts = append(opts, oci.WithAddedCapabilities(add))
	}
	return opts, nil
}

func without(list []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == v })
}
