package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/network"
	"github.com/lumper/lumper/pkg/volume"
)

// NewContainer is a container `up` or `run` creates: the command layer
// turns the service into run's options (the same path as `lumper run`).
type NewContainer struct {
	Project *types.Project
	Service types.ServiceConfig
	Name    string            // "" for a one-off container of `run` without --name
	Labels  map[string]string // the compose labels
	Network ServiceNetwork    // the network it is created on
}

// Creator creates (but does not start) a container and returns its ID.
type Creator func(ctx context.Context, c *client.Client, nc NewContainer) (string, error)

// UpOptions are `compose up`'s.
type UpOptions struct {
	Services      []string // none: every service
	NoDeps        bool
	ForceRecreate bool
	Wait          bool          // until every service is running and healthy
	WaitTimeout   time.Duration // 0: no limit
	Create        Creator
	Progress      io.Writer // one line per container action
}

// Up creates the project's networks and volumes, then creates (or
// recreates, when their configuration changed) and starts the containers
// of each service after its dependencies met their conditions.
func Up(ctx context.Context, c *client.Client, p *types.Project, o UpOptions) error {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Wait && o.WaitTimeout > 0 {
		// The bound covers the dependencies' conditions too.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.WaitTimeout)
		defer cancel()
	}
	opts := []types.DependencyOption{types.IncludeDependencies}
	if o.NoDeps {
		opts = []types.DependencyOption{types.IgnoreDependencies}
	}
	var selected []string
	if err := p.ForEachService(o.Services, func(name string, _ *types.ServiceConfig) error {
		selected = append(selected, name)
		return nil
	}, opts...); err != nil {
		return api.Invalidf("compose: %v", err)
	}
	if err := ensureNetworks(c, p, selected); err != nil {
		return err
	}
	if err := ensureVolumes(c, p, selected); err != nil {
		return err
	}
	for _, name := range selected {
		s := p.Services[name]
		if !o.NoDeps {
			if err := waitDependencies(ctx, c, p, s); err != nil {
				return err
			}
		}
		if err := upService(ctx, c, p, s, o); err != nil {
			return err
		}
	}
	if !o.Wait {
		return nil
	}
	return waitServices(ctx, c, p, selected)
}

