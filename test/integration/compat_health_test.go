//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

// Health checks (run --health-*, --no-healthcheck) and --init, as a script
// reads them back: ps's STATUS, --filter health=, inspect's .State.Health.

// compatHealthy runs a detached busybox with a health check given by args.
func compatHealthy(t *testing.T, args ...string) (name, id string) {
	t.Helper()
	name = uniqueName(t)
	rmOnCleanup(t, name)
	run := append([]string{"run", "-d", "--name", name}, args...)
	id = strings.TrimSpace(dockerOK(t, append(run, "busybox", "sleep", "1000")...))
	return name, id
}

// compatWaitHealth polls inspect until .State.Health.Status is want.
func compatWaitHealth(t *testing.T, name, want string) {
	t.Helper()
	eventually(t, 30*time.Second, name+" "+want, func() bool {
		return strings.TrimSpace(docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout) == want
	})
}

var _ = registerCompat("health",
	compatCase{`run -d --health-cmd "true" --health-interval 1s IMAGE; ps --format "{{.Status}}"`, func(t *testing.T) {
		name, _ := compatHealthy(t, "--health-cmd", "true", "--health-interval", "1s")
		compatWaitHealth(t, name, "healthy")
		st := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name="+name, "--format", "{{.Status}}"))
		if !strings.HasPrefix(st, "Up ") || !strings.HasSuffix(st, " (healthy)") {
			t.Fatalf("STATUS %q, want Up ... (healthy)", st)
		}
	}},
	compatCase{"ps --filter health=healthy", func(t *testing.T) {
		name, id := compatHealthy(t, "--health-cmd", "true", "--health-interval", "500ms")
		compatWaitHealth(t, name, "healthy")
		if got := lines(dockerOK(t, "ps", "-q", "--no-trunc", "--filter", "health=healthy")); !contains(got, id) {
			t.Fatalf("health=healthy: %q lacks %s", got, id)
		}
	}},
	compatCase{"ps --filter health=unhealthy", func(t *testing.T) {
		name, id := compatHealthy(t, "--health-cmd", "exit 1", "--health-interval", "500ms", "--health-retries", "1")
		compatWaitHealth(t, name, "unhealthy")
		if got := lines(dockerOK(t, "ps", "-q", "--no-trunc", "--filter", "health=unhealthy")); !contains(got, id) {
			t.Fatalf("health=unhealthy: %q lacks %s", got, id)
		}
		if got := lines(dockerOK(t, "ps", "-q", "--no-trunc", "--filter", "health=healthy")); contains(got, id) {
			t.Fatalf("health=healthy lists the unhealthy %s", id)
		}
	}},
	compatCase{"ps --filter health=starting", func(t *testing.T) {
		name, id := compatHealthy(t, "--health-cmd", "exit 1", "--health-interval", "1h")
		if got := lines(dockerOK(t, "ps", "-q", "--no-trunc", "--filter", "health=starting")); !contains(got, id) {
			t.Fatalf("health=starting: %q lacks %s", got, id)
		}
		st := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name="+name, "--format", "{{.Status}}"))
		if !strings.HasSuffix(st, " (health: starting)") {
			t.Fatalf("STATUS %q, want ... (health: starting)", st)
		}
	}},
	compatCase{"ps --filter health=none", func(t *testing.T) {
		web := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.Id}}", fixture(t, compatWeb)))
		if got := lines(dockerOK(t, "ps", "-q", "--no-trunc", "--filter", "health=none")); !contains(got, web) {
			t.Fatalf("health=none: %q lacks the web fixture %s", got, web)
		}
	}},
	compatCase{"inspect --format '{{json .State.Health}}' (no health check)", func(t *testing.T) {
		if got := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{json .State.Health}}", fixture(t, compatWeb))); got != "null" {
			t.Fatalf("State.Health %s, want null", got)
		}
	}},
	compatCase{"inspect --format '{{json .State.Health}}'", func(t *testing.T) {
		name, _ := compatHealthy(t, "--health-cmd", "echo probed", "--health-interval", "500ms")
		compatWaitHealth(t, name, "healthy")
		out := dockerOK(t, "inspect", "--format", "{{json .State.Health}}", name)
		for _, want := range []string{`"Status":"healthy"`, `"FailingStreak":0`, `"ExitCode":0`, `"Output":"probed\n"`, `"Start":"`, `"End":"`} {
			if !strings.Contains(out, want) {
				t.Fatalf("State.Health %s lacks %s", out, want)
			}
		}
	}},
	compatCase{"inspect --format '{{json .Config.Healthcheck}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--health-cmd", "curl -f http://localhost/", "--health-interval", "5s",
			"--health-timeout", "2s", "--health-start-period", "10s", "--health-retries", "4", "busybox")
		got := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{json .Config.Healthcheck}}", name))
		if want := `{"Test":["CMD-SHELL","curl -f http://localhost/"],"Interval":5000000000,"Timeout":2000000000,"StartPeriod":10000000000,"Retries":4}`; got != want {
			t.Fatalf("Config.Healthcheck %s, want %s", got, want)
		}
	}},
	compatCase{"run --no-healthcheck IMAGE", func(t *testing.T) {
		name, _ := compatHealthy(t, "--no-healthcheck")
		if got := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{json .Config.Healthcheck}} {{json .State.Health}}", name)); got != "null null" {
			t.Fatalf("got %s", got)
		}
	}},
	compatCase{"run --health-interval -1s IMAGE (invalid)", func(t *testing.T) {
		r := docker("run", "--health-interval", "-1s", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "--health-interval") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --rm --init IMAGE ps", func(t *testing.T) {
		out := dockerOK(t, "run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
		var pid1 string
		for _, l := range lines(out) {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "1" {
				pid1 = strings.Join(f[1:], " ")
			}
		}
		if !strings.HasPrefix(pid1, "/lumper-init -- ps") {
			t.Fatalf("PID 1 is %q, want the init:\n%s", pid1, out)
		}
	}},
	compatCase{"run --init IMAGE sh -c 'exit 3'", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "--init", "busybox", "sh", "-c", "exit 3"), 3)
	}},
	compatCase{"inspect --format '{{.HostConfig.Init}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--init", "--name", name, "busybox", "sleep", "1")
		if got := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.HostConfig.Init}} {{json .Config.Cmd}}", name)); got != `true ["sleep","1"]` {
			t.Fatalf("got %s", got)
		}
	}},
	compatCase{"stop CONTAINER (run --init: SIGTERM reaches the command)", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "-d", "--init", "--name", name, "busybox", "sleep", "1000")
		waitInitHandlers(t, name)
		start := time.Now()
		dockerOK(t, "stop", name)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("stop took %v", took)
		}
		if st := compatState(t, name); st != "exited 143" {
			t.Fatalf("state %q, want exited 143", st)
		}
	}},
)
