// Package network connects lumper's containers to networks through CNI: the
// bridge networks' configuration files, their IP address store, the
// containers' network namespaces, published ports, and the /etc/hosts,
// /etc/hostname and /etc/resolv.conf each container gets.
//
// A network is a CNI configuration list under <data-root>/networks
// (bridge, host-local IPAM, portmap, firewall); the default one, "bridge",
// is written on first use. The host-local plugin keeps its leases under
// <data-root>/networks/ipam, so data roots never share addresses.
package network

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/flock"
)

// Built-in network names (Docker's).
const (
	Default = "bridge" // the default network, created on first use
	None    = "none"   // a private network namespace with loopback only
	Host    = "host"   // the host's network namespace
)

// DefaultCNIPath is where Debian's containernetworking-plugins and the
// upstream tarball install the plugins.
const DefaultCNIPath = "/usr/lib/cni:/opt/cni/bin"

// defaultBridge is the default network's bridge device (lumper1, lumper2…
// when another data root on this host already uses it).
const defaultBridge = "lumper0"

// cniVersion is the CNI spec version of the configurations lumper writes.
const cniVersion = "1.0.0"

// Store holds the networks of one data root.
type Store struct {
	dir        string
	pluginDirs []string
}

// NewStore returns the networks under dataRoot, set up with the CNI plugins
// found in cniPath (colon-separated; empty means DefaultCNIPath).
func NewStore(dataRoot, cniPath string) *Store {
	if cniPath == "" {
		cniPath = DefaultCNIPath
	}
	return &Store{dir: filepath.Join(dataRoot, "networks"), pluginDirs: filepath.SplitList(cniPath)}
}

// Network is one network: a bridge network of the store, or a built-in
// mode (host, none) that Builtin describes.
type Network struct {
	Name       string
	ID         string // 64 hex digits, kept in the network's metadata file
	Driver     string // bridge, or host/null for the built-in modes
	Bridge     string // the bridge device
	Subnet     string
	Gateway    string
	Default    bool
	Created    time.Time
	ConfigFile string
	Labels     map[string]string // network create --label
	IPRange    string            // --ip-range: where containers' addresses come from
	Internal   bool              // --internal: no route out, no masquerading
	MTU        int               // --opt com.docker.network.driver.mtu (0: the kernel's)
	subnet     *net.IPNet
	conf       []byte // the CNI configuration list
}

// IsBuiltin reports whether name is one of the names lumper reserves.
func IsBuiltin(name string) bool { return name == Default || name == None || name == Host }

