//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exitedWith runs a busybox container named from t that runs script and
// exits; it is removed at the end of the test.
func exitedWith(t *testing.T, script string) string {
	t.Helper()
	name := uniqueName(t)
	dockerOK(t, "run", "--name", name, "busybox", "sh", "-c", script)
	rmOnCleanup(t, name)
	return name
}

// tarNames lists the entry names of a tar stream.
func tarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("reading tar stream: %v (after %d entries)", err, len(names))
		}
		names = append(names, h.Name)
	}
}

// compressed returns the busybox docker-save archive piped through a
// compressor command (gzip, bzip2, xz, zstd).
func compressed(t *testing.T, tool string) []byte {
	t.Helper()
	raw, err := os.ReadFile(env.images.docker)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "-c")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s (make deps installs it): %v", tool, err)
	}
	return out
}

var _ = registerCompat("port",
	compatCase{"port CONTAINER lists PORT/PROTO -> HOSTIP:HOSTPORT", func(t *testing.T) {
		out := dockerOK(t, "port", fixture(t, compatWeb))
		if !regexp.MustCompile(`^80/tcp -> 127\.0\.0\.1:[1-9][0-9]*\n$`).MatchString(out) {
			t.Fatalf("port printed %q, want 80/tcp -> 127.0.0.1:PORT", out)
		}
	}},
	compatCase{"port CONTAINER 80/tcp prints the host address alone", func(t *testing.T) {
		web := fixture(t, compatWeb)
		all := dockerOK(t, "port", web)
		one := dockerOK(t, "port", web, "80/tcp")
		if !regexp.MustCompile(`^127\.0\.0\.1:[1-9][0-9]*\n$`).MatchString(one) || !strings.HasSuffix(all, " -> "+one) {
			t.Fatalf("port web 80/tcp printed %q (all: %q)", one, all)
		}
		if bare := dockerOK(t, "port", web, "80"); bare != one {
			t.Fatalf("port web 80 printed %q, want %q (tcp by default)", bare, one)
		}
	}},
	compatCase{"port CONTAINER 81 (not published) fails", func(t *testing.T) {
		r := docker("port", fixture(t, compatWeb), "81/tcp")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "81/tcp") {
			t.Fatalf("stderr %q should name the port", r.stderr)
		}
	}},
	compatCase{"port of a stopped container prints nothing", func(t *testing.T) {
		if out := dockerOK(t, "port", fixture(t, compatExited)); out != "" {
			t.Fatalf("port printed %q for an exited container", out)
		}
	}},
)

var _ = registerCompat("diff",
	compatCase{"diff CONTAINER lists A, C and D lines against the image", func(t *testing.T) {
		name := exitedWith(t, "echo x > /tmp/new && echo me:x:1: >> /etc/passwd && rm /etc/group")
		got := lines(dockerOK(t, "diff", name))
		for _, want := range []string{"C /etc", "C /etc/passwd", "D /etc/group", "C /tmp", "A /tmp/new"} {
			if !slices.Contains(got, want) {
				t.Errorf("diff lacks %q: %q", want, got)
			}
		}
		for _, l := range got {
			if !regexp.MustCompile(`^[ACD] /`).MatchString(l) {
				t.Errorf("line %q is not KIND /PATH", l)
			}
			if strings.Contains(l, "resolv.conf") || strings.Contains(l, "/etc/hosts") || strings.HasPrefix(l, "A /proc") {
				t.Errorf("diff shows lumper's own mount point: %q", l)
			}
		}
		if !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(a[2:], b[2:]) }) {
			t.Errorf("diff is not sorted by path: %q", got)
		}
	}},
	compatCase{"diff of a fresh container prints nothing", func(t *testing.T) {
		if out := dockerOK(t, "diff", fixture(t, compatCreated)); out != "" {
			t.Fatalf("diff of a created container printed %q", out)
		}
	}},
	compatCase{"diff of a running container that changed nothing prints nothing", func(t *testing.T) {
		if out := dockerOK(t, "diff", sleeper(t)); out != "" {
			t.Fatalf("diff of a fresh running container printed %q", out)
		}
	}},
	compatCase{"diff of a running container sees a new file", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "exec", name, "touch", "/root-file")
		if got := lines(dockerOK(t, "diff", name)); !slices.Contains(got, "A /root-file") {
			t.Fatalf("diff of running container: %q, want A /root-file", got)
		}
	}},
	compatCase{"diff of a missing container fails", func(t *testing.T) {
		wantExit(t, docker("diff", "no-such-container-cmds"), 1)
	}},
)

