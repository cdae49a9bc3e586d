package spec

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/cap"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var baseCaps = []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"}

// newSpec is a small stand-in for containerd's default Linux spec: the
// option functions only fill sections that exist.
func newSpec() *oci.Spec {
	return &oci.Spec{
		Root: &specs.Root{Path: "rootfs"}, // relative: any rootfs lookup fails
		Process: &specs.Process{
			NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  slices.Clone(baseCaps),
				Effective: slices.Clone(baseCaps),
				Permitted: slices.Clone(baseCaps),
			},
		},
		Linux: &specs.Linux{
			MaskedPaths:   []string{"/proc/kcore"},
			ReadonlyPaths: []string{"/proc/sys"},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.MountNamespace},
			},
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
		},
		Mounts: []specs.Mount{
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "ro"}},
		},
	}
}

// build runs Opts and applies the result to s.
func build(t *testing.T, s *oci.Spec, r Resources, ms []Mount, sec Security) *oci.Spec {
	t.Helper()
	opts, err := Opts(r, ms, sec)
	if err != nil {
		t.Fatalf("Opts: %v", err)
	}
	if err := oci.ApplyOpts(context.Background(), nil, &containers.Container{ID: "test"}, s, opts...); err != nil {
		t.Fatalf("applying spec opts: %v", err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func TestOptsResources(t *testing.T) {
	s := build(t, newSpec(), Resources{
		Memory:     64 << 20,
		CPUShares:  512,
		CPUs:       1.5,
		CpusetCpus: "0-1",
		PidsLimit:  100,
	}, nil, Security{})
	res := s.Linux.Resources
	if res.Memory == nil || *res.Memory.Limit != 64<<20 || res.Memory.Swap == nil || *res.Memory.Swap != 128<<20 {
		t.Errorf("memory = %+v, want limit 64MiB and swap 128MiB (unset swap = 2×memory)", res.Memory)
	}
	cpu := res.CPU
	if cpu == nil || cpu.Shares == nil || *cpu.Shares != 512 || *cpu.Quota != 150000 || *cpu.Period != 100000 || cpu.Cpus != "0-1" {
		t.Errorf("cpu = %+v, want shares 512, quota 150000/100000, cpus 0-1", cpu)
	}
	if res.Pids == nil || *res.Pids.Limit != 100 {
		t.Errorf("pids = %+v, want 100", res.Pids)
	}
	if len(res.Devices) != 1 || res.Devices[0].Allow {
		t.Errorf("device rules changed: %+v", res.Devices)
	}

	for _, tc := range []struct {
		name       string
		r          Resources
		limit      *int64
		swap       *int64
		pids       *int64
		cpuCreated bool
	}{
		{"unlimited swap", Resources{Memory: 64 << 20, MemorySwap: -1}, ptr[int64](64 << 20), ptr[int64](-1), nil, false},
		{"explicit swap", Resources{Memory: 64 << 20, MemorySwap: 256 << 20}, ptr[int64](64 << 20), ptr[int64](256 << 20), nil, false},
		{"swap equal to memory", Resources{Memory: 64 << 20, MemorySwap: 64 << 20}, ptr[int64](64 << 20), ptr[int64](64 << 20), nil, false},
		{"unlimited pids", Resources{PidsLimit: -1}, nil, nil, ptr[int64](-1), false},
		{"nothing", Resources{}, nil, nil, nil, false},
		{"unlimited swap without memory is a no-op", Resources{MemorySwap: -1}, nil, nil, nil, false},
	} {
		res := build(t, newSpec(), tc.r, nil, Security{}).Linux.Resources
		var limit, swap, pids *int64
		if res.Memory != nil {
			limit, swap = res.Memory.Limit, res.Memory.Swap
		}
		if res.Pids != nil {
			pids = res.Pids.Limit
		}
		if !reflect.DeepEqual(limit, tc.limit) || !reflect.DeepEqual(swap, tc.swap) || !reflect.DeepEqual(pids, tc.pids) {
			t.Errorf("%s: limit %v swap %v pids %v; want %v %v %v", tc.name, deref(limit), deref(swap), deref(pids), deref(tc.limit), deref(tc.swap), deref(tc.pids))
		}
		if res.CPU != nil {
			t.Errorf("%s: CPU section created: %+v", tc.name, res.CPU)
		}
	}

	for _, tc := range []struct {
		name string
		r    Resources
		want string
	}{
		{"negative memory", Resources{Memory: -1}, "invalid --memory -1"},
		{"swap below memory", Resources{Memory: 64 << 20, MemorySwap: 32 << 20}, "must be at least --memory"},
		{"swap without memory", Resources{MemorySwap: 32 << 20}, "set --memory too"},
		{"bad swap", Resources{Memory: 64 << 20, MemorySwap: -5}, "or -1 for unlimited swap"},
		{"negative cpus", Resources{CPUs: -1}, "invalid --cpus -1"},
		{"bad pids", Resources{PidsLimit: -5}, "invalid --pids-limit -5: use a positive number, or -1 for unlimited"},
	} {
		_, err := Opts(tc.r, nil, Security{})
		checkInvalid(t, err, tc.want)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestOptsMounts(t *testing.T) {
	var ms []Mount
	for _, v := range []string{"/srv/data:/data:ro", "/srv/logs:/logs"} {
		m, err := ParseVolume(v)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	m, err := ParseMount("type=bind,src=/srv/shared,dst=/shared,bind-propagation=rshared")
	if err != nil {
		t.Fatal(err)
	}
	ms = append(ms, m)
	if m, err = ParseTmpfs("/run:size=64m"); err != nil {
		t.Fatal(err)
	}
	ms = append(ms, m)
	if m, err = ParseMount("type=tmpfs,dst=/cache,readonly"); err != nil {
		t.Fatal(err)
	}
	ms = append(ms, m)

	s := build(t, newSpec(), Resources{}, ms, Security{})
	want := []specs.Mount{
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "ro"}},
		{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "rprivate", "ro"}},
		{Destination: "/logs", Type: "bind", Source: "/srv/logs", Options: []string{"rbind", "rprivate", "rw"}},
		{Destination: "/shared", Type: "bind", Source: "/srv/shared", Options: []string{"rbind", "rshared", "rw"}},
		{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "nosuid", "nodev", "noexec", "size=67108864"}},
		{Destination: "/cache", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nosuid", "nodev", "noexec"}},
	}
	if !reflect.DeepEqual(s.Mounts, want) {
		t.Errorf("mounts =\n%+v\nwant\n%+v", s.Mounts, want)
	}

	_, err = Opts(Resources{}, []Mount{ms[0], {Source: "/other", Destination: "/data", Type: TypeBind}}, Security{})
	checkInvalid(t, err, "duplicate mount point /data: mount each container path only once")
	_, err = Opts(Resources{}, []Mount{{Source: "v", Destination: "/v", Type: "weird"}}, Security{})
	checkInvalid(t, err, `unsupported mount type "weird" for /v`)
	// Volumes are mounted by pkg/container once they exist; their
	// destination still counts for duplicates.
	_, err = Opts(Resources{}, []Mount{ms[0], {Source: "v", Destination: "/data", Type: TypeVolume}}, Security{})
	checkInvalid(t, err, "duplicate mount point /data")
	vs := build(t, newSpec(), Resources{}, []Mount{{Source: "v", Destination: "/v", Type: TypeVolume}}, Security{})
	if slices.ContainsFunc(vs.Mounts, func(m specs.Mount) bool { return m.Destination == "/v" }) {
		t.Errorf("a volume mount was rendered before its volume exists: %+v", vs.Mounts)
	}
}

func hasNetNS(s *oci.Spec) bool {
	return slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.NetworkNamespace })
}

func TestOptsNetwork(t *testing.T) {
	// The bridge and user networks get their namespace from pkg/network.
	for _, n := range []string{NetworkDefault, NetworkNone, "bridge", "mynet"} {
		s := build(t, newSpec(), Resources{}, nil, Security{Network: n})
		if !hasNetNS(s) || len(s.Linux.Namespaces) != 3 {
			t.Errorf("network %q: namespaces %+v, want the new network namespace kept", n, s.Linux.Namespaces)
		}
		if len(s.Mounts) != 1 {
			t.Errorf("network %q: mounts added: %+v", n, s.Mounts)
		}
	}
	s := build(t, newSpec(), Resources{}, nil, Security{Network: NetworkHost})
	if hasNetNS(s) || len(s.Linux.Namespaces) != 2 {
		t.Errorf("host network: namespaces %+v, want only the network namespace removed", s.Linux.Namespaces)
	}
	var dsts []string
	for _, m := range s.Mounts {
		if m.Type == "bind" && m.Source == m.Destination && slices.Contains(m.Options, "ro") {
			dsts = append(dsts, m.Destination)
		}
	}
	if !reflect.DeepEqual(dsts, []string{"/etc/hosts", "/etc/resolv.conf"}) {
		t.Errorf("host network: host file mounts %q, want /etc/hosts and /etc/resolv.conf", dsts)
	}
}

func TestOptsPrivileged(t *testing.T) {
	current, err := cap.Current()
	if err != nil {
		t.Fatal(err)
	}
	profile := writeFile(t, "p.json", testProfile)
	s := newSpec()
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	s = build(t, s, Resources{}, nil, Security{
		Privileged: true,
		CapDrop:    []string{"CAP_CHOWN"}, // ignored, as in Docker
		Seccomp:    profile,               // ignored, as in Docker
	})
	if !reflect.DeepEqual(s.Process.Capabilities.Bounding, current) || !reflect.DeepEqual(s.Process.Capabilities.Effective, current) {
		t.Errorf("capabilities = %q, want lumper's own %q", s.Process.Capabilities.Bounding, current)
	}
	if s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
		t.Errorf("masked %q / readonly %q paths kept", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
	if want := []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}; !reflect.DeepEqual(s.Linux.Resources.Devices, want) {
		t.Errorf("device rules = %+v, want all allowed", s.Linux.Resources.Devices)
	}
	if !slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return d.Path == "/dev/null" }) {
		t.Errorf("host devices not added (no /dev/null among %d devices)", len(s.Linux.Devices))
	}
	if s.Linux.Seccomp != nil {
		t.Errorf("seccomp = %+v, want none when privileged", s.Linux.Seccomp)
	}
	if !slices.Contains(s.Mounts[0].Options, "rw") {
		t.Errorf("sysfs options %q, want rw", s.Mounts[0].Options)
	}
	if s.Process.NoNewPrivileges {
		t.Error("no_new_privs kept by --privileged: setuid binaries would not work (Docker turns it off)")
	}
	// An explicit --security-opt no-new-privileges still wins, as in Docker.
	on := true
	s = newSpec()
	s = build(t, s, Resources{}, nil, Security{Privileged: true, NoNewPrivileges: &on})
	if !s.Process.NoNewPrivileges {
		t.Error("--privileged overrode an explicit no-new-privileges")
	}
}

