//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sleeper starts a detached busybox that sleeps, named from t, removed at
// the end of the test.
func sleeper(t *testing.T, extra ...string) string {
	t.Helper()
	name := uniqueName(t)
	args := append(append([]string{"run", "-d", "--name", name}, extra...), "busybox", "sleep", "1000")
	dockerOK(t, args...)
	rmOnCleanup(t, name)
	return name
}

var _ = registerCompat("cp",
	compatCase{"cp FILE CONTAINER:/tmp/ copies into a directory", func(t *testing.T) {
		name := sleeper(t)
		f := filepath.Join(t.TempDir(), "hello.txt")
		if err := os.WriteFile(f, []byte("hi there\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		dockerOK(t, "cp", f, name+":/tmp/")
		if out := dockerOK(t, "exec", name, "stat", "-c", "%a %s", "/tmp/hello.txt"); out != "640 9\n" {
			t.Fatalf("copied file: mode and size %q, want 640 9", out)
		}
	}},
	compatCase{"cp CONTAINER:/etc/hostname - writes a tar stream", func(t *testing.T) {
		name := sleeper(t)
		out := dockerOK(t, "cp", name+":/etc/hostname", "-")
		tr := tar.NewReader(strings.NewReader(out))
		h, err := tr.Next()
		if err != nil || h.Name != "hostname" {
			t.Fatalf("tar stream: first entry %v, %v; want hostname", h, err)
		}
		b, _ := io.ReadAll(tr)
		if len(strings.TrimSpace(string(b))) == 0 {
			t.Fatal("hostname entry is empty")
		}
	}},
	compatCase{"cp - CONTAINER:/tmp reads a tar stream", func(t *testing.T) {
		name := sleeper(t)
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = tw.WriteHeader(&tar.Header{Name: "fromtar.txt", Mode: 0o600, Size: 3, Uid: 1000, Gid: 1000})
		_, _ = tw.Write([]byte("ok\n"))
		_ = tw.Close()
		if r := lumperStdin(buf.Bytes(), "cp", "-", name+":/tmp"); r.code != 0 {
			t.Fatalf("cp - : %s", r)
		}
		if out := dockerOK(t, "exec", name, "stat", "-c", "%u:%g %a", "/tmp/fromtar.txt"); out != "1000:1000 600\n" {
			t.Fatalf("owner and mode from the tar header: %q", out)
		}
	}},
	compatCase{"cp CONTAINER:/dir HOSTDIR copies a tree out", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "exec", name, "sh", "-c", "mkdir -p /data/sub && echo deep > /data/sub/f")
		dst := t.TempDir()
		dockerOK(t, "cp", name+":/data", dst)
		b, err := os.ReadFile(filepath.Join(dst, "data", "sub", "f"))
		if err != nil || string(b) != "deep\n" {
			t.Fatalf("copied tree: %q, %v", b, err)
		}
	}},
	compatCase{"cp CONTAINER:/dir/. HOSTDIR copies the contents", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "exec", name, "sh", "-c", "mkdir -p /data && echo x > /data/inner")
		dst := t.TempDir()
		dockerOK(t, "cp", name+":/data/.", dst)
		if _, err := os.Stat(filepath.Join(dst, "inner")); err != nil {
			t.Fatalf("contents not copied into the directory: %v", err)
		}
	}},
	compatCase{"cp of a stopped container's file works", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "--name", name, "busybox", "sh", "-c", "echo kept > /kept")
		rmOnCleanup(t, name)
		dst := filepath.Join(t.TempDir(), "kept")
		dockerOK(t, "cp", name+":/kept", dst)
		if b, _ := os.ReadFile(dst); string(b) != "kept\n" {
			t.Fatalf("copied %q", b)
		}
	}},
	compatCase{"cp CONTAINER:/missing fails with exit 1", func(t *testing.T) {
		name := sleeper(t)
		r := docker("cp", name+":/no/such/file", t.TempDir())
		wantExit(t, r, 1)
	}},
	compatCase{"cp to a missing container fails with exit 1", func(t *testing.T) {
		wantExit(t, docker("cp", "/etc/hostname", "no-such-container-cp:/tmp"), 1)
	}},
)

var _ = registerCompat("pause",
	compatCase{"pause CONTAINER prints its name and freezes it", func(t *testing.T) {
		name := sleeper(t)
		if out := dockerOK(t, "pause", name); out != name+"\n" {
			t.Fatalf("pause printed %q, want the name", out)
		}
		st := listStatus(t, name)
		if st != "paused" {
			t.Fatalf("status after pause %q", st)
		}
	}},
	compatCase{"unpause CONTAINER prints its name and thaws it", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "pause", name)
		if out := dockerOK(t, "unpause", name); out != name+"\n" {
			t.Fatalf("unpause printed %q", out)
		}
		if out := dockerOK(t, "exec", name, "echo", "alive"); out != "alive\n" {
			t.Fatalf("exec after unpause: %q", out)
		}
	}},
	compatCase{"pause of a stopped container fails with exit 1", func(t *testing.T) {
		wantExit(t, docker("pause", fixture(t, compatExited)), 1)
	}},
	compatCase{"exec in a paused container fails with exit 1", func(t *testing.T) {
		name := sleeper(t)
		dockerOK(t, "pause", name)
		r := docker("exec", name, "true")
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "paused") {
			t.Fatalf("the error should say the container is paused: %q", r.stderr)
		}
	}},
)