var _ = registerCompat("export",
	compatCase{"export -o FILE CONTAINER writes its file system, which import reads", func(t *testing.T) {
		name := exitedWith(t, "echo exported > /hello")
		f := filepath.Join(t.TempDir(), "fs.tar")
		if out := dockerOK(t, "export", "-o", f, name); out != "" {
			t.Fatalf("export -o printed %q", out)
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		names := tarNames(t, fh)
		for _, want := range []string{"hello", "bin/", "etc/passwd"} {
			if !slices.Contains(names, want) {
				t.Fatalf("export lacks %q: %d entries, first %q", want, len(names), names[:min(5, len(names))])
			}
		}
		img := "lumper.local/exported:" + strings.ToLower(name)
		dockerOK(t, "import", f, img)
		t.Cleanup(func() { docker("rmi", "-f", img) })
		if out := dockerOK(t, "run", "--rm", img, "cat", "/hello"); out != "exported\n" {
			t.Fatalf("imported image: /hello is %q", out)
		}
	}},
	compatCase{"export CONTAINER > FILE of a running container: its snapshot, not /proc", func(t *testing.T) {
		r := docker("export", fixture(t, compatWeb))
		wantExit(t, r, 0)
		names := tarNames(t, strings.NewReader(r.stdout))
		if !slices.Contains(names, "bin/busybox") && !slices.Contains(names, "bin/sh") {
			t.Fatalf("export lacks the image's files: %d entries", len(names))
		}
		for _, n := range names {
			if strings.HasPrefix(n, "proc/") && n != "proc/" || strings.HasPrefix(n, "sys/") && n != "sys/" {
				t.Fatalf("export holds a mount's content: %q", n)
			}
		}
	}},
)

var _ = registerCompat("load-compressed",
	compatCase{"save IMAGE | gzip, then load: Docker reads compressed archives", func(t *testing.T) {
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		raw, _ := os.ReadFile(env.images.docker)
		_, _ = w.Write(raw)
		_ = w.Close()
		r := lumperStdin(gz.Bytes(), "load")
		wantExit(t, r, 0)
		if !strings.Contains(r.stdout, "Loaded image: busybox:latest") {
			t.Fatalf("load printed %q", r.stdout)
		}
	}},
	compatCase{"load -i FILE.tar.bz2", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "bb.tar.bz2")
		_ = os.WriteFile(f, compressed(t, "bzip2"), 0o644)
		if out := dockerOK(t, "load", "-i", f); !strings.Contains(out, "Loaded image: busybox:latest") {
			t.Fatalf("load printed %q", out)
		}
	}},
	compatCase{"load < FILE.tar.zst", func(t *testing.T) {
		r := lumperStdin(compressed(t, "zstd"), "load", "-q")
		wantExit(t, r, 0)
		if !strings.Contains(r.stdout, "busybox") {
			t.Fatalf("load -q printed %q", r.stdout)
		}
	}},
	compatCase{"load < FILE.tar.xz", func(t *testing.T) {
		r := lumperStdin(compressed(t, "xz"), "load")
		wantExit(t, r, 0)
		if !strings.Contains(r.stdout, "Loaded image: busybox:latest") {
			t.Fatalf("load printed %q", r.stdout)
		}
	}},
	compatCase{"load of empty input fails", func(t *testing.T) {
		r := lumperStdin(nil, "load")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "empty") {
			t.Fatalf("stderr %q should say the input is empty", r.stderr)
		}
	}},
	compatCase{"import of an empty source fails and makes no image", func(t *testing.T) {
		img := "lumper.local/empty-import:" + strings.ToLower(uniqueName(t))
		r := lumperStdin(nil, "import", "-", img)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "empty") {
			t.Fatalf("stderr %q should say the input is empty", r.stderr)
		}
		if out := docker("images", "-q", img).stdout; strings.TrimSpace(out) != "" {
			t.Fatalf("an image was made: %q", out)
		}
	}},
)

