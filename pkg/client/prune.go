package client

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
)

// nameLeasePrefix starts the ID of every name reservation (see nameLeaseID).
const nameLeasePrefix = "lumper-name."

// NameReservation is a name lease as `prune` sees it.
type NameReservation struct {
	Name      string
	Container string // the container the name was reserved for
	Owner     string // the process that reserved it (see LabelLeaseOwner)
}

// NameReservations lists the name leases of the namespace.
func (c *Client) NameReservations(ctx context.Context) ([]NameReservation, error) {
	ls, err := c.LeasesService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing leases: %w", err)
	}
	var out []NameReservation
	for _, l := range ls {
		if strings.HasPrefix(l.ID, nameLeasePrefix) {
			out = append(out, NameReservation{Name: l.Labels[LabelName], Container: l.Labels[LabelLeaseContainer], Owner: l.Labels[LabelLeaseOwner]})
		}
	}
	return out, nil
}

// Alive reports whether the process that made the reservation still runs.
func (r NameReservation) Alive() bool { return ownerAlive(r.Owner) }

// PruneNameReservations deletes the stale name leases: those whose
// container does not exist and whose owner process is dead (a lumper that
// crashed while creating a container). Such a lease is harmless, since
// ReserveName takes it over, but it keeps the half-made snapshot it guarded
// until it expires. It returns the names released.
func (c *Client) PruneNameReservations(ctx context.Context) ([]string, error) {
	ls, err := c.LeasesService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing leases: %w", err)
	}
	var released []string
	for _, l := range ls {
		if !strings.HasPrefix(l.ID, nameLeasePrefix) || ownerAlive(l.Labels[LabelLeaseOwner]) {
			continue
		}
		if holder := l.Labels[LabelLeaseContainer]; holder != "" {
			_, err := c.ContainerService().Get(ctx, holder)
			if err == nil {
				continue
			}
			if !errdefs.IsNotFound(err) {
				return released, fmt.Errorf("checking holder of lease %s: %w", l.ID, err)
			}
		}
		// ReserveName may have taken the lease over meanwhile: delete it only
		// if it is still the dead owner's.
		now, err := c.LeasesService().List(ctx, "id=="+l.ID)
		if err != nil {
			return released, fmt.Errorf("reading lease %s: %w", l.ID, err)
		}
		if len(now) == 0 || now[0].Labels[LabelLeaseOwner] != l.Labels[LabelLeaseOwner] {
			continue
		}
		if err := c.LeasesService().Delete(ctx, leases.Lease{ID: l.ID}); err != nil && !errdefs.IsNotFound(err) {
			return released, fmt.Errorf("deleting stale lease %s: %w", l.ID, err)
		}
		released = append(released, l.Labels[LabelName])
	}
	return released, nil
}