// MaxNameLen is the longest network name: Docker sets no limit, but CNI
// keeps a cache file named <network>-<container ID>-<interface> (at most 255
// bytes) and the file store <network>.conflist.
const MaxNameLen = 180

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,179}$`) })

func (s *Store) confPath(name string) string { return filepath.Join(s.dir, name+".conflist") }
func (s *Store) ipamDir() string             { return filepath.Join(s.dir, "ipam") }

// Get returns a network by name; the default network is created on first
// use. An unknown name is an InvalidArgument.
func (s *Store) Get(name string) (*Network, error) {
	if name == "" {
		name = Default
	}
	if !nameRE().MatchString(name) {
		return nil, api.Invalidf("invalid network name %q", name)
	}
	n, err := s.load(name)
	if errors.Is(err, os.ErrNotExist) {
		if name != Default {
			return nil, api.Invalidf("network %q not found: create it with 'lumper network create %s', or use bridge, host or none", name, name)
		}
		unlock, err := lock(s.dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
		// Another lumper may have made it while this one waited.
		if n, err := s.load(name); !errors.Is(err, os.ErrNotExist) {
			return n, err
		}
		return s.create(Default, settings{}, nil)
	}
	return n, err
}

// List returns the networks, the default one first (creating it if needed).
func (s *Store) List() ([]*Network, error) {
	def, err := s.Get(Default)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("reading networks: %w", err)
	}
	out := []*Network{def}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".conflist")
		if !ok || name == Default || e.IsDir() {
			continue
		}
		n, err := s.load(name)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		} else if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Name < out[1+j].Name })
	return out, nil
}

// CreateOptions are `network create`'s flags.
type CreateOptions struct {
	Subnet   string // CIDR; "" chooses a free /16 from lumper's pool
	Gateway  string // the bridge's address; "" the subnet's first
	IPRange  string // CIDR inside the subnet the containers' addresses come from
	Internal bool   // no default route, no masquerading
	Options  map[string]string
	Labels   map[string]string
}

// Driver options lumper takes (Docker's names).
const (
	OptBridgeName = "com.docker.network.bridge.name"
	OptMTU        = "com.docker.network.driver.mtu"
)

// settings are a new network's checked options.
type settings struct {
	subnet, ipRange *net.IPNet
	gateway         net.IP
	bridge          string
	mtu             int
	internal        bool
}

// Create adds a bridge network with its own subnet, or one chosen from
// lumper's pool, and the user's labels.
func (s *Store) Create(name string, o CreateOptions) (*Network, error) {
	if len(name) > MaxNameLen {
		return nil, api.Invalidf("invalid network name %q: at most %d characters", name, MaxNameLen)
	}
	if !nameRE().MatchString(name) {
		return nil, api.Invalidf("invalid network name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	if IsBuiltin(name) {
		return nil, api.Invalidf("network name %q is reserved: choose another name", name)
	}
	st, err := checkCreate(o)
	if err != nil {
		return nil, err
	}
	unlock, err := lock(s.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := s.load(name); err == nil {
		return nil, api.Invalidf("network %q already exists", name)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return s.create(name, st, o.Labels)
}

// checkCreate checks network create's flags before anything is written.
func checkCreate(o CreateOptions) (settings, error) {
	var st settings
	st.internal = o.Internal
	if o.Subnet != "" {
		ip, n, err := net.ParseCIDR(o.Subnet)
		if err != nil || ip.To4() == nil {
			return st, api.Invalidf("invalid --subnet %q: give an IPv4 CIDR such as 172.31.0.0/16", o.Subnet)
		}
		if !ip.Equal(n.IP) {
			return st, api.Invalidf("invalid --subnet %q: the address must be the network's own (%s)", o.Subnet, n)
		}
		if ones, _ := n.Mask.Size(); ones < 8 || ones > 29 {
			return st, api.Invalidf("invalid --subnet %q: the prefix length must be between 8 and 29", o.Subnet)
		}
		st.subnet = n
	}
	if o.Gateway != "" {
		if st.subnet == nil {
			return st, api.Invalidf("--gateway %s needs --subnet: no matching subnet for gateway", o.Gateway)
		}
		gw := net.ParseIP(o.Gateway).To4()
		if gw == nil {
			return st, api.Invalidf("invalid --gateway %q: give an IPv4 address", o.Gateway)
		}
		if !st.subnet.Contains(gw) || gw.Equal(st.subnet.IP) || gw.Equal(broadcast(st.subnet)) {
			return st, api.Invalidf("invalid --gateway %s: not a host address of subnet %s", o.Gateway, st.subnet)
		}
		st.gateway = gw
	}
	if o.IPRange != "" {
		if st.subnet == nil {
			return st, api.Invalidf("--ip-range %s needs --subnet: no matching subnet for range", o.IPRange)
		}
		ip, r, err := net.ParseCIDR(o.IPRange)
		if err != nil || ip.To4() == nil || !ip.Equal(r.IP) {
			return st, api.Invalidf("invalid --ip-range %q: give an IPv4 CIDR inside --subnet", o.IPRange)
		}
		ro, _ := r.Mask.Size()
		so, _ := st.subnet.Mask.Size()
		if ro < so || !st.subnet.Contains(r.IP) || ro > 30 {
			return st, api.Invalidf("invalid --ip-range %s: not inside subnet %s (or smaller than a /30)", o.IPRange, st.subnet)
		}
		st.ipRange = r
	}
	for k, v := range o.Options {
		switch k {
		case OptBridgeName:
			if v == "" || len(v) > 15 || strings.ContainsAny(v, "/: \t\n") || v == "." || v == ".." {
				return st, api.Invalidf("invalid --opt %s=%s: a network device name of 1 to 15 characters", k, v)
			}
			st.bridge = v
		case OptMTU:
			mtu, err := strconv.Atoi(v)
			if err != nil || mtu < 68 || mtu > 65535 {
				return st, api.Invalidf("invalid --opt %s=%s: an MTU between 68 and 65535", k, v)
			}
			st.mtu = mtu
		default:
			return st, api.Invalidf("unsupported --opt %q: lumper takes %s and %s", k, OptBridgeName, OptMTU)
		}
	}
	return st, nil
}

func broadcast(n *net.IPNet) net.IP {
	ip := n.IP.To4()
	out := make(net.IP, 4)
	for i := range out {
		out[i] = ip[i] | ^n.Mask[i]
	}
	return out
}

// create writes a network's configuration; the caller holds the lock. A nil
// subnet is chosen from the pool.
func (s *Store) create(name string, st settings, labels map[string]string) (*Network, error) {
	subnet := st.subnet
	taken, err := s.takenSubnets()
	if err != nil {
		return nil, err
	}
	if subnet == nil {
		if subnet = choose(taken); subnet == nil {
			return nil, api.Invalidf("no free subnet left in lumper's pool: give one with --subnet")
		}
	} else {
		for _, t := range taken {
			if t.net.Contains(subnet.IP) || subnet.Contains(t.net.IP) {
				return nil, api.Invalidf("subnet %s overlaps %s (%s): choose another --subnet", subnet, t.what, t.net)
			}
		}
	}
	bridge := st.bridge
	if bridge != "" {
		if err := s.bridgeFree(bridge); err != nil {
			return nil, err
		}
	} else if bridge, err = s.bridgeName(name); err != nil {
		return nil, err
	}
	gw := st.gateway
	if gw == nil {
		gw = make(net.IP, 4)
		binary.BigEndian.PutUint32(gw, binary.BigEndian.Uint32(subnet.IP.To4())+1)
	}
	rc := rangeConf{subnet: subnet.String(), gateway: gw.String()}
	if st.ipRange != nil {
		first := binary.BigEndian.Uint32(st.ipRange.IP.To4())
		last := binary.BigEndian.Uint32(broadcast(st.ipRange))
		if first == binary.BigEndian.Uint32(subnet.IP.To4()) {
			first++ // the subnet's own address
		}
		if st.ipRange.Contains(broadcast(subnet)) {
			last-- // the subnet's broadcast
		}
		a, b := make(net.IP, 4), make(net.IP, 4)
		binary.BigEndian.PutUint32(a, first)
		binary.BigEndian.PutUint32(b, last)
		rc.start, rc.end = a.String(), b.String()
	}
	conf, err := renderConf(name, bridge, rc, st.mtu, st.internal, filepath.Join(s.ipamDir()))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating network directory: %w", err)
	}
	// The metadata first: a configuration without it still gets a stable
	// ID (metaOf), one with it is complete.
	m := meta{Labels: labels, Internal: st.internal}
	if st.ipRange != nil {
		m.IPRange = st.ipRange.String()
	}
	if err := s.writeMeta(name, m); err != nil {
		return nil, err
	}
	if err := writeFile(s.confPath(name), conf); err != nil {
		return nil, fmt.Errorf("writing network %q: %w", name, err)
	}
	return s.load(name)
}

// Remove deletes a network: its configuration, its address store and its
// bridge. The caller checks that no container uses it.
func (s *Store) Remove(name string) error {
	if IsBuiltin(name) {
		return api.Invalidf("network %q is built in and cannot be removed", name)
	}
	if !nameRE().MatchString(name) {
		return api.Invalidf("invalid network name %q", name)
	}
	unlock, err := lock(s.dir)
	if err != nil {
		return err
	}
	defer unlock()
	n, err := s.load(name)
	if errors.Is(err, os.ErrNotExist) {
		return api.Invalidf("network %q not found", name)
	} else if err != nil {
		return err
	}
	if err := deleteLink(n.Bridge); err != nil {
		return err
	}
	if err := removeMasquerade(n); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.ipamDir(), name)); err != nil {
		return fmt.Errorf("removing address store of %q: %w", name, err)
	}
	if err := os.Remove(s.confPath(name)); err != nil {
		return fmt.Errorf("removing network %q: %w", name, err)
	}
	if err := os.Remove(s.metaPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network %q: %w", name, err)
	}
	return nil
}

// Teardown removes the bridges and NAT rules of every network of a data
// root that is going away (tests); the configuration files stay.
func (s *Store) Teardown() error {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading networks: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".conflist")
		if !ok {
			continue
		}
		n, err := s.load(name)
		if err != nil {
			return err
		}
		if err := removeMasquerade(n); err != nil {
			return err
		}
		if err := deleteLink(n.Bridge); err != nil {
			return err
		}
	}
	return nil
}

// load reads a network's configuration; a missing one is os.ErrNotExist.
func (s *Store) load(name string) (*Network, error) {
	path := s.confPath(name)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("network %q: %w", name, os.ErrNotExist)
		}
		return nil, fmt.Errorf("reading network %q: %w", name, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading network %q: %w", name, err)
	}
	var c struct {
		Name    string `json:"name"`
		Plugins []struct {
			Type   string `json:"type"`
			Bridge string `json:"bridge"`
			MTU    int    `json:"mtu"`
			IPAM   struct {
				Ranges [][]struct {
					Subnet  string `json:"subnet"`
					Gateway string `json:"gateway"`
				} `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	n := &Network{conf: b, Name: name, Driver: "bridge", Default: name == Default, Created: fi.ModTime().UTC(), ConfigFile: path}
	s.readMeta(n)
	for _, p := range c.Plugins {
		if p.Type != "bridge" {
			continue
		}
		n.Bridge, n.MTU = p.Bridge, p.MTU
		if len(p.IPAM.Ranges) > 0 && len(p.IPAM.Ranges[0]) > 0 {
			n.Subnet, n.Gateway = p.IPAM.Ranges[0][0].Subnet, p.IPAM.Ranges[0][0].Gateway
		}
	}
	if c.Name != name || n.Bridge == "" || n.Subnet == "" {
		return nil, fmt.Errorf("%s is not a lumper bridge network (name, bridge or subnet missing)", path)
	}
	if _, n.subnet, err = net.ParseCIDR(n.Subnet); err != nil {
		return nil, fmt.Errorf("parsing subnet of network %q: %w", name, err)
	}
	return n, nil
}

