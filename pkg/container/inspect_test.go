package container

import (
	"reflect"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/network"
)

func ptr[T any](v T) *T { return &v }

// TestDocument: the inspect document of a container built from its record,
// spec, image config and network, in Docker's shape.
func TestDocument(t *testing.T) {
	dir := "/var/lib/lumper/ns/containers/abc"
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	rec := containers.Container{
		ID: "abc", CreatedAt: created, Snapshotter: "overlayfs", SnapshotKey: "abc",
		Labels: map[string]string{
			client.LabelName: "web", client.LabelImage: "busybox", client.LabelNetwork: "bridge",
			client.LabelStartedAt: "2026-01-02T03:04:06.5Z", client.LabelPublish: "127.0.0.1::80/tcp,:8080:81/udp",
			client.LabelPorts: "127.0.0.1:32768:80/tcp", client.LabelIP: "172.30.0.5", client.LabelGateway: "172.30.0.1",
			client.LabelMAC: "aa:bb:cc:dd:ee:ff", client.LabelNetNS: "/run/netns/lumper-abc",
			restart.PolicyLabel: "on-failure:3", restart.CountLabel: "2", client.LabelPrivileged: "true",
			"app": "web", client.LabelEmptyLabels: `["flag"]`, client.LabelDNS: "192.0.2.53",
		},
	}
	spec := &specs.Spec{
		Hostname: "abc",
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{
			Args: []string{"/entry", "httpd", "-f"}, Env: []string{"PATH=/bin", "FOO=bar"}, Cwd: "/",
			User: specs.User{UID: 1000, GID: 1000},
		},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup"},
			{Destination: "/etc/hosts", Type: "bind", Source: dir + "/hosts", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "rprivate", "ro"}},
			{Destination: "/cache", Type: "bind", Source: "/srv/cache", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw"}},
		},
		Linux: &specs.Linux{Resources: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(128 << 20))},
			CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(150000)), Period: ptr(uint64(100000)), Cpus: "0-1"},
			Pids:   &specs.LinuxPids{Limit: ptr(int64(-1))},
		}},
	}
	img := ocispec.ImageConfig{Entrypoint: []string{"/entry"}, Labels: map[string]string{"maintainer": "x", "app": "img"},
		ExposedPorts: map[string]struct{}{"443/tcp": {}}}
	n := &network.Network{Name: "bridge", ID: "0123456789ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123", Driver: "bridge", Bridge: "lumper0"}
	d := document(rec, spec, "sha256:img", img, dir, n)

	if d.ID != "abc" || d.Name != "/web" || d.Image != "sha256:img" || d.Config.Image != "busybox" || d.RestartCount != 2 {
		t.Errorf("identity: Id %q Name %q Image %q Config.Image %q RestartCount %d", d.ID, d.Name, d.Image, d.Config.Image, d.RestartCount)
	}
	if d.Created != "2026-01-02T03:04:05.000000006Z" || d.State.StartedAt != "2026-01-02T03:04:06.5Z" || d.State.FinishedAt != api.ZeroTime {
		t.Errorf("times: %q %q %q", d.Created, d.State.StartedAt, d.State.FinishedAt)
	}
	if d.Path != "/entry" || !reflect.DeepEqual(d.Args, []string{"httpd", "-f"}) ||
		!reflect.DeepEqual(d.Config.Entrypoint, []string{"/entry"}) || !reflect.DeepEqual(d.Config.Cmd, []string{"httpd", "-f"}) {
		t.Errorf("process: Path %q Args %q Entrypoint %q Cmd %q", d.Path, d.Args, d.Config.Entrypoint, d.Config.Cmd)
	}
	if d.Config.User != "1000:1000" || d.Config.WorkingDir != "" {
		t.Errorf("User %q WorkingDir %q", d.Config.User, d.Config.WorkingDir)
	}
	wantLabels := map[string]string{"maintainer": "x", "app": "web", "flag": ""}
	if !reflect.DeepEqual(d.Config.Labels, wantLabels) {
		t.Errorf("Config.Labels = %v, want %v (image's, then the user's)", d.Config.Labels, wantLabels)
	}
	if _, ok := d.Config.ExposedPorts["80/tcp"]; !ok || len(d.Config.ExposedPorts) != 3 {
		t.Errorf("ExposedPorts = %v", d.Config.ExposedPorts)
	}
	h := d.HostConfig
	if h.Memory != 64<<20 || h.MemorySwap != 128<<20 || h.NanoCPUs != 1.5e9 || h.CPUShares != 512 || h.CpusetCpus != "0-1" ||
		h.CPUQuota != 0 || h.PidsLimit != nil || !h.Privileged || !h.ReadonlyRootfs || h.NetworkMode != "bridge" {
		t.Errorf("HostConfig limits: %+v", h)
	}
	if h.RestartPolicy != (api.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}) {
		t.Errorf("RestartPolicy = %+v", h.RestartPolicy)
	}
	if !reflect.DeepEqual(h.Binds, []string{"/srv/data:/data:ro", "/srv/cache:/cache"}) {
		t.Errorf("Binds = %q", h.Binds)
	}
	wantPB := map[string][]api.PortBinding{"80/tcp": {{HostIP: "127.0.0.1"}}, "81/udp": {{HostPort: "8080"}}}
	if !reflect.DeepEqual(h.PortBindings, wantPB) {
		t.Errorf("PortBindings = %v, want %v", h.PortBindings, wantPB)
	}
	if !reflect.DeepEqual(h.DNS, []string{"192.0.2.53"}) {
		t.Errorf("Dns = %q", h.DNS)
	}
	if len(d.Mounts) != 3 || d.Mounts[0].Destination != "/data" || d.Mounts[0].RW || d.Mounts[0].Mode != "ro" ||
		d.Mounts[2].Type != "tmpfs" || d.Mounts[2].Source != "" {
		t.Errorf("Mounts (the user's only) = %+v", d.Mounts)
	}
	ns := d.NetworkSettings
	if ns.IPAddress != "172.30.0.5" || ns.Gateway != "172.30.0.1" || ns.MacAddress != "aa:bb:cc:dd:ee:ff" || ns.SandboxKey != "/run/netns/lumper-abc" || ns.Bridge != "lumper0" {
		t.Errorf("NetworkSettings = %+v", ns)
	}
	if p := ns.Ports["80/tcp"]; len(p) != 1 || p[0] != (api.PortBinding{HostIP: "127.0.0.1", HostPort: "32768"}) {
		t.Errorf("NetworkSettings.Ports = %v", ns.Ports)
	}
	ep := ns.Networks["bridge"]
	if ep == nil || ep.IPAddress != ns.IPAddress || ep.Gateway != ns.Gateway || ep.NetworkID != n.ID || len(ep.EndpointID) != 64 {
		t.Errorf("Networks[bridge] = %+v", ep)
	}
	if d.HostsPath != dir+"/hosts" || d.HostConfig.LogConfig.Type != "local" {
		t.Errorf("HostsPath %q", d.HostsPath)
	}
}

