//go:build !nocompose

package commands

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/compose"
	"github.com/lumper/lumper/pkg/container"
)

func TestComposeFlagParsing(t *testing.T) {
	up := parsed(t, "compose", "-f", "a.yaml", "-f", "b.yaml", "-p", "ci", "--env-file", "x.env", "up", "-d", "--wait", "--scale", "web=3", "web", "db").(*ComposeUpOptions)
	if !slices.Equal(up.Files, []string{"a.yaml", "b.yaml"}) || up.Project != "ci" || !slices.Equal(up.EnvFiles, []string{"x.env"}) ||
		!up.Detach || !up.Wait || !slices.Equal(up.Scale, []string{"web=3"}) || !slices.Equal(up.Services, []string{"web", "db"}) {
		t.Errorf("compose up: %+v", up)
	}
	// -f before the verb is the file, after `logs` it is --follow.
	logs := parsed(t, "compose", "-f", "a.yaml", "logs", "-f", "--tail", "3", "web").(*ComposeLogsOptions)
	if !slices.Equal(logs.Files, []string{"a.yaml"}) || !logs.Logs.Follow || logs.Logs.Tail != "3" || !slices.Equal(logs.Services, []string{"web"}) {
		t.Errorf("compose logs: %+v", logs)
	}
	down := parsed(t, "compose", "-p", "ci", "down", "-v", "--remove-orphans").(*ComposeDownOptions)
	if down.Project != "ci" || !down.Volumes || !down.RemoveOrphans {
		t.Errorf("compose down: %+v", down)
	}
	// Flags after the service belong to the command.
	ex := parsed(t, "compose", "exec", "-T", "--index", "2", "web", "ls", "-l").(*ComposeExecOptions)
	if !ex.NoTTY || ex.Index != 2 || !slices.Equal(ex.Exec.Args, []string{"ls", "-l"}) || ex.Exec.TTY {
		t.Errorf("compose exec: %+v", ex)
	}
	run := parsed(t, "compose", "run", "--rm", "-e", "A=1", "web", "sh", "-c", "x").(*ComposeRunOptions)
	if !run.Remove || run.Service != "web" || !slices.Equal(run.Args, []string{"sh", "-c", "x"}) || !slices.Equal(run.Env, []string{"A=1"}) {
		t.Errorf("compose run: %+v", run)
	}
}

func TestComposeUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compose", "up", "-d", "--exit-code-from", "tests"}, "need attached mode"},
		{[]string{"compose", "up", "-d", "--build"}, "--build is not supported"},
		{[]string{"compose", "config", "--format", "toml"}, "use yaml, json or kube"},
		{[]string{"compose", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"compose", "run", "--rm", "-d", "web"}, "cannot be combined"},
	} {
		streams, _, errb := TestIO("")
		root := newRoot(streams, func(any) error { t.Errorf("%v reached its run function", c.args); return nil })
		root.SetArgs(c.args)
		cmd, err := root.ExecuteContextC(t.Context())
		if code := ExitCode(errb, cmd, err); code != 1 || !strings.Contains(errb.String(), c.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 1 and %q", c.args, code, errb, c.want)
		}
	}
}

