package container

import (
	"reflect"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

func TestInspectRunFlags(t *testing.T) {
	labels := map[string]string{containerd.StopSignalLabel: "SIGUSR1", client.LabelLogDriver: "none"}
	runFlagLabels(labels, CreateOptions{
		PID: "host", IPC: "container:db", GroupAdd: []string{"10", "audio"}, StopTimeout: nil,
		Sysctls: map[string]string{"net.b": "2", "net.a": "1"}, CIDFile: "/tmp/cid", Expose: []string{"80/tcp", "53/udp"},
	})
	labels[client.LabelStopTimeout] = "3"
	res, disable := int64(32<<20), true
	spec := &specs.Spec{
		Process: &specs.Process{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: ^uint64(0)}}},
		Mounts:  []specs.Mount{{Destination: "/dev/shm", Type: "tmpfs", Options: []string{"nosuid", "size=65536k"}}},
		Linux:   &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: &res, DisableOOMKiller: &disable}}},
	}
	var cfg api.ContainerConfig
	h := api.HostConfig{LogConfig: api.LogConfig{Type: "local"}}
	inspectRunFlags(labels, spec, &cfg, &h)
	if !reflect.DeepEqual(cfg.ExposedPorts, map[string]struct{}{"80/tcp": {}, "53/udp": {}}) {
		t.Errorf("exposed ports %v", cfg.ExposedPorts)
	}
	if cfg.StopSignal != "SIGUSR1" || cfg.StopTimeout == nil || *cfg.StopTimeout != 3 {
		t.Errorf("config: stop signal %q, timeout %v", cfg.StopSignal, cfg.StopTimeout)
	}
	want := api.HostConfig{
		LogConfig: api.LogConfig{Type: "none"}, ContainerIDFile: "/tmp/cid", PidMode: "host", IpcMode: "container:db",
		ShmSize: 64 << 20, MemoryReservation: 32 << 20, OomKillDisable: true,
		GroupAdd: []string{"10", "audio"}, Sysctls: map[string]string{"net.a": "1", "net.b": "2"},
		Ulimits: []api.Ulimit{{Name: "nofile", Soft: 1024, Hard: -1}},
		Devices: []api.DeviceMapping{},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("host config\n%+v\nwant\n%+v", h, want)
	}
	// Defaults: the image's stop signal only, a private IPC namespace.
	var cfg2 api.ContainerConfig
	var h2 api.HostConfig
	inspectRunFlags(map[string]string{containerd.StopSignalLabel: "SIGTERM"}, &specs.Spec{}, &cfg2, &h2)
	if cfg2.StopSignal != "" || cfg2.StopTimeout != nil || h2.IpcMode != "private" || h2.PidMode != "" {
		t.Errorf("defaults: %+v %+v", cfg2, h2)
	}
}
