//go:build integration

package integration

// Names on user networks (issue 16 item 2): containers of a user-defined
// network reach each other by name, --network-alias and short ID, also
// those started later and after a restart, and stop resolving once gone.
// The default bridge network resolves no names, as Docker's. Names are
// looked up with busybox's ping (getaddrinfo reads /etc/hosts) and used
// with nc; no packet leaves the machine.

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// resolve returns the address container from finds for name ("" when the
// name does not resolve), by busybox ping's first line.
func resolve(t *testing.T, from, name string) string {
	t.Helper()
	r := lumperRun("exec", from, "ping", "-c", "1", "-W", "1", name)
	line, _, _ := strings.Cut(r.stdout, "\n")
	if !strings.HasPrefix(line, "PING "+name+" (") {
		return ""
	}
	ip, _, _ := strings.Cut(strings.TrimPrefix(line, "PING "+name+" ("), ")")
	return ip
}

// ncGet fetches / from host:80 with nc inside container from.
func ncGet(from, host string) result {
	return lumperRun("exec", from, "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "+host+" 80")
}

func TestNetNamesResolve(t *testing.T) {
	net, _ := newNetwork(t)
	a, b, c := uniqueName(t)+"-a", uniqueName(t)+"-b", uniqueName(t)+"-c"
	for _, n := range []string{a, b, c} {
		rmOnCleanup(t, n)
	}
	lumper(t, append([]string{"run", "-d", "--name", a, "--network", net, "--network-alias", "web", "--network-alias", "www.example.test", "busybox"}, httpdCmd...)...)
	lumper(t, "run", "-d", "--name", b, "--network", net, "busybox", "sleep", "600")
	ipA, ipB := inspectNet(t, a).IPAddress, inspectNet(t, b).IPAddress
	idA := containerIDOf(t, a)

	// By name, alias and short ID, both ways, and over TCP.
	for _, name := range []string{a, "web", "www.example.test", idA[:12]} {
		if got := resolve(t, b, name); got != ipA {
			t.Fatalf("%s resolves %q to %q, want %s", b, name, got, ipA)
		}
	}
	if got := resolve(t, a, b); got != ipB {
		t.Fatalf("%s resolves %q to %q, want %s", a, b, got, ipB)
	}
	eventually(t, 10*time.Second, "httpd answering by alias", func() bool {
		r := ncGet(b, "web")
		return r.code == 0 && strings.HasSuffix(r.stdout, "hello\n")
	})

	// A container started later is seen by the running ones (their hosts
	// files are rewritten in place) and sees them.
	lumper(t, "run", "-d", "--name", c, "--network", net, "busybox", "sleep", "600")
	ipC := inspectNet(t, c).IPAddress
	if got := resolve(t, a, c); got != ipC {
		t.Fatalf("running %s resolves the later %s to %q, want %s", a, c, got, ipC)
	}
	if got := resolve(t, c, "web"); got != ipA {
		t.Fatalf("later %s resolves web to %q, want %s", c, got, ipA)
	}
	if out := lumper(t, "run", "--rm", "--network", net, "busybox", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "+a+" 80"); !strings.HasSuffix(out, "hello\n") {
		t.Fatalf("run --rm on %s fetching http://%s/: %q", net, a, out)
	}

	// After a restart (a new address, maybe) the others follow.
	lumper(t, "restart", "-t", "1", a)
	ipA2 := inspectNet(t, a).IPAddress
	if got := resolve(t, b, "web"); got != ipA2 || ipA2 == "" {
		t.Fatalf("after restart %s resolves web to %q, want %s", b, got, ipA2)
	}
	if got := resolve(t, a, b); got != ipB {
		t.Fatalf("restarted %s resolves %s to %q, want %s", a, b, got, ipB)
	}

	// Stopped, then removed: gone from the others.
	lumper(t, "stop", "-t", "1", c)
	if got := resolve(t, a, c); got != "" {
		t.Fatalf("stopped %s still resolves to %q", c, got)
	}
	lumper(t, "start", c)
	if got := resolve(t, a, c); got == "" {
		t.Fatalf("%s started again does not resolve", c)
	}
	lumper(t, "rm", "-f", a)
	for _, name := range []string{a, "web", idA[:12]} {
		if got := resolve(t, b, name); got != "" {
			t.Fatalf("after rm, %s still resolves %q to %q", b, name, got)
		}
	}
	if hosts := lumper(t, "exec", b, "cat", "/etc/hosts"); strings.Contains(hosts, a) || !strings.Contains(hosts, c) {
		t.Fatalf("%s's /etc/hosts after rm %s:\n%s", b, a, hosts)
	}
}

