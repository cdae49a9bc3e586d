package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/containerd/typeurl/v2"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/network"
)

// NetworkOptions are a new container's network flags, checked by the
// command layer (network.ParsePublish, ParseDNS, ParseAddHost).
type NetworkOptions struct {
	Network    string     // "" or network.Default, None, Host, or a user network
	Publish    []api.Port // -p
	PublishAll bool       // -P: the image's EXPOSE ports on chosen host ports
	DNS        []string
	AddHosts   []string
}

// How a container gets its network. Create checks the network and ports
// and points the spec at the network namespace NetNSPath(id) and at the
// container's hosts, hostname and resolv.conf, which do not exist yet.
// Every start (attachNetwork) creates the namespace, runs the CNI plugins
// and writes the files; the end of every task (reapTask, removeContainer,
// a failed start) releases it (detachNetwork), using only the container's
// labels, so that any lumper process can: `stop`, `rm`, the logger's
// `internal-reap`, or a later `rm -f` after containerd was restarted.

// prepareNetwork checks the network options of a new container and returns
// its spec options and labels. Nothing is set up yet.
func prepareNetwork(ctx context.Context, c *client.Client, id string, exposed map[string]struct{}, o NetworkOptions) ([]oci.SpecOpts, map[string]string, error) {
	mode := o.Network
	if mode == "" {
		mode = network.Default
	}
	labels := map[string]string{client.LabelNetwork: mode}
	if mode == network.Host {
		if len(o.Publish) > 0 {
			return nil, nil, api.Invalidf("-p/--publish needs a bridge network: with --network host the container's ports are the host's")
		}
		if len(o.DNS) > 0 || len(o.AddHosts) > 0 {
			return nil, nil, api.Invalidf("--dns and --add-host need a container network: with --network host the container uses the host's /etc/resolv.conf and /etc/hosts")
		}
		return nil, labels, nil // pkg/spec joins the host's namespace
	}
	if len(o.DNS) > 0 {
		labels[client.LabelDNS] = strings.Join(o.DNS, ",")
	}
	if len(o.AddHosts) > 0 {
		labels[client.LabelAddHost] = strings.Join(o.AddHosts, ",")
	}
	opts := []oci.SpecOpts{oci.WithMounts(network.FileMounts(ContainerDir(c, id)))}
	if mode == network.None {
		if len(o.Publish) > 0 {
			return nil, nil, api.Invalidf("-p/--publish needs a bridge network: a --network none container has only loopback")
		}
		return opts, labels, nil // containerd's default spec: a new namespace, loopback only
	}
	if _, err := network.NewStore(c.DataRoot, c.CNIPath).Get(mode); err != nil {
		return nil, nil, err
	}
	ports := slices.Clone(o.Publish)
	if o.PublishAll {
		for _, p := range network.ExposedPorts(exposed) {
			if !slices.ContainsFunc(ports, func(q api.Port) bool { return q.ContainerPort == p.ContainerPort && q.Protocol == p.Protocol }) {
				ports = append(ports, p)
			}
		}
	}
	if len(ports) > 0 {
		// Checked again, under the network lock, when the container starts.
		busy, err := busyPorts(ctx, c, id)
		if err != nil {
			return nil, nil, err
		}
		if err := network.CheckPorts(ports, busy); err != nil {
			return nil, nil, err
		}
		labels[client.LabelPublish] = network.FormatPorts(ports)
	}
	opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: network.NetNSPath(id)}))
	return opts, labels, nil
}