// privateRoot is a namespace with busybox loaded and a data root of the
// test's own, for `system prune`, which removes networks: those of the
// shared data root belong to the other cases. Its containers use
// --network none, so no bridge is set up for that data root.
func privateRoot(t *testing.T) []string {
	t.Helper()
	return []string{"--namespace", privateNamespace(t), "--data-root", t.TempDir()}
}

var _ = registerCompat("system-prune",
	compatCase{"system prune -f removes stopped containers and unused networks, keeps running ones", func(t *testing.T) {
		g := privateRoot(t)
		at := func(args ...string) []string { return append(slices.Clone(g), args...) }
		up := strings.TrimSpace(dockerOK(t, at("run", "-d", "--network", "none", "--name", "up", "busybox", "sleep", "1000")...))
		dockerOK(t, at("run", "--network", "none", "--name", "down", "busybox", "true")...)
		down := strings.TrimSpace(dockerOK(t, at("inspect", "-f", "{{.Id}}", "down")...))
		dockerOK(t, at("network", "create", "unused-net")...)
		out := dockerOK(t, at("system", "prune", "-f")...)
		if !strings.HasPrefix(out, "Deleted Containers:\n") || !strings.Contains(out, down) || strings.Contains(out, up) {
			t.Fatalf("system prune output %q: want the exited container %s deleted, not the running one", out, down)
		}
		if !strings.Contains(out, "\nDeleted Networks:\nunused-net\n") {
			t.Fatalf("system prune output %q: want unused-net deleted", out)
		}
		if last := lines(out)[len(lines(out))-1]; !regexp.MustCompile(`^Total reclaimed space: [0-9.]+k?M?G?B$`).MatchString(last) {
			t.Fatalf("last line %q, want Total reclaimed space: SIZE", last)
		}
		if left := dockerOK(t, at("list", "--format", "{{.Name}}")...); strings.TrimSpace(left) != "up" {
			t.Fatalf("containers left %q, want only up", left)
		}
		if nets := dockerOK(t, at("network", "ls", "--format", "{{.Name}}")...); strings.Contains(nets, "unused-net") {
			t.Fatalf("networks left %q", nets)
		}
	}},
	compatCase{"system prune -a -f --volumes also removes unused tagged images", func(t *testing.T) {
		g := privateRoot(t)
		at := func(args ...string) []string { return append(slices.Clone(g), args...) }
		if ids := dockerOK(t, at("images", "-q")...); strings.TrimSpace(ids) == "" {
			t.Fatal("busybox is not loaded")
		}
		out := dockerOK(t, at("system", "prune", "-a", "-f", "--volumes")...)
		if !strings.Contains(out, "Deleted Images:\n") || !strings.Contains(out, "busybox") || !strings.Contains(out, "Total reclaimed space:") {
			t.Fatalf("system prune -a output %q", out)
		}
		if ids := dockerOK(t, at("images", "-q")...); strings.TrimSpace(ids) != "" {
			t.Fatalf("images left after prune -a: %q", ids)
		}
	}},
)