// The default bridge network resolves no names (Docker's rule), and
// --network-alias is refused there.
func TestNetNamesDefaultBridge(t *testing.T) {
	a, b := uniqueName(t)+"-a", uniqueName(t)+"-b"
	rmOnCleanup(t, a)
	rmOnCleanup(t, b)
	lumper(t, "run", "-d", "--name", a, "busybox", "sleep", "600")
	lumper(t, "run", "-d", "--name", b, "busybox", "sleep", "600")
	if got := resolve(t, b, a); got != "" {
		t.Fatalf("on the default bridge %s resolves %s to %q", b, a, got)
	}
	r := mustFail(t, 125, "run", "--rm", "--network-alias", "x", "busybox", "true")
	if !strings.Contains(r.stderr, "user-defined network") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("--network-alias on bridge: %s", r)
	}
	r = mustFail(t, 125, "run", "--rm", "--network-alias", "bad,name", "busybox", "true")
	if !strings.Contains(r.stderr, "--network-alias") {
		t.Fatalf("bad alias: %s", r)
	}
}

// Inspect shows the aliases and the names a container answers to.
func TestNetNamesInspect(t *testing.T) {
	net, _ := newNetwork(t)
	a := uniqueName(t)
	rmOnCleanup(t, a)
	lumper(t, "run", "-d", "--name", a, "--network", net, "--network-alias", "db", "busybox", "sleep", "600")
	id := containerIDOf(t, a)
	got := strings.TrimSpace(inspectF(t, fmt.Sprintf(`{{with index .NetworkSettings.Networks %q}}{{json .Aliases}} {{json .DNSNames}}{{end}}`, net), a))
	want := fmt.Sprintf(`["db"] [%q,"db",%q]`, a, id[:12])
	if got != want {
		t.Fatalf("inspect aliases and DNS names: %s, want %s", got, want)
	}
}

// fmtSscanLastOctet reads the last octet of an IPv4 address.
func fmtSscanLastOctet(ip string, last *int) (int, error) {
	var a, b, c int
	return fmt.Sscanf(ip, "%d.%d.%d.%d", &a, &b, &c, last)
}