// TestDocumentStopped: a container that holds no network shows empty
// addresses and ports, and a plain spec gives zero limits.
func TestDocumentStopped(t *testing.T) {
	rec := containers.Container{ID: "x", Labels: map[string]string{client.LabelName: "n", client.LabelNetwork: "none",
		client.LabelFinishedAt: "2026-01-02T03:04:06Z", client.LabelOOMKilled: "true"}}
	spec := &specs.Spec{Process: &specs.Process{Args: []string{"sh"}, Cwd: "/work"}}
	d := document(rec, spec, "", ocispec.ImageConfig{}, "/d", nil)
	if d.NetworkSettings.IPAddress != "" || len(d.NetworkSettings.Ports) != 0 || d.NetworkSettings.Networks["none"] == nil {
		t.Errorf("NetworkSettings = %+v", d.NetworkSettings)
	}
	if d.HostConfig.Memory != 0 || d.HostConfig.NanoCPUs != 0 || d.HostConfig.RestartPolicy.Name != "no" || d.HostConfig.Binds != nil {
		t.Errorf("HostConfig = %+v", d.HostConfig)
	}
	if d.Config.Entrypoint != nil || !reflect.DeepEqual(d.Config.Cmd, []string{"sh"}) || d.Config.WorkingDir != "/work" || d.Config.User != "" {
		t.Errorf("Config = %+v", d.Config)
	}
	rec.Labels[client.LabelStartedAt] = "2026-01-02T03:04:06.001Z" // recorded after a quick exit
	d = document(rec, spec, "", ocispec.ImageConfig{}, "/d", nil)
	if !d.State.OOMKilled || d.State.FinishedAt != "2026-01-02T03:04:06Z" || d.State.StartedAt != d.State.FinishedAt || d.State.Health != nil {
		t.Errorf("State = %+v", d.State)
	}
	if len(d.Args) != 0 || d.Args == nil || d.Mounts == nil {
		t.Errorf("Args %v Mounts %v: want [] (Docker prints empty lists)", d.Args, d.Mounts)
	}
}

func TestUserOf(t *testing.T) {
	for _, c := range []struct {
		u    specs.User
		img  string
		want string
	}{
		{specs.User{}, "", ""},
		{specs.User{}, "root", "root"},
		{specs.User{UID: 1000}, "", "1000"},
		{specs.User{UID: 1000, GID: 100}, "", "1000:100"},
		{specs.User{UID: 65534, GID: 65534}, "nobody", "nobody"},
	} {
		if got := userOf(c.u, c.img); got != c.want {
			t.Errorf("userOf(%+v, %q) = %q, want %q", c.u, c.img, got, c.want)
		}
	}
}