// cgroupFile reads a cgroup v1 file of a running container (controller
// memory, cpu, pids), or skips on a cgroup v2 host.
func cgroupFile(t *testing.T, name, controller, file string) string {
	t.Helper()
	p := filepath.Join("/sys/fs/cgroup", controller, cgroupPathOf(t, name), file)
	b, err := os.ReadFile(p)
	if err != nil {
		if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
			t.Skipf("cgroup v2 host: %s is cgroup v1's", file)
		}
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

var _ = registerCompat("update",
	compatCase{"update -m 128m CONTAINER: the kernel's limit changes at once and survives a restart", func(t *testing.T) {
		name := sleeper(t, "-m", "64m")
		if got := cgroupFile(t, name, "memory", "memory.limit_in_bytes"); got != "67108864" {
			t.Fatalf("memory.limit_in_bytes before: %s", got)
		}
		if out := dockerOK(t, "update", "-m", "128m", name); out != name+"\n" {
			t.Fatalf("update printed %q, want the container's name", out)
		}
		if got := cgroupFile(t, name, "memory", "memory.limit_in_bytes"); got != "134217728" {
			t.Fatalf("memory.limit_in_bytes after update -m 128m: %s", got)
		}
		if got := dockerOK(t, "inspect", "-f", "{{.HostConfig.Memory}}", name); got != "134217728\n" {
			t.Fatalf("inspect HostConfig.Memory %q", got)
		}
		dockerOK(t, "restart", "-t", "1", name)
		if got := cgroupFile(t, name, "memory", "memory.limit_in_bytes"); got != "134217728" {
			t.Fatalf("memory.limit_in_bytes after restart: %s (the update was not kept)", got)
		}
	}},
	compatCase{"update --cpus 0.5 --pids-limit 50 --cpuset-cpus 0 -c 512 CONTAINER", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "update", "--cpus", "0.5", "--pids-limit", "50", "--cpuset-cpus", "0", "-c", "512", name)
		for _, f := range []struct{ ctl, file, want string }{
			{"cpu", "cpu.cfs_quota_us", "50000"}, {"cpu", "cpu.shares", "512"},
			{"pids", "pids.max", "50"}, {"cpuset", "cpuset.cpus", "0"},
		} {
			if got := cgroupFile(t, name, f.ctl, f.file); got != f.want {
				t.Errorf("%s: %s, want %s", f.file, got, f.want)
			}
		}
	}},
	compatCase{"update -m on a stopped container applies at its next start", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "create", "--name", name, "busybox", "sleep", "1000")
		rmOnCleanup(t, name)
		dockerOK(t, "update", "--memory", "96m", name)
		dockerOK(t, "start", name)
		if got := cgroupFile(t, name, "memory", "memory.limit_in_bytes"); got != "100663296" {
			t.Fatalf("memory.limit_in_bytes after start: %s", got)
		}
	}},
	compatCase{"update --restart always: a running container that dies is restarted", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "trap 'exit 1' USR1; while :; do sleep 0.2; done")
		rmOnCleanup(t, name)
		dockerOK(t, "update", "--restart", "always", name)
		if got := dockerOK(t, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", name); got != "always\n" {
			t.Fatalf("restart policy %q", got)
		}
		dockerOK(t, "kill", "-s", "USR1", name)
		eventually(t, 30*time.Second, "the restart monitor restarts the container", func() bool {
			out := docker("inspect", "-f", "{{.RestartCount}} {{.State.Running}}", name).stdout
			return strings.HasPrefix(out, "1 true") || strings.HasPrefix(out, "2 true")
		})
		dockerOK(t, "update", "--restart", "no", name)
		if got := dockerOK(t, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", name); got != "no\n" {
			t.Fatalf("restart policy after --restart no: %q", got)
		}
	}},
	compatCase{"update without a flag, or with a bad value, fails", func(t *testing.T) {
		name := fixture(t, compatCreated)
		wantExit(t, docker("update", name), 1)
		wantExit(t, docker("update", "-m", "1k", name), 1)
		wantExit(t, docker("update", "--restart", "sometimes", name), 1)
		wantExit(t, docker("update", "-m", "64m", "no-such-container-cmds"), 1)
	}},
)

// eventStream runs `lumper events ARGS...` in the background, its output
// in a file; read returns what it printed so far. The stream is killed at
// the end of the test.
func eventStream(t *testing.T, args ...string) (read func() string, cmd *exec.Cmd) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "events.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd = lumperCmd(append([]string{"events"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		f.Close()
	})
	return func() string {
		b, _ := os.ReadFile(f.Name())
		return string(b)
	}, cmd
}

// eventsLive waits until a stream filtered on label cmdsevents=tag shows
// events: containerd subscribes asynchronously, so probe containers are
// created until one is seen.
func eventsLive(t *testing.T, read func() string, tag string) {
	t.Helper()
	i := 0
	eventually(t, 20*time.Second, "the event stream to be live", func() bool {
		i++
		probe := uniqueName(t) + "-probe" + strconv.Itoa(i)
		docker("create", "--label", "cmdsevents="+tag, "--name", probe, "busybox", "true")
		docker("rm", probe)
		return strings.Contains(read(), "-probe")
	})
}

