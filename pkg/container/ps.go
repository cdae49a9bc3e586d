package container

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/view"
)

// PSOptions say what `ps` lists and what it must read beyond the list.
type PSOptions struct {
	Query view.ContainerQuery
	// Size reads each listed container's writable layer size (ps -s).
	Size bool
	// Mounts reads each listed container's mounts from its spec.
	Mounts bool
}

// PS returns the containers `ps` shows, newest first: the two list calls,
// Docker's filters, then the per-container reads the options ask for.
func PS(ctx context.Context, c *client.Client, o PSOptions) ([]view.Container, error) {
	rows, recs, err := list(ctx, c)
	if err != nil {
		return nil, err
	}
	all := make([]view.Container, len(rows))
	byID := make(map[string]containers.Container, len(recs))
	for i, r := range rows {
		all[i] = psContainer(r, recs[i])
		if all[i].Running() {
			// One small file read per running container with a health check.
			all[i].Health = HealthStatus(c, r.ID, recs[i].Labels, r.PID)
		}
		byID[r.ID] = recs[i]
	}
	q := o.Query
	if q.Filters.Has("ancestor") {
		q.Ancestor = ancestorMatcher(ctx, c)
	}
	if q.Filters.Has("volume") {
		for i := range all {
			all[i].Mounts, all[i].MountPoints = specMounts(byID[all[i].ID])
		}
	}
	out, err := view.SelectContainers(all, q)
	if err != nil {
		return nil, api.Invalidf("%v", err)
	}
	var imageSizes map[string]int64
	if o.Size {
		imageSizes = map[string]int64{}
		if imgs, err := images.List(ctx, c); err == nil {
			for _, i := range imgs {
				imageSizes[i.Name] = i.Size
			}
		}
	}
	for i := range out {
		rec := byID[out[i].ID]
		if o.Mounts && out[i].Mounts == nil {
			out[i].Mounts, out[i].MountPoints = specMounts(rec)
		}
		if o.Size {
			out[i].SizeRw = layerSize(ctx, c, out[i].ID)
			if is, ok := imageSizes[rec.Image]; ok {
				out[i].SizeRootFs = out[i].SizeRw + is
			}
		}
	}
	return out, nil
}

// psContainer is what ps shows of a list row and its record.
func psContainer(r api.ContainerInfo, rec containers.Container) view.Container {
	v := view.Container{
		ID:         r.ID,
		Name:       r.Name,
		Image:      r.Image,
		ImageName:  rec.Image,
		Command:    r.Command,
		Created:    r.Created,
		ExitCode:   r.ExitCode,
		StartedAt:  labelTime(rec.Labels[client.LabelStartedAt]),
		FinishedAt: labelTime(rec.Labels[client.LabelFinishedAt]),
		Ports:      r.Ports,
		Labels:     client.UserLabels(rec.Labels),
		Volumes:    len(Volumes(rec.Labels)),
	}
	switch r.Status {
	case StatusRunning:
		v.State = view.StateRunning
	case StatusPaused:
		v.State = view.StatePaused
	case StatusCreated:
		v.State = view.StateCreated
	case StatusExited:
		v.State = view.StateExited
		if hasRestartPolicy(rec.Labels) && rec.Labels[restart.StatusLabel] == string(containerd.Running) {
			v.State = view.StateRestarting
		}
	default:
		v.State = view.StateUnknown
	}
	switch n := rec.Labels[client.LabelNetwork]; n {
	case "":
		v.Networks = []string{"bridge"}
	default:
		v.Networks = []string{n}
	}
	v.Networks = append(v.Networks, ConnectedNetworks(rec.Labels)...)
	return v
}

// labelTime reads a time label (RFC 3339); zero when absent.
func labelTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// filesMounts are the bind mounts lumper gives every networked container.
var filesMounts = []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}

// specMounts are the sources of the mounts a user gave a container (a
// volume's name, a bind's host path), and where they are mounted.
func specMounts(rec containers.Container) (sources, destinations []string) {
	if rec.Spec == nil {
		return nil, nil
	}
	var spec specs.Spec
	if err := json.Unmarshal(rec.Spec.GetValue(), &spec); err != nil {
		return nil, nil
	}
	vols := Volumes(rec.Labels)
	for _, m := range spec.Mounts {
		bind := m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
		if !bind || slices.Contains(filesMounts, m.Destination) || m.Destination == "/sys/fs/cgroup" {
			continue
		}
		if v, ok := volumeOfMount(vols, m.Destination); ok {
			sources = append(sources, v.Name) // Docker shows a volume's name
		} else {
			sources = append(sources, m.Source)
		}
		destinations = append(destinations, m.Destination)
	}
	return sources, destinations
}

// ancestorMatcher matches --filter ancestor= values against containers'
// images: the value as the container's image was given, or the image the
// value names (a reference or an ID), by image ID, so that every tag of an
// image matches.
func ancestorMatcher(ctx context.Context, c *client.Client) func(string, view.Container) bool {
	var ids map[string]string // containerd image name -> image ID
	resolved := map[string]string{}
	return func(value string, ctr view.Container) bool {
		if value == ctr.Image || value == ctr.ImageName {
			return true
		}
		if ids == nil {
			ids = map[string]string{}
			if imgs, err := images.List(ctx, c); err == nil {
				for _, i := range imgs {
					ids[i.Name] = i.ID
				}
			}
		}
		id, ok := resolved[value]
		if !ok {
			if img, err := images.Resolve(ctx, c, value); err == nil {
				id = ids[img.Name]
			}
			resolved[value] = id
		}
		return id != "" && ids[ctr.ImageName] == id
	}
}
