package container

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/network"
)

// Ports returns the published ports of container ref, sorted by container
// port and protocol: those its running task holds (none once it stopped,
// as in Docker).
func Ports(ctx context.Context, c *client.Client, ref string) ([]api.Port, error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return nil, err
	}
	ports, err := network.ParsePorts(rec.Labels[client.LabelPorts])
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ports, func(i, j int) bool {
		if ports[i].ContainerPort != ports[j].ContainerPort {
			return ports[i].ContainerPort < ports[j].ContainerPort
		}
		return ports[i].Protocol < ports[j].Protocol
	})
	return ports, nil
}

// ParsePortFilter reads the PORT argument of `port CONTAINER PORT`:
// 80 or 80/tcp (tcp when no protocol is given).
func ParsePortFilter(s string) (uint16, string, error) {
	num, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 || (proto != "tcp" && proto != "udp") {
		return 0, "", api.Invalidf("invalid port %q: use PORT or PORT/tcp|udp, e.g. 80/tcp", s)
	}
	return uint16(n), proto, nil
}

// PortLines renders ports as `docker port` does: "80/tcp -> 0.0.0.0:32768"
// for every port, or only the host addresses ("0.0.0.0:32768") of the one
// port asked for (port 0: all). It fails when that port is not published.
func PortLines(ports []api.Port, ref string, port uint16, proto string) ([]string, error) {
	var out []string
	for _, p := range ports {
		host := p.HostIP
		if host == "" {
			host = "0.0.0.0"
		}
		addr := host + ":" + strconv.Itoa(int(p.HostPort))
		switch {
		case port == 0:
			out = append(out, fmt.Sprintf("%d/%s -> %s", p.ContainerPort, p.Protocol, addr))
		case p.ContainerPort == port && p.Protocol == proto:
			out = append(out, addr)
		}
	}
	if port != 0 && len(out) == 0 {
		return nil, api.Invalidf("no public port '%d/%s' published for %s", port, proto, ref)
	}
	return out, nil
}
