package container

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
	"github.com/lumper/lumper/pkg/network"
)

// Inspect describes one container as `docker container inspect` does:
// configuration, state, host configuration, mounts and network.
func Inspect(ctx context.Context, c *client.Client, ref string) (api.ContainerJSON, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return api.ContainerJSON{}, err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return api.ContainerJSON{}, fmt.Errorf("loading container %s: %w", ref, err)
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		return api.ContainerJSON{}, fmt.Errorf("reading spec of %s: %w", ref, err)
	}
	// The image may be gone (rmi of an image a container uses is refused,
	// but a container outlives an image removed by other tools).
	var imgID string
	var imgCfg ocispec.ImageConfig
	if img, err := ctr.Image(ctx); err == nil {
		if desc, err := img.Config(ctx); err == nil {
			imgID = desc.Digest.String()
		}
		if s, err := img.Spec(ctx); err == nil {
			imgCfg = s.Config
		}
	} else {
		log.G(ctx).WithError(err).Debug("reading the image of a container")
	}
	var n *network.Network
	switch mode := rec.Labels[client.LabelNetwork]; mode {
	case network.Host, network.None:
		n = network.NewStore(c.DataRoot, c.CNIPath).Builtin(mode)
	case "":
	default:
		n, _ = network.NewStore(c.DataRoot, c.CNIPath).Find(mode)
	}
	resp, err := c.TaskService().Get(ctx, &tasksapi.GetRequest{ContainerID: rec.ID})
	err = errgrpc.ToNative(err)
	if err == nil {
		// A dead logger's stopped task is reaped here; the labels then
		// hold its exit.
		rec.Labels = checkLogger(ctx, c, rec, resp.Process, true)
	}
	d := document(rec, spec, imgID, imgCfg, ContainerDir(c, rec.ID), n)
	switch {
	case err == nil:
		info := Info(rec, resp.Process)
		d.State.Status, d.State.Pid, d.State.ExitCode = info.Status, info.PID, info.ExitCode
	case errdefs.IsNotFound(err):
		info := Info(rec, nil)
		d.State.Status, d.State.ExitCode = info.Status, info.ExitCode
	default:
		return api.ContainerJSON{}, fmt.Errorf("reading task of %s: %w", ref, err)
	}
	d.State.Error = LogsLostNote(rec.Labels)
	if r := rec.Labels[client.LabelExitReason]; r != "" && d.State.Status == StatusExited {
		d.State.Error = strings.TrimSuffix(r+"; "+d.State.Error, "; ")
	}
	if dr, ok := logs.ReadDropped(rec.Labels[client.LabelLogPath]); ok {
		d.State.Error = strings.TrimPrefix(d.State.Error+"; "+dr.Note(), "; ")
	}
	d.State.Health = inspectHealth(c, rec.ID, rec.Labels, d.State.Pid)
	d.State.Running = d.State.Status == StatusRunning || d.State.Status == StatusPaused
	d.State.Paused = d.State.Status == StatusPaused
	return d, nil
}

