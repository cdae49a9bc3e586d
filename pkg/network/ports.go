package network

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/lumper/lumper/pkg/api"
)

// ParsePublish parses one -p/--publish value:
// [[IP:]HOSTPORT:]CONTAINERPORT[/tcp|udp]. An empty or missing host port
// (e.g. "80" or "127.0.0.1::80") is chosen when the container starts; an
// empty or 0.0.0.0 IP means every address of the host.
func ParsePublish(s string) (api.Port, error) {
	bad := func(why string) (api.Port, error) {
		return api.Port{}, api.Invalidf("invalid --publish %q: %s", s, why)
	}
	rest, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" {
		return bad("protocol must be tcp or udp")
	}
	if strings.HasPrefix(rest, "[") {
		return bad("IPv6 host addresses are not supported: lumper's networks are IPv4")
	}
	parts := strings.Split(rest, ":")
	var ip, host, ctr string
	switch len(parts) {
	case 1:
		ctr = parts[0]
	case 2:
		host, ctr = parts[0], parts[1]
	case 3:
		ip, host, ctr = parts[0], parts[1], parts[2]
	default:
		return bad("use [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp]")
	}
	p := api.Port{Protocol: proto}
	if ip != "" {
		addr := net.ParseIP(ip).To4()
		if addr == nil {
			return bad(fmt.Sprintf("%q is not an IPv4 address", ip))
		}
		if !addr.IsUnspecified() {
			p.HostIP = addr.String()
		}
	}
	var err error
	if p.ContainerPort, err = parsePort(ctr); err != nil {
		return bad("container port: " + err.Error())
	}
	if host != "" {
		if p.HostPort, err = parsePort(host); err != nil {
			return bad("host port: " + err.Error())
		}
	}
	return p, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	if strings.Contains(s, "-") {
		return 0, fmt.Errorf("%q: port ranges are not supported", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%d is out of range (1-65535)", n)
	}
	return uint16(n), nil
}

// ExposedPorts turns an image's EXPOSE entries ("80/tcp", "53/udp", "8080")
// into ports published on host ports chosen at start (-P). Entries lumper
// cannot publish (ranges, other protocols) are skipped.
func ExposedPorts(exposed map[string]struct{}) []api.Port {
	var out []api.Port
	for e := range exposed {
		port, proto, ok := strings.Cut(e, "/")
		if !ok {
			proto = "tcp"
		}
		proto = strings.ToLower(proto)
		n, err := parsePort(port)
		if err != nil || (proto != "tcp" && proto != "udp") {
			continue
		}
		out = append(out, api.Port{ContainerPort: n, Protocol: proto})
	}
	slices.SortFunc(out, func(a, b api.Port) int {
		if a.ContainerPort != b.ContainerPort {
			return int(a.ContainerPort) - int(b.ContainerPort)
		}
		return strings.Compare(a.Protocol, b.Protocol)
	})
	return out
}

// FormatPorts encodes ports for a label: IP:HOSTPORT:CONTAINERPORT/PROTO,
// comma-separated, with an empty IP for every address and an empty host
// port for one still to be chosen. ParsePorts reads it back.
func FormatPorts(ports []api.Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		host := ""
		if p.HostPort != 0 {
			host = strconv.Itoa(int(p.HostPort))
		}
		s[i] = fmt.Sprintf("%s:%s:%d/%s", p.HostIP, host, p.ContainerPort, p.Protocol)
	}
	return strings.Join(s, ",")
}

// ParsePorts decodes a label written by FormatPorts.
func ParsePorts(label string) ([]api.Port, error) {
	if label == "" {
		return nil, nil
	}
	var out []api.Port
	for _, s := range strings.Split(label, ",") {
		p, err := ParsePublish(s)
		if err != nil {
			return nil, fmt.Errorf("reading port label: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// overlaps reports whether two published ports claim the same host port.
func overlaps(a, b api.Port) bool {
	return a.HostPort != 0 && a.HostPort == b.HostPort && a.Protocol == b.Protocol &&
		(a.HostIP == "" || b.HostIP == "" || a.HostIP == b.HostIP)
}

// CheckPorts refuses ports that claim one host port twice, or one that busy
// (ports other containers publish) or a host process already holds.
func CheckPorts(ports, busy []api.Port) error {
	for i, p := range ports {
		for _, q := range ports[:i] {
			if overlaps(p, q) {
				return api.Invalidf("port %s is published twice: give each host port once", hostPort(p))
			}
		}
		for _, q := range busy {
			if overlaps(p, q) {
				return api.Invalidf("port %s is already published by another container: choose another host port", hostPort(p))
			}
		}
		if p.HostPort != 0 {
			if err := probe(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func hostPort(p api.Port) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d/%s", ip, p.HostPort, p.Protocol)
}

// probe checks that a host process does not hold the port, and that the IP
// is the host's, by binding it for a moment. Published ports are DNAT rules,
// not sockets, so other containers' ports are not seen here.
func probe(p api.Port) error {
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
	var err error
	if p.Protocol == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp4", addr); err == nil {
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp4", addr); err == nil {
			l.Close()
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EADDRINUSE):
		return api.Invalidf("port %s is already in use on the host: choose another host port", hostPort(p))
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return api.Invalidf("cannot publish on %s: it is not an address of this host", p.HostIP)
	}
	return nil // e.g. a privileged port for a non-root user: leave it to the plugins
}

// allocate chooses free host ports for the ports that have none, from the
// kernel's ephemeral range, as Docker does.
func allocate(ports, busy []api.Port) ([]api.Port, error) {
	lo, hi := ephemeralRange()
	out := slices.Clone(ports)
	for i := range out {
		if out[i].HostPort != 0 {
			continue
		}
		n := hi - lo + 1
		start := rand.IntN(n)
		found := false
		for k := 0; k < n && !found; k++ {
			cand := out[i]
			cand.HostPort = uint16(lo + (start+k)%n)
			taken := slices.ContainsFunc(busy, func(q api.Port) bool { return overlaps(cand, q) }) ||
				slices.ContainsFunc(out, func(q api.Port) bool { return overlaps(cand, q) })
			if !taken && probe(cand) == nil {
				out[i], found = cand, true
			}
		}
		if !found {
			return nil, fmt.Errorf("no free host port for %d/%s", out[i].ContainerPort, out[i].Protocol)
		}
	}
	return out, nil
}

// ephemeralRange is the kernel's local port range (Linux's default when it
// cannot be read).
func ephemeralRange() (int, int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			lo, err1 := strconv.Atoi(f[0])
			hi, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && lo > 0 && lo <= hi && hi <= 65535 {
				return lo, hi
			}
		}
	}
	return 32768, 60999
}

// PortMap is ports as Docker's inspect keys them: "80/tcp" → its host
// ends. Ports bound on every address show HostIp 0.0.0.0 when bound is
// set (NetworkSettings.Ports), and "" as requested otherwise
// (HostConfig.PortBindings, where a host port chosen at start is "").
func PortMap(ports []api.Port, bound bool) map[string][]api.PortBinding {
	out := map[string][]api.PortBinding{}
	for _, p := range ports {
		b := api.PortBinding{HostIP: p.HostIP}
		if p.HostPort != 0 {
			b.HostPort = strconv.Itoa(int(p.HostPort))
		}
		if bound && b.HostIP == "" {
			b.HostIP = "0.0.0.0"
		}
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		out[key] = append(out[key], b)
	}
	return out
}
