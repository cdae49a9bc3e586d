package network

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
)

func TestParsePublish(t *testing.T) {
	for _, c := range []struct {
		in   string
		want api.Port
		err  string
	}{
		{in: "80", want: api.Port{ContainerPort: 80, Protocol: "tcp"}},
		{in: "8080:80", want: api.Port{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
		{in: "127.0.0.1:18080:80/udp", want: api.Port{HostIP: "127.0.0.1", HostPort: 18080, ContainerPort: 80, Protocol: "udp"}},
		{in: "0.0.0.0:53:53/UDP", want: api.Port{HostPort: 53, ContainerPort: 53, Protocol: "udp"}},
		{in: "127.0.0.1::80", want: api.Port{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}},
		{in: ":8080:80", want: api.Port{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
		{in: "abc", err: `"abc" is not a number`},
		{in: "70000:80", err: "70000 is out of range"},
		{in: "80:0", err: "0 is out of range"},
		{in: "8000-8010:80", err: "port ranges are not supported"},
		{in: "1:2:3:4", err: "use [IP:]HOSTPORT:CONTAINERPORT"},
		{in: "80/sctp", err: "tcp or udp"},
		{in: "::1:80:80", err: "use [IP:]HOSTPORT"},
		{in: "[::1]:80:80", err: "IPv6"},
		{in: "300.1.1.1:80:80", err: "not an IPv4 address"},
		{in: "", err: "missing"},
	} {
		got, err := ParsePublish(c.in)
		if c.err != "" {
			var inv *api.InvalidArgument
			if err == nil || !errors.As(err, &inv) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePublish(%q) = %v, %v; want an InvalidArgument with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParsePublish(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestPortsLabelRoundTrip(t *testing.T) {
	ports := []api.Port{
		{HostIP: "127.0.0.1", HostPort: 18080, ContainerPort: 80, Protocol: "tcp"},
		{ContainerPort: 53, Protocol: "udp"},
		{HostPort: 9000, ContainerPort: 9000, Protocol: "tcp"},
	}
	label := FormatPorts(ports)
	if label != "127.0.0.1:18080:80/tcp,::53/udp,:9000:9000/tcp" {
		t.Fatalf("FormatPorts = %q", label)
	}
	back, err := ParsePorts(label)
	if err != nil || len(back) != 3 || back[0] != ports[0] || back[1] != ports[1] || back[2] != ports[2] {
		t.Fatalf("ParsePorts(%q) = %+v, %v", label, back, err)
	}
	if p, err := ParsePorts(""); p != nil || err != nil {
		t.Fatalf("ParsePorts(\"\") = %v, %v", p, err)
	}
	if got := ports[0].String(); got != "127.0.0.1:18080->80/tcp" {
		t.Fatalf("String = %q", got)
	}
}

func TestCheckPorts(t *testing.T) {
	p := func(ip string, host uint16, proto string) api.Port {
		return api.Port{HostIP: ip, HostPort: host, ContainerPort: 80, Protocol: proto}
	}
	// Ports in 1-1023 cannot be bound by the probe without privileges, and
	// the probe must not make the outcome depend on the machine: use ports
	// that the checks reject before probing.
	for _, c := range []struct {
		ports, busy []api.Port
		err         string
	}{
		{ports: []api.Port{p("", 18090, "tcp"), p("127.0.0.1", 18090, "tcp")}, err: "published twice"},
		{ports: []api.Port{p("127.0.0.1", 18090, "tcp")}, busy: []api.Port{p("", 18090, "tcp")}, err: "already published by another container"},
		{ports: []api.Port{p("", 18090, "tcp")}, busy: []api.Port{p("127.0.0.2", 18090, "tcp")}, err: "already published by another container"},
	} {
		if err := CheckPorts(c.ports, c.busy); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("CheckPorts(%v, %v) = %v, want %q", c.ports, c.busy, err, c.err)
		}
	}
	for _, c := range []struct{ a, b api.Port }{
		{p("127.0.0.1", 18090, "tcp"), p("127.0.0.2", 18090, "tcp")}, // different addresses
		{p("", 18090, "tcp"), p("", 18090, "udp")},                   // different protocols
		{p("", 0, "tcp"), p("", 0, "tcp")},                           // chosen at start
	} {
		if overlaps(c.a, c.b) {
			t.Errorf("%v and %v overlap", c.a, c.b)
		}
	}
}

func TestProbeHeldPort(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Skip("no loopback:", err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	err = CheckPorts([]api.Port{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80, Protocol: "tcp"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "already in use on the host") {
		t.Fatalf("CheckPorts on a held port: %v", err)
	}
}

func TestAllocate(t *testing.T) {
	lo, hi := ephemeralRange()
	busy := []api.Port{{HostPort: uint16(lo), Protocol: "tcp"}}
	out, err := allocate([]api.Port{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}, {HostPort: 18091, ContainerPort: 81, Protocol: "tcp"}}, busy)
	if err != nil {
		t.Fatal(err)
	}
	if h := int(out[0].HostPort); h < lo || h > hi || h == lo {
		t.Fatalf("allocated %d, want in [%d, %d] and not the busy one", h, lo, hi)
	}
	if out[1].HostPort != 18091 {
		t.Fatalf("a given host port was changed: %+v", out[1])
	}
}

func TestExposedPorts(t *testing.T) {
	got := ExposedPorts(map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8080": {}, "9000-9010/tcp": {}, "1/sctp": {}})
	want := []api.Port{{ContainerPort: 53, Protocol: "udp"}, {ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 8080, Protocol: "tcp"}}
	if len(got) != len(want) {
		t.Fatalf("ExposedPorts = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ExposedPorts = %+v, want %+v", got, want)
		}
	}
}

func TestResolvConf(t *testing.T) {
	host := []byte("# generated\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver ::1\nnameserver fd00::1\nsearch example.test\noptions edns0\n")
	if got := string(resolvConf(host, nil)); got != "nameserver 10.1.1.1\nsearch example.test\noptions edns0\n" {
		t.Errorf("host servers: %q", got)
	}
	if got := string(resolvConf(host, []string{"192.0.2.53"})); got != "nameserver 192.0.2.53\nsearch example.test\noptions edns0\n" {
		t.Errorf("--dns: %q", got)
	}
	if got := string(resolvConf([]byte("nameserver 127.0.0.1\n"), nil)); got != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("only loopback: %q", got)
	}
	if got := string(resolvConf(nil, nil)); got != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("no resolv.conf: %q", got)
	}
}

func TestHostsFile(t *testing.T) {
	b, err := hostsFile(Files{Hostname: "web", IP: "172.30.0.5", Gateway: "172.30.0.1", AddHosts: []string{"db:10.0.0.2", "host.lumper.internal:host-gateway"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.0.0.2\tdb\n", "172.30.0.1\thost.lumper.internal\n", "172.30.0.5\tweb\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("hosts lacks %q:\n%s", want, b)
		}
	}
	// No network (none): no own address, host-gateway has nothing to stand for.
	b, _ = hostsFile(Files{Hostname: "web", AddHosts: []string{"gw:host-gateway"}})
	if strings.Contains(string(b), "web") || strings.Contains(string(b), "gw") {
		t.Errorf("hosts without a network:\n%s", b)
	}
}

func TestParseAddHostAndDNS(t *testing.T) {
	for in, want := range map[string]string{"db:10.0.0.2": "db 10.0.0.2", "db=10.0.0.2": "db 10.0.0.2", "v6:[::1]": "v6 ::1", "gw:host-gateway": "gw host-gateway"} {
		h, ip, err := ParseAddHost(in)
		if err != nil || h+" "+ip != want {
			t.Errorf("ParseAddHost(%q) = %q %q %v", in, h, ip, err)
		}
	}
	for _, in := range []string{"nocolon", "db:", ":10.0.0.1", "db:notanip", "-bad-:10.0.0.1"} {
		if _, _, err := ParseAddHost(in); err == nil {
			t.Errorf("ParseAddHost(%q) accepted", in)
		}
	}
	if _, err := ParseDNS("not-an-ip"); err == nil {
		t.Error("ParseDNS accepted a name")
	}
	if ip, err := ParseDNS("192.0.2.53"); err != nil || ip != "192.0.2.53" {
		t.Errorf("ParseDNS = %q, %v", ip, err)
	}
}

func TestStoreCreateLoad(t *testing.T) {
	s := NewStore(t.TempDir(), "")
	taken := []takenNet{{mustCIDR(t, "172.30.0.0/16"), "x"}, {mustCIDR(t, "172.31.5.0/24"), "y"}}
	if got := choose(taken); got.String() != "172.29.0.0/16" {
		t.Fatalf("choose = %v", got)
	}
	sub := mustCIDR(t, "10.213.9.0/24")
	n, err := s.create("lab", settings{subnet: sub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Subnet != "10.213.9.0/24" || n.Gateway != "10.213.9.1" || !strings.HasPrefix(n.Bridge, "lumper-") || len(n.Bridge) > 15 {
		t.Fatalf("created %+v", n)
	}
	var conf struct {
		CNIVersion string           `json:"cniVersion"`
		Plugins    []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal(n.conf, &conf); err != nil || conf.CNIVersion != cniVersion || len(conf.Plugins) != 3 {
		t.Fatalf("conflist: %v %s", err, n.conf)
	}
	ipam := conf.Plugins[0]["ipam"].(map[string]any)
	if ipam["dataDir"] != filepath.Join(s.dir, "ipam") {
		t.Fatalf("IPAM store %v, want under the data root", ipam["dataDir"])
	}
	if _, err := s.Create("lab2", CreateOptions{Subnet: "10.213.9.128/25"}); err == nil || !strings.Contains(err.Error(), `overlaps network "lab"`) {
		t.Fatalf("overlapping subnet: %v", err)
	}
	for _, bad := range []string{"10.1.2.3/16", "10.0.0.0/33", "nonsense", "fd00::/64", "10.0.0.0/30"} {
		if _, err := s.Create("x", CreateOptions{Subnet: bad}); err == nil || !strings.Contains(err.Error(), "--subnet") {
			t.Errorf("Create --subnet %s: %v", bad, err)
		}
	}
	if _, err := s.Create("bridge", CreateOptions{Subnet: ""}); err == nil {
		t.Error("created a network named bridge")
	}
	if _, err := s.Get("nosuch"); err == nil || !strings.Contains(err.Error(), `network "nosuch" not found`) {
		t.Errorf("Get unknown: %v", err)
	}
	if _, err := os.Stat(s.confPath("lab")); err != nil {
		t.Fatal(err)
	}
}

func TestWithoutPlugin(t *testing.T) {
	conf, err := renderConf("n", "br", rangeConf{subnet: "10.0.0.0/24", gateway: "10.0.0.1"}, 0, false, "/x")
	if err != nil {
		t.Fatal(err)
	}
	out, err := withoutPlugin(conf, "portmap")
	if err != nil || strings.Contains(string(out), "portmap") || !strings.Contains(string(out), "firewall") {
		t.Fatalf("withoutPlugin: %v %s", err, out)
	}
}

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
