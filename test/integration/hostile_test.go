//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lumper/lumper/internal/testimage"
)

type tarEntry struct {
	name, link string
	typ        byte
	body       string
}

func hostileTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return b.Bytes()
}

func TestHostileArchivesRefused(t *testing.T) {
	dir := t.TempDir()
	escape := filepath.Join("/tmp", "lumper-escape-"+strconv.Itoa(os.Getpid()))
	t.Cleanup(func() { os.RemoveAll(escape) })
	rel := "../../../../../../../../.." + escape
	cases := map[string][]tarEntry{
		"dotdot":         {{name: rel, body: "pwned"}},
		"absolute":       {{name: escape, body: "pwned"}},
		"symlink-escape": {{name: "s", link: "../../../../../../../../../tmp", typ: tar.TypeSymlink}},
		"write-through":  {{name: "s", link: "/tmp", typ: tar.TypeSymlink}, {name: "s/" + filepath.Base(escape), body: "pwned"}},
		"hardlink-out":   {{name: "h", link: "../../../../../../etc/shadow", typ: tar.TypeLink}},
		"device":         {{name: "dev/sda", typ: tar.TypeBlock}},
	}
	imagesBefore := lumper(t, "images", "-q")
	for name, entries := range cases {
		layer := hostileTar(t, entries...)
		ref := "docker.io/library/hostile-" + name + ":1"
		archive := filepath.Join(dir, name+".tar")
		f, _ := os.Create(archive)
		if err := testimage.DockerArchive(f, testimage.Options{Ref: ref, Layer: layer}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r := mustFail(t, 1, "load", "-q", "-i", archive)
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "invalid layer") {
			t.Errorf("load %s: %q", name, r.stderr)
		}
		rootfs := filepath.Join(dir, name+"-rootfs.tar")
		os.WriteFile(rootfs, layer, 0o644)
		r = mustFail(t, 1, "import", rootfs, "hostile-import-"+name+":1")
		if !strings.Contains(r.stderr, "invalid layer") {
			t.Errorf("import %s: %q", name, r.stderr)
		}
	}
	if _, err := os.Stat(escape); !os.IsNotExist(err) {
		t.Fatalf("a hostile archive wrote %s", escape)
	}
	if after := lumper(t, "images", "-q"); after != imagesBefore {
		t.Fatalf("hostile archives recorded images: %q -> %q", imagesBefore, after)
	}
}

func TestBrokenArchivesRefused(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(env.images.docker)
	if err != nil {
		t.Fatal(err)
	}
	imagesBefore := lumper(t, "images", "-q")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	// Truncated in the middle of the layer.
	r := mustFail(t, 1, "load", "-q", "-i", write("truncated.tar", good[:len(good)/2]))
	oneLineError(t, r, "short read")
	// A manifest naming a blob the archive lacks.
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	manifest := `[{"Config":"nope.json","RepoTags":["missing:1"],"Layers":["nope/layer.tar"]}]`
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(manifest))})
	tw.Write([]byte(manifest))
	tw.Close()
	r = mustFail(t, 1, "load", "-q", "-i", write("missing.tar", b.Bytes()))
	oneLineError(t, r, "image config \"nope.json\" not found")
	// An OCI archive whose blob does not match its digest.
	oci, err := os.ReadFile(env.images.oci)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := corruptBlob(t, oci)
	r = mustFail(t, 1, "load", "-q", "-i", write("corrupt.tar", corrupt))
	oneLineError(t, r, "not found")
	// Huge declared size with little data.
	var h bytes.Buffer
	tw = tar.NewWriter(&h)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: 1 << 40})
	tw.Flush()
	r = mustFail(t, 1, "load", "-q", "-i", write("huge.tar", h.Bytes()))
	oneLineError(t, r, "unexpected EOF")
	if after := lumper(t, "images", "-q"); after != imagesBefore {
		t.Fatalf("broken archives recorded images: %q -> %q", imagesBefore, after)
	}
}

