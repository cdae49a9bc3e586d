//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// composeDir is a directory of testdata/compose.
func composeDir(t *testing.T, name string) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("testdata", "compose", name))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// composeProject is a project name of the test's own (compose names allow
// no dots), whose containers, networks and volumes are removed at the end.
func composeProject(t *testing.T) string {
	p := strings.ReplaceAll(uniqueName(t), ".", "-")
	t.Cleanup(func() { lumperRun("compose", "-p", p, "down", "-v", "--remove-orphans") })
	return p
}

// composeIn runs `lumper compose ARGS` in directory dir.
func composeIn(dir string, args ...string) result {
	cmd := lumperCmd(append([]string{"compose"}, args...)...)
	cmd.Dir = dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		code = -1
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func mustCompose(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := composeIn(dir, args...)
	if r.code != 0 {
		t.Fatalf("lumper compose %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// projectIDs are the IDs of the project's containers (one-off ones too).
func projectIDs(t *testing.T, project string) []string {
	t.Helper()
	out := lumper(t, "ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project="+project)
	return strings.Fields(out)
}

// TestComposeApp: up -d --wait starts web only once db is healthy and
// migrate has exited 0 (which --wait accepts); web
// reaches db by service name and by alias; labels and names are Docker
// Compose's; logs, exec and a one-off container on the project network
// work; down -v leaves no container, network, volume, lease or netns.
func TestComposeApp(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "app")
	p := composeProject(t)
	mustCompose(t, dir, "-p", p, "up", "-d", "--wait", "--wait-timeout", "120")

	// --wait returned: both are running, db healthy.
	ps := lumper(t, "ps", "--filter", "label=com.docker.compose.project="+p, "--format", "{{.Names}} {{.Status}}")
	if !strings.Contains(ps, p+"-db-1 ") || !strings.Contains(ps, "(healthy)") || !strings.Contains(ps, p+"-web-1 ") {
		t.Fatalf("after up --wait, ps: %q", ps)
	}
	labels := lumper(t, "inspect", "--format", `{{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}} {{index .Config.Labels "tier"}} {{index .Config.Labels "com.docker.compose.project.working_dir"}}`, p+"-db-1")
	if want := "db 1 False db " + dir + "\n"; labels != want {
		t.Fatalf("labels of db: %q, want %q", labels, want)
	}
	// The suite's LUMPER_SHIM=isolated applies to compose as to run: no
	// shim group (a grouped shim's logger never found db's init pid).
	c, ctx := ctd(t)
	dbID := strings.TrimSpace(lumper(t, "inspect", "--format", "{{.Id}}", p+"-db-1"))
	if ctr, err := c.LoadContainer(ctx, dbID); err != nil {
		t.Fatal(err)
	} else if l, err := ctr.Labels(ctx); err != nil || l["lumper.io/shim-group"] != "" {
		t.Fatalf("db's shim group %q (LUMPER_SHIM=%s): %v", l["lumper.io/shim-group"], os.Getenv("LUMPER_SHIM"), err)
	}
	if deps := lumper(t, "inspect", "--format", `{{index .Config.Labels "com.docker.compose.depends_on"}}`, p+"-web-1"); deps != "db:service_healthy:false,migrate:service_completed_successfully:false\n" {
		t.Fatalf("depends_on label of web: %q", deps)
	}
	// web fetched db by name and by alias as it started (after db was healthy).
	eventually(t, 10*time.Second, "web's log to show db's page twice", func() bool {
		out := mustCompose(t, dir, "-p", p, "logs", "--no-color", "web")
		return strings.Count(out, "db-ok") == 2
	})
	logs := mustCompose(t, dir, "-p", p, "logs")
	for _, want := range []string{p + "-web-1     | web says hello", p + "-db-1      | db ready", p + "-migrate-1 | migrated"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("compose logs lacks %q:\n%s", want, logs)
		}
	}
	// exec, by service name; and the alias resolves from inside.
	if out := mustCompose(t, dir, "-p", p, "exec", "-T", "web", "wget", "-q", "-O-", "http://database/"); out != "db-ok\n" {
		t.Fatalf("exec wget database: %q", out)
	}
	if out := mustCompose(t, dir, "-p", p, "exec", "-T", "db", "sh", "-c", "test -d /data && echo $HOSTNAME"); strings.TrimSpace(out) == "" {
		t.Fatalf("exec in db: %q", out)
	}
	// The README's CI step: a test container on the project network.
	if out := lumper(t, "run", "--rm", "--network", p+"_default", "busybox", "wget", "-q", "-O-", "http://db/"); out != "db-ok\n" {
		t.Fatalf("run on %s_default: %q", p, out)
	}
	// compose ps lists both; up again changes nothing.
	if out := mustCompose(t, dir, "-p", p, "ps", "--format", "{{.Names}}"); out != p+"-db-1\n"+p+"-web-1\n" && out != p+"-web-1\n"+p+"-db-1\n" {
		t.Fatalf("compose ps: %q", out)
	}
	// The running project as Kubernetes objects, one Deployment a service.
	kubeYAML := mustCompose(t, dir, "-p", p, "convert", "--format", "kube")
	for _, want := range []string{"kind: Deployment", "name: db", "name: web", "image: busybox", "readinessProbe:"} {
		if !strings.Contains(kubeYAML, want) {
			t.Fatalf("convert --format kube lacks %q:\n%s", want, kubeYAML)
		}
	}
	ids := projectIDs(t, p)
	r := composeIn(dir, "-p", p, "up", "-d")
	if r.code != 0 || !strings.Contains(r.stderr, p+"-db-1  Running") {
		t.Fatalf("second up: %s", r)
	}
	if again := projectIDs(t, p); strings.Join(again, ",") != strings.Join(ids, ",") {
		t.Fatalf("second up recreated containers: %v then %v", ids, again)
	}
	if len(ids) != 3 {
		t.Fatalf("project containers: %v", ids)
	}
	names := map[string]string{}
	for _, id := range ids {
		names[id] = strings.TrimSpace(lumper(t, "inspect", "--format", "{{.Name}}", id))
	}

	mustCompose(t, dir, "-p", p, "down", "-v")
	for id, name := range names {
		assertGone(t, id, strings.TrimPrefix(name, "/"))
	}
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, p+"_") {
		t.Fatalf("network of %s left after down: %q", p, out)
	}
	if out := lumper(t, "volume", "ls", "--format", "{{.Name}}"); strings.Contains(out, p+"_") {
		t.Fatalf("volume of %s left after down -v: %q", p, out)
	}
	if out := lumper(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+p); out != "" {
		t.Fatalf("containers left after down: %q", out)
	}
}

// TestComposeOverrideDotEnvScale: compose.override.yaml and .env are read
// from the project directory; scale 3 makes three containers reachable by
// the service name, and a smaller scale removes the extra ones.
func TestComposeOverrideDotEnvScale(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "override")
	p := composeProject(t)
	mustCompose(t, dir, "-p", p, "up", "-d", "--wait", "--wait-timeout", "120")
	eventually(t, 10*time.Second, "app's first line", func() bool {
		return strings.Contains(mustCompose(t, dir, "-p", p, "logs", "--no-log-prefix"), "message=from-dotenv extra=from-override\n")
	})
	if l := lumper(t, "inspect", "--format", `{{index .Config.Labels "origin"}}`, p+"-app-1"); l != "dotenv\n" {
		t.Fatalf("interpolated label: %q", l)
	}
	// An environment variable wins over .env.
	cmd := lumperCmd("compose", "-p", p, "config", "--format", "json")
	cmd.Dir, cmd.Env = dir, append(cmd.Env, "MESSAGE=from-env")
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), `"MESSAGE": "from-env"`) {
		t.Fatalf("config with MESSAGE set: %v %s", err, out)
	}

	mustCompose(t, dir, "-p", p, "-f", "compose.yaml", "-f", "scale.yaml", "up", "-d", "--wait", "--wait-timeout", "120")
	out := mustCompose(t, dir, "-p", p, "ps", "--format", "{{.Names}}")
	for i := 1; i <= 3; i++ {
		if !strings.Contains(out, p+"-app-"+string(rune('0'+i))+"\n") {
			t.Fatalf("scale 3: ps shows %q", out)
		}
	}
	// Every replica answers to the service name.
	ping := mustCompose(t, dir, "-p", p, "exec", "-T", "--index", "3", "app", "ping", "-c", "1", "-W", "2", "app")
	if !strings.Contains(ping, "1 packets received") {
		t.Fatalf("ping app from app-3: %q", ping)
	}
	// Without scale.yaml (and without the override: -f given), one is left.
	mustCompose(t, dir, "-p", p, "-f", "compose.yaml", "up", "-d")
	if out := mustCompose(t, dir, "-p", p, "ps", "-a", "--format", "{{.Names}}"); out != p+"-app-1\n" {
		t.Fatalf("after scale 1: %q", out)
	}
	// compose.override.yaml left out changed the configuration: recreated.
	eventually(t, 10*time.Second, "app-1 recreated without EXTRA", func() bool {
		return strings.Contains(mustCompose(t, dir, "-p", p, "logs", "--no-log-prefix"), "message=from-dotenv extra=\n")
	})
}