func TestOptsCapabilities(t *testing.T) {
	current, err := cap.Current()
	if err != nil {
		t.Fatal(err)
	}
	currentWithout := func(c string) []string {
		return slices.DeleteFunc(slices.Clone(current), func(x string) bool { return x == c })
	}
	for _, tc := range []struct {
		name      string
		add, drop []string
		want      []string
	}{
		{"default", nil, nil, baseCaps},
		{"add", []string{"net_admin"}, nil, append(slices.Clone(baseCaps), "CAP_NET_ADMIN")},
		{"drop", nil, []string{"NET_RAW"}, []string{"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"}},
		{"add and drop the same: add wins", []string{"CAP_KILL"}, []string{"kill"}, []string{"CAP_CHOWN", "CAP_NET_RAW", "CAP_SETUID", "CAP_KILL"}},
		{"drop ALL, add one", []string{"chown"}, []string{"ALL"}, []string{"CAP_CHOWN"}},
		{"drop ALL", nil, []string{"all"}, nil},
		{"add ALL, drop one", []string{"ALL"}, []string{"chown"}, currentWithout("CAP_CHOWN")},
		{"add ALL and drop ALL", []string{"ALL"}, []string{"ALL"}, current},
	} {
		s := build(t, newSpec(), Resources{}, nil, Security{CapAdd: tc.add, CapDrop: tc.drop})
		c := s.Process.Capabilities
		if !reflect.DeepEqual(c.Bounding, tc.want) || !reflect.DeepEqual(c.Effective, tc.want) || !reflect.DeepEqual(c.Permitted, tc.want) {
			t.Errorf("%s: bounding %q effective %q permitted %q, want %q", tc.name, c.Bounding, c.Effective, c.Permitted, tc.want)
		}
	}
	_, err = Opts(Resources{}, nil, Security{CapAdd: []string{"bogus"}})
	checkInvalid(t, err, `unknown capability "bogus"`)
	_, err = Opts(Resources{}, nil, Security{CapDrop: []string{"bogus"}})
	checkInvalid(t, err, `unknown capability "bogus"`)
}