// attachNetwork sets up the network of a container about to start.
func attachNetwork(ctx context.Context, c *client.Client, ctr containerd.Container) error {
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return fmt.Errorf("reading container %s: %w", ctr.ID(), err)
	}
	mode := info.Labels[client.LabelNetwork]
	if mode == "" || mode == network.Host {
		return nil // created before lumper had networks, or the host's
	}
	files := network.Files{
		Hostname: hostnameOf(info),
		DNS:      splitList(info.Labels[client.LabelDNS]),
		AddHosts: splitList(info.Labels[client.LabelAddHost]),
	}
	dir := ContainerDir(c, ctr.ID())
	if mode == network.None {
		return network.WriteFiles(dir, files)
	}
	if info.Labels[client.LabelNetNS] != "" {
		// The last task's network was never released (lumper was killed).
		detachNetwork(ctx, ctr)
	}
	ports, err := network.ParsePorts(info.Labels[client.LabelPublish])
	if err != nil {
		return err
	}
	ep, err := network.NewStore(c.DataRoot, c.CNIPath).Attach(ctx, network.AttachRequest{
		ID:      ctr.ID(),
		Network: mode,
		Ports:   ports,
		Busy:    func(ctx context.Context) ([]api.Port, error) { return busyPorts(ctx, c, ctr.ID()) },
		Record: func(ctx context.Context, ep network.Endpoint) error {
			if _, err := ctr.SetLabels(ctx, endpointLabels(ep)); err != nil {
				return fmt.Errorf("recording network of %s: %w", ctr.ID(), err)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	files.IP, files.Gateway = ep.IP, ep.Gateway
	if err := network.WriteFiles(dir, files); err != nil {
		detachNetwork(ctx, ctr)
		return err
	}
	return nil
}

// detachNetwork releases the network of a container whose task is gone
// (or never started). Failures are logged: the caller is tearing down.
func detachNetwork(ctx context.Context, ctr containerd.Container) {
	ctx = context.WithoutCancel(ctx)
	cached, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err == nil {
		if m := cached.Labels[client.LabelNetwork]; m == "" || m == network.None || m == network.Host {
			return
		}
	}
	info, err := ctr.Info(ctx) // the endpoint labels were set after loading
	if err != nil {
		if !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).Warn("reading network of container")
		}
		return
	}
	ep, ok := endpointFromLabels(info.Labels)
	if !ok {
		return
	}
	err = network.Detach(ctx, ctr.ID(), ep, func(ctx context.Context) error {
		_, err := ctr.SetLabels(ctx, clearedEndpointLabels())
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		log.G(ctx).WithError(err).WithField("container", ctr.ID()).Warn("releasing network")
	}
}

// releaseUnrecordedNetwork releases the network namespace of container id
// that no label records: a start killed during CNI ADD leaves the namespace,
// its veth and its address lease, but not yet the endpoint labels that
// detachNetwork reads. Called when the container is removed.
func releaseUnrecordedNetwork(ctx context.Context, c *client.Client, id, mode string) {
	ns := network.NetNSPath(id)
	if mode == "" || mode == network.None || mode == network.Host {
		return
	}
	if _, err := os.Lstat(ns); err != nil {
		return // none, or released by detachNetwork
	}
	ctx = context.WithoutCancel(ctx)
	n, err := network.NewStore(c.DataRoot, c.CNIPath).Get(mode)
	if err == nil {
		cniPath := c.CNIPath
		if cniPath == "" {
			cniPath = network.DefaultCNIPath
		}
		err = network.Detach(ctx, id, network.Endpoint{Network: mode, NetNS: ns, ConfigFile: n.ConfigFile, CNIPath: cniPath}, nil)
	}
	if err != nil {
		log.G(ctx).WithError(err).WithField("container", id).Warn("releasing network of a start that was killed")
	}
}

func endpointLabels(ep network.Endpoint) map[string]string {
	return map[string]string{
		client.LabelNetNS:   ep.NetNS,
		client.LabelIP:      ep.IP,
		client.LabelGateway: ep.Gateway,
		client.LabelMAC:     ep.MAC,
		client.LabelPorts:   network.FormatPorts(ep.Ports),
		client.LabelCNIConf: ep.ConfigFile,
		client.LabelCNIPath: ep.CNIPath,
	}
}

func clearedEndpointLabels() map[string]string {
	l := endpointLabels(network.Endpoint{})
	for k := range l {
		l[k] = ""
	}
	return l
}

func endpointFromLabels(l map[string]string) (network.Endpoint, bool) {
	if l[client.LabelNetNS] == "" || l[client.LabelCNIConf] == "" {
		return network.Endpoint{}, false
	}
	ports, err := network.ParsePorts(l[client.LabelPorts])
	if err != nil {
		ports = nil // portmap's DEL finds its chains by container ID anyway
	}
	return network.Endpoint{
		Network:    l[client.LabelNetwork],
		NetNS:      l[client.LabelNetNS],
		IP:         l[client.LabelIP],
		Gateway:    l[client.LabelGateway],
		MAC:        l[client.LabelMAC],
		Ports:      ports,
		ConfigFile: l[client.LabelCNIConf],
		CNIPath:    l[client.LabelCNIPath],
	}, true
}

// busyPorts returns the ports published by running containers other than
// self, in every namespace of this containerd (host ports are the host's).
func busyPorts(ctx context.Context, c *client.Client, self string) ([]api.Port, error) {
	nss, err := c.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	var out []api.Port
	for _, ns := range nss {
		ctrs, err := c.ContainerService().List(namespaces.WithNamespace(ctx, ns), "labels."+strconv.Quote(client.LabelPorts))
		if err != nil {
			return nil, fmt.Errorf("listing containers with published ports: %w", err)
		}
		for _, ctr := range ctrs {
			if ctr.ID == self {
				continue
			}
			ports, err := network.ParsePorts(ctr.Labels[client.LabelPorts])
			if err != nil {
				log.G(ctx).WithError(err).WithField("container", ctr.ID).Warn("reading published ports")
				continue
			}
			out = append(out, ports...)
		}
	}
	return out, nil
}

// NetworkUsers returns the containers (of this namespace) created on a
// network.
func NetworkUsers(ctx context.Context, c *client.Client, name string) ([]containers.Container, error) {
	ctrs, err := c.ContainerService().List(ctx, networkFilter(name))
	if err != nil {
		return nil, fmt.Errorf("listing containers on network %q: %w", name, err)
	}
	return ctrs, nil
}

// NetworkUser is a container on a network, with its namespace.
type NetworkUser struct {
	Namespace string
	containers.Container
}

// AllNetworkUsers returns the containers created on a network in every
// namespace of this containerd: networks belong to the data root, which
// all namespaces share. Those of the namespace of ctx come first.
func AllNetworkUsers(ctx context.Context, c *client.Client, name string) ([]NetworkUser, error) {
	nss, err := c.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	if cur, ok := namespaces.Namespace(ctx); ok {
		if i := slices.Index(nss, cur); i > 0 {
			nss = append(append([]string{cur}, nss[:i]...), nss[i+1:]...)
		}
	}
	var out []NetworkUser
	for _, ns := range nss {
		ctrs, err := c.ContainerService().List(namespaces.WithNamespace(ctx, ns), networkFilter(name))
		if err != nil {
			return nil, fmt.Errorf("listing containers on network %q in namespace %q: %w", name, ns, err)
		}
		for _, ctr := range ctrs {
			out = append(out, NetworkUser{Namespace: ns, Container: ctr})
		}
	}
	return out, nil
}

func networkFilter(name string) string {
	return "labels." + strconv.Quote(client.LabelNetwork) + "==" + strconv.Quote(name)
}

// networkSettings is the network part of inspect: the container's network
// (its addresses and ports while it runs) under Networks.<name>, and at the
// top as Docker shows the default bridge's (lumper fills them for every
// network: a container has one).
func networkSettings(l map[string]string, id string, n *network.Network) api.NetworkSettings {
	ports, _ := network.ParsePorts(l[client.LabelPorts])
	mode := l[client.LabelNetwork]
	if mode == "" {
		mode = network.Default
	}
	ns := api.NetworkSettings{
		SandboxKey: l[client.LabelNetNS],
		Ports:      network.PortMap(ports, true),
		Gateway:    l[client.LabelGateway],
		IPAddress:  l[client.LabelIP],
		MacAddress: l[client.LabelMAC],
		Networks:   map[string]*api.EndpointSettings{},
	}
	if ns.SandboxKey != "" {
		ns.SandboxID = id
	}
	ep := &api.EndpointSettings{Gateway: ns.Gateway, IPAddress: ns.IPAddress, MacAddress: ns.MacAddress}
	if n != nil {
		ep.NetworkID = n.ID
		if ns.IPAddress != "" {
			ns.IPPrefixLen, ep.IPPrefixLen = n.Prefix(), n.Prefix()
		}
		if n.Driver == "bridge" && ns.SandboxKey != "" {
			ns.Bridge = n.Bridge
		}
	}
	if ns.IPAddress != "" {
		ep.EndpointID = endpointID(id, mode)
		ns.EndpointID = ep.EndpointID
	}
	ns.Networks[mode] = ep
	return ns
}

// endpointID is a stable 64-hex ID of a container's place on a network.
func endpointID(ctrID, net string) string {
	sum := sha256.Sum256([]byte("lumper endpoint\n" + ctrID + "\n" + net))
	return hex.EncodeToString(sum[:])
}

func hostnameOf(info containers.Container) string {
	if info.Spec != nil {
		var s specs.Spec
		if err := typeurl.UnmarshalTo(info.Spec, &s); err == nil && s.Hostname != "" {
			return s.Hostname
		}
	}
	return client.ShortID(info.ID)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// networkFailed ends a start whose network could not be set up: the
// container is removed when asked (run), and the error returned as it is
// (a port conflict is the user's to fix, not a runtime failure).
func networkFailed(ctx context.Context, c *client.Client, ctr containerd.Container, remove bool, err error) error {
	if remove {
		if rerr := removeAutoContainer(context.WithoutCancel(ctx), c, ctr); rerr != nil {
			log.G(ctx).WithError(rerr).Warn("removing container after failed network setup")
		}
	}
	return err
}

// InspectNetwork describes a network (a name, ID or ID prefix) as Docker's
// network inspect does, with the containers (of this namespace) on it; the
// addresses are those of running containers. A missing network is a
// *network.NotFoundError.
func InspectNetwork(ctx context.Context, c *client.Client, s *network.Store, ref string) (api.NetworkResource, error) {
	n, err := s.Find(ref)
	if err != nil {
		return api.NetworkResource{}, err
	}
	info := n.Resource()
	users, err := NetworkUsers(ctx, c, n.Name)
	if err != nil {
		return api.NetworkResource{}, err
	}
	for _, u := range users {
		ep := api.EndpointResource{
			Name:       u.Labels[client.LabelName],
			MacAddress: u.Labels[client.LabelMAC],
		}
		if ip := u.Labels[client.LabelIP]; ip != "" {
			ep.IPv4Address = fmt.Sprintf("%s/%d", ip, n.Prefix())
			ep.EndpointID = endpointID(u.ID, n.Name)
		}
		info.Containers[u.ID] = ep
	}
	return info, nil
}