// corruptBlob flips a byte inside the biggest blob of an OCI archive.
func corruptBlob(t *testing.T, archive []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tr := tar.NewReader(bytes.NewReader(archive))
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		body.ReadFrom(tr)
		data := body.Bytes()
		if strings.HasPrefix(h.Name, "blobs/") && len(data) > 100000 {
			data[len(data)/2] ^= 0xff
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

// status reads fields of /proc/self/status inside a container run with args.
func status(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out := lumper(t, append(append([]string{"run", "--rm"}, args...), "busybox", "cat", "/proc/self/status")...)
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func hasCap(t *testing.T, capEff string, bit uint) bool {
	v, err := strconv.ParseUint(capEff, 16, 64)
	if err != nil {
		t.Fatalf("CapEff %q: %v", capEff, err)
	}
	return v&(1<<bit) != 0
}

func TestSecureDefaults(t *testing.T) {
	const capSysModule, capSysAdmin = 16, 21
	def := status(t)
	if def["Seccomp"] != "2" || def["NoNewPrivs"] != "1" || hasCap(t, def["CapEff"], capSysModule) || hasCap(t, def["CapEff"], capSysAdmin) {
		t.Fatalf("default container: Seccomp %s NoNewPrivs %s CapEff %s", def["Seccomp"], def["NoNewPrivs"], def["CapEff"])
	}
	priv := status(t, "--privileged")
	if priv["Seccomp"] != "0" || !hasCap(t, priv["CapEff"], capSysModule) || !hasCap(t, priv["CapEff"], capSysAdmin) {
		t.Fatalf("--privileged: Seccomp %s CapEff %s", priv["Seccomp"], priv["CapEff"])
	}
	open := status(t, "--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges=false")
	if open["Seccomp"] != "0" || open["NoNewPrivs"] != "0" {
		t.Fatalf("unconfined: Seccomp %s NoNewPrivs %s", open["Seccomp"], open["NoNewPrivs"])
	}
	// Loading a kernel module is refused (EPERM) before the kernel looks at
	// the module; --privileged lifts that, and the kernel then rejects the
	// zero-filled file for what it is (or has no module support).
	const insmod = "head -c 4096 /dev/zero > /tmp/m.ko; insmod /tmp/m.ko"
	if r := lumperRun("run", "--rm", "busybox", "sh", "-c", insmod); r.code == 0 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Fatalf("insmod in a default container: %s", r)
	}
	if r := lumperRun("run", "--rm", "--privileged", "busybox", "sh", "-c", insmod); r.code == 0 || strings.Contains(r.stderr, "Operation not permitted") || !strings.Contains(r.stderr, "can't insert") {
		t.Fatalf("insmod in a privileged container: %s", r)
	}
	// Nothing under the data root is world-writable.
	filepath.Walk(env.dataRoot, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().Perm()&0o002 != 0 && fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is world-writable (%v)", p, fi.Mode())
		}
		return nil
	})
}

// TestNoLibraryNoise: on this cgroup v1 host, containerd's client and the
// cgroups library have deprecation notices and warnings to log; none of it
// reaches the user's terminal unless --debug asks for it.
func TestNoLibraryNoise(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"run", "-d", "--name", name, "busybox", "sleep", "1000"},
		{"list"},
		{"stats", "--no-stream", name},
		{"exec", name, "true"},
		{"logs", name},
		{"stop", "-t", "0", name},
		{"rm", name},
	} {
		if r := lumperRun(args...); r.code != 0 || r.stderr != "" {
			t.Errorf("lumper %s: %s", strings.Join(args, " "), r)
		}
	}
	// --debug is how a user sees what the libraries say.
	if r := lumperRun("--debug", "run", "--rm", "busybox", "true"); r.code != 0 || !strings.Contains(r.stderr, "level=debug") {
		t.Errorf("lumper --debug run printed no debug log: %s", r)
	}
}
