package spec

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// Namespace modes of --pid and --ipc.
const (
	NamespacePrivate   = ""           // a new namespace (the default)
	NamespaceHost      = "host"       // the host's
	IPCShareable       = "shareable"  // --ipc shareable: a new namespace, which others may join
	IPCNone            = "none"       // --ipc none: a new namespace and no /dev/shm
	NamespaceContainer = "container:" // prefix: another container's (resolved by pkg/container)
)

// Isolation are the namespace, device, sysctl and rlimit settings of
// --pid, --ipc, --device, --sysctl, --ulimit, --shm-size and --userns.
type Isolation struct {
	// PID and IPC are NamespacePrivate, NamespaceHost (and for IPC
	// IPCShareable, IPCNone) or "container:NAME"; a container's namespace
	// is joined by pkg/container, which knows its task.
	PID string
	IPC string
	// ShmSize is /dev/shm's size in bytes; 0 keeps the default (64 MiB).
	ShmSize int64
	Ulimits []specs.POSIXRlimit
	Devices []Device
	Sysctls map[string]string
}

// Device is one --device: a host device node made available in the
// container (at ContainerPath) with cgroup permissions (r, w, m).
type Device struct {
	HostPath      string
	ContainerPath string
	Permissions   string
}

// ParseShmSize parses --shm-size (a size such as 64m; it must be positive).
func ParseShmSize(s string) (int64, error) {
	n, err := parseSize(s)
	if err != nil || n <= 0 {
		return 0, api.Invalidf("invalid --shm-size %q: use a positive size like 64m or 1g", s)
	}
	return n, nil
}

// ParseMemoryReservation parses --memory-reservation (a soft limit): it
// must not exceed --memory when that is set (memory is the parsed --memory).
func ParseMemoryReservation(s string, memory int64) (int64, error) {
	n, err := parseSize(s)
	if err != nil {
		return 0, api.Invalidf("invalid --memory-reservation %q: use a size like 64m or 1g", s)
	}
	if memory > 0 && n > memory {
		return 0, api.Invalidf("invalid --memory-reservation %q: minimum memory limit can not be less than memory reservation limit, see usage", s)
	}
	return n, nil
}

// ParseUlimit parses one --ulimit NAME=SOFT[:HARD] (Docker's names: nofile,
// nproc, core, memlock, stack, ...; -1 is unlimited).
func ParseUlimit(s string) (specs.POSIXRlimit, error) {
	u, err := units.ParseUlimit(s)
	if err != nil {
		return specs.POSIXRlimit{}, api.Invalidf("invalid --ulimit %q: %v, use NAME=SOFT[:HARD] such as nofile=1024:2048", s, err)
	}
	return specs.POSIXRlimit{
		Type: "RLIMIT_" + strings.ToUpper(u.Name),
		Soft: rlimitValue(u.Soft),
		Hard: rlimitValue(u.Hard),
	}, nil
}

func rlimitValue(v int64) uint64 {
	if v < 0 {
		return ^uint64(0) // RLIM_INFINITY
	}
	return uint64(v)
}

// ParsePIDMode checks --pid: host or container:NAME ("" keeps a new namespace).
func ParsePIDMode(s string) (string, error) {
	switch {
	case s == NamespacePrivate || s == NamespaceHost:
		return s, nil
	case strings.HasPrefix(s, NamespaceContainer) && len(s) > len(NamespaceContainer):
		return s, nil
	}
	return "", api.Invalidf("invalid --pid %q: use host or container:NAME", s)
}

// ParseIPCMode checks --ipc: private, shareable, none, host or
// container:NAME ("" and private, shareable are a new namespace).
func ParseIPCMode(s string) (string, error) {
	switch {
	case s == "private":
		return NamespacePrivate, nil
	case s == NamespacePrivate || s == NamespaceHost || s == IPCShareable || s == IPCNone:
		return s, nil
	case strings.HasPrefix(s, NamespaceContainer) && len(s) > len(NamespaceContainer):
		return s, nil
	}
	return "", api.Invalidf("invalid --ipc %q: use private, shareable, none, host or container:NAME", s)
}

// ParseUserns checks --userns. lumper does not remap users (containerd's
// default, and no daemon-wide remapping exists to opt out of), so, as on a
// Docker daemon without userns-remap, only "host" is meaningful.
func ParseUserns(s string) error {
	if s == "" || s == "host" {
		return nil
	}
	return api.Invalidf("unsupported --userns %q: lumper runs containers in the host's user namespace without remapping; only --userns=host is accepted", s)
}

// ParseDevice parses --device HOST[:CONTAINER][:PERMISSIONS] (permissions
// from r, w and m; default rwm).
func ParseDevice(s string) (Device, error) {
	parts := strings.Split(s, ":")
	d := Device{Permissions: "rwm"}
	bad := func(why string) (Device, error) {
		return Device{}, api.Invalidf("invalid --device %q: %s, use HOST[:CONTAINER][:rwm] such as /dev/fuse or /dev/null:/dev/xnull:r", s, why)
	}
	switch len(parts) {
	case 3:
		d.Permissions = parts[2]
		fallthrough
	case 2:
		if len(parts) == 2 && validPermissions(parts[1]) {
			d.Permissions = parts[1]
		} else {
			d.ContainerPath = parts[1]
		}
		fallthrough
	case 1:
		d.HostPath = parts[0]
	default:
		return bad("too many colons")
	}
	if d.ContainerPath == "" {
		d.ContainerPath = d.HostPath
	}
	if !validPermissions(d.Permissions) {
		return bad("permissions must be made of r, w and m")
	}
	if !path.IsAbs(d.HostPath) || !path.IsAbs(d.ContainerPath) {
		return bad("paths must be absolute")
	}
	d.ContainerPath = path.Clean(d.ContainerPath)
	return d, nil
}

