package container

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// inspect's CapAdd and CapDrop are the bounding set against containerd's
// default one; Devices the spec's device nodes with their cgroup access.
func TestInspectCapsAndDevices(t *testing.T) {
	def := defaultCaps()
	if !slices.Contains(def, "CAP_CHOWN") || slices.Contains(def, "CAP_SYS_ADMIN") {
		t.Fatalf("default caps: %q", def)
	}
	bounding := append(slices.DeleteFunc(slices.Clone(def), func(c string) bool { return c == "CAP_MKNOD" }), "CAP_NET_ADMIN")
	major, minor := int64(1), int64(3)
	spec := &specs.Spec{
		Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: bounding}},
		Linux: &specs.Linux{
			Devices:   []specs.LinuxDevice{{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}, {Path: "/dev/xnull", Type: "c", Major: 1, Minor: 3}},
			Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: &major, Minor: &minor, Access: "r"}}},
		},
	}
	var h api.HostConfig
	inspectCapsAndDevices(spec, &h)
	if !slices.Equal(h.CapAdd, []string{"CAP_NET_ADMIN"}) || !slices.Equal(h.CapDrop, []string{"CAP_MKNOD"}) {
		t.Errorf("caps: add %q drop %q", h.CapAdd, h.CapDrop)
	}
	want := []api.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "r"}, {PathInContainer: "/dev/xnull", CgroupPermissions: "r"}}
	if !slices.Equal(h.Devices, want) {
		t.Errorf("devices: %+v, want %+v", h.Devices, want)
	}
	// A privileged container has every capability and the host's devices:
	// neither is listed, as Docker's inspect.
	h = api.HostConfig{Privileged: true}
	inspectCapsAndDevices(spec, &h)
	if h.CapAdd != nil || h.CapDrop != nil || h.Devices == nil || len(h.Devices) != 0 {
		t.Errorf("privileged: %+v", h)
	}
	// The default set: nothing added or dropped.
	h = api.HostConfig{}
	inspectCapsAndDevices(&specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: def}}}, &h)
	if h.CapAdd != nil || h.CapDrop != nil {
		t.Errorf("default: %+v", h)
	}
}