// document builds a container's inspect document from its record, its
// spec, its image and its network; State.Status, Running, Paused, Pid and
// ExitCode come from the task (Inspect).
func document(rec containers.Container, spec *specs.Spec, imgID string, imgCfg ocispec.ImageConfig, dir string, n *network.Network) api.ContainerJSON {
	l := rec.Labels
	d := api.ContainerJSON{
		ID:           rec.ID,
		Created:      rec.CreatedAt.UTC().Format(time.RFC3339Nano),
		Image:        imgID,
		LogPath:      l[client.LabelLogPath],
		Name:         "/" + l[client.LabelName],
		RestartCount: RestartCount(l),
		Driver:       rec.Snapshotter,
		Platform:     "linux",
		GraphDriver:  api.GraphDriver{Name: rec.Snapshotter, Data: map[string]string{"SnapshotKey": rec.SnapshotKey}},
		Runtime:      rec.Runtime.Name,
	}
	d.State.StartedAt = rfc3339(l[client.LabelStartedAt])
	d.State.FinishedAt = rfc3339(l[client.LabelFinishedAt])
	// The start label is written once task.Start has returned, the exit
	// time is containerd's: a process that exits at once may seem to end
	// before it started. It started by then at the latest.
	if s, f := parseTime(l[client.LabelStartedAt]), parseTime(l[client.LabelFinishedAt]); !f.IsZero() && f.Before(s) {
		d.State.StartedAt = d.State.FinishedAt
	}
	d.State.OOMKilled, _ = strconv.ParseBool(l[client.LabelOOMKilled])
	mode := l[client.LabelNetwork]
	if mode != "" && mode != network.Host {
		d.ResolvConfPath = filepath.Join(dir, "resolv.conf")
		d.HostnamePath = filepath.Join(dir, "hostname")
		d.HostsPath = filepath.Join(dir, "hosts")
	}
	d.Config = containerConfig(l, spec, imgCfg)
	if p := spec.Process; p != nil && len(p.Args) > 0 {
		d.Path, d.Args = p.Args[0], p.Args[1:]
	}
	if d.Args == nil {
		d.Args = []string{}
	}
	d.Mounts = markVolumes(userMounts(spec.Mounts, dir), Volumes(l))
	d.HostConfig = hostConfig(l, spec, d.Mounts)
	inspectRunFlags(l, spec, &d.Config, &d.HostConfig)
	d.HostConfig.Runtime = rec.Runtime.Name
	if l[client.LabelInit] == "true" {
		t := true
		d.HostConfig.Init = &t
	}
	if d.HostConfig.Runtime == "io.containerd.runc.v2" {
		d.HostConfig.Runtime = "runc"
	}
	d.NetworkSettings = networkSettings(l, rec.ID, n)
	return d
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// rfc3339 re-renders a time label; an empty or bad one is Docker's zero time.
func rfc3339(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return api.ZeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// containerConfig is a container's Config: the process of its spec,
// split into the image's ENTRYPOINT and the command as Docker keeps them,
// the image's and the user's labels, the exposed ports.
func containerConfig(l map[string]string, spec *specs.Spec, img ocispec.ImageConfig) api.ContainerConfig {
	cfg := api.ContainerConfig{
		Hostname:    spec.Hostname,
		Image:       l[client.LabelImage],
		Labels:      map[string]string{},
		StopSignal:  img.StopSignal,
		Healthcheck: healthConfigOf(l),
		OpenStdin:   l[client.LabelOpenStdin] == "true",
	}
	maps.Copy(cfg.Labels, img.Labels)
	maps.Copy(cfg.Labels, client.UserLabels(l))
	if p := spec.Process; p != nil {
		cfg.Tty = p.Terminal
		cfg.Env = p.Env
		cfg.Entrypoint, cfg.Cmd = splitEntrypoint(stripInit(p.Args), img.Entrypoint)
		cfg.WorkingDir = p.Cwd
		if p.Cwd == "/" && img.WorkingDir == "" {
			cfg.WorkingDir = ""
		}
		cfg.User = userOf(p.User, img.User)
	}
	exposed := map[string]struct{}{}
	for k := range img.ExposedPorts {
		if !strings.Contains(k, "/") {
			k += "/tcp"
		}
		exposed[k] = struct{}{}
	}
	ports, _ := network.ParsePorts(l[client.LabelPublish])
	for _, p := range ports {
		exposed[fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)] = struct{}{}
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	return cfg
}

// splitEntrypoint tells the image's ENTRYPOINT (when the process starts
// with it) from the command.
func splitEntrypoint(args, entrypoint []string) ([]string, []string) {
	if len(entrypoint) > 0 && len(args) >= len(entrypoint) && slices.Equal(args[:len(entrypoint)], entrypoint) {
		return entrypoint, args[len(entrypoint):]
	}
	return nil, args
}

// userOf is Config.User: "" for root, the image's USER, or uid[:gid].
func userOf(u specs.User, imageUser string) string {
	switch {
	case u.UID == 0 && u.GID == 0:
		if imageUser == "root" || imageUser == "0" || imageUser == "0:0" {
			return imageUser
		}
		return ""
	case imageUser != "":
		return imageUser
	case u.GID == 0:
		return strconv.FormatUint(uint64(u.UID), 10)
	}
	return fmt.Sprintf("%d:%d", u.UID, u.GID)
}

// defaultMounts are the mounts every container gets from the default spec.
var defaultMounts = []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/run", "/sys/fs/cgroup"}

// userMounts returns the mounts a user asked for (volumes, binds, tmpfs):
// not the default spec's, not lumper's own hosts, hostname and resolv.conf
// (whose sources are in the container's directory dir).
func userMounts(ms []specs.Mount, dir string) []api.MountPoint {
	out := []api.MountPoint{}
	for _, m := range ms {
		if slices.Contains(defaultMounts, m.Destination) && m.Type != "bind" {
			continue
		}
		if m.Destination == "/dev/shm" && m.Source == "/dev/shm" {
			continue // --ipc host's (HostConfig.IpcMode says it)
		}
		if m.Destination == "/sys/fs/cgroup" || (dir != "" && strings.HasPrefix(m.Source, dir+string(filepath.Separator))) {
			continue
		}
		typ := m.Type
		if slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind") {
			typ = "bind"
		}
		mp := api.MountPoint{Type: typ, Source: m.Source, Destination: m.Destination, RW: !slices.Contains(m.Options, "ro")}
		if typ == "bind" {
			mp.Propagation = "rprivate"
			for _, o := range m.Options {
				switch o {
				case "private", "rprivate", "shared", "rshared", "slave", "rslave":
					mp.Propagation = o
				}
			}
			if !mp.RW {
				mp.Mode = "ro"
			}
		} else if typ == "tmpfs" {
			mp.Source = ""
		}
		out = append(out, mp)
	}
	return out
}

// hostConfig is a container's HostConfig: limits from its spec, the rest
// from its labels and its user mounts.
func hostConfig(l map[string]string, spec *specs.Spec, mounts []api.MountPoint) api.HostConfig {
	h := api.HostConfig{
		NetworkMode:  l[client.LabelNetwork],
		PortBindings: map[string][]api.PortBinding{},
		Privileged:   l[client.LabelPrivileged] == "true",
		LogConfig:    api.LogConfig{Type: "local", Config: map[string]string{}},
		DNS:          splitList(l[client.LabelDNS]),
		ExtraHosts:   splitList(l[client.LabelAddHost]),
	}
	if h.NetworkMode == "" {
		h.NetworkMode = network.Default
	}
	if v := l[client.LabelLogMaxSize]; v != "" {
		h.LogConfig.Config["max-size"] = v
	}
	if v := l[client.LabelLogMaxFiles]; v != "" {
		h.LogConfig.Config["max-file"] = v
	}
	if ports, err := network.ParsePorts(l[client.LabelPublish]); err == nil {
		h.PortBindings = network.PortMap(ports, false)
	}
	h.RestartPolicy = restartPolicy(l[restart.PolicyLabel])
	for _, m := range mounts {
		if m.Type == "bind" {
			b := m.Source + ":" + m.Destination
			if !m.RW {
				b += ":ro"
			}
			h.Binds = append(h.Binds, b)
		}
	}
	h.ReadonlyRootfs = spec.Root != nil && spec.Root.Readonly
	if spec.Linux == nil || spec.Linux.Resources == nil {
		return h
	}
	r := spec.Linux.Resources
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit > 0 {
			h.Memory = *m.Limit
		}
		if m.Swap != nil {
			h.MemorySwap = *m.Swap
		}
	}
	if cpu := r.CPU; cpu != nil {
		if cpu.Shares != nil {
			h.CPUShares = int64(*cpu.Shares)
		}
		if cpu.Quota != nil && *cpu.Quota > 0 && cpu.Period != nil && *cpu.Period > 0 {
			h.NanoCPUs = *cpu.Quota * 1e9 / int64(*cpu.Period)
		}
		h.CpusetCpus, h.CpusetMems = cpu.Cpus, cpu.Mems
	}
	if p := r.Pids; p != nil && p.Limit != nil && *p.Limit > 0 {
		v := *p.Limit
		h.PidsLimit = &v
	}
	return h
}

// restartPolicy reads restart.PolicyLabel ("always", "on-failure:3", ...).
func restartPolicy(label string) api.RestartPolicy {
	name, count, _ := strings.Cut(label, ":")
	if name == "" {
		name = RestartNo
	}
	n, _ := strconv.Atoi(count)
	return api.RestartPolicy{Name: name, MaximumRetryCount: n}
}
