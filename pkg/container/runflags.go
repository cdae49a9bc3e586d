package container

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/spec"
)

// runFlagLabels records the issue 16 run flags that inspect cannot read
// back from the spec.
func runFlagLabels(labels map[string]string, o CreateOptions) {
	if o.StopTimeout != nil {
		labels[client.LabelStopTimeout] = strconv.Itoa(*o.StopTimeout)
	}
	if o.Log.Driver == LogDriverNone {
		labels[client.LabelLogDriver] = LogDriverNone
	}
	if o.PID != "" {
		labels[client.LabelPIDMode] = o.PID
	}
	if o.IPC != "" {
		labels[client.LabelIPCMode] = o.IPC
	}
	if o.CIDFile != "" {
		labels[client.LabelCIDFile] = o.CIDFile
	}
	if len(o.Expose) > 0 {
		labels[client.LabelExpose] = strings.Join(o.Expose, ",")
	}
	if len(o.GroupAdd) > 0 {
		labels[client.LabelGroupAdd] = strings.Join(o.GroupAdd, ",")
	}
	if len(o.Sysctls) > 0 {
		kv := make([]string, 0, len(o.Sysctls))
		for _, k := range slices.Sorted(maps.Keys(o.Sysctls)) {
			kv = append(kv, k+"="+o.Sysctls[k])
		}
		labels[client.LabelSysctls] = strings.Join(kv, "\n")
	}
}

