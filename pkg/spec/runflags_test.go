package spec

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// applyIso applies isolationOpts to a bare spec with containerd's default
// /dev/shm mount.
func applyIso(t *testing.T, iso Isolation, network string) *oci.Spec {
	t.Helper()
	s := &oci.Spec{Linux: &specs.Linux{}, Mounts: []specs.Mount{
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
	}}
	for _, o := range isolationOpts(iso, network) {
		if err := o(context.Background(), nil, &containers.Container{}, s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func mountAt(s *oci.Spec, dst string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dst {
			return &s.Mounts[i]
		}
	}
	return nil
}

func isInvalid(err error) bool {
	_, ok := err.(*api.InvalidArgument)
	return ok
}

func TestParseShmSize(t *testing.T) {
	if n, err := ParseShmSize("128m"); err != nil || n != 128<<20 {
		t.Fatalf("128m = %d, %v", n, err)
	}
	for _, bad := range []string{"", "0", "-1", "lots"} {
		if _, err := ParseShmSize(bad); !isInvalid(err) {
			t.Errorf("ParseShmSize(%q) = %v, want InvalidArgument", bad, err)
		}
	}
	s := applyIso(t, Isolation{ShmSize: 128 << 20}, "")
	m := mountAt(s, "/dev/shm")
	if m == nil || !slices.Contains(m.Options, "size=134217728") || slices.Contains(m.Options, "size=65536k") {
		t.Fatalf("/dev/shm = %+v", m)
	}
}

func TestParseMemoryReservation(t *testing.T) {
	if n, err := ParseMemoryReservation("32m", 64<<20); err != nil || n != 32<<20 {
		t.Fatalf("32m = %d, %v", n, err)
	}
	if _, err := ParseMemoryReservation("128m", 64<<20); !isInvalid(err) {
		t.Fatalf("above --memory: %v", err)
	}
	if _, err := ParseMemoryReservation("x", 0); !isInvalid(err) {
		t.Fatalf("bad size: %v", err)
	}
	opts, err := resourceOpts(Resources{MemoryReservation: 32 << 20, OOMKillDisable: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &oci.Spec{Linux: &specs.Linux{}}
	for _, o := range opts {
		if err := o(context.Background(), nil, nil, s); err != nil {
			t.Fatal(err)
		}
	}
	mem := s.Linux.Resources.Memory
	if mem.Reservation == nil || *mem.Reservation != 32<<20 || mem.DisableOOMKiller == nil || !*mem.DisableOOMKiller {
		t.Fatalf("memory = %+v", mem)
	}
}

func TestParseUlimit(t *testing.T) {
	r, err := ParseUlimit("nofile=1024:2048")
	if err != nil || r != (specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}) {
		t.Fatalf("nofile = %+v, %v", r, err)
	}
	if r, err := ParseUlimit("core=-1"); err != nil || r.Soft != ^uint64(0) || r.Hard != ^uint64(0) {
		t.Fatalf("core=-1 = %+v, %v", r, err)
	}
	for _, bad := range []string{"nofile", "bogus=1", "nofile=2:1", "nofile=a"} {
		if _, err := ParseUlimit(bad); !isInvalid(err) || !strings.Contains(err.Error(), "--ulimit") {
			t.Errorf("ParseUlimit(%q) = %v", bad, err)
		}
	}
	s := applyIso(t, Isolation{Ulimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 2}}}, "")
	if len(s.Process.Rlimits) != 1 || s.Process.Rlimits[0].Soft != 1 {
		t.Fatalf("rlimits = %+v", s.Process.Rlimits)
	}
}

func hasNS(s *oci.Spec, typ specs.LinuxNamespaceType) (bool, string) {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == typ {
			return true, ns.Path
		}
	}
	return false, ""
}

