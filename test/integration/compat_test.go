//go:build integration

package integration

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lumper/lumper/pkg/client"
)

// The compatibility suite: Docker-documented invocations, each checking
// Docker's output shape or the property a script relies on (not just exit
// 0). Cases are registered per area by compat_<area>_test.go files with
// registerCompat and run by TestCompat, in parallel. Where lumper differs
// from Docker on purpose, the case asserts lumper's documented behaviour
// (docs/COMPATIBILITY.md).

// compatCase is one invocation as a Docker user types it ("ps -a --filter
// status=exited"); run performs it (through the fixtures below or its own
// containers, named from t) and fails t when lumper does not behave as the
// Docker reference says.
type compatCase struct {
	doc string
	run func(t *testing.T)
}

var compatCases = map[string][]compatCase{}

// registerCompat adds an area's cases; call it from a package-level var.
func registerCompat(area string, cases ...compatCase) bool {
	compatCases[area] = append(compatCases[area], cases...)
	return true
}

// minCompatCases is how many invocations the suite must hold (issue 14).
const minCompatCases = 300

func TestCompat(t *testing.T) {
	t.Parallel()
	areas := make([]string, 0, len(compatCases))
	n := 0
	for a, cs := range compatCases {
		areas = append(areas, a)
		n += len(cs)
	}
	slices.Sort(areas)
	t.Logf("compat: %d Docker invocations in %d areas", n, len(areas))
	if n < minCompatCases {
		t.Errorf("the compatibility suite holds %d invocations, want at least %d", n, minCompatCases)
	}
	t.Cleanup(removeCompatFixtures)
	for _, a := range areas {
		t.Run(a, func(t *testing.T) {
			for _, c := range compatCases[a] {
				t.Run(c.doc, func(t *testing.T) {
					t.Parallel()
					c.run(t)
				})
			}
		})
	}
}

// Shared fixtures, made once and only read by the cases that use them.
const (
	// compatWeb runs busybox httpd on port 80, published on 127.0.0.1 at a
	// host port lumper picks, with label app=web and env FOO=bar.
	compatWeb = "compat-web"
	// compatExited ran `sh -c 'exit 3'` and exited.
	compatExited = "compat-exited"
	// compatCreated was created and never started.
	compatCreated = "compat-created"
)

var compatOnce = map[string]*sync.Once{compatWeb: {}, compatExited: {}, compatCreated: {}}

var compatFixtureArgs = map[string][]string{
	compatWeb: {"run", "-d", "--name", compatWeb, "--label", "app=web", "--label", "tier=front",
		"-e", "FOO=bar", "-p", "127.0.0.1::80", "busybox", "httpd", "-f", "-p", "80"},
	compatExited:  {"run", "--name", compatExited, "--label", "app=batch", "busybox", "sh", "-c", "exit 3"},
	compatCreated: {"create", "--name", compatCreated, "busybox", "echo", "hello"},
}

// fixture makes the named shared container on first use and returns its name.
func fixture(t *testing.T, name string) string {
	t.Helper()
	var r result
	compatOnce[name].Do(func() { r = lumperRun(compatFixtureArgs[name]...) })
	if r.code != 0 && !(name == compatExited && r.code == 3) {
		t.Fatalf("making fixture %s: %s", name, r)
	}
	return name
}

func removeCompatFixtures() {
	for name := range compatOnce {
		lumperRun("rm", "-f", name)
	}
}

// docker runs a lumper invocation written as Docker's (args after "docker").
func docker(args ...string) result { return lumperRun(args...) }

// dockerOK runs it and fails t unless it exits 0; it returns stdout.
func dockerOK(t *testing.T, args ...string) string {
	t.Helper()
	r := lumperRun(args...)
	if r.code != 0 {
		t.Fatalf("%s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// wantExit checks the exit code and that stderr is one line when it fails.
func wantExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
	if code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("error is not one line: %q", r.stderr)
	}
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

var _ = registerCompat("run",
	compatCase{"run --rm busybox echo hello", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "busybox", "echo", "hello"); out != "hello\n" {
			t.Fatalf("stdout %q, want hello", out)
		}
	}},
	compatCase{"run --rm busybox sh -c 'exit 7' exits 7", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "busybox", "sh", "-c", "exit 7"), 7)
	}},
	compatCase{"run of a missing command exits 127", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "busybox", "no-such-cmd"), 127)
	}},
)

var _ = registerCompat("labels",
	compatCase{"run --label app=web --label-file FILE: labels kept on the container", func(t *testing.T) {
		name := uniqueName(t)
		f := t.TempDir() + "/labels"
		if err := os.WriteFile(f, []byte("# team\nteam=core\nempty\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dockerOK(t, "create", "--name", name, "--label", "app=web", "-l", "a.b=c=d", "--label-file", f, "busybox")
		rmOnCleanup(t, name)
		c, ctx := ctd(t)
		ctr, err := c.LoadContainer(ctx, containerIDOf(t, name))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ctr.Labels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		labels := client.UserLabels(raw)
		for k, v := range map[string]string{"app": "web", "a.b": "c=d", "team": "core", "empty": ""} {
			if got, ok := labels[k]; !ok || got != v {
				t.Errorf("label %s = %q (set %v), want %q", k, got, ok, v)
			}
		}
	}},
	compatCase{"run --label lumper.io/name=x is refused (lumper's own keys)", func(t *testing.T) {
		r := docker("run", "--rm", "--label", "lumper.io/name=x", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "reserved") {
			t.Fatalf("stderr %q should say the key is reserved", r.stderr)
		}
	}},
)