var _ = registerCompat("events",
	compatCase{"events --filter: run -d, stop, rm show create, start, die, destroy lines", func(t *testing.T) {
		tag := uniqueName(t)
		read, _ := eventStream(t, "--filter", "label=cmdsevents="+tag)
		eventsLive(t, read, tag)
		name := uniqueName(t)
		id := strings.TrimSpace(dockerOK(t, "run", "-d", "--label", "cmdsevents="+tag, "--name", name, "busybox", "sleep", "1000"))
		rmOnCleanup(t, name)
		dockerOK(t, "stop", "-t", "1", name)
		dockerOK(t, "rm", name)
		line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container (\w+) ` + id + ` \((.*)\)$`)
		var actions []string
		eventually(t, 20*time.Second, "create, start, die and destroy", func() bool {
			actions = nil
			for _, l := range lines(read()) {
				if m := line.FindStringSubmatch(l); m != nil {
					actions = append(actions, m[2])
					if !strings.Contains(m[3], "image=busybox") || !strings.Contains(m[3], "name="+name) {
						t.Fatalf("event attributes %q lack image=busybox, name=%s", m[3], name)
					}
					if m[2] == "die" && !strings.Contains(m[3], "exitCode=") {
						t.Fatalf("die without exitCode: %q", l)
					}
				}
			}
			return slices.Contains(actions, "destroy")
		})
		if want := []string{"create", "start", "die", "destroy"}; !slices.Equal(actions, want) {
			t.Fatalf("actions %q, want %q; output:\n%s", actions, want, read())
		}
	}},
	compatCase{"events --filter event=die --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'", func(t *testing.T) {
		tag := uniqueName(t)
		read, _ := eventStream(t, "--filter", "label=cmdsevents="+tag, "--filter", "event=die", "--filter", "event=create",
			"--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
		eventsLive(t, read, tag)
		name := uniqueName(t)
		rmOnCleanup(t, name)
		wantExit(t, docker("run", "--label", "cmdsevents="+tag, "--name", name, "busybox", "sh", "-c", "exit 3"), 3)
		eventually(t, 20*time.Second, "a die line with exit code 3", func() bool {
			return slices.Contains(lines(read()), "die "+name+" 3")
		})
		for _, l := range lines(read()) {
			if !strings.HasPrefix(l, "die ") && !strings.HasPrefix(l, "create ") {
				t.Fatalf("event=die/create filter let %q through", l)
			}
		}
	}},
	compatCase{"events --until TIME ends the stream (containerd keeps no history)", func(t *testing.T) {
		until := time.Now().Add(3 * time.Second).Format(time.RFC3339Nano)
		start := time.Now()
		r := docker("events", "--until", until, "--filter", "container=no-such-container-cmds")
		wantExit(t, r, 0)
		if el := time.Since(start); el < 2*time.Second || el > 15*time.Second {
			t.Fatalf("events --until +3s returned after %v", el)
		}
		past := docker("events", "--since", "10m", "--until", "5m")
		wantExit(t, past, 0)
		if past.stdout != "" {
			t.Fatalf("events of the past printed %q", past.stdout)
		}
	}},
	compatCase{"events --filter type=image --format json: tag and delete", func(t *testing.T) {
		img := "lumper.local/events-" + strings.ToLower(uniqueName(t)) + ":1"
		read, _ := eventStream(t, "--filter", "type=image", "--filter", "image="+img, "--format", "json")
		eventually(t, 20*time.Second, "an image tag event", func() bool {
			docker("tag", "busybox", img)
			return strings.Contains(read(), `"Action":"tag"`)
		})
		dockerOK(t, "rmi", img)
		eventually(t, 20*time.Second, "an image delete event", func() bool { return strings.Contains(read(), `"Action":"delete"`) })
		for _, l := range lines(read()) {
			var e struct {
				Type, Action string
				Actor        struct{ ID string }
				TimeNano     int64 `json:"timeNano"`
			}
			if err := json.Unmarshal([]byte(l), &e); err != nil || e.Type != "image" || e.Actor.ID == "" || e.TimeNano == 0 {
				t.Fatalf("json event %q: %+v, %v", l, e, err)
			}
		}
	}},
	compatCase{"events --filter bogus=x fails", func(t *testing.T) {
		wantExit(t, docker("events", "--filter", "bogus=x"), 1)
	}},
)

var _ = registerCompat("top-ps",
	compatCase{"top CONTAINER aux: the host's ps, the container's processes only", func(t *testing.T) {
		name := sleeper(t)
		var out []string
		eventually(t, 10*time.Second, "top aux to show the sleep alone", func() bool {
			out = lines(dockerOK(t, "top", name, "aux"))
			return len(out) == 2 && strings.Contains(out[1], "sleep 1000")
		})
		if !strings.HasPrefix(out[0], "USER") || !strings.Contains(out[0], "%CPU") {
			t.Fatalf("top aux printed %q, want ps aux's header", out)
		}
	}},
	compatCase{"top CONTAINER -eo pid,comm", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "exec", "-d", name, "sleep", "999")
		var out []string
		// Until the exec'd process has replaced runc's init, ps shows it as
		// runc:[2:INIT]: both rows must come to read "PID sleep".
		eventually(t, 10*time.Second, "both processes running sleep", func() bool {
			out = lines(dockerOK(t, "top", name, "-eo", "pid,comm"))
			if len(out) != 3 {
				return false
			}
			for _, l := range out[1:] {
				if f := strings.Fields(l); len(f) != 2 || f[1] != "sleep" {
					return false
				}
			}
			return true
		})
		if f := strings.Fields(out[0]); !slices.Equal(f, []string{"PID", "COMMAND"}) {
			t.Fatalf("header %q", out[0])
		}
	}},
	compatCase{"top CONTAINER -o comm (no PID column) fails", func(t *testing.T) {
		r := docker("top", sleeper(t), "-o", "comm")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "PID") {
			t.Fatalf("stderr %q should say a PID column is needed", r.stderr)
		}
	}},
	compatCase{"top CONTAINER alone keeps lumper's columns", func(t *testing.T) {
		out := lines(dockerOK(t, "top", sleeper(t)))
		if f := strings.Fields(out[0]); !slices.Equal(f, []string{"PID", "PPID", "UID", "STAT", "RSS", "COMMAND"}) {
			t.Fatalf("header %q", out[0])
		}
	}},
)

// attachStream runs `lumper attach ARGS...` in the background; out and errb
// read what it printed so far, and wait waits for its exit code.
func attachStream(t *testing.T, args ...string) (out, errb func() string, cmd *exec.Cmd) {
	t.Helper()
	cmd = lumperCmd(append([]string{"attach"}, args...)...)
	out, errb = startBackground(t, cmd)
	return out, errb, cmd
}

// startBackground starts cmd with its output in files, killed at the end of
// the test if still running; out and errb read what it wrote so far.
func startBackground(t *testing.T, cmd *exec.Cmd) (out, errb func() string) {
	t.Helper()
	dir := t.TempDir()
	fo, _ := os.Create(filepath.Join(dir, "out"))
	fe, _ := os.Create(filepath.Join(dir, "err"))
	cmd.Stdout, cmd.Stderr = fo, fe
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	read := func(f *os.File) func() string {
		return func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
	}
	return read(fo), read(fe)
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("attach did not end with the container")
		return -1
	}
}

var _ = registerCompat("attach",
	compatCase{"attach CONTAINER: its output from now on, stderr apart, and its exit status", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
			"i=0; while [ ! -f /go ]; do echo tick$i; i=$((i+1)); sleep 0.1; done; echo bye >&2; exit 5")
		rmOnCleanup(t, name)
		eventually(t, 10*time.Second, "the container to log", func() bool {
			return strings.Contains(docker("logs", name).stdout, "tick3\n")
		})
		out, errb, cmd := attachStream(t, name)
		eventually(t, 10*time.Second, "attach to show live output", func() bool { return strings.Contains(out(), "tick") })
		dockerOK(t, "exec", name, "touch", "/go")
		if code := exitCodeOf(t, cmd); code != 5 {
			t.Fatalf("attach exited %d, want the container's 5; stderr %q", code, errb())
		}
		if strings.Contains(out(), "tick0\n") || strings.Contains(out(), "bye") {
			t.Fatalf("attach replayed history or mixed stderr into stdout: %q", out())
		}
		if errb() != "bye\n" {
			t.Fatalf("attach stderr %q, want bye", errb())
		}
	}},
	compatCase{"attach CONTAINER forwards Ctrl-C (SIGINT) to it (--sig-proxy default)", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
			"trap 'echo got-int; exit 7' INT; while :; do echo t; sleep 0.1; done")
		rmOnCleanup(t, name)
		out, _, cmd := attachStream(t, name)
		eventually(t, 10*time.Second, "attach to show output", func() bool { return strings.Contains(out(), "t\n") })
		_ = cmd.Process.Signal(os.Interrupt)
		if code := exitCodeOf(t, cmd); code != 7 {
			t.Fatalf("attach exited %d, want 7 (the trap's)", code)
		}
		if !strings.Contains(out(), "got-int") {
			t.Fatalf("the container did not get SIGINT: %q", out())
		}
	}},
	compatCase{"attach --sig-proxy=false: Ctrl-C detaches, the container keeps running", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "-d", "--name", name, "busybox", "sh", "-c", "while :; do echo t; sleep 0.1; done")
		rmOnCleanup(t, name)
		out, _, cmd := attachStream(t, "--sig-proxy=false", name)
		eventually(t, 10*time.Second, "attach to show output", func() bool { return strings.Contains(out(), "t\n") })
		_ = cmd.Process.Signal(os.Interrupt)
		if code := exitCodeOf(t, cmd); code != 0 {
			t.Fatalf("attach exited %d after detaching, want 0", code)
		}
		if st := dockerOK(t, "inspect", "-f", "{{.State.Running}}", name); st != "true\n" {
			t.Fatalf("container running: %q after detaching", st)
		}
	}},
	compatCase{"attach to a stopped container fails", func(t *testing.T) {
		r := docker("attach", fixture(t, compatExited))
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "not running") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
)

var _ = registerCompat("cmds-groups",
	compatCase{"container port / container diff / container export: the group's verbs", func(t *testing.T) {
		web := fixture(t, compatWeb)
		if a, b := dockerOK(t, "port", web), dockerOK(t, "container", "port", web); a != b {
			t.Fatalf("container port %q != port %q", b, a)
		}
		name := exitedWith(t, "touch /grouped")
		if out := dockerOK(t, "container", "diff", name); !slices.Contains(lines(out), "A /grouped") {
			t.Fatalf("container diff %q", out)
		}
		f := filepath.Join(t.TempDir(), "c.tar")
		dockerOK(t, "container", "export", "--output", f, name)
		fh, _ := os.Open(f)
		defer fh.Close()
		if !slices.Contains(tarNames(t, fh), "grouped") {
			t.Fatal("container export lacks /grouped")
		}
	}},
	compatCase{"system events --until TIME", func(t *testing.T) {
		until := time.Now().Add(time.Second).Format(time.RFC3339Nano)
		wantExit(t, docker("system", "events", "--until", until), 0)
	}},
	compatCase{"update -m 64m C1 C2 prints each container", func(t *testing.T) {
		a, b := sleeper(t), uniqueName(t)+"-2"
		dockerOK(t, "run", "-d", "--name", b, "busybox", "sleep", "1000")
		rmOnCleanup(t, b)
		if out := dockerOK(t, "update", "-m", "64m", a, b); out != a+"\n"+b+"\n" {
			t.Fatalf("update printed %q", out)
		}
		if got := cgroupFile(t, b, "memory", "memory.limit_in_bytes"); got != "67108864" {
			t.Fatalf("second container's memory.limit_in_bytes: %s", got)
		}
	}},
	compatCase{"export CONTAINER | gzip | import - IMAGE", func(t *testing.T) {
		name := exitedWith(t, "echo gz > /gz")
		r := docker("export", name)
		wantExit(t, r, 0)
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		_, _ = w.Write([]byte(r.stdout))
		_ = w.Close()
		img := "lumper.local/gz-import:" + strings.ToLower(name)
		t.Cleanup(func() { docker("rmi", "-f", img) })
		wantExit(t, lumperStdin(gz.Bytes(), "import", "-", img), 0)
		if out := dockerOK(t, "run", "--rm", img, "cat", "/gz"); out != "gz\n" {
			t.Fatalf("imported /gz: %q", out)
		}
	}},
	compatCase{"port, diff, export, update, attach of a missing container exit 1", func(t *testing.T) {
		for _, args := range [][]string{{"port"}, {"diff"}, {"export"}, {"update", "-m", "64m"}, {"attach"}} {
			r := docker(append(args, "no-such-container-cmds")...)
			wantExit(t, r, 1)
			if !strings.Contains(strings.ToLower(r.stderr), "no such container") {
				t.Errorf("%v: stderr %q", args, r.stderr)
			}
		}
	}},
)
