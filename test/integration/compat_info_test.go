//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// infoInts runs `info --format` with a template of integer fields and
// returns them.
func infoInts(t *testing.T, fields ...string) []int {
	t.Helper()
	tmpl := make([]string, len(fields))
	for i, f := range fields {
		tmpl[i] = "{{." + f + "}}"
	}
	out := strings.Fields(dockerOK(t, "info", "--format", strings.Join(tmpl, " ")))
	if len(out) != len(fields) {
		t.Fatalf("info --format %v printed %q", fields, out)
	}
	n := make([]int, len(out))
	for i, s := range out {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s = %q, not a number", fields[i], s)
		}
		n[i] = v
	}
	return n
}

// confEnv is the environment of a lumper that reads the configuration
// content from a file of its own.
func confEnv(t *testing.T, content string) ([]string, string) {
	p := filepath.Join(t.TempDir(), "lumper.toml")
	writeFile(t, p, content)
	return []string{"LUMPER_CONFIG=" + p}, p
}

var _ = registerCompat("info",
	compatCase{"info: Client and Server sections, containers by state", func(t *testing.T) {
		fixture(t, compatWeb)
		out := dockerOK(t, "info")
		for _, want := range []string{"Client:\n", "\nServer:\n", " Containers: ", "  Running: ", "  Paused: ", "  Stopped: ",
			" Images: ", " Server Version: containerd ", " Storage Driver: overlayfs\n", "  namespace:"} {
			if !strings.Contains(out, want) {
				t.Errorf("info lacks %q:\n%s", want, out)
			}
		}
	}},
	compatCase{"info --format '{{.ServerVersion}}' is containerd's version", func(t *testing.T) {
		c, ctx := ctd(t)
		v, err := c.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if out := dockerOK(t, "info", "--format", "{{.ServerVersion}}"); out != v.Version+"\n" {
			t.Fatalf("ServerVersion %q, want %q", out, v.Version)
		}
	}},
	compatCase{"info --format '{{json .}}' is one JSON object with Docker's field names", func(t *testing.T) {
		out := dockerOK(t, "info", "--format", "{{json .}}")
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil || len(lines(out)) != 1 {
			t.Fatalf("not one JSON object: %v\n%s", err, out)
		}
		for _, k := range []string{"ServerVersion", "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images", "Driver", "ClientInfo"} {
			if _, ok := m[k]; !ok {
				t.Errorf("no %s in %s", k, out)
			}
		}
	}},
	compatCase{"info --format json equals {{json .}}'s keys", func(t *testing.T) {
		var m map[string]any
		if err := json.Unmarshal([]byte(dockerOK(t, "info", "--format", "json")), &m); err != nil || m["Driver"] != "overlayfs" {
			t.Fatalf("info --format json: %v %v", m["Driver"], err)
		}
	}},
	compatCase{"system info --format '{{.Driver}}'", func(t *testing.T) {
		if out := dockerOK(t, "system", "info", "--format", "{{.Driver}}"); out != "overlayfs\n" {
			t.Fatalf("Driver %q", out)
		}
	}},
	compatCase{"info --format: Containers is Running + Paused + Stopped", func(t *testing.T) {
		fixture(t, compatWeb)
		fixture(t, compatExited)
		n := infoInts(t, "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images")
		if n[0] != n[1]+n[2]+n[3] || n[1] < 1 || n[3] < 1 || n[4] < 1 {
			t.Fatalf("Containers %d Running %d Paused %d Stopped %d Images %d", n[0], n[1], n[2], n[3], n[4])
		}
	}},
	compatCase{"info --format '{{.NoSuchField}}' fails with one line", func(t *testing.T) {
		wantExit(t, docker("info", "--format", "{{.NoSuchField}}"), 1)
	}},
	compatCase{"info --format '{{.ClientInfo.Settings}}': where each setting came from", func(t *testing.T) {
		env, path := confEnv(t, "snapshotter = \"overlayfs\"\nhosts_dir = [\"/srv/certs.d\"]\n")
		r := lumperEnv(env, nil, "info", "--format", `{{.ClientInfo.ConfigFile}}{{range .ClientInfo.Settings}} {{.Key}}={{.Value}}({{.Source}}){{end}}`)
		wantExit(t, r, 0)
		for _, want := range []string{path + " ", " namespace=" + testNamespace + "(env LUMPER_NAMESPACE)", " snapshotter=overlayfs(file)",
			" hosts_dir=/srv/certs.d(file)", " debug=false(default)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("settings lack %q: %s", want, r.stdout)
			}
		}
	}},
)