// TestServiceCreateOptions: a service becomes the options `lumper create`
// would have from the same settings given as flags.
func TestServiceCreateOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(`services:
  web:
    image: busybox
    entrypoint: [sh, -c]
    command: ["echo $$A"]
    environment: {A: "1"}
    labels: {tier: front}
    ports: ["127.0.0.1:8080:80/udp", "81"]
    volumes: [data:/data, /srv:/srv:ro, {type: tmpfs, target: /t}]
    networks: {default: {aliases: [www]}}
    healthcheck: {test: [CMD, "true"], interval: 2s, retries: 4}
    restart: unless-stopped
    stop_signal: SIGINT
    stop_grace_period: 1500ms
    init: true
    user: "1000"
    working_dir: /w
    cap_add: [NET_ADMIN]
    ulimits: {nofile: {soft: 100, hard: 200}}
    deploy: {resources: {limits: {memory: 64M, cpus: "0.5"}}}
    extra_hosts: ["h:10.0.0.1"]
volumes: {data: {}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := compose.Load(t.Context(), compose.LoadOptions{Files: []string{file}, Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["web"]
	streams, _, _ := TestIO("")
	o := &ComposeOptions{Global: &GlobalOptions{IO: streams}}
	nc := compose.NewContainer{Project: p, Service: s, Name: "ci-web-1", Labels: compose.Labels(p, s, 1, false), Network: compose.ServiceNetworks(p, s)[0]}
	co, err := o.serviceCreateOptions(nc)
	if err != nil {
		t.Fatal(err)
	}
	if co.Name != "ci-web-1" || co.Image != "busybox" || co.Entrypoint == nil || *co.Entrypoint != "sh" || !slices.Equal(co.Args, []string{"-c", "echo $A"}) {
		t.Errorf("name, image, entrypoint, args: %q %q %v %q", co.Name, co.Image, co.Entrypoint, co.Args)
	}
	if !slices.Equal(co.Env, []string{"A=1"}) || co.Labels["tier"] != "front" || co.Labels[compose.LabelService] != "web" || co.Labels[compose.LabelProject] != "ci" {
		t.Errorf("env, labels: %q %v", co.Env, co.Labels)
	}
	if co.Network.Network != "ci_default" || !slices.Equal(co.Network.Aliases, []string{"web", "www"}) || len(co.Network.Publish) != 2 ||
		co.Network.Publish[0].HostIP != "127.0.0.1" || co.Network.Publish[0].HostPort != 8080 || co.Network.Publish[0].Protocol != "udp" ||
		!slices.Equal(co.Network.AddHosts, []string{"h:10.0.0.1"}) {
		t.Errorf("network: %+v", co.Network)
	}
	if len(co.Mounts) != 3 || co.Mounts[0].Source != "ci_data" {
		t.Errorf("mounts: %+v", co.Mounts)
	}
	if !slices.Equal(co.Health.Test, []string{"CMD", "true"}) || co.Health.Interval != 2*time.Second || co.Health.Retries != 4 {
		t.Errorf("health: %+v", co.Health)
	}
	if co.Restart != container.RestartUnlessStopped || co.StopSignal != "SIGINT" || co.StopTimeout == nil || *co.StopTimeout != 2 ||
		!co.Init || co.User != "1000" || co.Workdir != "/w" {
		t.Errorf("restart %q stop %q %v init %v user %q workdir %q", co.Restart, co.StopSignal, co.StopTimeout, co.Init, co.User, co.Workdir)
	}

	// A value run refuses names the service, in one line.
	s.CapAdd = []string{"NOPE"}
	nc.Service = s
	if _, err := o.serviceCreateOptions(nc); err == nil || !strings.HasPrefix(err.Error(), "service web: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad cap_add: %v", err)
	}
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	a := &prefixWriter{mu: &mu, w: &out, prefix: "a-1 | "}
	b := &prefixWriter{mu: &mu, w: &out, prefix: "\x1b[33mb-1 | \x1b[0m"}
	a.Write([]byte("one\ntw"))
	b.Write([]byte("x\n"))
	a.Write([]byte("o\nthree"))
	a.flush()
	b.flush()
	want := "a-1 | one\n\x1b[33mb-1 | \x1b[0mx\na-1 | two\na-1 | three\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestServiceBindCreateHostPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	body := "services:\n  a:\n    image: busybox\n    volumes: [{type: bind, source: " + dir + "/missing, target: /m, bind: {create_host_path: false}}]\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := compose.Load(t.Context(), compose.LoadOptions{Files: []string{file}, Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	streams, _, _ := TestIO("")
	o := &ComposeOptions{Global: &GlobalOptions{IO: streams}}
	s := p.Services["a"]
	_, err = o.serviceCreateOptions(compose.NewContainer{Project: p, Service: s, Name: "ci-a-1", Network: compose.ServiceNetworks(p, s)[0]})
	if err == nil || !strings.Contains(err.Error(), "create_host_path is false") {
		t.Fatalf("missing bind source: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("the source was created")
	}
}