func validPermissions(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || strings.Count(p, string(c)) > 1 {
			return false
		}
	}
	return true
}

// ipcSysctls are the kernel.* sysctls that belong to the IPC namespace.
var ipcSysctls = []string{"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"}

// ParseSysctls parses --sysctl KEY=VALUE values with Docker's rules: only
// namespaced sysctls (IPC: kernel.msg*, kernel.sem, kernel.shm*,
// fs.mqueue.*; network: net.*), and not in a namespace shared with the host.
func ParseSysctls(vals []string, network, ipc string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, api.Invalidf("invalid --sysctl %q: use KEY=VALUE such as net.ipv4.ip_forward=1", v)
		}
		switch {
		case slices.Contains(ipcSysctls, k) || strings.HasPrefix(k, "fs.mqueue."):
			if ipc == NamespaceHost {
				return nil, api.Invalidf("invalid --sysctl %q: sysctl %s is not allowed with --ipc host, it would change the host's", v, k)
			}
		case strings.HasPrefix(k, "net."):
			if network == NetworkHost {
				return nil, api.Invalidf("invalid --sysctl %q: sysctl %s is not allowed with --network host, it would change the host's", v, k)
			}
		default:
			return nil, api.Invalidf("invalid --sysctl %q: sysctl %s is not namespaced, only net.*, fs.mqueue.*, kernel.msg*, kernel.sem and kernel.shm* may be set", v, k)
		}
		out[k] = val
	}
	return out, nil
}

// DefaultSysctls are the sysctls Docker sets in a container with its own
// network namespace: any user may bind ports below 1024 and ping.
var DefaultSysctls = map[string]string{
	"net.ipv4.ip_unprivileged_port_start": "0",
	"net.ipv4.ping_group_range":           "0 2147483647",
}

// isolationOpts renders Isolation (and the default sysctls when the
// container has its own network namespace).
func isolationOpts(iso Isolation, network string) []oci.SpecOpts {
	var opts []oci.SpecOpts
	if iso.PID == NamespaceHost {
		opts = append(opts, oci.WithHostNamespace(specs.PIDNamespace))
	}
	if iso.IPC == NamespaceHost {
		opts = append(opts, oci.WithHostNamespace(specs.IPCNamespace), withoutShm, withHostShm)
	}
	if iso.IPC == IPCNone {
		opts = append(opts, withoutShm)
	}
	if iso.ShmSize > 0 && iso.IPC != NamespaceHost && iso.IPC != IPCNone {
		opts = append(opts, withShmSize(iso.ShmSize))
	}
	for _, r := range iso.Ulimits {
		opts = append(opts, oci.WithRlimit(&r))
	}
	if len(iso.Devices) > 0 {
		opts = append(opts, withResources) // WithDevices writes into it unchecked
	}
	for _, d := range iso.Devices {
		opts = append(opts, oci.WithDevices(d.HostPath, d.ContainerPath, d.Permissions))
	}
	sysctls := map[string]string{}
	if network != NetworkHost {
		maps.Copy(sysctls, DefaultSysctls)
	}
	maps.Copy(sysctls, iso.Sysctls)
	if len(sysctls) > 0 {
		opts = append(opts, withSysctls(sysctls))
	}
	return opts
}

// withShmSize sets the size of the /dev/shm tmpfs (adding one if the spec
// has none).
func withShmSize(bytes int64) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		size := "size=" + strconv.FormatInt(bytes, 10)
		for i, m := range s.Mounts {
			if path.Clean(m.Destination) == "/dev/shm" && m.Type == "tmpfs" {
				s.Mounts[i].Options = append(slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return strings.HasPrefix(o, "size=") }), size)
				return nil
			}
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", size}})
		return nil
	}
}

// withoutShm drops the /dev/shm tmpfs (--ipc none, and host before the
// host's is bound).
func withoutShm(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return path.Clean(m.Destination) == "/dev/shm" })
	return nil
}

// withHostShm binds the host's /dev/shm (--ipc host, as Docker).
func withHostShm(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "nosuid", "nodev", "noexec"}})
	return nil
}

func withResources(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	return nil
}

func withSysctls(kv map[string]string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = map[string]string{}
		}
		maps.Copy(s.Linux.Sysctl, kv)
		return nil
	}
}

// CheckGroupAdd checks --group-add values: a GID or a group name (resolved
// in the container's /etc/group when it is created).
func CheckGroupAdd(groups []string) error {
	for _, g := range groups {
		if err := checkUserPart(g); err != nil {
			return api.Invalidf("invalid --group-add %q: %v, use a GID or a group name", g, err)
		}
	}
	return nil
}

// JoinNamespace is the spec option joining namespace typ of the process
// pid (another container's task, for --pid/--ipc container:NAME).
func JoinNamespace(typ specs.LinuxNamespaceType, pid uint32) oci.SpecOpts {
	name := map[specs.LinuxNamespaceType]string{specs.PIDNamespace: "pid", specs.IPCNamespace: "ipc"}[typ]
	return oci.WithLinuxNamespace(specs.LinuxNamespace{Type: typ, Path: fmt.Sprintf("/proc/%d/ns/%s", pid, name)})
}

// ParseExpose parses an --expose value: PORT[-PORT][/tcp|udp|sctp], into
// the image config's EXPOSE form ("80/tcp"), one entry per port.
func ParseExpose(s string) ([]string, error) {
	bad := func() ([]string, error) {
		return nil, api.Invalidf("invalid --expose %q: use PORT[/PROTOCOL] or a range START-END[/PROTOCOL], such as 80 or 8000-8010/udp", s)
	}
	ports, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return bad()
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || a == 0 || b < a {
		return bad()
	}
	var out []string
	for p := a; p <= b; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}