func TestNamespaceModes(t *testing.T) {
	for in, want := range map[string]string{"": "", "host": "host", "container:web": "container:web"} {
		if got, err := ParsePIDMode(in); err != nil || got != want {
			t.Errorf("ParsePIDMode(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"private", "container:", "bogus"} {
		if _, err := ParsePIDMode(bad); !isInvalid(err) {
			t.Errorf("ParsePIDMode(%q) = %v", bad, err)
		}
	}
	for in, want := range map[string]string{"": "", "private": "", "shareable": "shareable", "none": "none", "host": "host", "container:db": "container:db"} {
		if got, err := ParseIPCMode(in); err != nil || got != want {
			t.Errorf("ParseIPCMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseIPCMode("container:"); !isInvalid(err) {
		t.Errorf("ParseIPCMode(container:) = %v", err)
	}

	// A default spec has new PID and IPC namespaces; host removes them.
	base := func() *oci.Spec {
		s := applyIso(t, Isolation{}, "")
		s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}}
		return s
	}
	s := base()
	for _, o := range isolationOpts(Isolation{PID: "host", IPC: "host"}, "") {
		if err := o(context.Background(), nil, nil, s); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := hasNS(s, specs.PIDNamespace); ok {
		t.Error("--pid host kept a PID namespace")
	}
	if ok, _ := hasNS(s, specs.IPCNamespace); ok {
		t.Error("--ipc host kept an IPC namespace")
	}
	if m := mountAt(s, "/dev/shm"); m == nil || m.Type != "bind" || m.Source != "/dev/shm" {
		t.Errorf("--ipc host: /dev/shm = %+v, want the host's bound", m)
	}
	if m := mountAt(applyIso(t, Isolation{IPC: IPCNone}, ""), "/dev/shm"); m != nil {
		t.Errorf("--ipc none: /dev/shm = %+v, want none", m)
	}
	s = base()
	if err := JoinNamespace(specs.PIDNamespace, 42)(context.Background(), nil, nil, s); err != nil {
		t.Fatal(err)
	}
	if _, p := hasNS(s, specs.PIDNamespace); p != "/proc/42/ns/pid" {
		t.Errorf("joined PID namespace path %q", p)
	}
}

func TestParseUserns(t *testing.T) {
	for _, ok := range []string{"", "host"} {
		if err := ParseUserns(ok); err != nil {
			t.Errorf("ParseUserns(%q) = %v", ok, err)
		}
	}
	if err := ParseUserns("private"); !isInvalid(err) || !strings.Contains(err.Error(), "--userns=host") {
		t.Errorf("ParseUserns(private) = %v", err)
	}
}

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]Device{
		"/dev/fuse":                {"/dev/fuse", "/dev/fuse", "rwm"},
		"/dev/null:/dev/xnull":     {"/dev/null", "/dev/xnull", "rwm"},
		"/dev/null:r":              {"/dev/null", "/dev/null", "r"},
		"/dev/null:/dev/xnull:rw":  {"/dev/null", "/dev/xnull", "rw"},
		"/dev/null:/dev/x/../y:wm": {"/dev/null", "/dev/y", "wm"},
	} {
		if got, err := ParseDevice(in); err != nil || got != want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "dev/null", "/dev/null:rel", "/dev/null:/x:rwx", "/a:/b:r:w", "/dev/null:/x:rr"} {
		if _, err := ParseDevice(bad); !isInvalid(err) {
			t.Errorf("ParseDevice(%q) = %v", bad, err)
		}
	}
	s := applyIso(t, Isolation{Devices: []Device{{"/dev/null", "/dev/xnull", "r"}}}, "")
	if len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Path != "/dev/xnull" || s.Linux.Devices[0].Type != "c" {
		t.Fatalf("devices = %+v", s.Linux.Devices)
	}
	cg := s.Linux.Resources.Devices
	if len(cg) != 1 || !cg[0].Allow || cg[0].Access != "r" || cg[0].Major == nil || *cg[0].Major != 1 {
		t.Fatalf("device cgroup = %+v", cg)
	}
}

func TestParseSysctls(t *testing.T) {
	got, err := ParseSysctls([]string{"net.ipv4.ip_forward=1", "kernel.shmmax=1000", "fs.mqueue.msg_max=20"}, "", "")
	want := map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseSysctls = %v, %v", got, err)
	}
	for _, tc := range []struct{ v, net, ipc string }{
		{"kernel.hostname=x", "", ""},
		{"vm.swappiness=1", "", ""},
		{"noequals", "", ""},
		{"net.ipv4.ip_forward=1", NetworkHost, ""},
		{"kernel.shmmax=1", "", NamespaceHost},
	} {
		if _, err := ParseSysctls([]string{tc.v}, tc.net, tc.ipc); !isInvalid(err) {
			t.Errorf("ParseSysctls(%q, net %q, ipc %q) = %v", tc.v, tc.net, tc.ipc, err)
		}
	}
}

func TestDefaultSysctls(t *testing.T) {
	// Own network namespace: Docker's defaults, which the user may override.
	s := applyIso(t, Isolation{Sysctls: map[string]string{"net.ipv4.ping_group_range": "0 0"}}, "")
	if s.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"] != "0" || s.Linux.Sysctl["net.ipv4.ping_group_range"] != "0 0" {
		t.Fatalf("sysctls = %v", s.Linux.Sysctl)
	}
	// The host's network: none (they would change the host).
	if s := applyIso(t, Isolation{}, NetworkHost); len(s.Linux.Sysctl) != 0 {
		t.Fatalf("--network host sysctls = %v", s.Linux.Sysctl)
	}
	// And through Opts, as run builds them.
	opts, err := Opts(Resources{}, nil, Security{Seccomp: SeccompUnconfined})
	if err != nil {
		t.Fatal(err)
	}
	sp := &oci.Spec{Linux: &specs.Linux{}, Process: &specs.Process{}}
	for _, o := range opts {
		if err := o(context.Background(), nil, nil, sp); err != nil {
			t.Fatal(err)
		}
	}
	if sp.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"] != "0" {
		t.Fatalf("Opts sysctls = %v", sp.Linux.Sysctl)
	}
}

func TestCheckGroupAdd(t *testing.T) {
	if err := CheckGroupAdd([]string{"10", "audio", "users"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a b", "-x", "99999999999"} {
		if err := CheckGroupAdd([]string{bad}); !isInvalid(err) {
			t.Errorf("CheckGroupAdd(%q) = %v", bad, err)
		}
	}
}

func TestParseExpose(t *testing.T) {
	for in, want := range map[string][]string{
		"80":            {"80/tcp"},
		"53/udp":        {"53/udp"},
		"8000-8002/TCP": {"8000/tcp", "8001/tcp", "8002/tcp"},
	} {
		if got, err := ParseExpose(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseExpose(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0", "70000", "80/icmp", "9-8", "x"} {
		if _, err := ParseExpose(bad); !isInvalid(err) {
			t.Errorf("ParseExpose(%q) = %v", bad, err)
		}
	}
}
