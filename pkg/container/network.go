package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	Aliases    []string // --network-alias: more names on a user network
}

// labelNetworkAliases holds a container's --network-alias values
// (comma-separated).
const labelNetworkAliases = "lumper.io/network-aliases"

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
	if len(o.Aliases) > 0 {
		if !network.ResolvesNames(mode) {
			return nil, nil, api.Invalidf("--network-alias needs a user-defined network (lumper network create): the %s network resolves no names, as Docker's", mode)
		}
		labels[labelNetworkAliases] = strings.Join(o.Aliases, ",")
	}
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
		detachNetwork(ctx, c, ctr)
	}
	ports, err := network.ParsePorts(info.Labels[client.LabelPublish])
	if err != nil {
		return err
	}
	_, err = network.NewStore(c.DataRoot, c.CNIPath).Attach(ctx, network.AttachRequest{
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
		Dir:   dir,
		Files: files,
		Peers: networkPeers(c, mode),
	})
	if err != nil {
		// Attach released the endpoint; a failure after Record (the files)
		// leaves labels to clear.
		detachNetwork(ctx, c, ctr)
	}
	return err
}

// detachNetwork releases the network of a container whose task is gone
// (or never started). Failures are logged: the caller is tearing down.
func detachNetwork(ctx context.Context, c *client.Client, ctr containerd.Container) {
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
	// Connected networks first: their DEL runs in the namespace that the
	// first network's release removes.
	for _, ex := range extras(info.Labels) {
		if err := releaseExtra(ctx, c, ctr, info.Labels[client.LabelNetNS], ex, false); err != nil {
			log.G(ctx).WithError(err).WithField("container", ctr.ID()).Warn("releasing connected network")
		}
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
	}, networkPeers(c, ep.Network))
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
		err = network.Detach(ctx, id, network.Endpoint{Network: mode, NetNS: ns, ConfigFile: n.ConfigFile, CNIPath: cniPath}, nil, nil)
	}
	if err != nil {
		log.G(ctx).WithError(err).WithField("container", id).Warn("releasing network of a start that was killed")
	}
}

// networkPeers lists, for the hosts files, the containers of this namespace
// that hold an address on a user network: their names, aliases and short
// IDs. nil for a network that resolves no names (the default bridge).
func networkPeers(c *client.Client, name string) func(context.Context) ([]network.Peer, error) {
	if !network.ResolvesNames(name) {
		return nil
	}
	return func(ctx context.Context) ([]network.Peer, error) {
		ctrs, err := NetworkUsers(ctx, c, name)
		if err != nil {
			return nil, err
		}
		var out []network.Peer
		for _, ctr := range ctrs {
			ip := ctr.Labels[client.LabelIP]
			if ip == "" {
				continue // not running
			}
			out = append(out, network.Peer{
				ID:    ctr.ID,
				IP:    ip,
				Names: peerNames(ctr.ID, ctr.Labels),
				Hosts: filepath.Join(ContainerDir(c, ctr.ID), "hosts"),
			})
		}
		// Containers connected to it (network connect).
		conn, err := c.ContainerService().List(ctx, "labels."+strconv.Quote(labelExtraPrefix+name))
		if err != nil {
			return nil, fmt.Errorf("listing containers connected to %q: %w", name, err)
		}
		for _, ctr := range conn {
			ex, ok := extras(ctr.Labels)[name]
			if !ok || ex.IP == "" {
				continue
			}
			names := append([]string{ctr.Labels[client.LabelName]}, ex.Aliases...)
			out = append(out, network.Peer{
				ID:    ctr.ID,
				IP:    ex.IP,
				Names: append(names, client.ShortID(ctr.ID)),
				Hosts: filepath.Join(ContainerDir(c, ctr.ID), "hosts"),
			})
		}
		return out, nil
	}
}

