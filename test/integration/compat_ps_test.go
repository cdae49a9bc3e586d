//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Docker's ps (docs.docker.com/reference/cli/docker/container/ls): the
// compatibility cases of `ps`, its filters and its --format fields.

// psJSONRows runs ps with args and --format json and returns its rows,
// checking that each line is one JSON object of strings.
func psJSONRows(t *testing.T, args ...string) []map[string]string {
	t.Helper()
	out := dockerOK(t, append(append([]string{"ps"}, args...), "--format", "json")...)
	var rows []map[string]string
	for _, l := range lines(out) {
		var r map[string]string
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("ps --format json line %q is not one object of strings: %v", l, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// psRowOf is the JSON row of the container named name, if listed.
func psRowOf(t *testing.T, name string, args ...string) (map[string]string, bool) {
	t.Helper()
	for _, r := range psJSONRows(t, args...) {
		if r["Names"] == name {
			return r, true
		}
	}
	return nil, false
}

// psNamesOf runs ps with args and returns the names it lists.
func psNamesOf(t *testing.T, args ...string) []string {
	t.Helper()
	return lines(dockerOK(t, append(append([]string{"ps"}, args...), "--format", "{{.Names}}")...))
}

// wantListed checks which of the names ps lists with args.
func wantListed(t *testing.T, args []string, in []string, out []string) {
	t.Helper()
	got := psNamesOf(t, args...)
	for _, n := range in {
		if !slices.Contains(got, n) {
			t.Errorf("ps %s does not list %s: %q", strings.Join(args, " "), n, got)
		}
	}
	for _, n := range out {
		if slices.Contains(got, n) {
			t.Errorf("ps %s lists %s: %q", strings.Join(args, " "), n, got)
		}
	}
}

// tableCells splits a table line on runs of two or more spaces.
func tableCells(line string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
}

// tableRowOf is the cells of the table line that ends with name (NAMES is
// the last column of ps's table).
func tableRowOf(t *testing.T, table, name string) []string {
	t.Helper()
	for _, l := range lines(table) {
		if c := tableCells(l); c[len(c)-1] == name {
			return c
		}
	}
	t.Fatalf("no row of %s in:\n%s", name, table)
	return nil
}

var (
	reShortID  = regexp.MustCompile(`^[0-9a-f]{12}$`)
	reLongID   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	reAgo      = regexp.MustCompile(`^(Less than a second|1 second|\d+ seconds|About a minute|\d+ minutes|About an hour|\d+ hours) ago$`)
	reUp       = regexp.MustCompile(`^Up (Less than a second|1 second|\d+ seconds|About a minute|\d+ minutes)$`)
	reCreated  = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$`)
	rePortLoop = regexp.MustCompile(`^127\.0\.0\.1:\d+->80/tcp$`)
	reSize     = regexp.MustCompile(`^\d+(\.\d+)?[kMGT]?B( \(virtual \d+(\.\d+)?[kMGT]?B\))?$`)
)

// shortName is prefix and a hash of the test's name: valid as a
// namespace, an image repository or a container name.
func shortName(t *testing.T, prefix string) string {
	sum := sha256.Sum256([]byte(t.Name()))
	return prefix + hex.EncodeToString(sum[:6])
}

// psSleeper runs a detached container named after the test, removed when
// it ends, with extra run flags before the image.
func psSleeper(t *testing.T, extra ...string) string {
	t.Helper()
	name := uniqueName(t)
	args := append([]string{"run", "-d", "--name", name, "--network", "none"}, extra...)
	dockerOK(t, append(args, "busybox", "sleep", "600")...)
	rmOnCleanup(t, name)
	return name
}

// psNamespace makes three created containers (oldest first) in a namespace
// of the test's own, so that ordering cases see no other container.
func psNamespace(t *testing.T) (ns string, names []string) {
	t.Helper()
	ns = shortName(t, "ps-")
	dockerOK(t, "--namespace", ns, "load", "-q", "-i", env.images.docker)
	t.Cleanup(func() { lumperRun("--namespace", ns, "rmi", "-f", "busybox") })
	for _, n := range []string{"first", "second", "third"} {
		dockerOK(t, "--namespace", ns, "create", "--name", n, "--network", "none", "busybox", "true")
		t.Cleanup(func() { lumperRun("--namespace", ns, "rm", "-f", n) })
		names = append(names, n)
	}
	return ns, names
}

var _ = registerCompat("ps",
	compatCase{"ps: Docker's header CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES", func(t *testing.T) {
		fixture(t, compatWeb)
		out := dockerOK(t, "ps")
		want := []string{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}
		if got := tableCells(lines(out)[0]); !slices.Equal(got, want) {
			t.Fatalf("header %q, want %q", got, want)
		}
	}},
	compatCase{"ps: a running container's row (ID, image, quoted command, times, ports, name)", func(t *testing.T) {
		web := fixture(t, compatWeb)
		c := tableRowOf(t, dockerOK(t, "ps"), web)
		if len(c) != 7 || !reShortID.MatchString(c[0]) || c[1] != "busybox" || c[2] != `"httpd -f -p 80"` ||
			!reAgo.MatchString(c[3]) || !reUp.MatchString(c[4]) || !rePortLoop.MatchString(c[5]) {
			t.Fatalf("row %q", c)
		}
	}},
	compatCase{"ps lists running containers only", func(t *testing.T) {
		wantListed(t, nil, []string{fixture(t, compatWeb)}, []string{fixture(t, compatExited), fixture(t, compatCreated)})
	}},
	compatCase{"ps -a lists every container", func(t *testing.T) {
		wantListed(t, []string{"-a"}, []string{fixture(t, compatWeb), fixture(t, compatExited), fixture(t, compatCreated)}, nil)
	}},
	compatCase{"ps --all", func(t *testing.T) {
		wantListed(t, []string{"--all"}, []string{fixture(t, compatExited), fixture(t, compatCreated)}, nil)
	}},
	compatCase{"ps -q prints short IDs only", func(t *testing.T) {
		web := fixture(t, compatWeb)
		ids := lines(dockerOK(t, "ps", "-q"))
		for _, id := range ids {
			if !reShortID.MatchString(id) {
				t.Fatalf("ps -q line %q", id)
			}
		}
		if !slices.Contains(ids, containerIDOf(t, web)[:12]) {
			t.Fatalf("ps -q lacks %s: %q", web, ids)
		}
	}},
	compatCase{"ps -aq --no-trunc prints full IDs", func(t *testing.T) {
		ex := fixture(t, compatExited)
		ids := lines(dockerOK(t, "ps", "-aq", "--no-trunc"))
		for _, id := range ids {
			if !reLongID.MatchString(id) {
				t.Fatalf("line %q", id)
			}
		}
		if !slices.Contains(ids, containerIDOf(t, ex)) {
			t.Fatalf("ps -aq --no-trunc lacks %s", ex)
		}
	}},
	compatCase{"ps: COMMAND truncated to 20 characters with …", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c", "while true; do sleep 1; done")
		rmOnCleanup(t, name)
		if c := tableRowOf(t, dockerOK(t, "ps"), name); c[2] != `"sh -c while true; d…"` {
			t.Fatalf("COMMAND %q", c[2])
		}
	}},
	compatCase{"ps --no-trunc: full ID and full COMMAND", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c", "while true; do sleep 1; done")
		rmOnCleanup(t, name)
		r, ok := psRowOf(t, name, "--no-trunc")
		if !ok || r["Command"] != `"sh -c while true; do sleep 1; done"` || r["ID"] != containerIDOf(t, name) {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"ps -a: STATUS Exited (3) … ago", func(t *testing.T) {
		r, ok := psRowOf(t, fixture(t, compatExited), "-a")
		if !ok || !regexp.MustCompile(`^Exited \(3\) (Less than a second|\d+ seconds?|About a minute|\d+ minutes) ago$`).MatchString(r["Status"]) || r["State"] != "exited" {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"ps -a: STATUS Created", func(t *testing.T) {
		r, ok := psRowOf(t, fixture(t, compatCreated), "-a")
		if !ok || r["Status"] != "Created" || r["State"] != "created" || r["Command"] != `"echo hello"` {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"ps: STATUS Up … (Paused) after pause, Up after unpause", func(t *testing.T) {
		name := psSleeper(t)
		dockerOK(t, "pause", name)
		r, ok := psRowOf(t, name)
		if !ok || !strings.HasPrefix(r["Status"], "Up ") || !strings.HasSuffix(r["Status"], " (Paused)") || r["State"] != "paused" {
			t.Fatalf("paused row %v", r)
		}
		dockerOK(t, "unpause", name)
		if r, _ := psRowOf(t, name); !reUp.MatchString(r["Status"]) || r["State"] != "running" {
			t.Fatalf("unpaused row %v", r)
		}
	}},
	compatCase{"ps -a --filter status=restarting: Restarting (1) …", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "--network", "none", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 1")
		rmOnCleanup(t, name)
		eventually(t, 20*time.Second, "a restarting row", func() bool {
			r, ok := psRowOf(t, name, "-a", "--filter", "status=restarting")
			return ok && r["State"] == "restarting" && strings.HasPrefix(r["Status"], "Restarting (1)")
		})
	}},
	compatCase{"ps: PORTS 127.0.0.1:HOSTPORT->80/tcp", func(t *testing.T) {
		r, ok := psRowOf(t, fixture(t, compatWeb))
		if !ok || !rePortLoop.MatchString(r["Ports"]) {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"ps: PORTS of -p 127.0.0.1::80 -p 127.0.0.1::81/udp", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "-p", "127.0.0.1::80", "-p", "127.0.0.1::81/udp", "busybox", "sleep", "600")
		rmOnCleanup(t, name)
		r, _ := psRowOf(t, name)
		if !regexp.MustCompile(`^127\.0\.0\.1:\d+->80/tcp, 127\.0\.0\.1:\d+->81/udp$`).MatchString(r["Ports"]) {
			t.Fatalf("Ports %q", r["Ports"])
		}
	}},
	compatCase{"ps -l shows the latest created container, in any state", func(t *testing.T) {
		ns, names := psNamespace(t)
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-l", "--format", "{{.Names}}")); !slices.Equal(got, names[2:]) {
			t.Fatalf("ps -l: %q", got)
		}
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "--latest", "-q")); len(got) != 1 {
			t.Fatalf("ps --latest -q: %q", got)
		}
	}},
	compatCase{"ps -n 2 shows the two last created containers", func(t *testing.T) {
		ns, names := psNamespace(t)
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-n", "2", "--format", "{{.Names}}")); !slices.Equal(got, []string{names[2], names[1]}) {
			t.Fatalf("ps -n 2: %q", got)
		}
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "--last", "5", "-q")); len(got) != 3 {
			t.Fatalf("ps --last 5 -q: %q", got)
		}
	}},
	compatCase{"ps -a lists newest first; ps without -a lists none of them", func(t *testing.T) {
		ns, names := psNamespace(t)
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-a", "--format", "{{.Names}}")); !slices.Equal(got, []string{names[2], names[1], names[0]}) {
			t.Fatalf("ps -a: %q", got)
		}
		if got := lines(dockerOK(t, "--namespace", ns, "ps")); len(got) != 1 {
			t.Fatalf("ps of created containers lists more than the header: %q", got)
		}
	}},
	compatCase{"ps -a --filter before=CONTAINER", func(t *testing.T) {
		ns, names := psNamespace(t)
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-a", "--filter", "before="+names[2], "--format", "{{.Names}}")); !slices.Equal(got, []string{names[1], names[0]}) {
			t.Fatalf("before=%s: %q", names[2], got)
		}
	}},
	compatCase{"ps -a --filter since=CONTAINER (by ID too)", func(t *testing.T) {
		ns, names := psNamespace(t)
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-a", "--filter", "since="+names[0], "--format", "{{.Names}}")); !slices.Equal(got, []string{names[2], names[1]}) {
			t.Fatalf("since=%s: %q", names[0], got)
		}
		id := strings.TrimSpace(dockerOK(t, "--namespace", ns, "ps", "-a", "-q", "--filter", "name=^"+names[1]+"$"))
		if got := lines(dockerOK(t, "--namespace", ns, "ps", "-a", "--filter", "since="+id, "--format", "{{.Names}}")); !slices.Equal(got, names[2:]) {
			t.Fatalf("since=%s: %q", id, got)
		}
	}},
	compatCase{"ps -a --filter since=nosuch fails", func(t *testing.T) {
		wantExit(t, docker("ps", "-a", "--filter", "since=no-such-container-x"), 1)
	}},
	compatCase{"ps --filter status=exited lists exited containers without -a", func(t *testing.T) {
		wantListed(t, []string{"--filter", "status=exited"}, []string{fixture(t, compatExited)}, []string{fixture(t, compatWeb), fixture(t, compatCreated)})
	}},
	compatCase{"ps -a --filter status=created", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "status=created"}, []string{fixture(t, compatCreated)}, []string{fixture(t, compatWeb), fixture(t, compatExited)})
	}},
	compatCase{"ps --filter status=running --filter status=exited (either)", func(t *testing.T) {
		wantListed(t, []string{"--filter", "status=running", "--filter", "status=exited"}, []string{fixture(t, compatWeb), fixture(t, compatExited)}, []string{fixture(t, compatCreated)})
	}},
	compatCase{"ps -a --filter status=paused", func(t *testing.T) {
		name := psSleeper(t)
		wantListed(t, []string{"-a", "--filter", "status=paused"}, nil, []string{name})
		dockerOK(t, "pause", name)
		wantListed(t, []string{"-a", "--filter", "status=paused"}, []string{name}, []string{fixture(t, compatWeb)})
	}},
	compatCase{"ps --filter status=bogus fails with one line", func(t *testing.T) {
		r := docker("ps", "--filter", "status=bogus")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "status=bogus") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"ps --filter nosuchkey=1 fails", func(t *testing.T) {
		wantExit(t, docker("ps", "--filter", "nosuchkey=1"), 1)
	}},
	compatCase{"ps --filter name=NAME", func(t *testing.T) {
		wantListed(t, []string{"--filter", "name=" + fixture(t, compatWeb)}, []string{compatWeb}, []string{fixture(t, compatExited)})
	}},
	compatCase{"ps -a --filter name=^/NAME$ (a regular expression)", func(t *testing.T) {
		got := psNamesOf(t, "-a", "--filter", "name=^/"+fixture(t, compatExited)+"$")
		if !slices.Equal(got, []string{compatExited}) {
			t.Fatalf("got %q", got)
		}
	}},
	compatCase{"ps -a --filter name=A --filter name=B (either)", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "name=^" + fixture(t, compatExited) + "$", "--filter", "name=^" + fixture(t, compatCreated) + "$"},
			[]string{compatExited, compatCreated}, []string{fixture(t, compatWeb)})
	}},
	compatCase{"ps -a --filter id=PREFIX", func(t *testing.T) {
		id := containerIDOf(t, fixture(t, compatCreated))
		if got := psNamesOf(t, "-a", "--filter", "id="+id[:10]); !slices.Equal(got, []string{compatCreated}) {
			t.Fatalf("got %q", got)
		}
		if got := psNamesOf(t, "-a", "--filter", "id="+id); !slices.Equal(got, []string{compatCreated}) {
			t.Fatalf("full ID: got %q", got)
		}
	}},
	compatCase{"ps -a --filter label=KEY", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "label=app"}, []string{fixture(t, compatWeb), fixture(t, compatExited)}, []string{fixture(t, compatCreated)})
	}},
	compatCase{"ps -a --filter label=KEY=VALUE", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "label=app=web"}, []string{fixture(t, compatWeb)}, []string{fixture(t, compatExited)})
	}},
	compatCase{"ps -a --filter label=a --filter label=b (both)", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "label=app=web", "--filter", "label=tier=front"}, []string{fixture(t, compatWeb)}, nil)
		wantListed(t, []string{"-a", "--filter", "label=app=batch", "--filter", "label=tier"}, nil, []string{fixture(t, compatExited), compatWeb})
	}},
	compatCase{"ps -a --filter label=app=web --filter status=exited (all keys must match)", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "label=app=web", "--filter", "status=exited"}, nil, []string{fixture(t, compatWeb), fixture(t, compatExited)})
	}},
	compatCase{"ps -a --filter ancestor=busybox", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "ancestor=busybox"}, []string{fixture(t, compatWeb), fixture(t, compatExited), fixture(t, compatCreated)}, nil)
	}},
	compatCase{"ps -a --filter ancestor=IMAGE-ID and busybox:latest", func(t *testing.T) {
		id := strings.TrimPrefix(imageIDOf(t, "busybox"), "sha256:")
		wantListed(t, []string{"-a", "--filter", "ancestor=" + id[:12]}, []string{fixture(t, compatWeb), fixture(t, compatExited)}, nil)
		wantListed(t, []string{"-a", "--filter", "ancestor=busybox:latest"}, []string{compatWeb, compatExited}, nil)
	}},
	compatCase{"ps -a --filter ancestor=OTHER-IMAGE", func(t *testing.T) {
		img := shortName(t, "ps-ancestor/i") + ":1"
		dockerOK(t, "import", env.images.rootfs, img)
		rmiOnCleanup(t, img)
		name := uniqueName(t)
		dockerOK(t, "create", "--name", name, "--network", "none", img, "true")
		rmOnCleanup(t, name)
		wantListed(t, []string{"-a", "--filter", "ancestor=" + img}, []string{name}, []string{fixture(t, compatCreated)})
		wantListed(t, []string{"-a", "--filter", "ancestor=busybox"}, nil, []string{name})
	}},
	compatCase{"ps -a --filter exited=3", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "exited=3"}, []string{fixture(t, compatExited)}, []string{fixture(t, compatWeb), fixture(t, compatCreated)})
	}},
	compatCase{"ps -a --filter exited=0 excludes an exit 3", func(t *testing.T) {
		wantListed(t, []string{"-a", "--filter", "exited=0"}, nil, []string{fixture(t, compatExited)})
	}},
	compatCase{"ps --filter network=bridge", func(t *testing.T) {
		wantListed(t, []string{"--filter", "network=bridge"}, []string{fixture(t, compatWeb)}, nil)
	}},
	compatCase{"ps --filter network=none", func(t *testing.T) {
		name := psSleeper(t)
		wantListed(t, []string{"--filter", "network=none"}, []string{name}, []string{fixture(t, compatWeb)})
	}},
	compatCase{"ps --filter publish=80 / publish=80/tcp / publish=81/udp", func(t *testing.T) {
		web := fixture(t, compatWeb)
		wantListed(t, []string{"--filter", "publish=80"}, []string{web}, nil)
		wantListed(t, []string{"--filter", "publish=79-81/tcp"}, []string{web}, nil)
		wantListed(t, []string{"--filter", "publish=80/udp"}, nil, []string{web})
	}},
	compatCase{"ps --filter volume=DESTINATION and volume=SOURCE", func(t *testing.T) {
		dir := t.TempDir()
		name := psSleeper(t, "-v", dir+":/compat-data")
		wantListed(t, []string{"--filter", "volume=/compat-data"}, []string{name}, []string{fixture(t, compatWeb)})
		wantListed(t, []string{"--filter", "volume=" + dir}, []string{name}, nil)
	}},
	compatCase{"ps --filter health=none (no health checks) / health=healthy", func(t *testing.T) {
		wantListed(t, []string{"--filter", "health=none"}, []string{fixture(t, compatWeb)}, nil)
		wantListed(t, []string{"--filter", "health=healthy"}, nil, []string{compatWeb})
	}},
	compatCase{"ps --format '{{.Names}}'", func(t *testing.T) {
		wantListed(t, nil, []string{fixture(t, compatWeb)}, nil)
	}},
	compatCase{`ps --format 'table {{.Names}}\t{{.Status}}' keeps a header`, func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := lines(dockerOK(t, "ps", "--format", `table {{.Names}}\t{{.Status}}`))
		if got := tableCells(out[0]); !slices.Equal(got, []string{"NAMES", "STATUS"}) {
			t.Fatalf("header %q", got)
		}
		found := false
		for _, l := range out[1:] {
			c := tableCells(l)
			found = found || len(c) == 2 && c[0] == web && reUp.MatchString(c[1])
		}
		if !found {
			t.Fatalf("no row of %s: %q", web, out)
		}
	}},
	compatCase{"ps --format 'table {{.ID}}\t{{.Image}}' header names", func(t *testing.T) {
		fixture(t, compatWeb)
		out := lines(dockerOK(t, "ps", "--format", "table {{.ID}}\t{{.Image}}\t{{.RunningFor}}\t{{.Ports}}"))
		if got := tableCells(out[0]); !slices.Equal(got, []string{"CONTAINER ID", "IMAGE", "CREATED", "PORTS"}) {
			t.Fatalf("header %q", got)
		}
	}},
	compatCase{"ps --format json: one object per line, Docker's fields, strings", func(t *testing.T) {
		r, ok := psRowOf(t, fixture(t, compatWeb))
		if !ok {
			t.Fatal("web not listed")
		}
		for _, k := range []string{"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"} {
			if _, ok := r[k]; !ok {
				t.Errorf("field %s missing: %v", k, r)
			}
		}
		if !reShortID.MatchString(r["ID"]) || r["Image"] != "busybox" || r["State"] != "running" || r["Networks"] != "bridge" {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"ps --format '{{json .}}' equals --format json", func(t *testing.T) {
		web := fixture(t, compatWeb)
		a := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{json .}}")
		b := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "json")
		var ra, rb map[string]string
		if json.Unmarshal([]byte(a), &ra) != nil || json.Unmarshal([]byte(b), &rb) != nil || ra["ID"] != rb["ID"] || ra["Names"] != web {
			t.Fatalf("%q vs %q", a, b)
		}
	}},
	compatCase{"ps --format json keeps <>& as they are", func(t *testing.T) {
		name := psSleeper(t, "--label", "html=<b>&amp;</b>")
		out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "json")
		if !strings.Contains(out, `html=<b>&amp;</b>`) || strings.Contains(out, `\u003c`) {
			t.Fatalf("json %q", out)
		}
		if out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", `{{json .Labels}}`); strings.TrimSpace(out) != `"html=<b>&amp;</b>"` {
			t.Fatalf("{{json .Labels}} %q", out)
		}
	}},
	compatCase{`ps --format '{{.Label "app"}}'`, func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", `{{.Label "app"}}/{{.Label "tier"}}/{{.Label "nope"}}`); out != "web/front/\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.Labels}}': the user's labels only", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{.Labels}}"))
		if out != "app=web,tier=front" {
			t.Fatalf("Labels %q", out)
		}
	}},
	compatCase{"ps --format '{{.Command}}' is quoted", func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{.Command}}"); out != "\"httpd -f -p 80\"\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.CreatedAt}}' and '{{.RunningFor}}'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{.CreatedAt}}|{{.RunningFor}}")
		at, ago, _ := strings.Cut(strings.TrimSpace(out), "|")
		if !reCreated.MatchString(at) || !reAgo.MatchString(ago) {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.State}} {{.Status}}'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{.State}} {{.Status}}"))
		state, status, _ := strings.Cut(out, " ")
		if state != "running" || !reUp.MatchString(status) {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.Networks}}'", func(t *testing.T) {
		name := psSleeper(t)
		if out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Networks}}"); out != "none\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.Mounts}}' (a bind mount's source, truncated)", func(t *testing.T) {
		dir := t.TempDir()
		name := psSleeper(t, "-v", dir+":/data")
		out := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Mounts}}"))
		if want := []rune(dir); len(want) > 15 && out != string(want[:14])+"…" || len(want) <= 15 && out != dir {
			t.Fatalf("Mounts %q for %s", out, dir)
		}
		out = strings.TrimSpace(dockerOK(t, "ps", "--no-trunc", "--filter", "name=^"+name+"$", "--format", "{{.Mounts}}"))
		if out != dir {
			t.Fatalf("--no-trunc Mounts %q, want %s", out, dir)
		}
	}},
	compatCase{"ps -s: SIZE column, 'N B (virtual M MB)'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := dockerOK(t, "ps", "-s")
		if h := tableCells(lines(out)[0]); h[len(h)-1] != "SIZE" {
			t.Fatalf("header %q", h)
		}
		for _, l := range lines(out) {
			if c := tableCells(l); c[len(c)-2] == web {
				if !strings.Contains(c[len(c)-1], "(virtual ") || !reSize.MatchString(c[len(c)-1]) {
					t.Fatalf("size %q", c[len(c)-1])
				}
				return
			}
		}
		t.Fatalf("no row of %s:\n%s", web, out)
	}},
	compatCase{"ps --format '{{.Size}}' reads sizes", func(t *testing.T) {
		name := psSleeper(t)
		dockerOK(t, "exec", name, "sh", "-c", "head -c 300000 /dev/zero > /big")
		out := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Size}}"))
		if !regexp.MustCompile(`^(29\d|3\d\d)kB \(virtual \d+(\.\d+)?MB\)$`).MatchString(out) {
			t.Fatalf("Size %q, want about 300kB of a writable layer", out)
		}
	}},
	compatCase{"ps --format '{{upper .Names}} {{lower .State}} {{title .State}}'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{upper .Names}} {{lower .State}} {{title .State}}"); out != "COMPAT-WEB running Running\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{`ps --format '{{join (split .Labels ",") ";"}}'`, func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", `{{join (split .Labels ",") ";"}}`); out != "app=web;tier=front\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{truncate .ID 4}}|{{pad .Names 1 1}}|'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		id := containerIDOf(t, web)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{truncate .ID 4}}|{{pad .Names 1 1}}|"); out != id[:4]+"| "+web+" |\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{println .Names}}'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := dockerOK(t, "ps", "--filter", "name=^"+web+"$", "--format", "{{println .Names}}"); out != web+"\n\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"ps --format '{{.Nope}}' fails", func(t *testing.T) {
		fixture(t, compatWeb)
		wantExit(t, docker("ps", "--format", "{{.Nope}}"), 1)
	}},
	compatCase{"container ls is ps", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := dockerOK(t, "container", "ls")
		if !strings.HasPrefix(out, "CONTAINER ID") {
			t.Fatalf("container ls:\n%s", out)
		}
		tableRowOf(t, out, web)
	}},
	compatCase{"container ls -a --filter status=exited -q", func(t *testing.T) {
		id := containerIDOf(t, fixture(t, compatExited))[:12]
		if ids := lines(dockerOK(t, "container", "ls", "-a", "--filter", "status=exited", "-q")); !slices.Contains(ids, id) {
			t.Fatalf("got %q", ids)
		}
	}},
	compatCase{"container ps and container list", func(t *testing.T) {
		ex := fixture(t, compatExited)
		for _, verb := range []string{"ps", "list"} {
			if out := dockerOK(t, "container", verb, "-a", "--format", "{{.Names}}"); !slices.Contains(lines(out), ex) {
				t.Fatalf("container %s -a lacks %s", verb, ex)
			}
		}
	}},
	compatCase{"list keeps lumper's own look (ID NAME PID STATUS COMMAND CREATED, every container)", func(t *testing.T) {
		ex := fixture(t, compatExited)
		out := dockerOK(t, "list")
		if h := strings.Fields(lines(out)[0]); !slices.Equal(h[:6], []string{"ID", "NAME", "PID", "STATUS", "COMMAND", "CREATED"}) {
			t.Fatalf("list header %q", h)
		}
		if !strings.Contains(out, ex) {
			t.Fatalf("list lacks the exited %s", ex)
		}
	}},
)