// TestComposeWaitUnhealthy: --wait fails with exit 1, naming the service
// and showing its probe's output.
func TestComposeWaitUnhealthy(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "unhealthy")
	p := composeProject(t)
	r := composeIn(dir, "-p", p, "up", "-d", "--wait", "--wait-timeout", "60")
	if r.code != 1 {
		t.Fatalf("up --wait of an unhealthy service: %s", r)
	}
	last := strings.TrimSpace(r.stderr)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if !strings.HasPrefix(last, "lumper: ") || !strings.Contains(last, p+"-sick-1 is unhealthy") || !strings.Contains(last, "probe-says-no") {
		t.Fatalf("error line: %q", last)
	}
}

// TestComposeBadFiles: a file lumper cannot honour, or that is invalid,
// fails in one line with exit 1 before anything is created.
func TestComposeBadFiles(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "bad")
	for _, c := range []struct{ file, want string }{
		{"unsupported.yaml", "service app: build, secrets"},
		{"invalid.yaml", "not_a_key"},
		{"value.yaml", "service app: "},
		{"missing.yaml", "missing.yaml"},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := composeProject(t)
			r := composeIn(dir, "-p", p, "-f", c.file, "up", "-d")
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("want exit 1 and one line with %q: %s", c.want, r)
			}
			if ids := projectIDs(t, p); len(ids) > 0 {
				t.Fatalf("containers created: %v", ids)
			}
			if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, p+"_") {
				t.Fatalf("network created: %q", out)
			}
			if _, err := os.Stat(filepath.Join(env.dataRoot, "volumes", p+"_data")); err == nil {
				t.Fatal("volume created")
			}
		})
	}
	if r := composeIn(dir, "-f", "value.yaml", "up", "-d", "--build"); r.code != 1 || !strings.Contains(r.stderr, "--build") {
		t.Fatalf("up --build: %s", r)
	}
}

