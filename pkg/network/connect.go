package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/log"
	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// Connected networks (network connect): a running container gets one more
// interface (eth1, eth2…) in its namespace, on another network, through CNI
// ADD with that interface name; network disconnect, and the end of the
// task, run CNI DEL. The connection lasts while the task runs. Only the
// first network (run --network) gives the default route: the others give
// their subnet's route.

// Extra is a container's place on a connected network.
type Extra struct {
	Network    string   `json:"network"`
	NetworkID  string   `json:"networkId"`
	Prefix     int      `json:"prefix"`
	IfName     string   `json:"ifname"`
	IP         string   `json:"ip"`
	Gateway    string   `json:"gateway"`
	MAC        string   `json:"mac"`
	Aliases    []string `json:"aliases,omitempty"`
	ConfigFile string   `json:"conf"`
	CNIPath    string   `json:"cniPath"`
}

// ConnectRequest asks for a running container to join one more network.
type ConnectRequest struct {
	ID      string
	NetNS   string
	Network string
	IfName  string
	Aliases []string
	// Record stores the endpoint in the container's labels (under the lock).
	Record func(context.Context, Extra) error
	// Peers lists the containers on the network once recorded (nil: the
	// default bridge, no names).
	Peers func(context.Context) ([]Peer, error)
}

// Connect runs CNI ADD of network r.Network for interface r.IfName in the
// container's namespace and records it; nothing is left on failure.
func (s *Store) Connect(ctx context.Context, r ConnectRequest) (_ Extra, retErr error) {
	n, err := s.Get(r.Network)
	if err != nil {
		return Extra{}, err
	}
	if err := s.checkPlugins(); err != nil {
		return Extra{}, err
	}
	if !IsNetNS(r.NetNS) {
		return Extra{}, fmt.Errorf("container %s has no network namespace: is it running?", r.ID)
	}
	unlock, err := lock(s.dir)
	if err != nil {
		return Extra{}, err
	}
	defer unlock()
	if err := ensureMasquerade(ctx, n); err != nil {
		return Extra{}, err
	}
	ex := Extra{Network: n.Name, NetworkID: n.ID, Prefix: n.Prefix(), IfName: r.IfName, Aliases: r.Aliases, ConfigFile: n.ConfigFile, CNIPath: strings.Join(s.pluginDirs, ":")}
	list, cfg, err := extraConf(n.conf, s.pluginDirs)
	if err != nil {
		return Extra{}, err
	}
	rt := &libcni.RuntimeConf{ContainerID: r.ID, NetNS: r.NetNS, IfName: r.IfName}
	res, err := cfg.AddNetworkList(ctx, list, rt)
	if err != nil {
		_ = cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt)
		return Extra{}, fmt.Errorf("connecting to network %q: %w", n.Name, err)
	}
	defer func() {
		if retErr != nil {
			if err := cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt); err != nil {
				log.G(ctx).WithError(err).Warn("releasing network after failed connect")
			}
		}
	}()
	r100, err := types100.NewResultFromResult(res)
	if err != nil {
		return Extra{}, fmt.Errorf("connecting to network %q: %w", n.Name, err)
	}
	for _, ipc := range r100.IPs {
		if ip := ipc.Address.IP.To4(); ip != nil {
			ex.IP = ip.String()
			if ipc.Gateway != nil {
				ex.Gateway = ipc.Gateway.String()
			}
			if ipc.Interface != nil && *ipc.Interface < len(r100.Interfaces) {
				ex.MAC = r100.Interfaces[*ipc.Interface].Mac
			}
			break
		}
	}
	if ex.IP == "" {
		return Extra{}, fmt.Errorf("connecting to network %q: the plugins returned no IPv4 address", n.Name)
	}
	if err := r.Record(ctx, ex); err != nil {
		return Extra{}, err
	}
	if err := refreshNetwork(ctx, n.Name, r.Peers); err != nil {
		log.G(ctx).WithError(err).Warn("updating the names of the network's containers")
	}
	return ex, nil
}

// Disconnect runs CNI DEL of a connected network (the namespace may be gone
// already: the plugins then free what lives outside it), then done (which
// clears the label), then rewrites the hosts files of the network's other
// containers, and removes the network's names from hosts (the container's
// own file; "" for none).
func Disconnect(ctx context.Context, id, netns string, ex Extra, hosts string, done func(context.Context) error, peers func(context.Context) ([]Peer, error)) error {
	unlock, err := lock(filepath.Dir(ex.ConfigFile))
	if err != nil {
		return err
	}
	defer unlock()
	conf, err := os.ReadFile(ex.ConfigFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading network configuration: %w", err)
	}
	if err == nil {
		list, cfg, err := extraConf(conf, filepath.SplitList(ex.CNIPath))
		if err != nil {
			return err
		}
		if !IsNetNS(netns) {
			netns = ""
		}
		if err := cfg.DelNetworkList(ctx, list, &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: ex.IfName}); err != nil {
			return fmt.Errorf("disconnecting from network %q: %w", ex.Network, err)
		}
	}
	if done != nil {
		if err := done(ctx); err != nil {
			return err
		}
	}
	if hosts != "" {
		if b, err := os.ReadFile(hosts); err == nil {
			if nb := withSection(b, ex.Network, nil); string(nb) != string(b) {
				_ = rewriteInPlace(hosts, nb)
			}
		}
	}
	if err := refreshNetwork(ctx, ex.Network, peers); err != nil {
		log.G(ctx).WithError(err).Warn("updating the names of the network's containers")
	}
	return nil
}

// extraConf is a network's configuration for a second interface: without
// the portmap plugin (ports are published on the first network) and
// without the default route (the first network has it).
func extraConf(conf []byte, pluginDirs []string) (*libcni.NetworkConfigList, *libcni.CNIConfig, error) {
	conf, err := withoutPlugin(conf, "portmap")
	if err != nil {
		return nil, nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(conf, &c); err != nil {
		return nil, nil, fmt.Errorf("parsing network configuration: %w", err)
	}
	plugins, _ := c["plugins"].([]any)
	for _, p := range plugins {
		if m, ok := p.(map[string]any); ok && m["type"] == "bridge" {
			m["isDefaultGateway"] = false
			if ipam, ok := m["ipam"].(map[string]any); ok {
				ipam["routes"] = []any{}
			}
		}
	}
	if conf, err = json.Marshal(c); err != nil {
		return nil, nil, err
	}
	list, err := libcni.ConfListFromBytes(conf)
	if err != nil {
		return nil, nil, fmt.Errorf("loading network configuration: %w", err)
	}
	return list, libcni.NewCNIConfig(pluginDirs, nil), nil
}
