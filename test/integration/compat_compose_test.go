//go:build integration

package integration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Docker Compose invocations (`docker compose …`) on testdata/compose/deps.

// depsProject runs compose on the deps project under a project name of t's.
func depsProject(t *testing.T) (p string, compose func(args ...string) result) {
	t.Helper()
	p = composeProject(t)
	file := composeDir(t, "deps") + "/compose.yaml"
	return p, func(args ...string) result {
		return composeIn(t.TempDir(), append([]string{"-p", p, "-f", file}, args...)...)
	}
}

func composeOK(t *testing.T, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("compose: %s", r)
	}
	return r.stdout
}

var _ = registerCompat("compose",
	compatCase{"compose up -d SERVICE starts its dependencies too", func(t *testing.T) {
		p, compose := depsProject(t)
		composeOK(t, compose("up", "-d", "front"))
		names := lines(composeOK(t, compose("ps", "--format", "{{.Names}}")))
		slices.Sort(names)
		wantEqual(t, "ps", strings.Join(names, ","), p+"-back-1,"+p+"-front-1")
	}},
	compatCase{"compose up -d --no-deps SERVICE starts only it", func(t *testing.T) {
		p, compose := depsProject(t)
		composeOK(t, compose("up", "-d", "--no-deps", "front"))
		wantEqual(t, "ps -a", composeOK(t, compose("ps", "-a", "--format", "{{.Names}}")), p+"-front-1\n")
	}},
	compatCase{"compose up -d NOSUCH fails with no such service, exit 1", func(t *testing.T) {
		_, compose := depsProject(t)
		r := compose("up", "-d", "nosuch")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "no such service: nosuch") {
			t.Fatalf("stderr: %q", r.stderr)
		}
	}},
	compatCase{"compose ps -q prints the full IDs; ps --filter label=com.docker.compose.service= finds them", func(t *testing.T) {
		p, compose := depsProject(t)
		composeOK(t, compose("up", "-d"))
		ids := lines(composeOK(t, compose("ps", "-q")))
		if len(ids) != 2 || len(ids[0]) != 64 {
			t.Fatalf("ps -q: %q", ids)
		}
		out := dockerOK(t, "ps", "--filter", "label=com.docker.compose.project="+p, "--filter", "label=com.docker.compose.service=back", "--format", "{{.Names}}")
		wantEqual(t, "ps --filter label=", out, p+"-back-1\n")
	}},
	compatCase{"compose logs --tail 1 --no-log-prefix SERVICE prints its last line", func(t *testing.T) {
		_, compose := depsProject(t)
		composeOK(t, compose("up", "-d", "back"))
		eventually(t, 10*time.Second, "back's third line", func() bool {
			return composeOK(t, compose("logs", "--tail", "1", "--no-log-prefix", "back")) == "three\n"
		})
	}},
	compatCase{"compose -p P exec, ps and down (no file) find P's containers by their labels", func(t *testing.T) {
		p, compose := depsProject(t)
		composeOK(t, compose("up", "-d"))
		wantEqual(t, "exec without a file", composeOK(t, composeIn(t.TempDir(), "-p", p, "exec", "-T", "back", "echo", "hi")), "hi\n")
		if ids := lines(composeOK(t, composeIn(t.TempDir(), "-p", p, "ps", "-q"))); len(ids) != 2 {
			t.Fatalf("ps without a file: %q", ids)
		}
		r := composeIn(t.TempDir(), "-p", p, "down")
		wantExit(t, r, 0)
		if out := dockerOK(t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+p); out != "" {
			t.Fatalf("left: %q", out)
		}
		if out := dockerOK(t, "network", "ls", "-q", "--filter", "name="+p+"_default"); out != "" {
			t.Fatalf("network left: %q", out)
		}
	}},
	compatCase{"compose down of a project with nothing up succeeds", func(t *testing.T) {
		_, compose := depsProject(t)
		wantExit(t, compose("down", "-v"), 0)
	}},
	compatCase{"COMPOSE_PROJECT_NAME names the project", func(t *testing.T) {
		p := composeProject(t)
		cmd := lumperCmd("compose", "-f", composeDir(t, "deps")+"/compose.yaml", "up", "-d", "back")
		cmd.Env = append(cmd.Env, "COMPOSE_PROJECT_NAME="+p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("up: %v: %s", err, out)
		}
		dockerOK(t, "inspect", p+"-back-1")
	}},
	compatCase{"compose exec SERVICE of a service with no container fails, exit 1", func(t *testing.T) {
		_, compose := depsProject(t)
		wantExit(t, compose("exec", "-T", "back", "true"), 1)
	}},
	compatCase{"compose run --rm SERVICE CMD exits with CMD's status", func(t *testing.T) {
		_, compose := depsProject(t)
		wantExit(t, compose("run", "--rm", "-T", "back", "sh", "-c", "exit 7"), 7)
	}},
)
