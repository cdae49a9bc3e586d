//go:build integration

package integration

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Docker's network commands: create prints the ID, ls has Docker's
// columns, filters and fields, inspect Docker's document and errors.

var hex12RE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// compatSubnet hands out /24s that no other test uses (10.214.N.0/24).
var compatSubnet atomic.Int32

// newNetwork creates a network named from t, removed when t ends; extra
// flags go before the name. It returns the name and the printed ID.
func newNetwork(t *testing.T, flags ...string) (string, string) {
	t.Helper()
	name := uniqueName(t)
	t.Cleanup(func() { docker("network", "rm", name) })
	out := dockerOK(t, append(append([]string{"network", "create"}, flags...), name)...)
	id := strings.TrimSpace(out)
	if !hex64RE.MatchString(id) {
		t.Fatalf("network create printed %q, want a 64-hex ID", out)
	}
	return name, id
}

func nextSubnet() string {
	return "10.214." + strconv.Itoa(int(compatSubnet.Add(1))) + ".0/24"
}

// lsNames runs `network ls --format {{.Name}}` with args.
func lsNames(t *testing.T, args ...string) []string {
	t.Helper()
	return lines(dockerOK(t, append([]string{"network", "ls", "--format", "{{.Name}}"}, args...)...))
}

var _ = registerCompat("network",
	compatCase{"network create NAME prints the network's ID, as network inspect -f '{{.Id}}'", func(t *testing.T) {
		name, id := newNetwork(t)
		wantEqual(t, "Id", inspectF(t, "{{.Id}}", "network", name), id)
	}},
	compatCase{"network create: the ID is stable and the NETWORK ID column shows its 12 first digits", func(t *testing.T) {
		name, id := newNetwork(t)
		out := dockerOK(t, "network", "ls", "--filter", "name="+name)
		if !strings.Contains(out, id[:12]+"   "+name) {
			t.Fatalf("network ls:\n%s\nwant a row starting %s   %s", out, id[:12], name)
		}
		wantEqual(t, "Id again", inspectF(t, "{{.Id}}", "network", name), id)
	}},
	compatCase{"network ls: NETWORK ID   NAME   DRIVER   SCOPE", func(t *testing.T) {
		ls := lines(dockerOK(t, "network", "ls"))
		if len(ls) < 4 || !regexp.MustCompile(`^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$`).MatchString(ls[0]) {
			t.Fatalf("network ls:\n%s", strings.Join(ls, "\n"))
		}
		want := map[string]string{"bridge": "bridge", "host": "host", "none": "null"}
		for _, l := range ls[1:] {
			f := strings.Fields(l)
			if len(f) != 4 || !hex12RE.MatchString(f[0]) || f[3] != "local" {
				t.Fatalf("row %q", l)
			}
			if d, ok := want[f[1]]; ok {
				if f[2] != d {
					t.Fatalf("%s has driver %s, want %s", f[1], f[2], d)
				}
				delete(want, f[1])
			}
		}
		if len(want) != 0 {
			t.Fatalf("network ls lacks %v:\n%s", want, strings.Join(ls, "\n"))
		}
	}},
	compatCase{"network ls -q: 12-digit IDs", func(t *testing.T) {
		ids := lines(dockerOK(t, "network", "ls", "-q"))
		bridge := inspectF(t, "{{.Id}}", "network", "bridge")
		if len(ids) < 3 || !slices.Contains(ids, bridge[:12]) {
			t.Fatalf("network ls -q = %q, want bridge's %s among them", ids, bridge[:12])
		}
		for _, id := range ids {
			if !hex12RE.MatchString(id) {
				t.Fatalf("network ls -q printed %q", id)
			}
		}
	}},
	compatCase{"network ls -q --no-trunc: whole IDs", func(t *testing.T) {
		ids := lines(dockerOK(t, "network", "ls", "-q", "--no-trunc"))
		if !slices.Contains(ids, inspectF(t, "{{.Id}}", "network", "bridge")) {
			t.Fatalf("network ls -q --no-trunc = %q", ids)
		}
	}},
	compatCase{"network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'", func(t *testing.T) {
		ls := lines(dockerOK(t, "network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"))
		for _, want := range []string{"bridge bridge local", "host host local", "none null local"} {
			if !slices.Contains(ls, want) {
				t.Fatalf("network ls --format = %q, want %q", ls, want)
			}
		}
	}},
	compatCase{"network ls --format '{{.ID}}' is the 64-hex ID", func(t *testing.T) {
		name, id := newNetwork(t)
		wantEqual(t, ".ID", strings.TrimSpace(dockerOK(t, "network", "ls", "--filter", "name="+name, "--format", "{{.ID}}")), id)
	}},
	compatCase{"network ls --format json: one object per line with Name and Driver", func(t *testing.T) {
		for _, l := range lines(dockerOK(t, "network", "ls", "--format", "json")) {
			var n struct{ ID, Name, Driver, Scope string }
			if err := json.Unmarshal([]byte(l), &n); err != nil || n.Name == "" || n.Driver == "" || n.Scope != "local" {
				t.Fatalf("line %q: %v", l, err)
			}
		}
	}},
	compatCase{"network ls is sorted by name", func(t *testing.T) {
		names := lsNames(t)
		if !slices.IsSorted(names) {
			t.Fatalf("network ls order: %q", names)
		}
	}},
	compatCase{"network ls --filter name=NAME", func(t *testing.T) {
		name, _ := newNetwork(t)
		if got := lsNames(t, "--filter", "name="+name); !slices.Equal(got, []string{name}) {
			t.Fatalf("--filter name=%s: %q", name, got)
		}
	}},
	compatCase{"network ls --filter id=PREFIX", func(t *testing.T) {
		name, id := newNetwork(t)
		if got := lsNames(t, "--filter", "id="+id[:16]); !slices.Equal(got, []string{name}) {
			t.Fatalf("--filter id=%s: %q", id[:16], got)
		}
	}},
	compatCase{"network ls --filter driver=bridge", func(t *testing.T) {
		got := lsNames(t, "--filter", "driver=bridge")
		if !slices.Contains(got, "bridge") || slices.Contains(got, "host") || slices.Contains(got, "none") {
			t.Fatalf("--filter driver=bridge: %q", got)
		}
	}},
	compatCase{"network create --label env=ci; network ls --filter label=env=ci", func(t *testing.T) {
		val := "ci-" + uniqueName(t)
		name, _ := newNetwork(t, "--label", "compat.env="+val)
		if got := lsNames(t, "--filter", "label=compat.env="+val); !slices.Equal(got, []string{name}) {
			t.Fatalf("--filter label=compat.env=%s: %q", val, got)
		}
		if got := lsNames(t, "--filter", "label=compat.env="+val+"x"); len(got) != 0 {
			t.Fatalf("a wrong label value matched: %q", got)
		}
	}},
	compatCase{"network ls --filter label=KEY", func(t *testing.T) {
		name, _ := newNetwork(t, "--label", "compat.only-key-label")
		got := lsNames(t, "--filter", "label=compat.only-key-label")
		if !slices.Equal(got, []string{name}) {
			t.Fatalf("--filter label=compat.only-key-label: %q", got)
		}
	}},
	compatCase{"network ls --filter type=custom leaves out bridge, host and none", func(t *testing.T) {
		got := lsNames(t, "--filter", "type=custom")
		if slices.Contains(got, "bridge") || slices.Contains(got, "host") || slices.Contains(got, "none") {
			t.Fatalf("--filter type=custom: %q", got)
		}
		if got := lsNames(t, "--filter", "type=builtin"); !slices.Equal(got, []string{"bridge", "host", "none"}) {
			t.Fatalf("--filter type=builtin: %q", got)
		}
	}},
	compatCase{"network ls --filter colour=red is an error", func(t *testing.T) {
		wantExit(t, docker("network", "ls", "--filter", "colour=red"), 1)
	}},
	compatCase{"network create --label a=b: network inspect -f '{{.Labels.a}}' and '{{json .Labels}}'", func(t *testing.T) {
		name, _ := newNetwork(t, "--label", "a=b", "--label", "c=d")
		wantEqual(t, "Labels.a", inspectF(t, "{{.Labels.a}}", "network", name), "b")
		wantEqual(t, "Labels", inspectF(t, "{{json .Labels}}", "network", name), `{"a":"b","c":"d"}`)
	}},
	compatCase{"network inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}' bridge", func(t *testing.T) {
		wantEqual(t, "bridge", inspectF(t, "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}", "network", "bridge"), "bridge bridge local false")
	}},
	compatCase{"network create --subnet S: network inspect -f '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}'", func(t *testing.T) {
		sub := nextSubnet()
		name, _ := newNetwork(t, "--subnet", sub)
		gw := strings.TrimSuffix(sub, "0/24") + "1"
		wantEqual(t, "IPAM", inspectF(t, "{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}", "network", name), sub+" "+gw)
		wantEqual(t, "IPAM.Config", inspectF(t, "{{json .IPAM.Config}}", "network", name), `[{"Subnet":"`+sub+`","Gateway":"`+gw+`"}]`)
	}},
	compatCase{"network inspect -f '{{.Created}}': RFC 3339", func(t *testing.T) {
		name, _ := newNetwork(t)
		wantRFC3339(t, "Created", inspectF(t, "{{.Created}}", "network", name))
	}},
	compatCase{"network inspect NAME: one JSON document with Docker's keys", func(t *testing.T) {
		var docs []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(dockerOK(t, "network", "inspect", "bridge")), &docs); err != nil || len(docs) != 1 {
			t.Fatalf("network inspect: %v", err)
		}
		for _, k := range []string{"Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Attachable", "Containers", "Options", "Labels"} {
			if _, ok := docs[0][k]; !ok {
				t.Errorf("no %s in the document", k)
			}
		}
	}},
	compatCase{"network inspect ID-PREFIX", func(t *testing.T) {
		name, id := newNetwork(t)
		wantEqual(t, "Name", inspectF(t, "{{.Name}}", "network", id[:12]), name)
	}},
	compatCase{"network inspect missing: [] and 'Error: No such network: missing', exit 1", func(t *testing.T) {
		r := docker("network", "inspect", "no-such-net")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, "[]\n")
		wantEqual(t, "stderr", r.stderr, "Error: No such network: no-such-net\n")
	}},
	compatCase{"network inspect bridge missing: bridge printed, exit 1", func(t *testing.T) {
		r := docker("network", "inspect", "-f", "{{.Name}}", "bridge", "no-such-net2")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, "bridge\n")
	}},
	compatCase{"inspect --type network -f '{{.Driver}}' host", func(t *testing.T) {
		wantEqual(t, "Driver", strings.TrimSpace(dockerOK(t, "inspect", "--type", "network", "-f", "{{.Driver}}", "host")), "host")
	}},
	compatCase{"inspect NETWORK: a network when no container or image has that name", func(t *testing.T) {
		name, id := newNetwork(t)
		wantEqual(t, "Id", inspectF(t, "{{.Id}}", name), id)
	}},
	compatCase{"inspect --type network missing: 'Error: No such network: missing'", func(t *testing.T) {
		r := docker("inspect", "--type", "network", "no-such-net3")
		wantExit(t, r, 1)
		wantEqual(t, "stderr", r.stderr, "Error: No such network: no-such-net3\n")
	}},
	compatCase{"network inspect -f '{{range .Containers}}...' lists a running container with its address", func(t *testing.T) {
		net, netID := newNetwork(t, "--subnet", nextSubnet())
		name := uniqueName(t) + "-c"
		rmOnCleanup(t, name)
		dockerOK(t, "run", "-d", "--name", name, "--network", net, "busybox", "sleep", "60")
		ip := inspectF(t, "{{.NetworkSettings.IPAddress}}", name)
		wantEqual(t, "Containers", inspectF(t, "{{range $id, $c := .Containers}}{{$id}} {{$c.Name}} {{$c.IPv4Address}}{{end}}", "network", net),
			containerIDOf(t, name)+" "+name+" "+ip+"/24")
		wantEqual(t, "container's Networks", inspectF(t, `{{.HostConfig.NetworkMode}} {{(index .NetworkSettings.Networks "`+net+`").IPAddress}} {{(index .NetworkSettings.Networks "`+net+`").NetworkID}}`, name),
			net+" "+ip+" "+netID)
	}},
	compatCase{"network rm NAME prints NAME; then it is gone", func(t *testing.T) {
		name, _ := newNetwork(t)
		wantEqual(t, "rm", dockerOK(t, "network", "rm", name), name+"\n")
		if got := lsNames(t, "--filter", "name="+name); len(got) != 0 {
			t.Fatalf("still listed: %q", got)
		}
		wantExit(t, docker("network", "inspect", name), 1)
	}},
	compatCase{"network rm ID-PREFIX", func(t *testing.T) {
		name, id := newNetwork(t)
		dockerOK(t, "network", "rm", id[:12])
		if got := lsNames(t, "--filter", "name="+name); len(got) != 0 {
			t.Fatalf("still listed: %q", got)
		}
	}},
	compatCase{"network create NAME twice fails, exit 1", func(t *testing.T) {
		name, _ := newNetwork(t)
		r := docker("network", "create", name)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "already exists") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"network create -d bridge NAME", func(t *testing.T) {
		name := uniqueName(t)
		t.Cleanup(func() { docker("network", "rm", name) })
		dockerOK(t, "network", "create", "-d", "bridge", name)
		wantEqual(t, "Driver", inspectF(t, "{{.Driver}}", "network", name), "bridge")
	}},
	compatCase{"network rm bridge is refused", func(t *testing.T) {
		wantExit(t, docker("network", "rm", "bridge"), 1)
	}},
)
