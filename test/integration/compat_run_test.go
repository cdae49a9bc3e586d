//go:build integration

package integration

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/client"
)

// Issue 14 items 6, 7 and 8: run's flags and exit codes, and the container
// verbs' errors and output, as Docker's reference documents them.

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// containerExists tells whether a container of that name is in containerd.
func containerExists(t *testing.T, name string) bool {
	t.Helper()
	c, ctx := ctd(t)
	found, err := c.ContainerService().List(ctx, "labels."+strconv.Quote(client.LabelName)+"=="+strconv.Quote(name))
	if err != nil {
		t.Fatal(err)
	}
	return len(found) > 0
}

// wantNoSuchContainer checks Docker's error for a missing CONTAINER.
func wantNoSuchContainer(t *testing.T, r result) {
	t.Helper()
	wantExit(t, r, 1)
	if !strings.Contains(r.stderr, "No such container: nosuch") {
		t.Fatalf("stderr %q, want Docker's 'No such container: nosuch'", r.stderr)
	}
}

// runDetached runs a named detached container and returns its name.
func runDetached(t *testing.T, args ...string) string {
	t.Helper()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	dockerOK(t, append([]string{"run", "-d", "--name", name}, args...)...)
	return name
}

var _ = registerCompat("run",
	compatCase{"run -d prints the full 64-hex container ID", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		out := strings.TrimSpace(dockerOK(t, "run", "-d", "--name", name, "busybox", "true"))
		if !hex64.MatchString(out) || out != containerIDOf(t, name) {
			t.Fatalf("run -d printed %q, want the container's 64-hex ID", out)
		}
	}},
	compatCase{"run --rm -d busybox sh -c 'exit 2': removed when it exits", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		out := strings.TrimSpace(dockerOK(t, "run", "--rm", "-d", "--name", name, "busybox", "sh", "-c", "sleep 0.3; exit 2"))
		if !hex64.MatchString(out) {
			t.Fatalf("run --rm -d printed %q, want an ID", out)
		}
		eventually(t, 20*time.Second, "the --rm container to be removed", func() bool { return !containerExists(t, name) })
	}},
	compatCase{"run --rm -d, then stop: removed", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--rm", "-d", "--name", name, "busybox", "sleep", "300")
		dockerOK(t, "stop", "-t", "1", name)
		eventually(t, 20*time.Second, "the stopped --rm container to be removed", func() bool { return !containerExists(t, name) })
	}},
	compatCase{"run --rm -d, then kill: removed", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--rm", "-d", "--name", name, "busybox", "sleep", "300")
		dockerOK(t, "kill", name)
		eventually(t, 20*time.Second, "the killed --rm container to be removed", func() bool { return !containerExists(t, name) })
	}},
	compatCase{"run --rm -d; wait: the exit code, then the container is gone", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--rm", "-d", "--name", name, "busybox", "sh", "-c", "sleep 3; exit 3")
		if out := dockerOK(t, "wait", name); out != "3\n" {
			t.Fatalf("wait printed %q", out)
		}
		eventually(t, 20*time.Second, "the --rm container to be removed", func() bool { return !containerExists(t, name) })
	}},
	compatCase{"run --rm -d, then restart: running again, not removed", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--rm", "-d", "--name", name, "busybox", "sleep", "300")
		dockerOK(t, "restart", "-t", "1", name)
		// The old task's reaper may run after the restart: it must leave
		// the restarted container alone.
		if out := dockerOK(t, "exec", name, "true"); out != "" {
			t.Fatalf("exec printed %q", out)
		}
		if out := dockerOK(t, "inspect", "--format", "{{.State.Status}}", name); out != "running\n" {
			t.Fatalf("status %q after restart", out)
		}
		dockerOK(t, "stop", "-t", "1", name)
		eventually(t, 20*time.Second, "the --rm container to be removed after stop", func() bool { return !containerExists(t, name) })
	}},
	compatCase{"run -d without --rm: kept after it exits", func(t *testing.T) {
		name := runDetached(t, "busybox", "true")
		if out := dockerOK(t, "wait", name); out != "0\n" {
			t.Fatalf("wait printed %q", out)
		}
		if !containerExists(t, name) {
			t.Fatal("a container run without --rm was removed")
		}
	}},
	compatCase{"run --rm --restart always -d is refused (125)", func(t *testing.T) {
		r := docker("run", "--rm", "-d", "--restart", "always", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "--restart and --rm") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run -t busybox tty, stdin not a terminal: works", func(t *testing.T) {
		out := dockerOK(t, "run", "--rm", "-t", "busybox", "tty")
		if !strings.HasPrefix(out, "/dev/pts/") {
			t.Fatalf("stdout %q, want the container's terminal", out)
		}
	}},
	compatCase{"run --rm -t busybox sh -c 'exit 3' exits 3", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "-t", "busybox", "sh", "-c", "exit 3"), 3)
	}},
	compatCase{"run -it, stdin not a terminal: the input device is not a TTY (125)", func(t *testing.T) {
		r := docker("run", "--rm", "-it", "busybox", "true")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "the input device is not a TTY") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --name x twice: Docker's conflict message (125)", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		id := containerIDOf(t, name)
		r := docker("run", "--name", name, "busybox", "true")
		wantExit(t, r, 125)
		want := `Conflict. The container name "/` + name + `" is already in use by container "` + id + `". You have to remove (or rename) that container to be able to reuse that name.`
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("stderr %q, want %q", r.stderr, want)
		}
	}},
	compatCase{"create --name x of a used name: conflict (125)", func(t *testing.T) {
		name := runDetached(t, "busybox", "true")
		r := docker("create", "--name", name, "busybox")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "Conflict. The container name \"/"+name+"\" is already in use") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --network host busybox hostname: the host's", func(t *testing.T) {
		host, err := os.Hostname()
		if err != nil {
			t.Fatal(err)
		}
		if out := dockerOK(t, "run", "--rm", "--network", "host", "busybox", "hostname"); out != host+"\n" {
			t.Fatalf("hostname %q, want the host's %q", out, host)
		}
	}},
	compatCase{"run --network host --hostname h: h", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "--network", "host", "--hostname", "given", "busybox", "hostname"); out != "given\n" {
			t.Fatalf("hostname %q", out)
		}
	}},
	compatCase{"run busybox hostname: the short container ID", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		out := dockerOK(t, "run", "--name", name, "busybox", "hostname")
		if id := containerIDOf(t, name); out != id[:12]+"\n" {
			t.Fatalf("hostname %q, want %q", out, id[:12])
		}
	}},
	compatCase{"run -h myhost busybox hostname", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "-h", "myhost", "busybox", "hostname"); out != "myhost\n" {
			t.Fatalf("hostname %q", out)
		}
	}},
	compatCase{"run -e FOO=bar busybox sh -c 'echo $FOO'", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "-e", "FOO=bar", "busybox", "sh", "-c", "echo $FOO"); out != "bar\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"run -w /tmp busybox pwd", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "-w", "/tmp", "busybox", "pwd"); out != "/tmp\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"run --entrypoint echo busybox hi", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "--entrypoint", "echo", "busybox", "hi"); out != "hi\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"run -u 1000:1000 busybox id", func(t *testing.T) {
		if out := dockerOK(t, "run", "--rm", "-u", "1000:1000", "busybox", "sh", "-c", "echo $(id -u):$(id -g)"); out != "1000:1000\n" {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"echo hi | run -i busybox cat", func(t *testing.T) {
		r := lumperStdin([]byte("hi\n"), "run", "--rm", "-i", "busybox", "cat")
		wantExit(t, r, 0)
		if r.stdout != "hi\n" {
			t.Fatalf("stdout %q", r.stdout)
		}
	}},
	compatCase{"echo hi | run busybox cat (no -i): stdin not passed", func(t *testing.T) {
		r := lumperStdin([]byte("hi\n"), "run", "--rm", "busybox", "cat")
		wantExit(t, r, 0)
		if r.stdout != "" {
			t.Fatalf("stdout %q, want nothing", r.stdout)
		}
	}},
	compatCase{"run stdout and stderr stay apart", func(t *testing.T) {
		r := docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
		wantExit(t, r, 0)
		if r.stdout != "out\n" || r.stderr != "err\n" {
			t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
		}
	}},
	compatCase{"run --pull never of a missing image: No such image (125)", func(t *testing.T) {
		r := docker("run", "--rm", "--pull", "never", "nosuch-image:1")
		wantExit(t, r, 125)
		if !strings.Contains(r.stderr, "No such image: nosuch-image:1") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"run --rm busybox sh -c 'exit 255' exits 255", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "busybox", "sh", "-c", "exit 255"), 255)
	}},
	compatCase{"run --rm busybox /etc (not executable) exits 126", func(t *testing.T) {
		wantExit(t, docker("run", "--rm", "busybox", "/etc"), 126)
	}},
	compatCase{"run --no-such-flag exits 125", func(t *testing.T) {
		wantExit(t, docker("run", "--no-such-flag", "busybox"), 125)
	}},
	compatCase{"run --name x busybox sh -c 'exit 4': exits 4, the container keeps 4", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		wantExit(t, docker("run", "--name", name, "busybox", "sh", "-c", "exit 4"), 4)
		if out := dockerOK(t, "inspect", "--format", "{{.State.ExitCode}}", name); out != "4\n" {
			t.Fatalf("inspect ExitCode %q", out)
		}
	}},
	compatCase{"run -v DIR:/data:ro busybox cat /data/f", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(dir+"/f", []byte("mounted\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out := dockerOK(t, "run", "--rm", "-v", dir+":/data:ro", "busybox", "cat", "/data/f"); out != "mounted\n" {
			t.Fatalf("stdout %q", out)
		}
		if r := docker("run", "--rm", "-v", dir+":/data:ro", "busybox", "touch", "/data/g"); r.code == 0 {
			t.Fatal("a :ro volume was writable")
		}
	}},
	compatCase{"run --read-only busybox touch /x fails", func(t *testing.T) {
		if r := docker("run", "--rm", "--read-only", "busybox", "touch", "/x"); r.code != 1 {
			t.Fatalf("want touch's exit 1 on a read-only root, got %s", r)
		}
	}},
)