// renderConf is a network's CNI configuration list: a bridge that is the
// containers' gateway, host-local addresses, published ports (portmap) and
// the firewall plugin's FORWARD rules, so that a host whose FORWARD policy
// is DROP still passes the containers' traffic. The bridge plugin's ipMasq
// is off: its per-container NAT chain cost 130 ms per run; one rule per
// network (ensureMasquerade) does the same.
// An internal network's containers get no default route and no
// masquerading: they reach each other (and the bridge's address), nothing
// beyond.
func renderConf(name, bridge string, rc rangeConf, mtu int, internal bool, ipamDir string) ([]byte, error) {
	type m = map[string]any
	rng := m{"subnet": rc.subnet, "gateway": rc.gateway}
	if rc.start != "" {
		rng["rangeStart"], rng["rangeEnd"] = rc.start, rc.end
	}
	routes := []m{{"dst": "0.0.0.0/0"}}
	if internal {
		routes = []m{}
	}
	conf := m{
		"cniVersion": cniVersion,
		"name":       name,
		"plugins": []m{
			{
				"type":        "bridge",
				"bridge":      bridge,
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": m{
					"type":    "host-local",
					"ranges":  [][]m{{rng}},
					"routes":  routes,
					"dataDir": ipamDir,
				},
			},
			{"type": "portmap", "capabilities": m{"portMappings": true}},
			{"type": "firewall"},
		},
	}
	if mtu > 0 {
		conf["plugins"].([]m)[0]["mtu"] = mtu
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding network configuration: %w", err)
	}
	return append(b, '\n'), nil
}