// upService makes the service's containers 1..scale exist with its current
// configuration, running, and removes those above its scale.
func upService(ctx context.Context, c *client.Client, p *types.Project, s types.ServiceConfig, o UpOptions) error {
	all, err := Containers(ctx, c, p.Name, s.Name)
	if err != nil {
		return err
	}
	byNumber := map[int]api.ContainerInfo{}
	for _, ci := range all {
		n, _ := strconv.Atoi(ci.Labels[LabelNumber])
		byNumber[n] = ci
	}
	scale := s.GetScale()
	hash := ConfigHash(s)
	nets := ServiceNetworks(p, s)
	for n := 1; n <= scale; n++ {
		ci, ok := byNumber[n]
		if ok && (o.ForceRecreate || ci.Labels[LabelConfigHash] != hash) {
			fmt.Fprintf(o.Progress, "Container %s  Recreate\n", ci.Name)
			if err := removeContainer(ctx, c, ci.ID); err != nil {
				return err
			}
			ok = false
		}
		if ok && ci.Status == "running" {
			fmt.Fprintf(o.Progress, "Container %s  Running\n", ci.Name)
			continue
		}
		id := ci.ID
		if !ok {
			name := ContainerName(p, s, n)
			fmt.Fprintf(o.Progress, "Container %s  Creating\n", name)
			if id, err = o.Create(ctx, c, NewContainer{Project: p, Service: s, Name: name, Labels: Labels(p, s, n, false), Network: nets[0]}); err != nil {
				return fmt.Errorf("creating container %s: %w", name, err)
			}
		}
		if err := startContainer(ctx, c, id, nets[1:]); err != nil {
			return err
		}
		fmt.Fprintf(o.Progress, "Container %s  Started\n", ContainerName(p, s, n))
	}
	for _, n := range slices.Sorted(maps.Keys(byNumber)) {
		if n > scale {
			fmt.Fprintf(o.Progress, "Container %s  Removed\n", byNumber[n].Name)
			if err := removeContainer(ctx, c, byNumber[n].ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// startContainer starts a container detached and joins its other networks.
func startContainer(ctx context.Context, c *client.Client, id string, more []ServiceNetwork) error {
	if err := container.Start(ctx, c, id, container.StartOptions{}); err != nil {
		return err
	}
	for _, n := range more {
		if err := container.ConnectNetwork(ctx, c, id, n.Name, n.Aliases); err != nil {
			return fmt.Errorf("connecting %s to network %s: %w", client.ShortID(id), n.Name, err)
		}
	}
	return nil
}

// removeContainer stops a container (its stop signal and grace period)
// and removes it with its anonymous volumes.
func removeContainer(ctx context.Context, c *client.Client, id string) error {
	if _, err := container.Stop(ctx, c, id, -1); err != nil {
		return err
	}
	_, err := container.Remove(ctx, c, id, true)
	return err
}

// usedNetworks are the project's network keys the services join.
func usedNetworks(p *types.Project, services []string) []string {
	seen := map[string]bool{}
	for _, name := range services {
		s := p.Services[name]
		if s.NetworkMode != "" {
			continue
		}
		if len(s.Networks) == 0 {
			seen["default"] = true
		}
		for k := range s.Networks {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// ensureNetworks creates the project's missing networks (labelled); an
// external one must exist.
func ensureNetworks(c *client.Client, p *types.Project, services []string) error {
	s := network.NewStore(c.DataRoot, c.CNIPath)
	nets, err := s.All()
	if err != nil {
		return err
	}
	for _, key := range usedNetworks(p, services) {
		cfg := p.Networks[key]
		name := NetworkName(p, key)
		if slices.ContainsFunc(nets, func(n *network.Network) bool { return n.Name == name }) {
			continue
		}
		if bool(cfg.External) {
			return api.Invalidf("network %s declared as external, but could not be found", name)
		}
		labels := map[string]string{LabelProject: p.Name, LabelNetwork: key}
		maps.Copy(labels, cfg.Labels)
		o := network.CreateOptions{Internal: cfg.Internal, Labels: labels}
		if len(cfg.Ipam.Config) > 0 {
			pool := cfg.Ipam.Config[0]
			o.Subnet, o.Gateway, o.IPRange = pool.Subnet, pool.Gateway, pool.IPRange
		}
		if _, err := s.Create(name, o); err != nil {
			// Another `up` of the project may have made it meanwhile.
			if n, ferr := s.Find(name); ferr == nil && n.Name == name {
				continue
			}
			return fmt.Errorf("creating network %s: %w", name, err)
		}
	}
	return nil
}

// ensureVolumes creates the project's missing named volumes (labelled);
// an external one must exist.
func ensureVolumes(c *client.Client, p *types.Project, services []string) error {
	used := map[string]bool{}
	for _, name := range services {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" {
				used[v.Source] = true
			}
		}
	}
	s := container.VolumeStore(c)
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, key := range slices.Sorted(maps.Keys(used)) {
		cfg, ok := p.Volumes[key]
		if !ok {
			continue // not a project volume: run's -v creates or finds it
		}
		name := VolumeName(p, key)
		if bool(cfg.External) {
			if _, err := s.Get(name); err != nil {
				if volume.IsNotFound(err) {
					return api.Invalidf("external volume %q not found", name)
				}
				return err
			}
			continue
		}
		labels := map[string]string{LabelProject: p.Name, LabelVolume: key}
		maps.Copy(labels, cfg.Labels)
		if _, _, err := s.Create(name, labels, false); err != nil {
			return fmt.Errorf("creating volume %s: %w", name, err)
		}
	}
	return nil
}

// Containers are the project's containers (of the given services; none:
// all), one-off `run` containers excluded, by service and number: the
// containers `ps` lists and `generate kube` can describe.
func Containers(ctx context.Context, c *client.Client, project string, services ...string) ([]api.ContainerInfo, error) {
	return listContainers(ctx, c, project, false, services)
}

func listContainers(ctx context.Context, c *client.Client, project string, oneOff bool, services []string) ([]api.ContainerInfo, error) {
	all, err := container.List(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []api.ContainerInfo
	for _, ci := range all {
		l := ci.Labels
		if l[LabelProject] != project || (!oneOff && l[LabelOneOff] == "True") {
			continue
		}
		if len(services) > 0 && !slices.Contains(services, l[LabelService]) {
			continue
		}
		out = append(out, ci)
	}
	slices.SortFunc(out, func(a, b api.ContainerInfo) int {
		if a.Labels[LabelService] != b.Labels[LabelService] {
			if a.Labels[LabelService] < b.Labels[LabelService] {
				return -1
			}
			return 1
		}
		na, _ := strconv.Atoi(a.Labels[LabelNumber])
		nb, _ := strconv.Atoi(b.Labels[LabelNumber])
		return na - nb
	})
	return out, nil
}

// ContainerIDs are the IDs of the project's containers (Containers).
func ContainerIDs(ctx context.Context, c *client.Client, project string, services ...string) ([]string, error) {
	cs, err := Containers(ctx, c, project, services...)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, ci := range cs {
		ids[i] = ci.ID
	}
	return ids, nil
}

// OneOffOptions are `compose run`'s.
type OneOffOptions struct {
	Name     string // "": PROJECT-SERVICE-run-RANDOM
	NoDeps   bool
	Create   Creator
	Progress io.Writer
}

// PrepareOneOff readies `compose run` of service s: the project's networks
// and volumes, the service's dependencies up and meeting their conditions
// (unless NoDeps); it returns the one-off container to create.
func PrepareOneOff(ctx context.Context, c *client.Client, p *types.Project, s types.ServiceConfig, o OneOffOptions) (NewContainer, error) {
	if err := ensureNetworks(c, p, []string{s.Name}); err != nil {
		return NewContainer{}, err
	}
	if err := ensureVolumes(c, p, []string{s.Name}); err != nil {
		return NewContainer{}, err
	}
	if deps := sortedDeps(s); len(deps) > 0 && !o.NoDeps {
		var present []string
		for _, d := range deps {
			if _, ok := p.Services[d]; ok {
				present = append(present, d)
			}
		}
		if err := Up(ctx, c, p, UpOptions{Services: present, Create: o.Create, Progress: o.Progress}); err != nil {
			return NewContainer{}, err
		}
		if err := waitDependencies(ctx, c, p, s); err != nil {
			return NewContainer{}, err
		}
	}
	name := o.Name
	if name == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name = p.Name + "-" + s.Name + "-run-" + hex.EncodeToString(b)
	}
	// A one-off container does not answer to the service's names.
	net := ServiceNetworks(p, s)[0]
	net.Aliases = nil
	return NewContainer{Project: p, Service: s, Name: name, Labels: Labels(p, s, 1, true), Network: net}, nil
}