// listStatus is the seed list's STATUS of a container.
func listStatus(t *testing.T, name string) string {
	t.Helper()
	r, ok := listed(t, name)
	if !ok {
		t.Fatalf("%s not listed", name)
	}
	return r.Status
}

var _ = registerCompat("restart",
	compatCase{"restart -t 1 CONTAINER prints its name and starts a new process", func(t *testing.T) {
		name := sleeper(t)
		before := dockerOK(t, "exec", name, "cat", "/proc/1/stat")
		if out := dockerOK(t, "restart", "-t", "1", name); out != name+"\n" {
			t.Fatalf("restart printed %q", out)
		}
		after := dockerOK(t, "exec", name, "cat", "/proc/1/stat")
		if before == after {
			t.Fatal("the container's init is the same process after restart")
		}
	}},
	compatCase{"restart of an exited container runs it again", func(t *testing.T) {
		name := uniqueName(t)
		dockerOK(t, "run", "--name", name, "busybox", "echo", "once")
		rmOnCleanup(t, name)
		dockerOK(t, "restart", name)
		eventually(t, 20*time.Second, "the restarted container to log a second line", func() bool {
			return strings.Count(dockerOK(t, "logs", name), "once") == 2
		})
	}},
)

var _ = registerCompat("top",
	compatCase{"top CONTAINER lists the container's processes with a PID column", func(t *testing.T) {
		name := sleeper(t)
		out := lines(dockerOK(t, "top", name))
		if len(out) < 2 || !regexp.MustCompile(`\bPID\b`).MatchString(out[0]) || !strings.Contains(strings.Join(out[1:], "\n"), "sleep 1000") {
			t.Fatalf("top output: %q", out)
		}
	}},
	compatCase{"top of a stopped container fails with exit 1", func(t *testing.T) {
		wantExit(t, docker("top", fixture(t, compatExited)), 1)
	}},
)

// privateNamespace is a namespace of the test's own, with busybox loaded,
// for cases whose commands act on every container (prune) and so must not
// run beside the other cases in the shared one.
func privateNamespace(t *testing.T) string {
	t.Helper()
	sum := sha256.Sum256([]byte(t.Name()))
	ns := "compat-" + hex.EncodeToString(sum[:6])
	dockerOK(t, "--namespace", ns, "load", "-q", "-i", env.images.docker)
	t.Cleanup(func() {
		for _, id := range lines(docker("--namespace", ns, "list", "-q").stdout) {
			docker("--namespace", ns, "rm", "-f", id)
		}
		docker("--namespace", ns, "rmi", "-f", "busybox")
	})
	return ns
}

var _ = registerCompat("prune",
	compatCase{"container prune -f removes exited containers, keeps running ones, reports the space", func(t *testing.T) {
		ns := privateNamespace(t)
		dockerOK(t, "--namespace", ns, "run", "-d", "--name", "up", "busybox", "sleep", "1000")
		dockerOK(t, "--namespace", ns, "run", "--name", "down", "busybox", "true")
		out := dockerOK(t, "--namespace", ns, "container", "prune", "-f")
		if !strings.HasPrefix(out, "Deleted Containers:\n") || !strings.Contains(out, "Total reclaimed space:") {
			t.Fatalf("container prune output %q", out)
		}
		left := dockerOK(t, "--namespace", ns, "list", "--format", "{{.Name}}")
		if left != "up\n" {
			t.Fatalf("after prune: %q, want only the running container", left)
		}
	}},
	compatCase{"image prune -f reports the reclaimed space and keeps used images", func(t *testing.T) {
		ns := privateNamespace(t)
		dockerOK(t, "--namespace", ns, "create", "--name", "user", "busybox")
		if out := dockerOK(t, "--namespace", ns, "image", "prune", "-a", "-f"); !strings.Contains(out, "Total reclaimed space:") {
			t.Fatalf("image prune output %q", out)
		}
		if out := dockerOK(t, "--namespace", ns, "images", "-q"); len(lines(out)) != 1 {
			t.Fatalf("image prune -a removed an image a container uses: %q", out)
		}
	}},
	compatCase{"system df shows TYPE TOTAL ACTIVE SIZE RECLAIMABLE with Images and Containers rows", func(t *testing.T) {
		out := lines(dockerOK(t, "system", "df"))
		if len(out) < 3 || !regexp.MustCompile(`^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$`).MatchString(out[0]) ||
			!strings.HasPrefix(out[1], "Images") || !strings.HasPrefix(out[2], "Containers") {
			t.Fatalf("system df: %q", out)
		}
	}},
)
