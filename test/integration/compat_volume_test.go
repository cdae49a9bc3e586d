//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Docker's volume commands and run's volume flags: create/ls/inspect/rm/
// prune print what Docker prints; -v and --mount make and mount volumes.

// newVolume creates a volume named from t (plus suffix), removed when t
// ends; extra flags go before the name.
func newVolume(t *testing.T, suffix string, flags ...string) string {
	t.Helper()
	name := uniqueName(t) + suffix
	t.Cleanup(func() { docker("volume", "rm", "-f", name) })
	out := dockerOK(t, append(append([]string{"volume", "create"}, flags...), name)...)
	wantEqual(t, "volume create's output", out, name+"\n")
	return name
}

// volumeF runs `volume inspect -f format name`.
func volumeF(t *testing.T, format, name string) string {
	t.Helper()
	return strings.TrimSuffix(dockerOK(t, "volume", "inspect", "-f", format, name), "\n")
}

// volumeNames runs `volume ls -q` with args.
func volumeNames(t *testing.T, args ...string) []string {
	t.Helper()
	return lines(dockerOK(t, append([]string{"volume", "ls", "-q"}, args...)...))
}

// volumeRunning starts a container named from t that mounts vol at /data.
func volumeRunning(t *testing.T, vol string) string {
	t.Helper()
	name := uniqueName(t) + "-c"
	rmOnCleanup(t, name)
	dockerOK(t, "run", "-d", "--name", name, "-v", vol+":/data", "busybox", "sleep", "60")
	return name
}

