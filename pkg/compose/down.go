package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/network"
)

// DownOptions are `compose down`'s.
type DownOptions struct {
	Volumes       bool // -v: the project's named volumes and the containers' anonymous ones
	RemoveOrphans bool // containers of services the files no longer declare
	Progress      io.Writer
}

// Down stops and removes the project's containers (one-off ones too), then
// its networks, and with Volumes its volumes. p may be a project whose
// files are gone (only a name): then every container of it is removed.
func Down(ctx context.Context, c *client.Client, p *types.Project, o DownOptions) error {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	cs, err := listContainers(ctx, c, p.Name, true, nil)
	if err != nil {
		return err
	}
	var remove []api.ContainerInfo
	orphans := 0
	for _, ci := range cs {
		if _, ok := p.Services[ci.Labels[LabelService]]; ok || o.RemoveOrphans || len(p.Services) == 0 {
			remove = append(remove, ci)
		} else {
			orphans++
		}
	}
	if err := removeAll(ctx, c, remove, o.Volumes, o.Progress); err != nil {
		return err
	}
	var errs []error
	if orphans == 0 {
		errs = append(errs, removeNetworks(ctx, c, p.Name, o.Progress))
	} else {
		fmt.Fprintf(o.Progress, "Found %d orphan container(s) for this project: networks kept (use --remove-orphans)\n", orphans)
	}
	if o.Volumes {
		errs = append(errs, removeVolumes(ctx, c, p, o.Progress))
	}
	return errors.Join(errs...)
}

// removeAll stops (in parallel: each may wait its grace period) and
// removes containers, with their anonymous volumes if volumes is set.
func removeAll(ctx context.Context, c *client.Client, cs []api.ContainerInfo, volumes bool, progress io.Writer) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, ci := range cs {
		wg.Go(func() {
			if err := removeContainer(ctx, c, ci.ID); err != nil {
				errs[i] = fmt.Errorf("removing container %s: %w", ci.Name, err)
				return
			}
			if volumes {
				errs[i] = container.RemoveAnonymousVolumes(ctx, c, ci.Labels)
			}
		})
	}
	wg.Wait()
	for _, ci := range cs {
		fmt.Fprintf(progress, "Container %s  Removed\n", ci.Name)
	}
	return errors.Join(errs...)
}

// Stop stops containers in parallel, each with its stop signal and grace
// period.
func Stop(ctx context.Context, c *client.Client, cs []api.ContainerInfo, progress io.Writer) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, ci := range cs {
		wg.Go(func() {
			if _, err := container.Stop(ctx, c, ci.ID, -1); err != nil {
				errs[i] = fmt.Errorf("stopping container %s: %w", ci.Name, err)
			}
		})
	}
	wg.Wait()
	for i, ci := range cs {
		if errs[i] == nil {
			fmt.Fprintf(progress, "Container %s  Stopped\n", ci.Name)
		}
	}
	return errors.Join(errs...)
}

// removeNetworks removes the networks labelled as the project's.
func removeNetworks(ctx context.Context, c *client.Client, project string, progress io.Writer) error {
	s := network.NewStore(c.DataRoot, c.CNIPath)
	nets, err := s.All()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nets {
		if n.Labels[LabelProject] != project {
			continue
		}
		users, err := container.AllNetworkUsers(ctx, c, n.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(users) > 0 {
			fmt.Fprintf(progress, "Network %s  Kept: in use by %s\n", n.Name, client.ShortID(users[0].ID))
			continue
		}
		if err := s.Remove(n.Name); err != nil {
			errs = append(errs, fmt.Errorf("removing network %s: %w", n.Name, err))
			continue
		}
		fmt.Fprintf(progress, "Network %s  Removed\n", n.Name)
	}
	return errors.Join(errs...)
}

// removeVolumes removes the volumes labelled as the project's (external
// ones never are).
func removeVolumes(ctx context.Context, c *client.Client, p *types.Project, progress io.Writer) error {
	vols, err := container.VolumeStore(c).List()
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range vols {
		if v.Labels[LabelProject] != p.Name {
			continue
		}
		if err := container.RemoveVolume(ctx, c, v.Name, true); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(progress, "Volume %s  Removed\n", v.Name)
	}
	return errors.Join(errs...)
}
