package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
)

// Names on user networks. Docker's embedded DNS server lets the containers
// of a user-defined network reach each other by container name, short ID and
// --network-alias; lumper has no daemon to answer DNS queries, so it keeps
// the same names in every such container's /etc/hosts instead. Every attach
// and release of a network rewrites, under the network lock, the hosts file
// of each container running on that network: a container started later, or
// again after a restart, is seen by the others at once, and one that stops
// or is removed is gone from them. The default bridge network resolves no
// names, as Docker's.
//
// The hosts files are bind-mounted into running containers, so they are
// rewritten in place (write over, then truncate): a rename would leave the
// container looking at the old file.

// sectionPrefix starts the part of a hosts file that lists one network's
// containers (names, aliases, short IDs); it runs to the next such line or
// the end of the file. A container on several networks (network connect)
// has one section for each.
const sectionPrefix = "# lumper network "

// Peer is a container holding an address on a network, as the others' hosts
// files name it.
type Peer struct {
	ID    string
	IP    string
	Names []string // container name, --network-alias values, short ID
	Hosts string   // its hosts file (in its data directory)
}

// ResolvesNames reports whether the containers of a network find each other
// by name: user networks do, the default bridge does not (Docker's rule).
func ResolvesNames(network string) bool {
	return network != "" && !IsBuiltin(network)
}

// peersSection renders the names of a network's peers, in a stable order.
func peersSection(network string, peers []Peer) []byte {
	if len(peers) == 0 {
		return nil
	}
	sorted := append([]Peer(nil), peers...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var b bytes.Buffer
	b.WriteString(sectionPrefix + network + "\n")
	for _, p := range sorted {
		var names []string
		for _, n := range p.Names {
			if n != "" && !contains(names, n) {
				names = append(names, n)
			}
		}
		if p.IP == "" || len(names) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\n", p.IP, strings.Join(names, " "))
	}
	return b.Bytes()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// withSection replaces one network's section of a hosts file's contents
// (removes it when peers is empty); the other networks' stay, in order.
func withSection(hosts []byte, network string, peers []Peer) []byte {
	var base []byte
	var names []string
	sections := map[string][]byte{}
	cur := ""
	for _, line := range bytes.SplitAfter(hosts, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if rest, ok := bytes.CutPrefix(line, []byte(sectionPrefix)); ok {
			cur = strings.TrimSpace(string(rest))
			if _, seen := sections[cur]; !seen {
				names = append(names, cur)
			}
			sections[cur] = nil
			continue
		}
		if cur == "" {
			base = append(base, line...)
		} else {
			sections[cur] = append(sections[cur], line...)
		}
	}
	if _, seen := sections[network]; !seen {
		names = append(names, network)
	}
	out := base
	for _, n := range names {
		if n == network {
			out = append(out, peersSection(network, peers)...)
			continue
		}
		out = append(out, sectionPrefix+n+"\n"...)
		out = append(out, sections[n]...)
	}
	return out
}

// rewriteInPlace replaces a file's contents without replacing the file (a
// bind mount keeps showing the same inode): the new bytes are written over
// the old, then the file is cut to their length, so it is never empty. A
// missing file (its container removed meanwhile) is not an error.
func rewriteInPlace(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("updating %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("updating %s: %w", path, err)
	}
	if err := f.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("updating %s: %w", path, err)
	}
	return nil
}

// UpdateHosts rewrites network's section of each peer's hosts file (the
// caller holds the network lock). A file that cannot be updated is logged:
// the others still are.
func UpdateHosts(ctx context.Context, network string, peers []Peer) error {
	var firstErr error
	for _, p := range peers {
		if p.Hosts == "" {
			continue
		}
		old, err := os.ReadFile(p.Hosts)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			log.G(ctx).WithError(err).WithField("container", p.ID).Warn("reading hosts file")
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		nb := withSection(old, network, peers)
		if bytes.Equal(nb, old) {
			continue
		}
		if err := rewriteInPlace(p.Hosts, nb); err != nil {
			log.G(ctx).WithError(err).WithField("container", p.ID).Warn("updating hosts file")
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// refreshNetwork lists the network's running containers and rewrites their
// hosts files; the caller holds the network lock.
func refreshNetwork(ctx context.Context, network string, peers func(context.Context) ([]Peer, error)) error {
	if peers == nil {
		return nil
	}
	ps, err := peers(ctx)
	if err != nil {
		return err
	}
	return UpdateHosts(ctx, network, ps)
}

// ParseAlias checks a --network-alias value: a host name (it goes into
// hosts files), without the commas lumper's label separates them with.
func ParseAlias(s string) error {
	if len(s) > 253 || !hostnameRE().MatchString(s) {
		return api.Invalidf("invalid --network-alias %q: give a host name (letters, digits, '.', '-')", s)
	}
	return nil
}