// lumperHostCmd runs a command on the host and returns its output.
func lumperHostCmd(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// network prune removes the unused user networks only. Not a compat case:
// it would remove the networks parallel cases have just created.
func TestNetworkPrune(t *testing.T) {
	unused := uniqueName(t) + "-unused"
	used := uniqueName(t) + "-used"
	t.Cleanup(func() { lumperRun("network", "rm", unused); lumperRun("network", "rm", used) })
	lumper(t, "network", "create", unused)
	lumper(t, "network", "create", used)
	a := uniqueName(t)
	rmOnCleanup(t, a)
	lumper(t, "create", "--name", a, "--network", used, "busybox", "true")
	out := lumper(t, "network", "prune", "-f")
	ls := lines(out)
	if len(ls) < 2 || ls[0] != "Deleted Networks:" || !slices.Contains(ls, unused) || slices.Contains(ls, used) || slices.Contains(ls, "bridge") {
		t.Fatalf("network prune -f:\n%s", out)
	}
	names := lines(lumper(t, "network", "ls", "--format", "{{.Name}}"))
	if slices.Contains(names, unused) || !slices.Contains(names, used) || !slices.Contains(names, "bridge") {
		t.Fatalf("network ls after prune: %q", names)
	}
	if out := lumper(t, "network", "prune", "-f"); strings.Contains(out, used) {
		t.Fatalf("second prune: %q", out)
	}
}

// network connect adds an interface on another network to a running
// container: names resolve both ways on it, inspect and ps show both
// networks; disconnect (and the end of the task) release it.
func TestNetworkConnect(t *testing.T) {
	n1, _ := newNetwork(t)
	n2 := n1 + "-2"
	t.Cleanup(func() { lumperRun("network", "rm", n2) })
	lumper(t, "network", "create", n2)
	a := uniqueName(t) + "-a"
	b := uniqueName(t) + "-b"
	rmOnCleanup(t, a)
	rmOnCleanup(t, b)
	lumper(t, "run", "-d", "--name", a, "--network", n1, "busybox", "sleep", "600")
	lumper(t, "run", "-d", "--name", b, "--network", n2, "busybox", "sleep", "600")
	if got := resolve(t, b, a); got != "" {
		t.Fatalf("before connect, %s resolves %s to %s", b, a, got)
	}
	lumper(t, "network", "connect", "--alias", "joined", n2, a)
	ip := strings.TrimSpace(inspectF(t, fmt.Sprintf(`{{(index .NetworkSettings.Networks %q).IPAddress}}`, n2), a))
	if ip == "" {
		t.Fatal("inspect shows no address on the connected network")
	}
	if out := lumper(t, "exec", a, "ip", "-4", "-o", "addr", "show", "eth1"); !strings.Contains(out, ip+"/") {
		t.Fatalf("eth1 of %s: %s, want %s", a, out, ip)
	}
	for _, name := range []string{a, "joined"} {
		if got := resolve(t, b, name); got != ip {
			t.Fatalf("%s resolves %s to %q, want %s", b, name, got, ip)
		}
	}
	if got := resolve(t, a, b); got != inspectNet(t, b).IPAddress {
		t.Fatalf("connected %s resolves %s to %q", a, b, got)
	}
	if out := strings.TrimSpace(lumper(t, "ps", "--filter", "name="+a, "--format", "{{.Networks}}")); out != n1+","+n2 {
		t.Fatalf("ps .Networks = %q", out)
	}
	if out := lumper(t, "ps", "-q", "--filter", "network="+n2); len(lines(out)) != 2 {
		t.Fatalf("ps --filter network=%s: %q", n2, out)
	}
	mustFail(t, 1, "network", "connect", n2, a)    // already there
	mustFail(t, 1, "network", "disconnect", n1, a) // its run --network
	mustFail(t, 1, "network", "rm", n2)            // in use by a connected container
	lumper(t, "network", "disconnect", n2, a)
	if got := resolve(t, b, a); got != "" {
		t.Fatalf("after disconnect %s resolves %s to %s", b, a, got)
	}
	if r := lumperRun("exec", a, "ip", "link", "show", "eth1"); r.code == 0 {
		t.Fatalf("eth1 still there after disconnect: %s", r.stdout)
	}
	// Connected again, then stopped: the task's end releases it.
	lumper(t, "network", "connect", n2, a)
	lumper(t, "stop", "-t", "1", a)
	if got := resolve(t, b, a); got != "" {
		t.Fatalf("after stop %s resolves %s to %s", b, a, got)
	}
	if out := strings.TrimSpace(inspectF(t, "{{len .NetworkSettings.Networks}}", a)); out != "1" {
		t.Fatalf("stopped: %s networks in inspect", out)
	}
	r := mustFail(t, 1, "network", "connect", n2, a)
	if !strings.Contains(r.stderr, "not running") {
		t.Fatalf("connect of a stopped container: %s", r)
	}
}
