package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gocni "github.com/containerd/go-cni"
	"github.com/containerd/log"
	"github.com/vishvananda/netlink"

	"github.com/lumper/lumper/pkg/api"
)

// Endpoint is a container's place on a network while it runs: everything
// needed to release it later, from any lumper process.
type Endpoint struct {
	Network    string
	NetNS      string // the network namespace's path
	IP         string
	Gateway    string
	MAC        string
	Ports      []api.Port // with their host ports chosen
	ConfigFile string     // the CNI configuration list used
	CNIPath    string     // the plugin directories used (colon-separated)
}

// AttachRequest asks for a container to be put on a network.
type AttachRequest struct {
	ID      string
	Network string
	Ports   []api.Port // host port 0: chosen here
	// Busy returns the ports other containers publish; it is called under
	// the network lock.
	Busy func(context.Context) ([]api.Port, error)
	// Record stores the endpoint (the container's labels); it is called
	// under the network lock so that the next Busy sees the ports.
	Record func(context.Context, Endpoint) error
	// Dir and Files: the container's hosts, hostname and resolv.conf, written
	// into Dir under the network lock once the address is known (Files' IP,
	// Gateway and Peers are filled here).
	Dir   string
	Files Files
	// Peers lists the containers running on the network, this one
	// included once recorded; nil on a network that resolves no names.
	// Their hosts files are rewritten with each other's names.
	Peers func(context.Context) ([]Peer, error)
}

// Attach creates the container's network namespace at NetNSPath(ID), runs
// the network's CNI plugins in it (loopback, bridge with an address,
// published ports, firewall) and records the result. On failure nothing is
// left: no namespace, veth, address or iptables rule.
func (s *Store) Attach(ctx context.Context, r AttachRequest) (_ Endpoint, retErr error) {
	n, err := s.Get(r.Network)
	if err != nil {
		return Endpoint{}, err
	}
	if err := s.checkPlugins(); err != nil {
		return Endpoint{}, err
	}
	unlock, err := lock(s.dir)
	if err != nil {
		return Endpoint{}, err
	}
	defer unlock()
	if err := ensureMasquerade(ctx, n); err != nil {
		return Endpoint{}, err
	}
	ports := r.Ports
	if len(ports) > 0 {
		busy, err := r.Busy(ctx)
		if err != nil {
			return Endpoint{}, err
		}
		if err := CheckPorts(ports, busy); err != nil {
			return Endpoint{}, err
		}
		if ports, err = allocate(ports, busy); err != nil {
			return Endpoint{}, err
		}
	}
	ep := Endpoint{
		Network:    n.Name,
		NetNS:      NetNSPath(r.ID),
		Ports:      ports,
		ConfigFile: n.ConfigFile,
		CNIPath:    strings.Join(s.pluginDirs, ":"),
	}
	if IsNetNS(ep.NetNS) {
		// Left by a start that never released it (lumper killed meanwhile).
		if err := release(ctx, r.ID, ep); err != nil {
			return Endpoint{}, err
		}
	}
	if err := createNetNS(ep.NetNS); err != nil {
		return Endpoint{}, err
	}
	defer func() {
		if retErr != nil {
			if err := release(context.WithoutCancel(ctx), r.ID, ep); err != nil {
				log.G(ctx).WithError(err).Warn("releasing network after failed attach")
			}
		}
	}()
	cni, err := newCNI(n.conf, s.pluginDirs, len(ports) > 0)
	if err != nil {
		return Endpoint{}, err
	}
	res, err := cni.Setup(ctx, r.ID, ep.NetNS, portOpts(ports)...)
	if err != nil {
		return Endpoint{}, fmt.Errorf("setting up network %q: %w", n.Name, err)
	}
	if eth, ok := res.Interfaces["eth0"]; ok {
		ep.MAC = eth.Mac
		for _, ipc := range eth.IPConfigs {
			if ip := ipc.IP.To4(); ip != nil {
				ep.IP = ip.String()
				if ipc.Gateway != nil {
					ep.Gateway = ipc.Gateway.String()
				}
				break
			}
		}
	}
	if ep.IP == "" {
		return Endpoint{}, fmt.Errorf("setting up network %q: the plugins returned no IPv4 address", n.Name)
	}
	if err := r.Record(ctx, ep); err != nil {
		return Endpoint{}, err
	}
	if r.Dir != "" {
		files := r.Files
		files.IP, files.Gateway, files.Network = ep.IP, ep.Gateway, n.Name
		if r.Peers != nil {
			if files.Peers, err = r.Peers(ctx); err != nil {
				return Endpoint{}, err
			}
		}
		if err := WriteFiles(r.Dir, files); err != nil {
			return Endpoint{}, err
		}
		if err := UpdateHosts(ctx, n.Name, files.Peers); err != nil {
			log.G(ctx).WithError(err).Warn("updating the names of the network's containers")
		}
	}
	return ep, nil
}