func TestOptsReadOnlyAndNoNewPrivileges(t *testing.T) {
	if s := build(t, newSpec(), Resources{}, nil, Security{}); s.Root.Readonly {
		t.Error("root is read-only without --read-only")
	}
	if s := build(t, newSpec(), Resources{}, nil, Security{ReadOnly: true}); !s.Root.Readonly {
		t.Error("--read-only did not make the root read-only")
	}
	for _, tc := range []struct {
		name    string
		initial bool
		nnp     *bool
		want    bool
	}{
		{"unset keeps containerd's default", true, nil, true},
		{"unset keeps an unset default", false, nil, false},
		{"true", false, ptr(true), true},
		{"false", true, ptr(false), false},
	} {
		s := newSpec()
		s.Process.NoNewPrivileges = tc.initial
		s = build(t, s, Resources{}, nil, Security{NoNewPrivileges: tc.nnp})
		if s.Process.NoNewPrivileges != tc.want {
			t.Errorf("%s: NoNewPrivileges = %v, want %v", tc.name, s.Process.NoNewPrivileges, tc.want)
		}
	}
}

func TestOptsSeccomp(t *testing.T) {
	s := build(t, newSpec(), Resources{}, nil, Security{})
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno || len(s.Linux.Seccomp.Syscalls) == 0 {
		t.Errorf("default seccomp = %+v, want containerd's default profile", s.Linux.Seccomp)
	}

	s = newSpec()
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	if s = build(t, s, Resources{}, nil, Security{Seccomp: SeccompUnconfined}); s.Linux.Seccomp != nil {
		t.Errorf("unconfined seccomp = %+v, want none", s.Linux.Seccomp)
	}

	profile := writeFile(t, "p.json", testProfile)
	s = build(t, newSpec(), Resources{}, nil, Security{Seccomp: profile})
	sc := s.Linux.Seccomp
	if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 || sc.Syscalls[0].Names[0] != "mkdir" {
		t.Errorf("profile seccomp = %+v, want the profile's rules", sc)
	}

	// A profile that disappears after parsing fails when the spec is built.
	opts, err := Opts(Resources{}, nil, Security{Seccomp: filepath.Join(t.TempDir(), "gone.json")})
	if err != nil {
		t.Fatal(err)
	}
	if err := oci.ApplyOpts(context.Background(), nil, &containers.Container{}, newSpec(), opts...); err == nil {
		t.Error("missing profile applied without error")
	}
}