// inspectRunFlags fills the Config and HostConfig fields of issue 16's run
// flags, from the labels and the spec.
func inspectRunFlags(l map[string]string, spec *specs.Spec, cfg *api.ContainerConfig, h *api.HostConfig) {
	if l[client.LabelLogDriver] == LogDriverNone {
		h.LogConfig.Type = LogDriverNone
	}
	if sig := l[containerd.StopSignalLabel]; sig != "" && (cfg.StopSignal != "" || sig != "SIGTERM") {
		cfg.StopSignal = sig
	}
	if n, err := strconv.Atoi(l[client.LabelStopTimeout]); err == nil {
		cfg.StopTimeout = &n
	}
	h.ContainerIDFile = l[client.LabelCIDFile]
	if e := l[client.LabelExpose]; e != "" {
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for p := range strings.SplitSeq(e, ",") {
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	h.PidMode, h.IpcMode = l[client.LabelPIDMode], l[client.LabelIPCMode]
	if h.IpcMode == "" {
		h.IpcMode = "private"
	}
	h.GroupAdd = []string{}
	if g := l[client.LabelGroupAdd]; g != "" {
		h.GroupAdd = strings.Split(g, ",")
	}
	if s := l[client.LabelSysctls]; s != "" {
		h.Sysctls = map[string]string{}
		for kv := range strings.SplitSeq(s, "\n") {
			k, v, _ := strings.Cut(kv, "=")
			h.Sysctls[k] = v
		}
	}
	inspectCapsAndDevices(spec, h)
	h.Ulimits = []api.Ulimit{}
	if spec.Process != nil {
		for _, r := range spec.Process.Rlimits {
			h.Ulimits = append(h.Ulimits, api.Ulimit{
				Name: strings.ToLower(strings.TrimPrefix(r.Type, "RLIMIT_")),
				Soft: rlimitInspect(r.Soft), Hard: rlimitInspect(r.Hard),
			})
		}
	}
	for _, m := range spec.Mounts {
		if m.Destination != "/dev/shm" || m.Type != "tmpfs" {
			continue
		}
		for _, o := range m.Options {
			if v, ok := strings.CutPrefix(o, "size="); ok {
				h.ShmSize = shmBytes(v)
			}
		}
	}
	if spec.Linux != nil && spec.Linux.Resources != nil && spec.Linux.Resources.Memory != nil {
		m := spec.Linux.Resources.Memory
		if m.Reservation != nil {
			h.MemoryReservation = *m.Reservation
		}
		h.OomKillDisable = m.DisableOOMKiller != nil && *m.DisableOOMKiller
	}
}

func rlimitInspect(v uint64) int64 {
	if v > 1<<63-1 {
		return -1
	}
	return int64(v)
}

// shmBytes reads a tmpfs size option: bytes, or with a k, m or g suffix.
func shmBytes(v string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "k"):
		mult, v = 1<<10, strings.TrimSuffix(v, "k")
	case strings.HasSuffix(v, "m"):
		mult, v = 1<<20, strings.TrimSuffix(v, "m")
	case strings.HasSuffix(v, "g"):
		mult, v = 1<<30, strings.TrimSuffix(v, "g")
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n * mult
}

// withStopSignal records --stop-signal where the image's STOPSIGNAL goes
// (containerd's label, which stop reads back with GetStopSignal).
func withStopSignal(sig string) containerd.NewContainerOpts {
	return func(_ context.Context, _ *containerd.Client, c *containers.Container) error {
		if sig != "" {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[containerd.StopSignalLabel] = sig
		}
		return nil
	}
}

// joinNamespaces joins the PID and IPC namespaces of other running
// containers (--pid/--ipc container:NAME).
func joinNamespaces(ctx context.Context, c *client.Client, pid, ipc string) ([]oci.SpecOpts, error) {
	var opts []oci.SpecOpts
	for _, j := range []struct {
		mode, flag string
		typ        specs.LinuxNamespaceType
	}{{pid, "--pid", specs.PIDNamespace}, {ipc, "--ipc", specs.IPCNamespace}} {
		ref, ok := strings.CutPrefix(j.mode, spec.NamespaceContainer)
		if !ok {
			continue
		}
		rec, err := c.Container(ctx, ref)
		if err != nil {
			return nil, api.Invalidf("invalid %s %s: %v", j.flag, j.mode, err)
		}
		ctr, err := c.LoadContainer(ctx, rec.ID)
		if err != nil {
			return nil, fmt.Errorf("loading container %s: %w", ref, err)
		}
		task, err := ctr.Task(ctx, nil)
		var st containerd.Status
		if err == nil {
			st, err = task.Status(ctx)
		}
		if err != nil || st.Status != containerd.Running {
			return nil, api.Invalidf("invalid %s %s: cannot join the namespace of container %s, it is not running", j.flag, j.mode, ref)
		}
		opts = append(opts, spec.JoinNamespace(j.typ, task.Pid()))
	}
	return opts, nil
}

// withExposed adds the --expose ports to the image's EXPOSE ports.
func withExposed(image map[string]struct{}, expose []string) map[string]struct{} {
	if len(expose) == 0 {
		return image
	}
	out := maps.Clone(image)
	if out == nil {
		out = map[string]struct{}{}
	}
	for _, p := range expose {
		out[p] = struct{}{}
	}
	return out
}

// defaultCaps are the capabilities of containerd's default spec, which
// lumper starts from: --cap-add and --cap-drop are the difference.
var defaultCaps = sync.OnceValue(func() []string {
	var s oci.Spec
	ctx := namespaces.WithNamespace(context.Background(), "lumper-defaults")
	if err := oci.WithDefaultSpecForPlatform("linux")(ctx, nil, &containers.Container{ID: "defaults"}, &s); err != nil || s.Process == nil || s.Process.Capabilities == nil {
		return nil
	}
	return s.Process.Capabilities.Bounding
})

// inspectCapsAndDevices fills HostConfig.CapAdd and CapDrop (the bounding
// set against containerd's default, not for a privileged container, which
// has them all) and Devices (the spec's device nodes).
func inspectCapsAndDevices(spec *specs.Spec, h *api.HostConfig) {
	h.Devices = []api.DeviceMapping{} // Docker's empty list
	if h.Privileged {
		return
	}
	if p := spec.Process; p != nil && p.Capabilities != nil {
		if def := defaultCaps(); def != nil {
			for _, c := range p.Capabilities.Bounding {
				if !slices.Contains(def, c) {
					h.CapAdd = append(h.CapAdd, c)
				}
			}
			for _, c := range def {
				if !slices.Contains(p.Capabilities.Bounding, c) {
					h.CapDrop = append(h.CapDrop, c)
				}
			}
		}
	}
	if spec.Linux == nil {
		return
	}
	for _, d := range spec.Linux.Devices {
		dm := api.DeviceMapping{PathInContainer: d.Path, CgroupPermissions: "rwm"}
		if spec.Linux.Resources != nil {
			for _, r := range spec.Linux.Resources.Devices {
				if r.Allow && r.Major != nil && *r.Major == d.Major && r.Minor != nil && *r.Minor == d.Minor {
					dm.CgroupPermissions = r.Access
				}
			}
		}
		var st unix.Stat_t
		if unix.Stat(d.Path, &st) == nil && st.Rdev == unix.Mkdev(uint32(d.Major), uint32(d.Minor)) {
			dm.PathOnHost = d.Path
		}
		h.Devices = append(h.Devices, dm)
	}
}