// rangeConf is host-local's address range: the subnet, its gateway and,
// with --ip-range, the first and last address handed out.
type rangeConf struct{ subnet, gateway, start, end string }

// bridgeFree checks a bridge name given with --opt: no network of this data
// root uses it, nor does any device of the host.
func (s *Store) bridgeFree(b string) error {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".conflist"); ok {
			if nw, err := s.load(n); err == nil && nw.Bridge == b {
				return api.Invalidf("bridge %s is already network %q's: choose another %s", b, n, OptBridgeName)
			}
		}
	}
	if _, err := net.InterfaceByName(b); err == nil {
		return api.Invalidf("a network device %s already exists on the host: choose another %s", b, OptBridgeName)
	}
	return nil
}

// takenNet is an address range a new network must not overlap.
type takenNet struct {
	net  *net.IPNet
	what string
}

// takenSubnets are this data root's networks, the host's routes and
// addresses, and its name servers (a bridge must not hide them).
func (s *Store) takenSubnets() ([]takenNet, error) {
	var out []takenNet
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading networks: %w", err)
	}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".conflist"); ok {
			if n, err := s.load(name); err == nil {
				out = append(out, takenNet{n.subnet, fmt.Sprintf("network %q", name)})
			}
		}
	}
	out = append(out, hostRoutes()...)
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
				out = append(out, takenNet{&net.IPNet{IP: ipn.IP.Mask(ipn.Mask), Mask: ipn.Mask}, "a host address"})
			}
		}
	}
	if b, err := readHostResolvConf(); err == nil {
		for _, ns := range nameservers(b) {
			if ip := net.ParseIP(ns).To4(); ip != nil && !ip.IsLoopback() {
				out = append(out, takenNet{&net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)}, "the host's name server"})
			}
		}
	}
	return out, nil
}