func TestOptsUser(t *testing.T) {
	// Numeric UID:GID needs no rootfs (newSpec's root path is relative, so
	// any lookup in it would fail).
	s := build(t, newSpec(), Resources{}, nil, Security{User: "1000:1001"})
	if u := s.Process.User; u.UID != 1000 || u.GID != 1001 || !reflect.DeepEqual(u.AdditionalGids, []uint32{1001}) {
		t.Errorf("user = %+v, want 1000:1001", u)
	}

	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n",
		"group":  "root:x:0:\nalice:x:1001:\nstaff:x:50:alice\naudio:x:29:bob\n",
	} {
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		user     string
		uid, gid uint32
		groups   []uint32
	}{
		{"alice", 1001, 1001, []uint32{1001, 50}},
		{"1001", 1001, 1001, []uint32{1001, 50}},
		{"alice:staff", 1001, 50, []uint32{50}},
		{"alice:0", 1001, 0, []uint32{0}},
	} {
		s := newSpec()
		s.Root.Path = root
		s = build(t, s, Resources{}, nil, Security{User: tc.user})
		u := s.Process.User
		if u.UID != tc.uid || u.GID != tc.gid || !reflect.DeepEqual(u.AdditionalGids, tc.groups) {
			t.Errorf("user %q = %d:%d %v, want %d:%d %v", tc.user, u.UID, u.GID, u.AdditionalGids, tc.uid, tc.gid, tc.groups)
		}
	}

	_, err := Opts(Resources{}, nil, Security{User: "a:b:c"})
	checkInvalid(t, err, `invalid --user "a:b:c"`)
}

// TestOptsOnContainerdDefaultSpec applies a full set of options to the spec
// containerd itself generates, as `lumper run` does.
func TestOptsOnContainerdDefaultSpec(t *testing.T) {
	opts, err := Opts(
		Resources{Memory: 32 << 20, PidsLimit: 10},
		[]Mount{{Source: "/srv", Destination: "/srv", Type: TypeBind, ReadOnly: true}},
		Security{CapDrop: []string{"NET_RAW"}, ReadOnly: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := namespaces.WithNamespace(context.Background(), "lumper-test")
	s, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: "c1"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Process.NoNewPrivileges {
		t.Error("containerd's default no_new_privs was not kept")
	}
	if slices.Contains(s.Process.Capabilities.Bounding, "CAP_NET_RAW") || !slices.Contains(s.Process.Capabilities.Bounding, "CAP_CHOWN") {
		t.Errorf("capabilities = %q, want the defaults without CAP_NET_RAW", s.Process.Capabilities.Bounding)
	}
	if *s.Linux.Resources.Memory.Limit != 32<<20 || *s.Linux.Resources.Memory.Swap != 64<<20 || *s.Linux.Resources.Pids.Limit != 10 {
		t.Errorf("resources = %+v", s.Linux.Resources)
	}
	if !s.Root.Readonly || s.Linux.Seccomp == nil || s.Linux.MaskedPaths == nil {
		t.Errorf("root readonly %v, seccomp set %v, masked paths %q", s.Root.Readonly, s.Linux.Seccomp != nil, s.Linux.MaskedPaths)
	}
	last := s.Mounts[len(s.Mounts)-1]
	if last.Destination != "/srv" || !reflect.DeepEqual(last.Options, []string{"rbind", "rprivate", "ro"}) {
		t.Errorf("last mount = %+v, want the /srv bind", last)
	}
}
