//go:build integration

package integration

// Networking through CNI. Every packet these tests send stays on this
// machine: loopback (published ports on 127.0.0.1) and the containers'
// bridge. None goes to another address; --dns servers are written to
// resolv.conf, never queried.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/network"
)

// httpdCmd serves "hello" on port 80 with busybox httpd.
var httpdCmd = []string{"sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"}

// teardownNetworks removes the bridges and NAT rules of the test data
// root's networks (TestMain calls it): the data root goes away, they would
// not.
func teardownNetworks() error {
	return network.NewStore(env.dataRoot, "").Teardown()
}

// netSettings are the parts of a container's inspect document the network
// tests check: its network (HostConfig.NetworkMode), NetworkSettings, and
// NetworkSettings.Ports as a list.
type netSettings struct {
	Network, IPAddress, Gateway, MacAddress, SandboxKey string
	Ports                                               []api.Port
}

func inspectNet(t *testing.T, ref string) netSettings {
	t.Helper()
	var d []api.ContainerJSON
	if err := json.Unmarshal([]byte(lumper(t, "inspect", ref)), &d); err != nil || len(d) != 1 {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	n := d[0].NetworkSettings
	ns := netSettings{Network: d[0].HostConfig.NetworkMode, IPAddress: n.IPAddress, Gateway: n.Gateway, MacAddress: n.MacAddress, SandboxKey: n.SandboxKey}
	if ep := n.Networks[ns.Network]; ep == nil || ep.IPAddress != n.IPAddress || ep.Gateway != n.Gateway {
		t.Fatalf("inspect %s: NetworkSettings.Networks[%q] = %+v, want the same addresses as NetworkSettings", ref, ns.Network, ep)
	}
	for key, bs := range n.Ports {
		port, proto, _ := strings.Cut(key, "/")
		cp, err := strconv.Atoi(port)
		if err != nil {
			t.Fatalf("inspect %s: port key %q", ref, key)
		}
		for _, b := range bs {
			hp, err := strconv.Atoi(b.HostPort)
			if err != nil {
				t.Fatalf("inspect %s: host port %q of %s", ref, b.HostPort, key)
			}
			ns.Ports = append(ns.Ports, api.Port{HostIP: b.HostIP, HostPort: uint16(hp), ContainerPort: uint16(cp), Protocol: proto})
		}
	}
	return ns
}

// hostState is what networking may leave on the host: links on the test
// data root's bridges, iptables rules naming an address of its networks,
// network namespaces no process is in, and address leases. Only this data
// root's state is looked at, so that other lumper users of the machine
// (another test run) do not disturb the comparison.
type hostState struct {
	links, rules, netns, leases []string
	bridges                     []string
	subnets                     []*net.IPNet
}

var (
	counterRE = regexp.MustCompile(`\[\d+:\d+\]`)
	ipv4RE    = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`)
)

// snapshot reads the state; extra are subnets to count as ours too (those
// of networks removed since the last snapshot).
func snapshot(t *testing.T, extra ...*net.IPNet) hostState {
	t.Helper()
	s := hostState{subnets: extra}
	entries, _ := filepath.Glob(filepath.Join(env.dataRoot, "networks", "*.conflist"))
	for _, e := range entries {
		n, err := network.NewStore(env.dataRoot, "").Get(strings.TrimSuffix(filepath.Base(e), ".conflist"))
		if err != nil {
			t.Fatalf("reading network %s: %v", e, err)
		}
		_, sn, _ := net.ParseCIDR(n.Subnet)
		s.bridges, s.subnets = append(s.bridges, n.Bridge), append(s.subnets, sn)
	}
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatalf("ip link: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// "12: name@if3: <FLAGS> ... master lumper0 ..."
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name := strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]
		i := slices.Index(f, "master")
		if slices.Contains(s.bridges, name) || (i > 0 && i+1 < len(f) && slices.Contains(s.bridges, f[i+1])) {
			s.links = append(s.links, name)
		}
	}
	out, err = exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if slices.ContainsFunc(ipv4RE.FindAllString(l, -1), s.ours) {
			s.rules = append(s.rules, counterRE.ReplaceAllString(l, ""))
		}
	}
	netns, _ := os.ReadDir(network.NetNSDir)
	for _, e := range netns {
		if strings.HasPrefix(e.Name(), "lumper-") && !netnsInUse(filepath.Join(network.NetNSDir, e.Name())) {
			s.netns = append(s.netns, e.Name())
		}
	}
	ipam := filepath.Join(env.dataRoot, "networks", "ipam")
	filepath.WalkDir(ipam, func(p string, d os.DirEntry, err error) error {
		// host-local's lock and its last_reserved_ip cursor are not leases.
		if err == nil && !d.IsDir() && d.Name() != "lock" && !strings.HasPrefix(d.Name(), "last_reserved_ip") {
			s.leases = append(s.leases, strings.TrimPrefix(p, ipam))
		}
		return nil
	})
	return s
}

func (s hostState) ours(ip string) bool {
	addr := net.ParseIP(ip)
	return slices.ContainsFunc(s.subnets, func(n *net.IPNet) bool { return n.Contains(addr) })
}

// netnsInUse reports whether a process is in the network namespace mounted
// at path (a live container's, maybe another data root's).
func netnsInUse(path string) bool {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return false
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "ns", "net")); err == nil && link == want {
			return true
		}
	}
	return false
}

// leaked lists what is in o but was not in s.
func (s hostState) leaked(o hostState) string {
	var out []string
	for _, c := range []struct {
		what          string
		before, after []string
	}{{"link", s.links, o.links}, {"iptables", s.rules, o.rules}, {"netns", s.netns, o.netns}, {"lease", s.leases, o.leases}} {
		for _, v := range c.after {
			if !slices.Contains(c.before, v) {
				out = append(out, fmt.Sprintf("%s: %s", c.what, v))
			}
		}
	}
	return strings.Join(out, "\n")
}

// checkClean waits briefly for asynchronous cleanup (the logger's reaper)
// and fails with what was left behind.
func checkClean(t *testing.T, before hostState) {
	t.Helper()
	var d string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		// Networks removed meanwhile still count as ours.
		if d = before.leaked(snapshot(t, before.subnets...)); d == "" {
			return
		}
	}
	t.Fatalf("left on the host:\n%s", d)
}

// warmUp makes sure the default network exists (bridge, NAT rule, the
// plugins' chains), so that later snapshots only see per-container state.
func warmUp(t *testing.T) {
	t.Helper()
	lumper(t, "run", "--rm", "-p", "127.0.0.1::80", "busybox", "true")
}

func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestPublishHTTP(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, append([]string{"run", "-d", "--name", name, "-p", "127.0.0.1:18080:80", "busybox"}, httpdCmd...)...)
	var body string
	eventually(t, 30*time.Second, "httpd answering on 127.0.0.1:18080", func() bool {
		b, err := httpGet("http://127.0.0.1:18080/")
		body = b
		return err == nil
	})
	if body != "hello\n" {
		t.Fatalf("GET 127.0.0.1:18080: %q", body)
	}
	if before.leaked(snapshot(t)) == "" {
		t.Fatal("the snapshot does not see a running container's veth, rules and lease: the leak checks would prove nothing")
	}
	if out := lumper(t, "list", "--format", "{{.Name}} {{range .Ports}}{{.}}{{end}}"); !strings.Contains(out, name+" 127.0.0.1:18080->80/tcp") {
		t.Fatalf("list does not show the published port:\n%s", out)
	}
	if out := lumper(t, "list"); !strings.Contains(out, "PORTS") || !strings.Contains(out, "127.0.0.1:18080->80/tcp") {
		t.Fatalf("list table has no PORTS:\n%s", out)
	}
	ns := inspectNet(t, name)
	if ns.Network != "bridge" || ns.IPAddress == "" || ns.Gateway == "" || ns.MacAddress == "" || len(ns.Ports) != 1 || ns.Ports[0].HostPort != 18080 {
		t.Fatalf("inspect network settings: %+v", ns)
	}
	// A stopped container holds no address and publishes nothing.
	lumper(t, "stop", "-t", "1", name)
	if ns := inspectNet(t, name); ns.IPAddress != "" || len(ns.Ports) != 0 {
		t.Fatalf("stopped container still has network settings: %+v", ns)
	}
	if _, err := httpGet("http://127.0.0.1:18080/"); err == nil {
		t.Fatal("port 18080 still answers after stop")
	}
	checkClean(t, before)
	lumper(t, "rm", name)
	checkClean(t, before)
}

func TestNetworkContainerToContainer(t *testing.T) {
	t.Parallel()
	b := uniqueName(t) + "-b"
	rmOnCleanup(t, b)
	lumper(t, append([]string{"run", "-d", "--name", b, "busybox"}, httpdCmd...)...)
	ip := inspectNet(t, b).IPAddress
	if ip == "" {
		t.Fatal("container B has no IP address")
	}
	// busybox's wget segfaults in the static Debian build (glibc's
	// getaddrinfo in a static binary), so A speaks HTTP with nc.
	var out string
	eventually(t, 30*time.Second, "B's httpd answering A", func() bool {
		r := lumperRun("run", "--rm", "busybox", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "+ip+" 80")
		out = r.stdout
		return r.code == 0 && strings.HasSuffix(out, "hello\n")
	})
	if !strings.HasPrefix(out, "HTTP/1.") {
		t.Fatalf("A got from B: %q", out)
	}
}

// hostNetNS is the network namespace of the test process, the host's, as
// "net:[INODE]".
func hostNetNS(t *testing.T) string {
	t.Helper()
	ns, err := os.Readlink("/proc/self/ns/net")
	if err != nil || !strings.HasPrefix(ns, "net:[") {
		t.Fatalf("reading the test's network namespace: %q %v", ns, err)
	}
	return ns
}

// containerNetNS runs a container with args before the image and returns
// its network namespace, as hostNetNS does.
func containerNetNS(t *testing.T, args ...string) string {
	t.Helper()
	out := strings.TrimSpace(lumper(t, append(append([]string{"run", "--rm"}, args...), "busybox", "readlink", "/proc/self/ns/net")...))
	if !strings.HasPrefix(out, "net:[") {
		t.Fatalf("run %v: readlink /proc/self/ns/net printed %q", args, out)
	}
	return out
}

func TestNetworkModes(t *testing.T) {
	t.Parallel()
	// Only the network namespace tells host networking apart: a bridge
	// container has interfaces besides lo too.
	host := hostNetNS(t)
	if ns := containerNetNS(t, "--network", "host"); ns != host {
		t.Fatalf("--network host: the container is in network namespace %s, the host in %s", ns, host)
	}
	for _, args := range [][]string{nil, {"--network", "bridge"}, {"--network", "none"}} {
		if ns := containerNetNS(t, args...); ns == host {
			t.Fatalf("run %v: the container is in the host's network namespace %s", args, ns)
		}
	}
	if out := lumper(t, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); strings.TrimSpace(out) != "lo" {
		t.Fatalf("--network none interfaces: %q", out)
	}
	if out := strings.Fields(lumper(t, "run", "--rm", "busybox", "ls", "/sys/class/net")); !slices.Equal(out, []string{"eth0", "lo"}) {
		t.Fatalf("default (bridge) interfaces: %q", out)
	}
	out := lumper(t, "run", "--rm", "--hostname", "web1", "--dns", "192.0.2.53", "--add-host", "db:10.9.8.7",
		"busybox", "sh", "-c", "cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; ip -4 -o addr show eth0")
	parts := strings.Split(out, "---\n")
	if len(parts) != 4 {
		t.Fatalf("output: %q", out)
	}
	if parts[0] != "web1\n" {
		t.Errorf("/etc/hostname: %q", parts[0])
	}
	m := regexp.MustCompile(`inet (\d+\.\d+\.\d+\.\d+)/`).FindStringSubmatch(parts[3])
	if m == nil {
		t.Fatalf("no IPv4 address on eth0: %q", parts[3])
	}
	for _, want := range []string{"127.0.0.1\tlocalhost", "10.9.8.7\tdb", m[1] + "\tweb1"} {
		if !strings.Contains(parts[1], want+"\n") {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, parts[1])
		}
	}
	if !strings.HasPrefix(parts[2], "nameserver 192.0.2.53\n") || strings.Count(parts[2], "nameserver") != 1 {
		t.Errorf("--dns: resolv.conf:\n%s", parts[2])
	}
	// Without --dns: the host's servers, less the loopback ones.
	for _, l := range strings.Split(lumper(t, "run", "--rm", "busybox", "cat", "/etc/resolv.conf"), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			t.Errorf("loopback name server in resolv.conf: %q", l)
		}
	}
}

func TestNetworkUserDefined(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	net := uniqueName(t)
	t.Cleanup(func() { lumperRun("network", "rm", net) })
	lumper(t, "network", "create", "--subnet", "10.213.7.0/24", net)
	if out := lumper(t, "network", "ls"); !strings.Contains(out, net) || !strings.Contains(out, "bridge") {
		t.Fatalf("network ls:\n%s", out)
	}
	if sub := inspectNetworkSubnet(t, net); sub != "10.213.7.0/24" {
		t.Fatalf("network inspect: subnet %s, want 10.213.7.0/24", sub)
	}
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", net, "busybox", "sleep", "60")
	ns := inspectNet(t, name)
	if !strings.HasPrefix(ns.IPAddress, "10.213.7.") || ns.Gateway != "10.213.7.1" || ns.Network != net {
		t.Fatalf("container on %s: %+v", net, ns)
	}
	var infos []api.NetworkResource
	if err := json.Unmarshal([]byte(lumper(t, "network", "inspect", net)), &infos); err != nil || len(infos) != 1 ||
		len(infos[0].Containers) != 1 || infos[0].Containers[containerIDOf(t, name)].IPv4Address != ns.IPAddress+"/24" {
		t.Fatalf("network inspect: %v %+v", err, infos)
	}
	r := mustFail(t, 1, "network", "rm", net)
	if !strings.Contains(r.stderr, "used by container") {
		t.Fatalf("network rm of a used network: %s", r.stderr)
	}
	lumper(t, "rm", "-f", name)
	lumper(t, "network", "rm", net)
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, net) {
		t.Fatalf("network still listed after rm:\n%s", out)
	}
	checkClean(t, before)
}

// Networks belong to the data root, which every containerd namespace
// shares: a container of one namespace keeps its network from `network rm`
// in another.
func TestNetworkRmOtherNamespace(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	net := uniqueName(t)
	other := "lt-" + net
	t.Cleanup(func() {
		lumperRun("network", "rm", net)
		if c, ctx := ctd(t); c != nil {
			c.NamespaceService().Delete(ctx, other) // if anything created it
		}
	})
	lumper(t, "network", "create", net)
	bridge := inspectNetworkBridge(t, net)
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "--network", net, "busybox", "sleep", "60")
	r := mustFail(t, 1, "--namespace", other, "network", "rm", net)
	if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, "used by container "+name) ||
		!strings.Contains(msg, `namespace "`+testNamespace+`"`) {
		t.Fatalf("network rm from namespace %s of a network used in %s: want one line naming %s and its namespace, got %q", other, testNamespace, name, r.stderr)
	}
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); !slices.Contains(strings.Fields(out), net) {
		t.Fatalf("network gone after a refused rm:\n%s", out)
	}
	if err := exec.Command("ip", "link", "show", bridge).Run(); err != nil {
		t.Fatalf("bridge %s gone after a refused rm: %v", bridge, err)
	}
	ip := inspectNet(t, name).IPAddress
	if out := lumper(t, "exec", name, "ip", "-4", "-o", "addr", "show", "eth0"); ip == "" || !strings.Contains(out, " "+ip+"/") {
		t.Fatalf("container lost its address %q after a refused rm: %q", ip, out)
	}
	lumper(t, "rm", "-f", name)
	lumper(t, "--namespace", other, "network", "rm", net)
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); slices.Contains(strings.Fields(out), net) {
		t.Fatalf("network still listed after rm:\n%s", out)
	}
	checkClean(t, before)
}

func inspectNetworkBridge(t *testing.T, name string) string {
	t.Helper()
	var infos []api.NetworkResource
	if err := json.Unmarshal([]byte(lumper(t, "network", "inspect", name)), &infos); err != nil || len(infos) != 1 || infos[0].Options["com.docker.network.bridge.name"] == "" {
		t.Fatalf("network inspect %s: %v %+v", name, err, infos)
	}
	return infos[0].Options["com.docker.network.bridge.name"]
}

// A detached container that ends on its own, neither stopped nor removed,
// gives its network back: the logger runs `lumper internal-reap`, whose
// reapTask releases the veth, address, namespace and port rules.
func TestNetworkReleasedOnExit(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	name := uniqueName(t)
	rmOnCleanup(t, name)
	dir := t.TempDir()
	// The container waits for the test to have seen its network, then exits.
	lumper(t, "run", "-d", "--name", name, "-v", dir+":/w", "-p", "127.0.0.1::80", "busybox",
		"sh", "-c", "while [ ! -e /w/go ]; do sleep 0.05; done")
	if before.leaked(snapshot(t)) == "" {
		t.Fatal("the snapshot does not see the running container's network: the leak check would prove nothing")
	}
	if ns := inspectNet(t, name); ns.IPAddress == "" || len(ns.Ports) != 1 || ns.SandboxKey == "" {
		t.Fatalf("running container's network settings: %+v", ns)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitExited(t, name, 30*time.Second)
	checkClean(t, before)
	if ns := inspectNet(t, name); ns.IPAddress != "" || len(ns.Ports) != 0 || ns.SandboxKey != "" {
		t.Fatalf("exited container still has network settings: %+v", ns)
	}
}

func TestNetworkNoLeaks(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	start := time.Now()
	for i := 0; i < 50; i++ {
		args := []string{"run", "--rm"}
		if i%5 == 0 {
			args = append(args, "-p", "127.0.0.1::80") // a host port chosen by lumper
		}
		lumper(t, append(args, "busybox", "true")...)
	}
	t.Logf("50 runs with networking: %v per run", time.Since(start)/50)
	checkClean(t, before)
}

func TestNetworkContainerdRestart(t *testing.T) {
	warmUp(t)
	before := snapshot(t)
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, append([]string{"run", "-d", "--name", name, "-p", "127.0.0.1:18081:80", "busybox"}, httpdCmd...)...)
	if err := ctdScript("down"); err != nil {
		t.Fatal(err)
	}
	if err := ctdScript("up"); err != nil {
		t.Fatal(err)
	}
	lumper(t, "rm", "-f", name)
	checkClean(t, before)
}

func TestNetworkBadInput(t *testing.T) {
	warmUp(t)
	holder := uniqueName(t) + "-holder"
	rmOnCleanup(t, holder)
	lumper(t, "run", "-d", "--name", holder, "-p", "127.0.0.1:18082:80", "busybox", "sleep", "60")
	before := snapshot(t)
	list := lumper(t, "list", "-q")
	subnet := inspectNetworkSubnet(t, "bridge")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "-p", "18082:80", "busybox", "true"}, "already published by another container"},
		{[]string{"run", "-d", "-p", "127.0.0.1:18082:80", "busybox", "true"}, "already published by another container"},
		{[]string{"run", "--rm", "-p", "70000:80", "busybox", "true"}, "out of range"},
		{[]string{"run", "--rm", "-p", "8080:0", "busybox", "true"}, "out of range"},
		{[]string{"run", "--rm", "-p", "abc", "busybox", "true"}, "not a number"},
		{[]string{"run", "--rm", "-p", "1:2:3:4", "busybox", "true"}, "invalid --publish"},
		{[]string{"run", "--rm", "-p", "80/sctp", "busybox", "true"}, "tcp or udp"},
		{[]string{"run", "--rm", "--network", "nosuchnet", "busybox", "true"}, `network "nosuchnet" not found`},
		{[]string{"run", "--rm", "--network", "host", "-p", "80:80", "busybox", "true"}, "needs a bridge network"},
		{[]string{"run", "--rm", "--dns", "not-an-ip", "busybox", "true"}, "invalid --dns"},
		{[]string{"run", "--rm", "--add-host", "nocolon", "busybox", "true"}, "invalid --add-host"},
		{[]string{"network", "create", "--subnet", subnet, "overlapping"}, "overlaps"},
		{[]string{"network", "create", "--subnet", "10.0.0.0/33", "badsubnet"}, "invalid --subnet"},
		{[]string{"network", "create", "bridge"}, "reserved"},
		{[]string{"network", "rm", "nosuchnet"}, "not found"},
	} {
		r := mustFail(t, errorCode(c.args), c.args...)
		if !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("%v: want one line with %q, got %q", c.args, c.want, r.stderr)
		}
	}
	if after := lumper(t, "list", "-q"); after != list {
		t.Fatalf("bad input changed the list: %q -> %q", list, after)
	}
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, "overlapping") || strings.Contains(out, "badsubnet") {
		t.Fatalf("a refused network was created:\n%s", out)
	}
	checkClean(t, before)
}

func inspectNetworkSubnet(t *testing.T, name string) string {
	t.Helper()
	var infos []api.NetworkResource
	if err := json.Unmarshal([]byte(lumper(t, "network", "inspect", name)), &infos); err != nil || len(infos) != 1 || len(infos[0].IPAM.Config) != 1 || infos[0].IPAM.Config[0].Subnet == "" {
		t.Fatalf("network inspect %s: %v %+v", name, err, infos)
	}
	return infos[0].IPAM.Config[0].Subnet
}

func TestPublishAll(t *testing.T) {
	t.Parallel()
	img := "publish-all-test:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	lumper(t, "import", "-c", "EXPOSE 80/tcp", env.images.rootfs, img)
	t.Cleanup(func() { lumperRun("rmi", img) })
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, append([]string{"run", "-d", "--name", name, "-P", img}, httpdCmd...)...)
	ports := inspectNet(t, name).Ports
	if len(ports) != 1 || ports[0].ContainerPort != 80 || ports[0].HostPort == 0 {
		t.Fatalf("-P published %+v, want 80/tcp on a chosen host port", ports)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", ports[0].HostPort)
	eventually(t, 30*time.Second, "httpd answering on "+url, func() bool {
		b, err := httpGet(url)
		return err == nil && b == "hello\n"
	})
}