// TestComposeLifecycle: port, top, run --rm (and a kept one-off), logs -f
// with prefixes, stop, start, restart and rm on the services' containers.
func TestComposeLifecycle(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "lifecycle")
	p := composeProject(t)
	mustCompose(t, dir, "-p", p, "up", "-d", "--wait", "--wait-timeout", "120")

	if out := mustCompose(t, dir, "-p", p, "port", "web", "80"); !regexp.MustCompile(`^0\.0\.0\.0:[0-9]+\n$`).MatchString(out) {
		t.Fatalf("port web 80: %q", out)
	}
	if out := mustCompose(t, dir, "-p", p, "top", "web"); !strings.HasPrefix(out, p+"-web-1\n") || !strings.Contains(out, "httpd") {
		t.Fatalf("top web: %q", out)
	}
	// A one-off container on the project network, removed after.
	if out := mustCompose(t, dir, "-p", p, "run", "--rm", "-T", "web", "wget", "-q", "-O-", "http://web/"); out != "web-ok\n" {
		t.Fatalf("run --rm web wget: %q", out)
	}
	oneOffs := func() string {
		return lumper(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+p, "--filter", "label=com.docker.compose.oneoff=True")
	}
	if out := oneOffs(); out != "" {
		t.Fatalf("run --rm left %q", out)
	}
	if r := composeIn(dir, "-p", p, "run", "-T", "--no-deps", "ticker", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("run exit 3: %s", r)
	}
	if out := oneOffs(); len(strings.Fields(out)) != 1 {
		t.Fatalf("run without --rm: one-off containers %q", out)
	}
	// compose ps leaves one-off containers out.
	if out := mustCompose(t, dir, "-p", p, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "-run-") {
		t.Fatalf("compose ps lists a one-off container: %q", out)
	}

	// logs -f follows, each line prefixed with its container.
	cmd := lumperCmd("compose", "-p", p, "logs", "-f", "--tail", "1", "ticker")
	cmd.Dir = dir
	var out syncBuffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := -1
	eventually(t, 10*time.Second, "logs -f to follow ticker", func() bool {
		m := regexp.MustCompile(`(?m)^`+p+`-ticker-1 \| tick ([0-9]+)$`).FindAllStringSubmatch(out.String(), -1)
		if len(m) > 0 && first < 0 {
			first, _ = strconv.Atoi(m[0][1])
		}
		last := -1
		if len(m) > 0 {
			last, _ = strconv.Atoi(m[len(m)-1][1])
		}
		return first >= 0 && last >= first+3
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	status := func() string {
		return mustCompose(t, dir, "-p", p, "ps", "-a", "--format", "{{.Names}} {{.State}}")
	}
	mustCompose(t, dir, "-p", p, "stop", "web")
	if s := status(); !strings.Contains(s, p+"-web-1 exited") || !strings.Contains(s, p+"-ticker-1 running") {
		t.Fatalf("after stop web: %q", s)
	}
	mustCompose(t, dir, "-p", p, "start")
	if s := status(); !strings.Contains(s, p+"-web-1 running") {
		t.Fatalf("after start: %q", s)
	}
	pid := func() string { return lumper(t, "inspect", "--format", "{{.State.Pid}}", p+"-web-1") }
	before := pid()
	mustCompose(t, dir, "-p", p, "restart", "web")
	if after := pid(); after == before || after == "0\n" {
		t.Fatalf("restart: pid %s then %s", before, after)
	}
	// rm leaves running containers, removes stopped ones; -s stops first.
	mustCompose(t, dir, "-p", p, "rm", "-f", "web")
	if s := status(); !strings.Contains(s, p+"-web-1 running") {
		t.Fatalf("rm removed a running container: %q", s)
	}
	mustCompose(t, dir, "-p", p, "rm", "-f", "-s")
	if s := status(); s != "" {
		t.Fatalf("after rm -s: %q", s)
	}
	// down removes the one-off container too, and the network.
	mustCompose(t, dir, "-p", p, "down")
	if out := oneOffs(); out != "" {
		t.Fatalf("down left one-off %q", out)
	}
	if out := lumper(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, p+"_default") {
		t.Fatalf("down left the network: %q", out)
	}
}

// TestComposePull pulls the services' images from a registry.
func TestComposePull(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/library/busybox:compose"
	tagImage(t, busyboxRef, ref)
	lumperOK(t, denv, "push", ref)
	ns := regNS(t, "")
	cmd := lumperCmd("--namespace", ns, "compose", "-p", composeProject(t), "pull", "-q")
	cmd.Dir = composeDir(t, "lifecycle")
	cmd.Env = append(cmd.Env, append(denv, "IMAGE="+ref)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compose pull: %v: %s", err, out)
	}
	if out := lumper(t, "--namespace", ns, "images", "--format", "{{.Name}}"); !strings.Contains(out, ref) {
		t.Fatalf("images after compose pull: %q", out)
	}
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestComposeAttached: up without -d prints the containers' output with
// their prefixes; --exit-code-from stops everything when the service
// exits and exits with its status; plain up returns 0 once all exited.
func TestComposeAttached(t *testing.T) {
	t.Parallel()
	dir := composeDir(t, "attached")
	p := composeProject(t)
	r := composeIn(dir, "-p", p, "up", "--exit-code-from", "tests")
	if r.code != 5 {
		t.Fatalf("up --exit-code-from tests: %s", r)
	}
	for _, want := range []string{p + "-tests-1  | testing\n", p + "-server-1 | serving\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("output lacks %q: %s", want, r)
		}
	}
	if s := mustCompose(t, dir, "-p", p, "ps", "-a", "--format", "{{.Names}} {{.State}}"); !strings.Contains(s, p+"-server-1 exited") {
		t.Fatalf("server not stopped after tests exited: %q", s)
	}
	r = composeIn(dir, "-p", p, "up", "--no-deps", "tests")
	if r.code != 0 || !strings.Contains(r.stdout, p+"-tests-1 | testing\n") {
		t.Fatalf("attached up of a service that exits: %s", r)
	}
	// Ctrl-C stops the containers; up exits 130.
	cmd := lumperCmd("compose", "-p", p, "up", "server")
	cmd.Dir = dir
	var out syncBuffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Only this run's output: the first run's "serving" is not repeated.
	eventually(t, 20*time.Second, "server's output", func() bool { return strings.Contains(out.String(), "serving") })
	if n := strings.Count(out.String(), "serving"); n != 1 {
		t.Fatalf("attached up printed %d serving lines: %q", n, out.String())
	}
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 130 {
		t.Fatalf("up interrupted: %v, output %q", err, out.String())
	}
	if s := mustCompose(t, dir, "-p", p, "ps", "--format", "{{.Names}}"); s != "" {
		t.Fatalf("running after Ctrl-C: %q", s)
	}
}
