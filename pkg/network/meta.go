package network

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lumper/lumper/pkg/api"
)

// A network's ID, creation time and labels live beside its CNI
// configuration in <name>.json (CNI has no place for them). A network
// written before lumper kept that file gets an ID derived from its
// configuration, stable as long as the network exists.

type meta struct {
	ID       string            `json:"Id"`
	Created  time.Time         `json:"Created"`
	Labels   map[string]string `json:"Labels,omitempty"`
	IPRange  string            `json:"IPRange,omitempty"`
	Internal bool              `json:"Internal,omitempty"`
}

func (s *Store) metaPath(name string) string { return filepath.Join(s.dir, name+".json") }

// writeMeta records a new network's ID, time and labels.
func (s *Store) writeMeta(name string, m meta) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("making network ID: %w", err)
	}
	m.ID, m.Created = hex.EncodeToString(b[:]), time.Now().UTC()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding network %q: %w", name, err)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("creating network directory: %w", err)
	}
	if err := writeFile(s.metaPath(name), append(data, '\n')); err != nil {
		return fmt.Errorf("writing network %q: %w", name, err)
	}
	return nil
}

// readMeta fills in n's ID, creation time and labels.
func (s *Store) readMeta(n *Network) {
	var m meta
	if b, err := os.ReadFile(s.metaPath(n.Name)); err == nil && json.Unmarshal(b, &m) == nil && isHexID(m.ID) {
		n.ID, n.Labels, n.IPRange, n.Internal = m.ID, m.Labels, m.IPRange, m.Internal
		if !m.Created.IsZero() {
			n.Created = m.Created
		}
		return
	}
	sum := sha256.Sum256(append([]byte(n.ConfigFile+"\n"), n.conf...))
	n.ID = hex.EncodeToString(sum[:])
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Builtin describes the host and none modes as networks (Docker lists
// them): their IDs are derived from the data root, so they are stable.
func (s *Store) Builtin(name string) *Network {
	driver := "null"
	if name == Host {
		driver = Host
	}
	sum := sha256.Sum256([]byte("lumper builtin network\n" + s.dir + "\n" + name))
	return &Network{Name: name, ID: hex.EncodeToString(sum[:]), Driver: driver}
}

// All lists every network: the store's (the default one first) and the
// built-in host and none.
func (s *Store) All() ([]*Network, error) {
	nets, err := s.List()
	if err != nil {
		return nil, err
	}
	return append(nets, s.Builtin(Host), s.Builtin(None)), nil
}

// Find returns the network ref names: a name, a full ID or an unambiguous
// ID prefix, as Docker resolves them. A miss is api.NotFound.
func (s *Store) Find(ref string) (*Network, error) {
	nets, err := s.All()
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		if n.Name == ref || n.ID == ref {
			return n, nil
		}
	}
	var found *Network
	if ref != "" {
		for _, n := range nets {
			if strings.HasPrefix(n.ID, ref) {
				if found != nil {
					return nil, api.Invalidf("network %s is ambiguous (%s, %s): give more of its ID", ref, found.Name, n.Name)
				}
				found = n
			}
		}
	}
	if found == nil {
		return nil, &NotFoundError{Ref: ref}
	}
	return found, nil
}

// NotFoundError is a network that does not exist.
type NotFoundError struct{ Ref string }

func (e *NotFoundError) Error() string { return "No such network: " + e.Ref }

// Resource is the network as `docker network inspect` shows it, without
// its containers.
func (n *Network) Resource() api.NetworkResource {
	r := api.NetworkResource{
		Name: n.Name, ID: n.ID, Created: api.ZeroTime, Scope: "local", Driver: n.Driver, EnableIPv4: n.Driver == "bridge", Internal: n.Internal,
		IPAM:       api.IPAM{Driver: "default", Options: map[string]string{}, Config: []api.IPAMConfig{}},
		Containers: map[string]api.EndpointResource{},
		Options:    map[string]string{},
		Labels:     map[string]string{},
	}
	if !n.Created.IsZero() {
		r.Created = n.Created.Format(time.RFC3339Nano)
	}
	if n.Subnet != "" {
		r.IPAM.Config = append(r.IPAM.Config, api.IPAMConfig{Subnet: n.Subnet, IPRange: n.IPRange, Gateway: n.Gateway})
	}
	if n.Bridge != "" {
		r.Options[OptBridgeName] = n.Bridge
	}
	if n.MTU > 0 {
		r.Options[OptMTU] = strconv.Itoa(n.MTU)
	}
	for k, v := range n.Labels {
		r.Labels[k] = v
	}
	return r
}

// Summary is the network as a row of `network ls`.
func (n *Network) Summary() api.NetworkSummary {
	r := api.NetworkSummary{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: "local", LabelMap: n.Labels}
	if !n.Created.IsZero() {
		r.CreatedAt = n.Created.Format("2006-01-02 15:04:05.999999999 -0700 MST")
	}
	keys := make([]string, 0, len(n.Labels))
	for k := range n.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			r.Labels += ","
		}
		r.Labels += k + "=" + n.Labels[k]
	}
	return r
}

// Prefix returns the IP prefix length of the network's subnet (0 unknown).
func (n *Network) Prefix() int {
	if n.subnet == nil {
		return 0
	}
	ones, _ := n.subnet.Mask.Size()
	return ones
}