var _ = registerCompat("config",
	compatCase{"lumper.toml: an unknown key is one line naming file and line (ps exits 1, run 125)", func(t *testing.T) {
		env, path := confEnv(t, "# lumper\nnamespace = \"x\"\nadress = \"/run/c.sock\"\n")
		want := fmt.Sprintf("lumper: %s:3: unknown key \"adress\"", path)
		for args, code := range map[string]int{"ps": 1, "run --rm busybox true": 125} {
			r := lumperEnv(env, nil, strings.Fields(args)...)
			wantExit(t, r, code)
			if !strings.HasPrefix(r.stderr, want) {
				t.Errorf("%s: stderr %q, want %q", args, r.stderr, want)
			}
		}
	}},
	compatCase{"lumper.toml: default_network = \"none\" for run; --network outranks it", func(t *testing.T) {
		env, _ := confEnv(t, "default_network = \"none\"\n")
		r := lumperEnv(env, nil, "run", "--rm", "busybox", "ls", "/sys/class/net")
		wantExit(t, r, 0)
		if ifs := strings.Fields(r.stdout); len(ifs) != 1 || ifs[0] != "lo" {
			t.Fatalf("network none from the file: interfaces %q", r.stdout)
		}
		r = lumperEnv(env, nil, "run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
		wantExit(t, r, 0)
		if len(strings.Fields(r.stdout)) < 2 {
			t.Fatalf("--network host: interfaces %q", r.stdout)
		}
	}},
	compatCase{"lumper.toml: a flag outranks the environment, which outranks the file", func(t *testing.T) {
		env, _ := confEnv(t, "namespace = \"from-file\"\n")
		out := lumperEnv(env, nil, "info", "--format", "{{.Namespace}}").stdout
		if out != testNamespace+"\n" {
			t.Fatalf("env LUMPER_NAMESPACE lost to the file: %q", out)
		}
		out = lumperEnv(env, nil, "--namespace", testNamespace, "info", "--format", "{{.Namespace}}").stdout
		if out != testNamespace+"\n" {
			t.Fatalf("--namespace: %q", out)
		}
		env = append(env, "LUMPER_NAMESPACE=")
		if out = lumperEnv(env, nil, "info", "--format", "{{.Namespace}}").stdout; out != "from-file\n" {
			t.Fatalf("file namespace: %q", out)
		}
	}},
	compatCase{"lumper.toml: log_opts are the default --log-opt of run -d", func(t *testing.T) {
		cenv, _ := confEnv(t, "log_opts = { max-size = \"16k\", max-file = \"2\" }\n")
		name := uniqueName(t)
		r := lumperEnv(cenv, nil, "run", "-d", "--name", name, "busybox", "seq", "1", "20000")
		wantExit(t, r, 0)
		rmOnCleanup(t, name)
		waitExited(t, name, 60*time.Second)
		files, _ := filepath.Glob(filepath.Join(env.dataRoot, testNamespace, "containers", strings.TrimSpace(r.stdout), "container.log*"))
		var total int64
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				total += fi.Size()
			}
		}
		// Rotated (a .1 file: max-size applied) and at most two files
		// (max-file); the newest may be between rotations.
		rotated := slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, ".log.1") })
		if !rotated || len(files) > 2 || total > 2*16*1024 {
			t.Fatalf("log files %v (%d bytes): want a rotated log, at most 2 files of 16k, as max-size=16k max-file=2", files, total)
		}
	}},
)
