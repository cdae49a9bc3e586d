package container

import (
	"context"
	"io/fs"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Prune removes every container that is not running: exited and created
// ones, except those being set up right now (created, with their name still
// reserved by a live lumper process) and those the restart monitor is about
// to restart. It also drops stale name reservations (see
// client.PruneNameReservations) and ends the shims of containers that no
// longer exist (SweepOrphanShims). It reports the IDs removed and the bytes
// freed (writable layers and logs).
func Prune(ctx context.Context, c *client.Client) (api.PruneReport, error) {
	var rep api.PruneReport
	rows, err := List(ctx, c)
	if err != nil {
		return rep, err
	}
	reservations, err := c.NameReservations(ctx)
	if err != nil {
		return rep, err
	}
	settingUp := map[string]bool{}
	for _, r := range reservations {
		if r.Alive() {
			settingUp[r.Container] = true
		}
	}
	for _, r := range rows {
		switch {
		case r.Status != StatusExited && r.Status != StatusCreated:
			continue
		case r.Status == StatusCreated && settingUp[r.ID]:
			continue
		case r.Labels[restart.StatusLabel] == "running":
			continue
		}
		size := containerSize(ctx, c, r.ID)
		if _, err := Remove(ctx, c, r.ID, false); err != nil {
			// Started or removed meanwhile: not an error for prune.
			log.G(ctx).WithError(err).Debugf("not pruning %s", client.ShortID(r.ID))
			continue
		}
		rep.Deleted = append(rep.Deleted, r.ID)
		rep.SpaceReclaimed += size
	}
	// Shims left by interrupted deletes of containers already gone (a
	// lumper killed during rm): ended by their socket and pid.
	live := map[string]bool{}
	for _, r := range rows {
		live[r.ID] = true
	}
	for _, id := range rep.Deleted {
		delete(live, id)
	}
	SweepOrphanShims(ctx, c, func(id string) bool {
		if live[id] {
			return true
		}
		// Created since the list was made: not an orphan.
		_, err := c.LoadContainer(ctx, id)
		return err == nil
	})
	if rep.ReleasedNames, err = c.PruneNameReservations(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// containerSize is what a container holds on disk: its writable layer and
// its logs.
func containerSize(ctx context.Context, c *client.Client, id string) int64 {
	return layerSize(ctx, c, id) + dirSize(ContainerDir(c, id))
}

// layerSize is the size of the writable layer of container id (its
// snapshot has the container's ID as key).
func layerSize(ctx context.Context, c *client.Client, id string) int64 {
	u, err := c.SnapshotService(c.Snapshotter).Usage(ctx, id)
	if err != nil {
		return 0
	}
	return u.Size
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}
