package container

import (
	"context"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// DiskUsage sums up what lumper's images, containers and logs hold on disk,
// and how much of it a prune could free (`lumper system df`):
//   - Images: content blobs and unpacked layers, shared ones counted once;
//     an image is active if a container was created from it.
//   - Containers: their writable layers; running and paused ones are active.
//   - Local Volumes: the volumes' files; a volume is active if a container
//     (of any namespace) mounts it.
//   - Logs: the containers' log files, under lumper's data root.
func DiskUsage(ctx context.Context, c *client.Client) ([]api.DiskUsage, error) {
	fps, err := images.Footprints(ctx, c)
	if err != nil {
		return nil, err
	}
	used, err := images.UsedImages(ctx, c)
	if err != nil {
		return nil, err
	}
	imgs := api.DiskUsage{Type: "Images", Total: len(fps)}
	all, active := images.NewFootprint(), images.NewFootprint()
	for name, fp := range fps {
		all.Add(fp)
		if used[name] {
			imgs.Active++
			active.Add(fp)
		}
	}
	imgs.Size = all.Size()
	imgs.Reclaimable = imgs.Size - active.Size()

	rows, err := List(ctx, c)
	if err != nil {
		return nil, err
	}
	ctrs := api.DiskUsage{Type: "Containers", Total: len(rows)}
	logs := api.DiskUsage{Type: "Logs", Total: len(rows)}
	for _, r := range rows {
		layer := layerSize(ctx, c, r.ID)
		logSize := dirSize(ContainerDir(c, r.ID))
		ctrs.Size += layer
		logs.Size += logSize
		if r.Status == StatusRunning || r.Status == StatusPaused {
			ctrs.Active++
			logs.Active++
			continue
		}
		ctrs.Reclaimable += layer
		logs.Reclaimable += logSize
	}
	vols, err := ListVolumes(ctx, c, true)
	if err != nil {
		return nil, err
	}
	vu := api.DiskUsage{Type: "Local Volumes", Total: len(vols)}
	for _, v := range vols {
		vu.Size += v.Size
		if len(v.Users) > 0 {
			vu.Active++
		} else {
			vu.Reclaimable += v.Size
		}
	}
	return []api.DiskUsage{imgs, ctrs, vu, logs}, nil
}
