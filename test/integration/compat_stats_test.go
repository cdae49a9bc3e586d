//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Docker's stats (docs.docker.com/reference/cli/docker/container/stats).

var (
	rePerc     = regexp.MustCompile(`^\d+\.\d\d%$`)
	reMemUsage = regexp.MustCompile(`^\d+(\.\d+)?(B|KiB|MiB|GiB|TiB) / \d+(\.\d+)?(B|KiB|MiB|GiB|TiB)$`)
	reIO       = regexp.MustCompile(`^\d+(\.\d+)?[kMGT]?B / \d+(\.\d+)?[kMGT]?B$`)
)

// statsJSON is one --no-stream --format json sample of ref.
func statsJSON(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out := dockerOK(t, append([]string{"stats", "--no-stream", "--format", "json"}, args...)...)
	var r map[string]string
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stats json %q: %v", out, err)
	}
	return r
}

var _ = registerCompat("stats",
	compatCase{"stats --no-stream: Docker's columns", func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := lines(dockerOK(t, "stats", "--no-stream", web))
		want := []string{"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"}
		if got := tableCells(out[0]); !slices.Equal(got, want) {
			t.Fatalf("header %q, want %q", got, want)
		}
		c := tableCells(out[1])
		if len(c) != 8 || !reShortID.MatchString(c[0]) || c[1] != web || !rePerc.MatchString(c[2]) || !reMemUsage.MatchString(c[3]) ||
			!rePerc.MatchString(c[4]) || !reIO.MatchString(c[5]) || !reIO.MatchString(c[6]) || c[7] != "1" {
			t.Fatalf("row %q", c)
		}
	}},
	compatCase{"stats --no-stream (every running container)", func(t *testing.T) {
		web := fixture(t, compatWeb)
		ex := fixture(t, compatExited)
		out := dockerOK(t, "stats", "--no-stream", "--format", "{{.Name}}")
		if !slices.Contains(lines(out), web) || slices.Contains(lines(out), ex) {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"stats --no-stream --format json: Docker's fields", func(t *testing.T) {
		web := fixture(t, compatWeb)
		r := statsJSON(t, web)
		for _, k := range []string{"BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"} {
			if _, ok := r[k]; !ok {
				t.Errorf("field %s missing: %v", k, r)
			}
		}
		if r["Container"] != web || r["Name"] != web || !reShortID.MatchString(r["ID"]) || !rePerc.MatchString(r["CPUPerc"]) || r["PIDs"] != "1" {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"stats --no-stream ID: .Container is the ID as given", func(t *testing.T) {
		id := containerIDOf(t, fixture(t, compatWeb))[:12]
		if r := statsJSON(t, id); r["Container"] != id || r["Name"] != compatWeb {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"stats --no-stream --no-trunc --format '{{.ID}}'", func(t *testing.T) {
		web := fixture(t, compatWeb)
		if out := strings.TrimSpace(dockerOK(t, "stats", "--no-stream", "--no-trunc", "--format", "{{.ID}}", web)); out != containerIDOf(t, web) {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{`stats --no-stream --format 'table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}'`, func(t *testing.T) {
		web := fixture(t, compatWeb)
		out := lines(dockerOK(t, "stats", "--no-stream", "--format", `table {{.Container}}\t{{.CPUPerc}}\t{{.MemUsage}}`, web))
		if !slices.Equal(tableCells(out[0]), []string{"CONTAINER", "CPU %", "MEM USAGE / LIMIT"}) {
			t.Fatalf("header %q", out[0])
		}
		if c := tableCells(out[1]); c[0] != web || !rePerc.MatchString(c[1]) || !reMemUsage.MatchString(c[2]) {
			t.Fatalf("row %q", c)
		}
	}},
	compatCase{"stats --no-stream --format '{{.MemUsage}} {{.MemPerc}}'", func(t *testing.T) {
		r := statsJSON(t, fixture(t, compatWeb))
		if !reMemUsage.MatchString(r["MemUsage"]) || !rePerc.MatchString(r["MemPerc"]) || strings.HasPrefix(r["MemUsage"], "0B") {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"stats --no-stream --format '{{.NetIO}}': traffic counted in the container's namespace", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "-p", "127.0.0.1::80", "busybox", "httpd", "-f", "-p", "80")
		rmOnCleanup(t, name)
		port := strings.TrimSpace(dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Ports}}"))
		host, _, _ := strings.Cut(port, "->")
		var err error
		eventually(t, 10*time.Second, "httpd to answer", func() bool {
			_, err = httpGet("http://" + host + "/")
			return err == nil || strings.Contains(err.Error(), "404")
		})
		out := strings.TrimSpace(dockerOK(t, "stats", "--no-stream", "--format", "{{.NetIO}}", name))
		if !reIO.MatchString(out) || strings.HasPrefix(out, "0B") || strings.HasSuffix(out, " 0B") {
			t.Fatalf("NET I/O %q after an HTTP exchange", out)
		}
	}},
	compatCase{"stats --no-stream of a --network none container: NET I/O 0B / 0B", func(t *testing.T) {
		name := psSleeper(t)
		if out := strings.TrimSpace(dockerOK(t, "stats", "--no-stream", "--format", "{{.NetIO}}", name)); out != "0B / 0B" {
			t.Fatalf("NET I/O %q (loopback only)", out)
		}
	}},
	compatCase{"stats --no-stream --format '{{.BlockIO}} {{.PIDs}}'", func(t *testing.T) {
		name := psSleeper(t)
		dockerOK(t, "exec", "-d", name, "sh", "-c", "sleep 30 & sleep 30 & wait")
		eventually(t, 10*time.Second, "4 PIDs", func() bool {
			r := statsJSON(t, name)
			return reIO.MatchString(r["BlockIO"]) && r["PIDs"] == "4"
		})
	}},
	compatCase{"stats --no-stream --format '{{.CPUPerc}}' of a busy loop", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "--network", "none", "busybox", "sh", "-c", "while :; do :; done")
		rmOnCleanup(t, name)
		out := strings.TrimSpace(dockerOK(t, "stats", "--no-stream", "--format", "{{.CPUPerc}}", name))
		if !rePerc.MatchString(out) || strings.HasPrefix(out, "0.") {
			t.Fatalf("CPU %q", out)
		}
	}},
	compatCase{"stats --no-stream -a: stopped containers too, as zeros", func(t *testing.T) {
		ex := fixture(t, compatExited)
		web := fixture(t, compatWeb)
		rows := map[string]string{}
		for _, l := range lines(dockerOK(t, "stats", "--no-stream", "-a", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.PIDs}}")) {
			n, rest, _ := strings.Cut(l, "|")
			rows[n] = rest
		}
		if rows[ex] != "0.00%|0B / 0B|0B / 0B|0" {
			t.Fatalf("exited row %q", rows[ex])
		}
		if _, ok := rows[web]; !ok {
			t.Fatalf("no row of %s: %v", web, rows)
		}
	}},
	compatCase{"stats --no-stream STOPPED-CONTAINER: a row of zeros", func(t *testing.T) {
		ex := fixture(t, compatExited)
		r := statsJSON(t, ex)
		if r["Name"] != ex || r["CPUPerc"] != "0.00%" || r["PIDs"] != "0" || r["BlockIO"] != "0B / 0B" {
			t.Fatalf("row %v", r)
		}
	}},
	compatCase{"stats --no-stream of an unknown container fails", func(t *testing.T) {
		wantExit(t, docker("stats", "--no-stream", "no-such-container-x"), 1)
	}},
)

// Labels (run --label, ps --filter label=, .Labels, .Label).
var _ = registerCompat("labels",
	compatCase{"run --label k=v: ps --filter label=k=v -q finds it", func(t *testing.T) {
		name := psSleeper(t, "--label", "compat.k="+uniqueName(t))
		id := containerIDOf(t, name)[:12]
		if out := lines(dockerOK(t, "ps", "-q", "--filter", "label=compat.k="+uniqueName(t))); !slices.Equal(out, []string{id}) {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"run --label k (empty value): ps --filter label=k and label=k=", func(t *testing.T) {
		key := "compat.empty." + uniqueName(t)
		name := psSleeper(t, "--label", key)
		wantListed(t, []string{"--filter", "label=" + key}, []string{name}, nil)
		wantListed(t, []string{"--filter", "label=" + key + "="}, []string{name}, nil)
		wantListed(t, []string{"--filter", "label=" + key + "=x"}, nil, []string{name})
		if out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Labels}}"); out != key+"=\n" {
			t.Fatalf("Labels %q", out)
		}
	}},
	compatCase{"run -l a.b=c=d: value with '=' in --filter and .Label", func(t *testing.T) {
		name := psSleeper(t, "-l", "a.b=c=d")
		wantListed(t, []string{"--filter", "label=a.b=c=d"}, []string{name}, nil)
		if out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", `{{.Label "a.b"}}`); out != "c=d\n" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"create --label-file: ps -a --filter label= of each line", func(t *testing.T) {
		f := t.TempDir() + "/labels"
		if err := os.WriteFile(f, []byte("# comment\nteam=core\nowner=ops\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		name := uniqueName(t)
		dockerOK(t, "create", "--name", name, "--network", "none", "--label-file", f, "busybox")
		rmOnCleanup(t, name)
		wantListed(t, []string{"-a", "--filter", "label=team=core", "--filter", "label=owner=ops"}, []string{name}, nil)
		wantListed(t, []string{"--filter", "label=team=core"}, nil, []string{name}) // created: not without -a
	}},
	compatCase{"ps --format '{{.Labels}}' hides lumper's and containerd's own labels", func(t *testing.T) {
		name := psSleeper(t, "--restart", "always", "-l", "x=1")
		out := dockerOK(t, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Labels}}")
		if out != "x=1\n" {
			t.Fatalf("Labels %q", out)
		}
	}},
	compatCase{"ps --filter label=lumper.io/name does not see lumper's own labels", func(t *testing.T) {
		web := fixture(t, compatWeb)
		wantListed(t, []string{"-a", "--filter", "label=lumper.io/name"}, nil, []string{web})
	}},
	compatCase{`ps -a --format '{{.Names}} {{.Label "app"}}'`, func(t *testing.T) {
		ex := fixture(t, compatExited)
		if !slices.Contains(lines(dockerOK(t, "ps", "-a", "--format", `{{.Names}} {{.Label "app"}}`)), ex+" batch") {
			t.Fatal("no 'compat-exited batch' line")
		}
	}},
)