// hostRoutes reads the host's IPv4 routes (except the default route) from
// /proc/net/route.
func hostRoutes() []takenNet {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []takenNet
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 {
			continue
		}
		dst, err1 := hex.DecodeString(fl[1])
		mask, err2 := hex.DecodeString(fl[7])
		if err1 != nil || err2 != nil || len(dst) != 4 || len(mask) != 4 {
			continue
		}
		slices.Reverse(dst) // little-endian in the file
		slices.Reverse(mask)
		if binary.BigEndian.Uint32(mask) == 0 {
			continue
		}
		out = append(out, takenNet{&net.IPNet{IP: net.IP(dst), Mask: net.IPMask(mask)}, "the host's route on " + fl[0]})
	}
	return out
}

// pool lists the subnets lumper chooses from, most likely free first:
// 172.30/16 is the default network's (Docker starts at 172.17, podman uses
// 10.88).
func pool() []*net.IPNet {
	var out []*net.IPNet
	for _, i := range []int{30, 31, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18} {
		out = append(out, &net.IPNet{IP: net.IPv4(172, byte(i), 0, 0).To4(), Mask: net.CIDRMask(16, 32)})
	}
	for i := 200; i < 255; i++ {
		out = append(out, &net.IPNet{IP: net.IPv4(10, byte(i), 0, 0).To4(), Mask: net.CIDRMask(16, 32)})
	}
	return out
}

func choose(taken []takenNet) *net.IPNet {
	for _, cand := range pool() {
		if !slices.ContainsFunc(taken, func(t takenNet) bool { return t.net.Contains(cand.IP) || cand.Contains(t.net.IP) }) {
			return cand
		}
	}
	return nil
}

// bridgeName picks a bridge device no other network (of this or another data
// root) uses: lumper0 for the default network, lumper-<hash> for others.
func (s *Store) bridgeName(name string) (string, error) {
	used := map[string]bool{}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".conflist"); ok {
			if nw, err := s.load(n); err == nil {
				used[nw.Bridge] = true
			}
		}
	}
	free := func(b string) bool {
		if used[b] {
			return false
		}
		_, err := net.InterfaceByName(b)
		return err != nil
	}
	for i := 0; i < 100; i++ {
		var b string
		if name == Default {
			b = fmt.Sprintf("lumper%d", i)
		} else {
			sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", s.dir, name, i)))
			b = "lumper-" + hex.EncodeToString(sum[:4])
		}
		if free(b) {
			return b, nil
		}
	}
	return "", fmt.Errorf("no free bridge name for network %q", name)
}

// lock takes the data root's network lock, which serialises network
// creation, port allocation and CNI calls between lumper processes.
func lock(dir string) (func(), error) {
	unlock, err := flock.Lock(filepath.Join(dir, ".lock"), 0o755)
	if err != nil {
		return nil, fmt.Errorf("taking network lock: %w", err)
	}
	return unlock, nil
}