// peerNames are the names a container answers to on a user network, as
// Docker's DNSNames: its name, its aliases, its short ID.
func peerNames(id string, l map[string]string) []string {
	var names []string
	if n := l[client.LabelName]; n != "" {
		names = append(names, n)
	}
	names = append(names, splitList(l[labelNetworkAliases])...)
	return append(names, client.ShortID(id))
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
		conn, err := c.ContainerService().List(namespaces.WithNamespace(ctx, ns), "labels."+strconv.Quote(labelExtraPrefix+name))
		if err != nil {
			return nil, fmt.Errorf("listing containers connected to %q in namespace %q: %w", name, ns, err)
		}
		for _, ctr := range append(ctrs, conn...) {
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
	ep := &api.EndpointSettings{Gateway: ns.Gateway, IPAddress: ns.IPAddress, MacAddress: ns.MacAddress, Aliases: splitList(l[labelNetworkAliases])}
	if network.ResolvesNames(mode) {
		ep.DNSNames = peerNames(id, l)
	}
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
	for name, ex := range extras(l) {
		e := &api.EndpointSettings{NetworkID: ex.NetworkID, Gateway: ex.Gateway, IPAddress: ex.IP, MacAddress: ex.MAC,
			Aliases: ex.Aliases, EndpointID: endpointID(id, name)}
		if ex.IP != "" {
			e.IPPrefixLen = ex.Prefix
		}
		if network.ResolvesNames(name) {
			e.DNSNames = append(append([]string{l[client.LabelName]}, ex.Aliases...), client.ShortID(id))
		}
		ns.Networks[name] = e
	}
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
	if removedMeanwhile(context.WithoutCancel(ctx), c, ctr) {
		return removedWhileStarting(ctr)
	}
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
	conn, err := c.ContainerService().List(ctx, "labels."+strconv.Quote(labelExtraPrefix+n.Name))
	if err != nil {
		return api.NetworkResource{}, fmt.Errorf("listing containers connected to %q: %w", n.Name, err)
	}
	for _, u := range conn {
		ex, ok := extras(u.Labels)[n.Name]
		if !ok {
			continue
		}
		ep := api.EndpointResource{Name: u.Labels[client.LabelName], MacAddress: ex.MAC, EndpointID: endpointID(u.ID, n.Name)}
		if ex.IP != "" {
			ep.IPv4Address = fmt.Sprintf("%s/%d", ex.IP, n.Prefix())
		}
		info.Containers[u.ID] = ep
	}
	return info, nil
}

// labelExtraPrefix + network holds a connected network's endpoint (JSON
// network.Extra) while the task runs.
const labelExtraPrefix = "lumper.io/endpoint."

// extras are a container's connected networks, by network name.
func extras(l map[string]string) map[string]network.Extra {
	out := map[string]network.Extra{}
	for k, v := range l {
		name, ok := strings.CutPrefix(k, labelExtraPrefix)
		if !ok || v == "" {
			continue
		}
		var ex network.Extra
		if json.Unmarshal([]byte(v), &ex) == nil && ex.Network == name {
			out[name] = ex
		}
	}
	return out
}

// ConnectedNetworks are the networks a container joined with network
// connect, sorted (ps's NETWORKS and --filter network= add them).
func ConnectedNetworks(l map[string]string) []string {
	var out []string
	for name := range extras(l) {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// ConnectNetwork puts a running container on one more network (a new
// interface, eth1…, in its namespace), with aliases on it.
func ConnectNetwork(ctx context.Context, c *client.Client, ref, net string, aliases []string) error {
	ctr, info, err := loadContainer(ctx, c, ref)
	if err != nil {
		return err
	}
	mode := info.Labels[client.LabelNetwork]
	if mode == network.Host || mode == network.None {
		return api.Invalidf("container %s is on the %s network: it cannot be connected to another", ref, mode)
	}
	if net == network.Host || net == network.None {
		return api.Invalidf("a container cannot be connected to the %s network", net)
	}
	s := network.NewStore(c.DataRoot, c.CNIPath)
	n, err := s.Find(net)
	if err != nil {
		return err
	}
	net = n.Name
	if mode == "" {
		mode = network.Default
	}
	if _, ok := extras(info.Labels)[net]; ok || mode == net {
		return api.Invalidf("endpoint with name %s already exists in network %s", info.Labels[client.LabelName], net)
	}
	if len(aliases) > 0 && !network.ResolvesNames(net) {
		return api.Invalidf("--alias needs a user-defined network: the %s network resolves no names, as Docker's", net)
	}
	netns := info.Labels[client.LabelNetNS]
	if netns == "" {
		return api.Invalidf("container %s is not running: lumper connects running containers only", ref)
	}
	used := map[string]bool{"eth0": true}
	for _, ex := range extras(info.Labels) {
		used[ex.IfName] = true
	}
	ifName := ""
	for i := 1; ifName == ""; i++ {
		if name := fmt.Sprintf("eth%d", i); !used[name] {
			ifName = name
		}
	}
	_, err = s.Connect(ctx, network.ConnectRequest{
		ID: ctr.ID(), NetNS: netns, Network: net, IfName: ifName, Aliases: aliases,
		Record: func(ctx context.Context, ex network.Extra) error {
			b, err := json.Marshal(ex)
			if err != nil {
				return err
			}
			if _, err := ctr.SetLabels(ctx, map[string]string{labelExtraPrefix + net: string(b)}); err != nil {
				return fmt.Errorf("recording network of %s: %w", ctr.ID(), err)
			}
			return nil
		},
		Peers: networkPeers(c, net),
	})
	return err
}

// DisconnectNetwork takes a container off a network it was connected to.
func DisconnectNetwork(ctx context.Context, c *client.Client, ref, net string) error {
	ctr, info, err := loadContainer(ctx, c, ref)
	if err != nil {
		return err
	}
	if n, err := network.NewStore(c.DataRoot, c.CNIPath).Find(net); err == nil {
		net = n.Name
	}
	ex, ok := extras(info.Labels)[net]
	if !ok {
		if mode := info.Labels[client.LabelNetwork]; mode == net || mode == "" && net == network.Default {
			return api.Invalidf("container %s joined %s with --network: lumper disconnects only networks added by 'network connect'", ref, net)
		}
		return api.Invalidf("container %s is not connected to network %s", ref, net)
	}
	return releaseExtra(ctx, c, ctr, info.Labels[client.LabelNetNS], ex, true)
}

// releaseExtra runs CNI DEL of a connected network and clears its label.
func releaseExtra(ctx context.Context, c *client.Client, ctr containerd.Container, netns string, ex network.Extra, ownHosts bool) error {
	hosts := ""
	if ownHosts {
		hosts = filepath.Join(ContainerDir(c, ctr.ID()), "hosts")
	}
	return network.Disconnect(ctx, ctr.ID(), netns, ex, hosts, func(ctx context.Context) error {
		_, err := ctr.SetLabels(ctx, map[string]string{labelExtraPrefix + ex.Network: ""})
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}, networkPeers(c, ex.Network))
}

func loadContainer(ctx context.Context, c *client.Client, ref string) (containerd.Container, containers.Container, error) {
	rec, err := client.ResolveContainer(ctx, c.ContainerService(), ref)
	if err != nil {
		return nil, containers.Container{}, err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return nil, containers.Container{}, fmt.Errorf("loading container %s: %w", ref, err)
	}
	return ctr, rec, nil
}
