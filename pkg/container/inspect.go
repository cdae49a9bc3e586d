package container

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Inspect describes one container: configuration, state, mounts, limits.
func Inspect(ctx context.Context, c *client.Client, ref string) (api.ContainerDetail, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return api.ContainerDetail{}, err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return api.ContainerDetail{}, fmt.Errorf("loading container %s: %w", ref, err)
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		return api.ContainerDetail{}, fmt.Errorf("reading spec of %s: %w", ref, err)
	}
	d := api.ContainerDetail{
		ID:       rec.ID,
		Name:     rec.Labels[client.LabelName],
		Created:  rec.CreatedAt,
		Image:    rec.Labels[client.LabelImage],
		ImageID:  rec.Image,
		LogPath:  rec.Labels[client.LabelLogPath],
		Labels:   rec.Labels,
		Runtime:  rec.Runtime.Name,
		Snapshot: rec.SnapshotKey,
	}
	if p := spec.Process; p != nil {
		if len(p.Args) > 0 {
			d.Path, d.Args = p.Args[0], p.Args[1:]
		}
		d.Config = api.ContainerConfig{
			Hostname:   spec.Hostname,
			User:       fmt.Sprintf("%d:%d", p.User.UID, p.User.GID),
			Env:        p.Env,
			Cmd:        p.Args,
			WorkingDir: p.Cwd,
			Tty:        p.Terminal,
		}
	}
	d.Mounts = userMounts(spec.Mounts)
	d.Limits = limits(spec)
	d.Network = networkSettings(rec.Labels)
	if mode := rec.Labels[client.LabelNetwork]; mode != "" {
		d.Limits.NetworkMode = mode
	}
	d.Limits.Privileged = rec.Labels[client.LabelPrivileged] == "true"

	resp, err := c.TaskService().Get(ctx, &tasksapi.GetRequest{ContainerID: rec.ID})
	err = errgrpc.ToNative(err)
	switch {
	case err == nil:
		rec.Labels = checkLogger(ctx, c, rec, resp.Process, true)
		d.Labels = rec.Labels
		info := Info(rec, resp.Process)
		d.State.Status, d.State.Pid, d.State.ExitCode = info.Status, info.PID, info.ExitCode
	case errdefs.IsNotFound(err):
		info := Info(rec, nil)
		d.State.Status, d.State.ExitCode = info.Status, info.ExitCode
	default:
		return api.ContainerDetail{}, fmt.Errorf("reading task of %s: %w", ref, err)
	}
	d.State.Error = LogsLostNote(rec.Labels)
	d.State.Running = d.State.Status == StatusRunning
	d.State.Paused = d.State.Status == StatusPaused
	d.State.OOMKilled, _ = strconv.ParseBool(rec.Labels[client.LabelOOMKilled])
	d.State.StartedAt = parseTime(rec.Labels[client.LabelStartedAt])
	d.State.FinishedAt = parseTime(rec.Labels[client.LabelFinishedAt])
	return d, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// defaultMounts are the mounts every container gets from the default spec.
var defaultMounts = []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/run", "/sys/fs/cgroup"}

// userMounts returns the mounts a user asked for (volumes, tmpfs).
func userMounts(ms []specs.Mount) []api.Mount {
	var out []api.Mount
	for _, m := range ms {
		if slices.Contains(defaultMounts, m.Destination) && m.Type != "bind" {
			continue
		}
		typ := m.Type
		if slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind") {
			typ = "bind"
		}
		out = append(out, api.Mount{
			Type:        typ,
			Source:      m.Source,
			Destination: m.Destination,
			RW:          !slices.Contains(m.Options, "ro"),
			Options:     m.Options,
		})
	}
	return out
}

func limits(spec *specs.Spec) api.Limits {
	var l api.Limits
	l.NetworkMode = "none"
	if spec.Linux == nil {
		return l
	}
	hostNet := true
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace && ns.Path == "" {
			hostNet = false
		}
	}
	if hostNet {
		l.NetworkMode = "host"
	}
	l.ReadonlyRootfs = spec.Root != nil && spec.Root.Readonly
	if r := spec.Linux.Resources; r != nil {
		if m := r.Memory; m != nil {
			if m.Limit != nil {
				l.Memory = *m.Limit
			}
			if m.Swap != nil {
				l.MemorySwap = *m.Swap
			}
		}
		if cpu := r.CPU; cpu != nil {
			if cpu.Shares != nil {
				l.CPUShares = *cpu.Shares
			}
			if cpu.Quota != nil {
				l.CPUQuota = *cpu.Quota
			}
			if cpu.Period != nil {
				l.CPUPeriod = *cpu.Period
			}
			l.CpusetCpus = cpu.Cpus
		}
		if p := r.Pids; p != nil && p.Limit != nil {
			l.PidsLimit = *p.Limit
		}
	}
	if p := spec.Process; p != nil && p.Capabilities != nil {
		l.CapAdd = p.Capabilities.Bounding
	}
	return l
}