var _ = registerCompat("volume",
	compatCase{"volume create NAME prints NAME and makes <data-root>/volumes/NAME/_data", func(t *testing.T) {
		name := newVolume(t, "")
		if fi, err := os.Stat(filepath.Join(env.dataRoot, "volumes", name, "_data")); err != nil || !fi.IsDir() {
			t.Fatalf("volume directory: %v", err)
		}
	}},
	compatCase{"volume create (no name) prints a new 64-hex name", func(t *testing.T) {
		out := strings.TrimSpace(dockerOK(t, "volume", "create", "--label", "case="+uniqueName(t)))
		t.Cleanup(func() { docker("volume", "rm", "-f", out) })
		if !hex64RE.MatchString(out) {
			t.Fatalf("volume create printed %q, want 64 hex digits", out)
		}
		wantEqual(t, "Name", volumeF(t, "{{.Name}}", out), out)
	}},
	compatCase{"volume create NAME of an existing volume succeeds and keeps it", func(t *testing.T) {
		name := newVolume(t, "", "--label", "a=1")
		wantEqual(t, "output", dockerOK(t, "volume", "create", name), name+"\n")
		wantEqual(t, "label a", volumeF(t, `{{index .Labels "a"}}`, name), "1")
	}},
	compatCase{"volume create --label a=b --label c= shows them in volume inspect -f '{{json .Labels}}'", func(t *testing.T) {
		name := newVolume(t, "", "--label", "a=b", "--label", "c=")
		wantEqual(t, "Labels", volumeF(t, "{{json .Labels}}", name), `{"a":"b","c":""}`)
	}},
	compatCase{"volume create -d nfs NAME fails with one line, exit 1", func(t *testing.T) {
		wantExit(t, docker("volume", "create", "-d", "nfs", uniqueName(t)), 1)
	}},
	compatCase{"volume create 'bad name' fails with one line, exit 1", func(t *testing.T) {
		r := docker("volume", "create", "bad/name")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "[a-zA-Z0-9][a-zA-Z0-9_.-]") {
			t.Fatalf("error does not name the rule: %q", r.stderr)
		}
	}},
	compatCase{"volume inspect NAME prints a JSON array of Docker's documents", func(t *testing.T) {
		name := newVolume(t, "")
		var docs []map[string]any
		if err := json.Unmarshal([]byte(dockerOK(t, "volume", "inspect", name)), &docs); err != nil || len(docs) != 1 {
			t.Fatalf("volume inspect: %v %v", docs, err)
		}
		var keys []string
		for k := range docs[0] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		wantEqual(t, "keys", strings.Join(keys, " "), "CreatedAt Driver Labels Mountpoint Name Options Scope")
		d := docs[0]
		if d["Name"] != name || d["Driver"] != "local" || d["Scope"] != "local" ||
			d["Mountpoint"] != filepath.Join(env.dataRoot, "volumes", name, "_data") {
			t.Fatalf("volume inspect: %v", d)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$`).MatchString(d["CreatedAt"].(string)) {
			t.Fatalf("CreatedAt %q is not RFC 3339", d["CreatedAt"])
		}
	}},
	compatCase{"volume inspect --format '{{ .Mountpoint }}' NAME", func(t *testing.T) {
		name := newVolume(t, "")
		mp := volumeF(t, "{{ .Mountpoint }}", name)
		if fi, err := os.Stat(mp); err != nil || !fi.IsDir() || !strings.HasSuffix(mp, "/"+name+"/_data") {
			t.Fatalf("Mountpoint %q: %v", mp, err)
		}
	}},
	compatCase{"volume inspect -f '{{.Driver}} {{.Scope}}' A B prints one line each", func(t *testing.T) {
		a, b := newVolume(t, "-a"), newVolume(t, "-b")
		wantEqual(t, "output", dockerOK(t, "volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}}", a, b),
			a+" local local\n"+b+" local local\n")
	}},
	compatCase{"volume inspect MISSING: Error: No such volume: MISSING, exit 1", func(t *testing.T) {
		r := docker("volume", "inspect", "no-such-volume-here")
		wantExit(t, r, 1)
		wantEqual(t, "stderr", r.stderr, "Error: No such volume: no-such-volume-here\n")
		wantEqual(t, "stdout", strings.TrimSpace(r.stdout), "[]")
	}},
	compatCase{"volume inspect A MISSING prints A, then the error, exit 1", func(t *testing.T) {
		a := newVolume(t, "")
		r := docker("volume", "inspect", "-f", "{{.Name}}", a, "no-such-volume-here")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, a+"\n")
	}},
	compatCase{"inspect --type volume NAME", func(t *testing.T) {
		name := newVolume(t, "")
		wantEqual(t, "Driver", strings.TrimSpace(dockerOK(t, "inspect", "--type", "volume", "-f", "{{.Driver}}", name)), "local")
	}},
	compatCase{"inspect NAME finds a volume when no container, image or network has that name", func(t *testing.T) {
		name := newVolume(t, "")
		wantEqual(t, "Name", strings.TrimSpace(dockerOK(t, "inspect", "-f", "{{.Name}} {{.Scope}}", name)), name+" local")
	}},
	compatCase{"volume ls: DRIVER   VOLUME NAME, a 'local NAME' row", func(t *testing.T) {
		name := newVolume(t, "")
		out := lines(dockerOK(t, "volume", "ls", "--filter", "name="+name))
		if len(out) != 2 || !regexp.MustCompile(`^DRIVER\s+VOLUME NAME$`).MatchString(out[0]) ||
			!regexp.MustCompile(`^local\s+`+regexp.QuoteMeta(name)+`$`).MatchString(out[1]) {
			t.Fatalf("volume ls: %q", out)
		}
	}},
	compatCase{"volume list -q prints names only", func(t *testing.T) {
		name := newVolume(t, "")
		if !slices.Contains(lines(dockerOK(t, "volume", "list", "-q")), name) {
			t.Fatalf("volume list -q lacks %s", name)
		}
	}},
	compatCase{"volume ls --filter name=PART matches a substring", func(t *testing.T) {
		name := newVolume(t, "-needle")
		other := newVolume(t, "-hay")
		got := volumeNames(t, "--filter", "name="+uniqueName(t)+"-need")
		if !slices.Contains(got, name) || slices.Contains(got, other) {
			t.Fatalf("name filter: %q", got)
		}
	}},
	compatCase{"volume ls --filter label=KEY and label=KEY=VALUE", func(t *testing.T) {
		key := uniqueName(t)
		a := newVolume(t, "-a", "--label", key+"=1")
		b := newVolume(t, "-b", "--label", key+"=2")
		if got := volumeNames(t, "--filter", "label="+key); strings.Join(got, " ") != a+" "+b {
			t.Fatalf("label=%s: %q", key, got)
		}
		if got := volumeNames(t, "--filter", "label="+key+"=2"); strings.Join(got, " ") != b {
			t.Fatalf("label=%s=2: %q", key, got)
		}
	}},
	compatCase{"volume ls --filter dangling=false lists volumes a container uses; dangling=true the others", func(t *testing.T) {
		used, free := newVolume(t, "-used"), newVolume(t, "-free")
		volumeRunning(t, used)
		f := "name=" + uniqueName(t)
		if got := volumeNames(t, "--filter", "dangling=false", "--filter", f); strings.Join(got, " ") != used {
			t.Fatalf("dangling=false: %q", got)
		}
		if got := volumeNames(t, "--filter", "dangling=1", "--filter", f); strings.Join(got, " ") != free {
			t.Fatalf("dangling=1: %q", got)
		}
	}},
	compatCase{"volume ls --filter driver=local", func(t *testing.T) {
		name := newVolume(t, "")
		if !slices.Contains(volumeNames(t, "--filter", "driver=local"), name) {
			t.Fatal("driver=local does not list a local volume")
		}
		if got := volumeNames(t, "--filter", "driver=nfs", "--filter", "name="+name); len(got) != 0 {
			t.Fatalf("driver=nfs lists %q", got)
		}
	}},
	compatCase{"volume ls --filter colour=red fails with one line, exit 1", func(t *testing.T) {
		wantExit(t, docker("volume", "ls", "--filter", "colour=red"), 1)
	}},
	compatCase{"volume ls --format '{{.Name}}: {{.Labels}}'", func(t *testing.T) {
		name := newVolume(t, "", "--label", "b=2", "--label", "a=1")
		wantEqual(t, "output", dockerOK(t, "volume", "ls", "--filter", "name="+name, "--format", "{{.Name}}: {{.Labels}}"), name+": a=1,b=2\n")
	}},
	compatCase{"volume ls --format '{{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Label \"a\"}}'", func(t *testing.T) {
		name := newVolume(t, "", "--label", "a=x")
		want := "local local " + filepath.Join(env.dataRoot, "volumes", name, "_data") + " x\n"
		wantEqual(t, "output", dockerOK(t, "volume", "ls", "--filter", "name="+name, "--format", `{{.Driver}} {{.Scope}} {{.Mountpoint}} {{.Label "a"}}`), want)
	}},
	compatCase{"volume ls --format 'table {{.Name}}\\t{{.Driver}}' draws a NAME DRIVER table", func(t *testing.T) {
		name := newVolume(t, "")
		out := lines(dockerOK(t, "volume", "ls", "--filter", "name="+name, "--format", "table {{.Name}}\t{{.Driver}}"))
		if len(out) != 2 || !regexp.MustCompile(`^NAME\s+DRIVER$`).MatchString(out[0]) || !strings.HasPrefix(out[1], name) {
			t.Fatalf("table: %q", out)
		}
	}},
	compatCase{"volume ls --format json prints one JSON object per volume", func(t *testing.T) {
		name := newVolume(t, "")
		var v map[string]any
		if err := json.Unmarshal([]byte(dockerOK(t, "volume", "ls", "--filter", "name="+name, "--format", "json")), &v); err != nil {
			t.Fatal(err)
		}
		if v["Name"] != name || v["Driver"] != "local" || v["Scope"] != "local" {
			t.Fatalf("json: %v", v)
		}
	}},
	compatCase{"volume rm NAME prints NAME and removes it", func(t *testing.T) {
		name := newVolume(t, "")
		wantEqual(t, "output", dockerOK(t, "volume", "rm", name), name+"\n")
		wantExit(t, docker("volume", "inspect", name), 1)
		if _, err := os.Stat(filepath.Join(env.dataRoot, "volumes", name)); !os.IsNotExist(err) {
			t.Fatalf("volume directory still there: %v", err)
		}
	}},
	compatCase{"volume remove A B removes both", func(t *testing.T) {
		a, b := newVolume(t, "-a"), newVolume(t, "-b")
		wantEqual(t, "output", dockerOK(t, "volume", "remove", a, b), a+"\n"+b+"\n")
	}},
	compatCase{"volume rm MISSING: exit 1; volume rm -f MISSING: exit 0", func(t *testing.T) {
		wantExit(t, docker("volume", "rm", "no-such-volume-here"), 1)
		wantExit(t, docker("volume", "rm", "-f", "no-such-volume-here"), 0)
	}},
	compatCase{"volume rm of a volume in use: 'volume is in use', exit 1, even with -f", func(t *testing.T) {
		name := newVolume(t, "")
		ctr := volumeRunning(t, name)
		for _, args := range [][]string{{"volume", "rm", name}, {"volume", "rm", "-f", name}} {
			r := docker(args...)
			wantExit(t, r, 1)
			if !strings.Contains(r.stderr, "volume is in use") || !strings.Contains(r.stderr, ctr) {
				t.Fatalf("%v: %q", args, r.stderr)
			}
		}
		dockerOK(t, "rm", "-f", ctr)
		dockerOK(t, "volume", "rm", name)
	}},
	compatCase{"volume prune -f removes unused anonymous volumes only; Total reclaimed space", func(t *testing.T) {
		key := "case=" + uniqueName(t)
		named := newVolume(t, "", "--label", key)
		anon := strings.TrimSpace(dockerOK(t, "volume", "create", "--label", key))
		t.Cleanup(func() { docker("volume", "rm", "-f", anon) })
		// An anonymous volume of a container that exists is kept.
		ctr := uniqueName(t) + "-c"
		rmOnCleanup(t, ctr)
		dockerOK(t, "create", "--name", ctr, "--mount", "type=volume,dst=/x,volume-label="+key, "busybox", "true")
		used := strings.TrimSpace(inspectF(t, "{{range .Mounts}}{{.Name}}{{end}}", ctr))
		t.Cleanup(func() { docker("volume", "rm", "-f", used) })
		out := dockerOK(t, "volume", "prune", "-f", "--filter", "label="+key)
		if !strings.HasPrefix(out, "Deleted Volumes:\n"+anon+"\n\n") || !strings.Contains(out, "Total reclaimed space: ") {
			t.Fatalf("volume prune -f:\n%s", out)
		}
		if got := volumeNames(t, "--filter", "label="+key); len(got) != 2 || !slices.Contains(got, named) || !slices.Contains(got, used) {
			t.Fatalf("after prune: %q, want %s and %s kept", got, named, used)
		}
	}},
	compatCase{"volume prune -a -f removes unused named volumes too", func(t *testing.T) {
		key := "case=" + uniqueName(t)
		named := newVolume(t, "-named", "--label", key)
		used := newVolume(t, "-used", "--label", key)
		volumeRunning(t, used)
		out := dockerOK(t, "volume", "prune", "-a", "-f", "--filter", "label="+key)
		if !strings.Contains(out, named+"\n") || strings.Contains(out, used) {
			t.Fatalf("volume prune -a:\n%s", out)
		}
		if got := volumeNames(t, "--filter", "label="+key); strings.Join(got, " ") != used {
			t.Fatalf("after prune -a: %q", got)
		}
	}},
	compatCase{"run -v NAME:/data creates the volume on first use and keeps data across containers", func(t *testing.T) {
		name := uniqueName(t)
		t.Cleanup(func() { docker("volume", "rm", "-f", name) })
		dockerOK(t, "run", "--rm", "-v", name+":/data", "busybox", "sh", "-c", "echo kept > /data/f")
		wantEqual(t, "Driver", volumeF(t, "{{.Driver}}", name), "local")
		wantEqual(t, "second run", dockerOK(t, "run", "--rm", "-v", name+":/data", "busybox", "cat", "/data/f"), "kept\n")
	}},
	compatCase{"run -v NAME:/data:ro refuses writes", func(t *testing.T) {
		name := newVolume(t, "")
		r := docker("run", "--rm", "-v", name+":/data:ro", "busybox", "touch", "/data/f")
		if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
			t.Fatalf("write to a :ro volume: %s", r)
		}
	}},
	compatCase{"run -v NAME:/etc fills a new volume from the image's /etc", func(t *testing.T) {
		name := uniqueName(t)
		t.Cleanup(func() { docker("volume", "rm", "-f", name) })
		dockerOK(t, "run", "--rm", "-v", name+":/etc", "busybox", "true")
		if _, err := os.Stat(filepath.Join(env.dataRoot, "volumes", name, "_data", "passwd")); err != nil {
			t.Fatalf("copy-up: %v", err)
		}
	}},
	compatCase{"run -v /data makes an anonymous volume that volume ls lists", func(t *testing.T) {
		ctr := uniqueName(t)
		rmOnCleanup(t, ctr)
		dockerOK(t, "run", "--name", ctr, "-v", "/data", "busybox", "true")
		anon := strings.TrimSpace(inspectF(t, "{{range .Mounts}}{{.Name}}{{end}}", ctr))
		t.Cleanup(func() { docker("volume", "rm", "-f", anon) })
		if !hex64RE.MatchString(anon) || !slices.Contains(volumeNames(t), anon) {
			t.Fatalf("anonymous volume %q not listed", anon)
		}
	}},
	compatCase{"run --mount type=volume,src=NAME,dst=/data,readonly", func(t *testing.T) {
		name := newVolume(t, "")
		ctr := uniqueName(t)
		rmOnCleanup(t, ctr)
		r := docker("run", "--name", ctr, "--mount", "type=volume,src="+name+",dst=/data,readonly", "busybox", "touch", "/data/f")
		if r.code == 0 {
			t.Fatalf("readonly volume mount allowed a write: %s", r)
		}
		wantEqual(t, "Mounts", inspectF(t, "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}", ctr),
			"volume "+name+" /data false")
	}},
	compatCase{"run --mount type=tmpfs,dst=/t mounts a tmpfs", func(t *testing.T) {
		out := dockerOK(t, "run", "--rm", "--mount", "type=tmpfs,dst=/t", "busybox", "sh", "-c", "grep ' /t ' /proc/mounts")
		if !strings.HasPrefix(out, "tmpfs /t tmpfs ") {
			t.Fatalf("/proc/mounts: %q", out)
		}
	}},
	compatCase{"run -v 'bad@name:/x' fails with one line, exit 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "-v", "bad@name:/x", "busybox", "true"), 125)
	}},
	compatCase{"inspect -f '{{json .Mounts}}' shows a volume as Docker: Type Name Source Destination Driver RW", func(t *testing.T) {
		name := newVolume(t, "")
		ctr := volumeRunning(t, name)
		var ms []map[string]any
		if err := json.Unmarshal([]byte(inspectF(t, "{{json .Mounts}}", ctr)), &ms); err != nil || len(ms) != 1 {
			t.Fatalf("Mounts: %v %v", ms, err)
		}
		m := ms[0]
		if m["Type"] != "volume" || m["Name"] != name || m["Source"] != filepath.Join(env.dataRoot, "volumes", name, "_data") ||
			m["Destination"] != "/data" || m["Driver"] != "local" || m["RW"] != true {
			t.Fatalf("Mounts[0] = %v", m)
		}
	}},
	compatCase{"ps --filter volume=NAME and volume=/DEST; ps --format '{{.Mounts}}' shows the volume's name", func(t *testing.T) {
		name := newVolume(t, "")
		ctr := volumeRunning(t, name)
		for _, f := range []string{"volume=" + name, "volume=/data"} {
			if out := dockerOK(t, "ps", "--filter", f, "--filter", "name="+ctr, "--format", "{{.Names}}"); out != ctr+"\n" {
				t.Fatalf("ps --filter %s: %q", f, out)
			}
		}
		wantEqual(t, "Mounts", dockerOK(t, "ps", "--no-trunc", "--filter", "name="+ctr, "--format", "{{.Mounts}} {{.LocalVolumes}}"), name+" 1\n")
	}},
	compatCase{"rm -v CONTAINER removes its anonymous volumes, not named ones", func(t *testing.T) {
		named := newVolume(t, "")
		ctr := uniqueName(t) + "-c"
		rmOnCleanup(t, ctr)
		dockerOK(t, "create", "--name", ctr, "-v", "/anon", "-v", named+":/named", "busybox", "true")
		anon := strings.TrimSpace(inspectF(t, `{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}`, ctr))
		t.Cleanup(func() { docker("volume", "rm", "-f", anon) })
		wantEqual(t, "rm -v", dockerOK(t, "rm", "-v", ctr), ctr+"\n")
		wantExit(t, docker("volume", "inspect", anon), 1)
		wantExit(t, docker("volume", "inspect", named), 0)
	}},
	compatCase{"system df has a Local Volumes row between Containers and Logs", func(t *testing.T) {
		newVolume(t, "")
		var types []string
		for _, l := range lines(dockerOK(t, "system", "df", "--format", "{{.Type}}")) {
			types = append(types, l)
		}
		i := slices.Index(types, "Local Volumes")
		if i < 0 || types[i-1] != "Containers" {
			t.Fatalf("system df types: %q", types)
		}
	}},
)

var _ = registerCompat("volume",
	compatCase{"run --volumes-from CONTAINER mounts its volumes and binds; :ro makes them read-only", func(t *testing.T) {
		vol := newVolume(t, "")
		host := t.TempDir()
		if err := os.WriteFile(filepath.Join(host, "h"), []byte("host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		src := uniqueName(t) + "-src"
		rmOnCleanup(t, src)
		dockerOK(t, "create", "--name", src, "-v", vol+":/data", "-v", host+":/host", "-v", "/anon", "busybox", "true")
		anon := inspectF(t, `{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}`, src)
		t.Cleanup(func() { docker("volume", "rm", "-f", anon) })
		dockerOK(t, "run", "--rm", "-v", vol+":/data", "busybox", "sh", "-c", "echo shared > /data/f")
		out := dockerOK(t, "run", "--rm", "--volumes-from", src, "busybox", "sh", "-c", "cat /data/f /host/h; test -d /anon && echo anon")
		wantEqual(t, "with --volumes-from", out, "shared\nhost\nanon\n")
		r := docker("run", "--rm", "--volumes-from", src+":ro", "busybox", "touch", "/data/g")
		if r.code == 0 || !strings.Contains(r.stderr, "Read-only") {
			t.Fatalf("--volumes-from %s:ro allowed a write: %s", src, r)
		}
		// The borrower keeps the volume in use.
		user := uniqueName(t) + "-user"
		rmOnCleanup(t, user)
		dockerOK(t, "create", "--name", user, "--volumes-from", src, "busybox", "true")
		dockerOK(t, "rm", src)
		wantExit(t, docker("volume", "rm", vol), 1)
	}},
	compatCase{"run --volumes-from MISSING fails with one line, exit 125", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "--volumes-from", "no-such-container-here", "busybox", "true"), 125)
		wantExit(t, docker("run", "--rm", "--volumes-from", "x:rx", "busybox", "true"), 125)
	}},
)