// Detach releases an endpoint: CNI DEL (address lease, veth, port and
// firewall rules) and the network namespace, then calls done (which clears
// the container's labels) under the network lock, and rewrites the hosts
// files of the containers still on the network (peers, nil on a network
// without names). Releasing twice is harmless.
func Detach(ctx context.Context, id string, ep Endpoint, done func(context.Context) error, peers func(context.Context) ([]Peer, error)) error {
	if ep.ConfigFile == "" {
		return nil
	}
	unlock, err := lock(filepath.Dir(ep.ConfigFile))
	if err != nil {
		return err
	}
	defer unlock()
	if err := release(ctx, id, ep); err != nil {
		return err
	}
	if done != nil {
		if err := done(ctx); err != nil {
			return err
		}
	}
	if err := refreshNetwork(ctx, ep.Network, peers); err != nil {
		log.G(ctx).WithError(err).Warn("updating the names of the network's containers")
	}
	return nil
}

// release runs CNI DEL with what ADD was given and removes the namespace.
func release(ctx context.Context, id string, ep Endpoint) error {
	conf, err := os.ReadFile(ep.ConfigFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			log.G(ctx).WithField("config", ep.ConfigFile).Warn("network configuration gone: removing only the network namespace")
			return removeNetNS(ep.NetNS)
		}
		return fmt.Errorf("reading network configuration: %w", err)
	}
	cni, err := newCNI(conf, filepath.SplitList(ep.CNIPath), len(ep.Ports) > 0)
	if err != nil {
		return err
	}
	path := ep.NetNS
	if !IsNetNS(path) {
		path = "" // the plugins then free what lives outside the namespace
	}
	if err := cni.Remove(ctx, id, path, portOpts(ep.Ports)...); err != nil {
		return fmt.Errorf("releasing network %q: %w", ep.Network, err)
	}
	return removeNetNS(ep.NetNS)
}

// newCNI loads a network's plugins. Without published ports the portmap
// plugin is left out of ADD and DEL alike: it has nothing to do, yet its DEL
// still runs iptables several times.
func newCNI(conf []byte, pluginDirs []string, ports bool) (gocni.CNI, error) {
	if !ports {
		var err error
		if conf, err = withoutPlugin(conf, "portmap"); err != nil {
			return nil, err
		}
	}
	// The plugin directory must be set first: it replaces the CNI library
	// instance the networks are bound to.
	cni, err := gocni.New(
		gocni.WithPluginDir(pluginDirs),
		gocni.WithConfListBytes(conf),
		gocni.WithLoNetwork,
	)
	if err != nil {
		return nil, fmt.Errorf("loading network configuration: %w", err)
	}
	return cni, nil
}

func portOpts(ports []api.Port) []gocni.NamespaceOpts {
	if len(ports) == 0 {
		return nil
	}
	pm := make([]gocni.PortMapping, len(ports))
	for i, p := range ports {
		pm[i] = gocni.PortMapping{
			HostPort:      int32(p.HostPort),
			ContainerPort: int32(p.ContainerPort),
			Protocol:      p.Protocol,
			HostIP:        p.HostIP,
		}
	}
	return []gocni.NamespaceOpts{gocni.WithCapabilityPortMap(pm)}
}

// checkPlugins reports missing CNI plugins with the fix, before anything
// is set up.
func (s *Store) checkPlugins() error {
	var missing []string
	for _, p := range []string{"bridge", "host-local", "portmap", "firewall", "loopback"} {
		found := false
		for _, d := range s.pluginDirs {
			if fi, err := os.Stat(filepath.Join(d, p)); err == nil && !fi.IsDir() {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("CNI plugins %s not found in %s: install them (apt-get install containernetworking-plugins) or point --cni-path (LUMPER_CNI_PATH) at them",
			strings.Join(missing, ", "), strings.Join(s.pluginDirs, ":"))
	}
	return nil
}

// deleteLink removes a network device; a missing one is not an error.
func deleteLink(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("looking up bridge %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("deleting bridge %s: %w", name, err)
	}
	return nil
}

// withoutPlugin removes the plugins of one type from a configuration list.
func withoutPlugin(conf []byte, typ string) ([]byte, error) {
	var c map[string]any
	if err := json.Unmarshal(conf, &c); err != nil {
		return nil, fmt.Errorf("parsing network configuration: %w", err)
	}
	plugins, _ := c["plugins"].([]any)
	kept := plugins[:0]
	for _, p := range plugins {
		if m, ok := p.(map[string]any); ok && m["type"] == typ {
			continue
		}
		kept = append(kept, p)
	}
	c["plugins"] = kept
	return json.Marshal(c)
}
