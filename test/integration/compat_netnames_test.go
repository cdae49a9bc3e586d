//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// Docker's user networks: names and aliases resolve between their
// containers, network create's IPAM and driver options.

// runOn starts a detached sleeper on network net with extra run flags and
// returns its name (removed when t ends).
func runOn(t *testing.T, net, suffix string, flags ...string) string {
	t.Helper()
	name := uniqueName(t) + suffix
	rmOnCleanup(t, name)
	dockerOK(t, append(append([]string{"run", "-d", "--name", name, "--network", net}, flags...), "busybox", "sleep", "600")...)
	return name
}

var _ = registerCompat("netnames",
	compatCase{"run --network NET --name a; run --network NET b: ping a resolves a's address", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "-a")
		b := runOn(t, net, "-b")
		wantEqual(t, "a from b", resolve(t, b, a), inspectF(t, "{{.NetworkSettings.IPAddress}}", a))
		wantEqual(t, "b from a", resolve(t, a, b), inspectF(t, "{{.NetworkSettings.IPAddress}}", b))
	}},
	compatCase{"run --network NET --network-alias db: the others resolve db", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "-a", "--network-alias", "db", "--network-alias", "db2")
		b := runOn(t, net, "-b")
		ip := inspectF(t, "{{.NetworkSettings.IPAddress}}", a)
		wantEqual(t, "db", resolve(t, b, "db"), ip)
		wantEqual(t, "db2", resolve(t, b, "db2"), ip)
	}},
	compatCase{"run --network NET: a container's short ID resolves on its network", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "-a")
		b := runOn(t, net, "-b")
		id := inspectF(t, "{{.Id}}", a)
		wantEqual(t, "short ID", resolve(t, b, id[:12]), inspectF(t, "{{.NetworkSettings.IPAddress}}", a))
	}},
	compatCase{"rm -f a: a no longer resolves on its network", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "-a", "--network-alias", "gone")
		b := runOn(t, net, "-b")
		if resolve(t, b, "gone") == "" {
			t.Fatal("alias does not resolve while a runs")
		}
		dockerOK(t, "rm", "-f", a)
		if got := resolve(t, b, a); got != "" {
			t.Fatalf("removed %s still resolves to %s", a, got)
		}
		if got := resolve(t, b, "gone"); got != "" {
			t.Fatalf("removed alias still resolves to %s", got)
		}
	}},
	compatCase{"stop a: a no longer resolves; start a: it does again", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "-a")
		b := runOn(t, net, "-b")
		dockerOK(t, "stop", "-t", "1", a)
		if got := resolve(t, b, a); got != "" {
			t.Fatalf("stopped %s resolves to %s", a, got)
		}
		dockerOK(t, "start", a)
		wantEqual(t, "after start", resolve(t, b, a), inspectF(t, "{{.NetworkSettings.IPAddress}}", a))
	}},
	compatCase{"run on the default bridge: names do not resolve (Docker's legacy bridge)", func(t *testing.T) {
		web := fixture(t, compatWeb)
		b := uniqueName(t)
		rmOnCleanup(t, b)
		dockerOK(t, "run", "-d", "--name", b, "busybox", "sleep", "600")
		if got := resolve(t, b, web); got != "" {
			t.Fatalf("on the default bridge %s resolves to %s", web, got)
		}
	}},
	compatCase{"run --network-alias x (default bridge) exits 125", func(t *testing.T) {
		r := docker("run", "--rm", "--network-alias", "x", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "user-defined network") {
			t.Fatalf("stderr: %s", r.stderr)
		}
	}},
	compatCase{"inspect -f '{{json .NetworkSettings.Networks.NET.Aliases}}'", func(t *testing.T) {
		net, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, net, "", "--network-alias", "cache")
		wantEqual(t, "Aliases", inspectF(t, "{{json (index .NetworkSettings.Networks \""+net+"\").Aliases}}", a), `["cache"]`)
	}},
	compatCase{"network create --subnet S --gateway G: IPAM.Config's Gateway and the container's", func(t *testing.T) {
		sub := nextSubnet()
		gw := strings.TrimSuffix(sub, "0/24") + "254"
		net, _ := newNetwork(t, "--subnet", sub, "--gateway", gw)
		wantEqual(t, "IPAM gateway", inspectF(t, "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "network", net), gw)
		a := runOn(t, net, "")
		wantEqual(t, "container gateway", inspectF(t, "{{.NetworkSettings.Gateway}}", a), gw)
	}},
	compatCase{"network create --subnet S --ip-range R: containers get addresses in R", func(t *testing.T) {
		sub := nextSubnet()
		rng := strings.TrimSuffix(sub, "0/24") + "128/25"
		net, _ := newNetwork(t, "--subnet", sub, "--ip-range", rng)
		wantEqual(t, "IPAM IPRange", inspectF(t, "{{range .IPAM.Config}}{{.IPRange}}{{end}}", "network", net), rng)
		a := runOn(t, net, "")
		ip := inspectF(t, "{{.NetworkSettings.IPAddress}}", a)
		var last int
		if _, err := fmtSscanLastOctet(ip, &last); err != nil || last < 128 {
			t.Fatalf("address %s is not in %s", ip, rng)
		}
	}},
	compatCase{"network create --gateway without --subnet exits 1", func(t *testing.T) {
		r := docker("network", "create", "--gateway", "10.1.2.3", uniqueName(t))
		wantExit(t, r, 1)
	}},
	compatCase{"network create --internal: .Internal is true, no default route inside", func(t *testing.T) {
		net, _ := newNetwork(t, "--internal", "--subnet", nextSubnet())
		wantEqual(t, "Internal", inspectF(t, "{{.Internal}}", "network", net), "true")
		out := dockerOK(t, "run", "--rm", "--network", net, "busybox", "ip", "route")
		if strings.Contains(out, "default") || !strings.Contains(out, "eth0") {
			t.Fatalf("routes on an internal network:\n%s", out)
		}
	}},
	compatCase{"network create -o com.docker.network.bridge.name=NAME: the bridge device is NAME", func(t *testing.T) {
		sum := sha256.Sum256([]byte(t.Name()))
		br := "lt" + hex.EncodeToString(sum[:4])
		net, _ := newNetwork(t, "-o", "com.docker.network.bridge.name="+br, "--subnet", nextSubnet())
		wantEqual(t, "Options", inspectF(t, `{{index .Options "com.docker.network.bridge.name"}}`, "network", net), br)
		runOn(t, net, "")
		if out := lumperHostCmd(t, "ip", "-o", "link", "show", br); !strings.Contains(out, br+":") {
			t.Fatalf("ip link show %s: %s", br, out)
		}
	}},
	compatCase{"network create --opt com.docker.network.driver.mtu=1400: eth0's MTU", func(t *testing.T) {
		net, _ := newNetwork(t, "--opt", "com.docker.network.driver.mtu=1400", "--subnet", nextSubnet())
		wantEqual(t, "MTU", strings.TrimSpace(dockerOK(t, "run", "--rm", "--network", net, "busybox", "cat", "/sys/class/net/eth0/mtu")), "1400")
	}},
	compatCase{"network create --opt nosuch=1 exits 1 naming the option", func(t *testing.T) {
		r := docker("network", "create", "--opt", "nosuch=1", uniqueName(t))
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "nosuch") {
			t.Fatalf("stderr: %s", r.stderr)
		}
	}},
	compatCase{"network create NAME of 180 characters; run on it", func(t *testing.T) {
		name := uniqueName(t)
		name += strings.Repeat("x", 180-len(name))
		t.Cleanup(func() { docker("network", "rm", name) })
		dockerOK(t, "network", "create", "--subnet", nextSubnet(), name)
		wantEqual(t, "run", strings.TrimSpace(dockerOK(t, "run", "--rm", "--network", name, "busybox", "echo", "ok")), "ok")
		wantExit(t, docker("network", "create", name+"y"), 1)
	}},
	compatCase{"network connect NET CONTAINER: eth1 with an address on NET, shown by inspect", func(t *testing.T) {
		n1, _ := newNetwork(t, "--subnet", nextSubnet())
		n2 := n1 + "-2"
		t.Cleanup(func() { docker("network", "rm", n2) })
		dockerOK(t, "network", "create", "--subnet", nextSubnet(), n2)
		a := runOn(t, n1, "")
		dockerOK(t, "network", "connect", n2, a)
		ip := inspectF(t, "{{(index .NetworkSettings.Networks \""+n2+"\").IPAddress}}", a)
		if out := dockerOK(t, "exec", a, "ip", "-4", "-o", "addr", "show", "eth1"); ip == "" || !strings.Contains(out, ip+"/") {
			t.Fatalf("eth1: %q, inspect: %q", out, ip)
		}
	}},
	compatCase{"network connect --alias x NET CONTAINER: NET's containers resolve x", func(t *testing.T) {
		n1, _ := newNetwork(t, "--subnet", nextSubnet())
		n2 := n1 + "-2"
		t.Cleanup(func() { docker("network", "rm", n2) })
		dockerOK(t, "network", "create", "--subnet", nextSubnet(), n2)
		a := runOn(t, n1, "-a")
		b := runOn(t, n2, "-b")
		dockerOK(t, "network", "connect", "--alias", "x", n2, a)
		wantEqual(t, "x", resolve(t, b, "x"), inspectF(t, "{{(index .NetworkSettings.Networks \""+n2+"\").IPAddress}}", a))
	}},
	compatCase{"network disconnect NET CONTAINER: the name stops resolving on NET", func(t *testing.T) {
		n1, _ := newNetwork(t, "--subnet", nextSubnet())
		n2 := n1 + "-2"
		t.Cleanup(func() { docker("network", "rm", n2) })
		dockerOK(t, "network", "create", "--subnet", nextSubnet(), n2)
		a := runOn(t, n1, "-a")
		b := runOn(t, n2, "-b")
		dockerOK(t, "network", "connect", n2, a)
		if resolve(t, b, a) == "" {
			t.Fatal("does not resolve once connected")
		}
		dockerOK(t, "network", "disconnect", n2, a)
		if got := resolve(t, b, a); got != "" {
			t.Fatalf("resolves to %s after disconnect", got)
		}
		wantEqual(t, "networks", inspectF(t, "{{len .NetworkSettings.Networks}}", a), "1")
	}},
	compatCase{"network connect NET CONTAINER twice exits 1", func(t *testing.T) {
		n1, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, n1, "")
		r := docker("network", "connect", n1, a)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "already exists in network") {
			t.Fatalf("stderr: %s", r.stderr)
		}
	}},
	compatCase{"network disconnect of a network the container is not on exits 1", func(t *testing.T) {
		n1, _ := newNetwork(t, "--subnet", nextSubnet())
		a := runOn(t, n1, "")
		wantExit(t, docker("network", "disconnect", "bridge", a), 1)
	}},
)