var _ = registerCompat("containers",
	compatCase{"rm -f nosuch: succeeds quietly", func(t *testing.T) {
		r := docker("rm", "-f", "nosuch")
		wantExit(t, r, 0)
		if r.stdout != "" || r.stderr != "" {
			t.Fatalf("rm -f of a missing container printed %q / %q", r.stdout, r.stderr)
		}
	}},
	compatCase{"rm nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("rm", "nosuch")) }},
	compatCase{"stop nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("stop", "nosuch")) }},
	compatCase{"kill nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("kill", "nosuch")) }},
	compatCase{"start nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("start", "nosuch")) }},
	compatCase{"wait nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("wait", "nosuch")) }},
	compatCase{"logs nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("logs", "nosuch")) }},
	compatCase{"rename nosuch x: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("rename", "nosuch", "x")) }},
	compatCase{"restart nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("restart", "nosuch")) }},
	compatCase{"pause nosuch: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("pause", "nosuch")) }},
	compatCase{"exec nosuch true: No such container (1)", func(t *testing.T) { wantNoSuchContainer(t, docker("exec", "nosuch", "true")) }},
	compatCase{"rm -f nosuch other: the other is removed, quietly about nosuch", func(t *testing.T) {
		name := runDetached(t, "busybox", "true")
		r := docker("rm", "-f", "nosuch", name)
		wantExit(t, r, 0)
		if r.stdout != name+"\n" || containerExists(t, name) {
			t.Fatalf("rm -f nosuch %s: %s", name, r)
		}
	}},
	compatCase{"rm of a running container without -f: refused (1), kept", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		wantExit(t, docker("rm", name), 1)
		if !containerExists(t, name) {
			t.Fatal("rm without -f removed a running container")
		}
	}},
	compatCase{"rm -f of a running container prints its name and removes it", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		if out := dockerOK(t, "rm", "-f", name); out != name+"\n" {
			t.Fatalf("rm -f printed %q", out)
		}
		if containerExists(t, name) {
			t.Fatal("still there")
		}
	}},
	compatCase{"stop prints the container as given and records its exit", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		if out := dockerOK(t, "stop", "-t", "1", name); out != name+"\n" {
			t.Fatalf("stop printed %q", out)
		}
		if out := dockerOK(t, "inspect", "--format", "{{.State.Status}}", name); out != "exited\n" {
			t.Fatalf("status %q after stop", out)
		}
	}},
	compatCase{"kill: exit 137, wait prints 137 and exits 0", func(t *testing.T) {
		name := runDetached(t, "busybox", "sleep", "300")
		if out := dockerOK(t, "kill", name); out != name+"\n" {
			t.Fatalf("kill printed %q", out)
		}
		if out := dockerOK(t, "wait", name); out != "137\n" {
			t.Fatalf("wait printed %q", out)
		}
	}},
	compatCase{"kill -s TERM of a shell trapping TERM: exits by the trap's code", func(t *testing.T) {
		name := runDetached(t, "busybox", "sh", "-c", "trap 'exit 42' TERM; touch /ready; while true; do sleep 0.1; done")
		eventually(t, 10*time.Second, "the trap to be set", func() bool {
			return docker("exec", name, "test", "-f", "/ready").code == 0
		})
		dockerOK(t, "kill", "-s", "TERM", name)
		if out := dockerOK(t, "wait", name); out != "42\n" {
			t.Fatalf("wait printed %q", out)
		}
	}},
	compatCase{"wait on an exited container: its code, exit 0", func(t *testing.T) {
		name := fixture(t, compatExited)
		r := docker("wait", name)
		wantExit(t, r, 0)
		if r.stdout != "3\n" {
			t.Fatalf("wait printed %q", r.stdout)
		}
	}},
	compatCase{"wait a b: one code per line", func(t *testing.T) {
		a := runDetached(t, "busybox", "sh", "-c", "exit 5")
		b := fixture(t, compatExited)
		if out := dockerOK(t, "wait", a, b); out != "5\n3\n" {
			t.Fatalf("wait printed %q", out)
		}
	}},
	compatCase{"start prints the container as given; start -a exits with its code", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "busybox", "sh", "-c", "echo ran; exit 6")
		r := docker("start", "-a", name)
		wantExit(t, r, 6)
		if r.stdout != "ran\n" {
			t.Fatalf("start -a stdout %q", r.stdout)
		}
		if out := dockerOK(t, "start", name); out != name+"\n" {
			t.Fatalf("start printed %q", out)
		}
	}},
	compatCase{"start -a of a -t container, stdin not a terminal: works", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "-t", "--name", name, "busybox", "tty")
		r := docker("start", "-a", name)
		wantExit(t, r, 0)
		if !strings.HasPrefix(r.stdout, "/dev/pts/") {
			t.Fatalf("stdout %q", r.stdout)
		}
	}},
	compatCase{"rename a b: b resolves, a does not", func(t *testing.T) {
		a := runDetached(t, "busybox", "true")
		b := a + "-renamed"
		rmOnCleanup(t, b)
		dockerOK(t, "rename", a, b)
		if containerExists(t, a) || !containerExists(t, b) {
			t.Fatal("rename did not move the name")
		}
	}},
	compatCase{"rename a b, b taken: Docker's conflict (1)", func(t *testing.T) {
		a := runDetached(t, "busybox", "true")
		b := fixture(t, compatCreated)
		r := docker("rename", a, b)
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, `Conflict. The container name "/`+b+`" is already in use by container "`+containerIDOf(t, b)+`"`) {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"logs -n 2: the last two lines", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--name", name, "busybox", "sh", "-c", "for i in 1 2 3 4; do echo $i; done")
		if out := dockerOK(t, "logs", "-n", "2", name); out != "3\n4\n" {
			t.Fatalf("logs -n 2: %q", out)
		}
		if out := dockerOK(t, "logs", "--tail", "1", name); out != "4\n" {
			t.Fatalf("logs --tail 1: %q", out)
		}
		if out := dockerOK(t, "logs", "--tail", "0", name); out != "" {
			t.Fatalf("logs --tail 0: %q", out)
		}
	}},
	compatCase{"logs: stdout to stdout, stderr to stderr", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--name", name, "busybox", "sh", "-c", "echo out; echo err >&2")
		r := docker("logs", name)
		wantExit(t, r, 0)
		if r.stdout != "out\n" || r.stderr != "err\n" {
			t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
		}
	}},
	compatCase{"logs -t: RFC 3339 timestamps", func(t *testing.T) {
		own := uniqueName(t)
		rmOnCleanup(t, own)
		dockerOK(t, "run", "--name", own, "busybox", "echo", "stamped")
		out := dockerOK(t, "logs", "-t", own)
		ts, rest, _ := strings.Cut(strings.TrimSpace(out), " ")
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || rest != "stamped" {
			t.Fatalf("logs -t: %q", out)
		}
	}},
	compatCase{"logs -f of an exited container returns", func(t *testing.T) {
		name := fixture(t, compatExited)
		wantExit(t, docker("logs", "-f", name), 0)
	}},
	compatCase{"logs -f follows until the container exits", func(t *testing.T) {
		name := runDetached(t, "busybox", "sh", "-c", "echo one; sleep 1; echo two")
		if out := dockerOK(t, "logs", "-f", name); out != "one\ntwo\n" {
			t.Fatalf("logs -f: %q", out)
		}
	}},
	compatCase{"logs --since 1h: all recent lines; --since in the future: none", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "run", "--name", name, "busybox", "echo", "recent")
		if out := dockerOK(t, "logs", "--since", "1h", name); out != "recent\n" {
			t.Fatalf("--since 1h: %q", out)
		}
		future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		if out := dockerOK(t, "logs", "--since", future, name); out != "" {
			t.Fatalf("--since %s: %q", future, out)
		}
	}},
	compatCase{"exec into a stopped container: refused (1)", func(t *testing.T) {
		wantExit(t, docker("exec", fixture(t, compatExited), "true"), 1)
	}},
)
