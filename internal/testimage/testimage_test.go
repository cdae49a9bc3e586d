package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func needBusybox(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(DefaultBusybox); err != nil {
		t.Skipf("no static busybox: %v", err)
	}
}

// mustBuild runs fn into a buffer and returns the bytes.
func mustBuild(t *testing.T, fn func(io.Writer, Options) error, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readTar returns the entries of an archive by name, failing on duplicates.
func readTar(t *testing.T, b []byte) map[string]tarEntry {
	t.Helper()
	entries := make(map[string]tarEntry)
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", h.Name, err)
		}
		if _, dup := entries[h.Name]; dup {
			t.Fatalf("duplicate tar entry %s", h.Name)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want 0:0", h.Name, h.Uid, h.Gid)
		}
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
		entries[h.Name] = tarEntry{h, data}
	}
	return entries
}

func file(t *testing.T, entries map[string]tarEntry, name string) []byte {
	t.Helper()
	e, ok := entries[name]
	if !ok {
		t.Fatalf("archive has no %s", name)
	}
	if e.hdr.Typeflag != tar.TypeReg {
		t.Fatalf("%s has type %q, want a regular file", name, e.hdr.Typeflag)
	}
	return e.data
}

func decode(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
}

func TestRootfs(t *testing.T) {
	needBusybox(t)
	entries := readTar(t, mustBuild(t, Rootfs, Options{}))

	bb := file(t, entries, "bin/busybox")
	if mode := entries["bin/busybox"].hdr.Mode; mode&0o111 == 0 {
		t.Errorf("bin/busybox mode %o is not executable", mode)
	}
	host, err := os.ReadFile(DefaultBusybox)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bb, host) {
		t.Error("bin/busybox differs from the host's busybox")
	}

	for _, applet := range []string{"sh", "ls", "cat", "echo", "sleep", "seq", "id", "env", "hostname", "wc"} {
		e, ok := entries["bin/"+applet]
		if !ok {
			t.Errorf("no bin/%s", applet)
			continue
		}
		if e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != "busybox" {
			t.Errorf("bin/%s: type %q -> %q, want a symlink to busybox", applet, e.hdr.Typeflag, e.hdr.Linkname)
		}
	}
	applets, err := listApplets(DefaultBusybox)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range applets {
		if _, ok := entries["bin/"+a]; !ok {
			t.Errorf("applet %s has no bin/%s", a, a)
		}
	}

	for name, mode := range map[string]int64{
		"bin/": 0o755, "dev/": 0o755, "etc/": 0o755, "home/": 0o755, "proc/": 0o555,
		"root/": 0o700, "sys/": 0o555, "tmp/": 0o1777, "usr/bin/": 0o755, "var/": 0o755,
	} {
		e, ok := entries[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if e.hdr.Typeflag != tar.TypeDir || e.hdr.Mode != mode {
			t.Errorf("%s: type %q mode %o, want a directory with mode %o", name, e.hdr.Typeflag, e.hdr.Mode, mode)
		}
	}

	if got := string(file(t, entries, "etc/passwd")); !strings.HasPrefix(got, "root:x:0:0:root:/root:/bin/sh\n") ||
		!strings.Contains(got, "\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n") {
		t.Errorf("etc/passwd = %q", got)
	}
	if got := string(file(t, entries, "etc/group")); got != "root:x:0:\nnogroup:x:65534:\n" {
		t.Errorf("etc/group = %q", got)
	}
	file(t, entries, "etc/hostname")
	if _, ok := entries["data/random"]; ok {
		t.Error("data/random present without Extra")
	}
}

func TestRootfsExtra(t *testing.T) {
	needBusybox(t)
	const n = 12345
	entries := readTar(t, mustBuild(t, Rootfs, Options{Extra: n}))
	if got := len(file(t, entries, "data/random")); got != n {
		t.Errorf("data/random has %d bytes, want %d", got, n)
	}
}

func TestDockerArchive(t *testing.T) {
	needBusybox(t)
	entries := readTar(t, mustBuild(t, DockerArchive, Options{}))

	var manifest []dockerManifest
	decode(t, "manifest.json", file(t, entries, "manifest.json"), &manifest)
	if len(manifest) != 1 {
		t.Fatalf("manifest.json has %d images, want 1", len(manifest))
	}
	m := manifest[0]
	if len(m.RepoTags) != 1 || m.RepoTags[0] != "busybox:latest" {
		t.Errorf("RepoTags = %q, want [busybox:latest]", m.RepoTags)
	}
	if len(m.Layers) != 1 || !strings.HasSuffix(m.Layers[0], "/layer.tar") {
		t.Fatalf("Layers = %q, want one <id>/layer.tar", m.Layers)
	}

	configData := file(t, entries, m.Config)
	if want := digest.FromBytes(configData).Encoded() + ".json"; m.Config != want {
		t.Errorf("config file %s, want %s (its digest)", m.Config, want)
	}
	config := checkConfig(t, configData)
	layer := file(t, entries, m.Layers[0])
	if got := digest.FromBytes(layer); got != config.RootFS.DiffIDs[0] {
		t.Errorf("layer.tar digest %s, config diff_id %s", got, config.RootFS.DiffIDs[0])
	}
	if !bytes.Equal(layer, mustBuild(t, Rootfs, Options{})) {
		t.Error("layer.tar differs from Rootfs")
	}

	var repos map[string]map[string]string
	decode(t, "repositories", file(t, entries, "repositories"), &repos)
	id := repos["busybox"]["latest"]
	if id == "" || id+"/layer.tar" != m.Layers[0] {
		t.Errorf("repositories = %v, want busybox:latest -> the layer directory", repos)
	}
	file(t, entries, id+"/VERSION")
	file(t, entries, id+"/json")
}

func TestOCIArchive(t *testing.T) {
	needBusybox(t)
	const ref = "docker.io/library/busybox:latest"
	entries := readTar(t, mustBuild(t, OCIArchive, Options{Ref: ref}))

	var layout ocispec.ImageLayout
	decode(t, "oci-layout", file(t, entries, "oci-layout"), &layout)
	if layout.Version != ocispec.ImageLayoutVersion {
		t.Errorf("oci-layout version %q", layout.Version)
	}

	var index ocispec.Index
	decode(t, "index.json", file(t, entries, "index.json"), &index)
	if index.SchemaVersion != 2 || len(index.Manifests) != 1 {
		t.Fatalf("index.json: schema %d with %d manifests, want 2 with 1", index.SchemaVersion, len(index.Manifests))
	}
	md := index.Manifests[0]
	if md.MediaType != ocispec.MediaTypeImageManifest {
		t.Errorf("index manifest media type %s", md.MediaType)
	}
	if got := md.Annotations["io.containerd.image.name"]; got != ref {
		t.Errorf("io.containerd.image.name = %q, want %q", got, ref)
	}
	if got := md.Annotations[ocispec.AnnotationRefName]; got != "latest" {
		t.Errorf("%s = %q, want latest", ocispec.AnnotationRefName, got)
	}

	var manifest ocispec.Manifest
	decode(t, "manifest", blob(t, entries, md), &manifest)
	if manifest.SchemaVersion != 2 || manifest.MediaType != ocispec.MediaTypeImageManifest {
		t.Errorf("manifest: schema %d media type %s", manifest.SchemaVersion, manifest.MediaType)
	}
	if manifest.Config.MediaType != ocispec.MediaTypeImageConfig {
		t.Errorf("config media type %s", manifest.Config.MediaType)
	}
	config := checkConfig(t, blob(t, entries, manifest.Config))
	if len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != ocispec.MediaTypeImageLayerGzip {
		t.Fatalf("manifest layers %+v, want one %s", manifest.Layers, ocispec.MediaTypeImageLayerGzip)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob(t, entries, manifest.Layers[0])))
	if err != nil {
		t.Fatal(err)
	}
	layer, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzipping layer: %v", err)
	}
	if got := digest.FromBytes(layer); got != config.RootFS.DiffIDs[0] {
		t.Errorf("gunzipped layer digest %s, config diff_id %s", got, config.RootFS.DiffIDs[0])
	}

	// Every blob is referenced: no leftovers from an earlier build.
	for name := range entries {
		if strings.HasPrefix(name, "blobs/sha256/") && name != "blobs/sha256/" {
			d := digest.NewDigestFromEncoded(digest.SHA256, strings.TrimPrefix(name, "blobs/sha256/"))
			if d != md.Digest && d != manifest.Config.Digest && d != manifest.Layers[0].Digest {
				t.Errorf("unreferenced blob %s", name)
			}
		}
	}
}

// blob returns the content d points at, checking its digest and size.
func blob(t *testing.T, entries map[string]tarEntry, d ocispec.Descriptor) []byte {
	t.Helper()
	if err := d.Digest.Validate(); err != nil {
		t.Fatalf("descriptor digest: %v", err)
	}
	data := file(t, entries, "blobs/sha256/"+d.Digest.Encoded())
	if got := digest.FromBytes(data); got != d.Digest {
		t.Errorf("blob %s has digest %s", d.Digest, got)
	}
	if int64(len(data)) != d.Size {
		t.Errorf("blob %s has %d bytes, descriptor says %d", d.Digest, len(data), d.Size)
	}
	return data
}

func checkConfig(t *testing.T, data []byte) ocispec.Image {
	t.Helper()
	var c ocispec.Image
	decode(t, "image config", data, &c)
	if c.Architecture != runtime.GOARCH || c.OS != "linux" {
		t.Errorf("config platform %s/%s, want linux/%s", c.OS, c.Architecture, runtime.GOARCH)
	}
	if len(c.Config.Cmd) != 1 || c.Config.Cmd[0] != "sh" {
		t.Errorf("config Cmd = %q, want [sh]", c.Config.Cmd)
	}
	if len(c.Config.Env) != 1 || !strings.HasPrefix(c.Config.Env[0], "PATH=") {
		t.Errorf("config Env = %q, want PATH only", c.Config.Env)
	}
	if c.Created == nil || !c.Created.Equal(epoch) {
		t.Errorf("config created %v, want %v", c.Created, epoch)
	}
	if len(c.History) != 1 {
		t.Errorf("config has %d history entries, want 1", len(c.History))
	}
	if c.RootFS.Type != "layers" || len(c.RootFS.DiffIDs) != 1 {
		t.Fatalf("config rootfs %+v, want one layer", c.RootFS)
	}
	return c
}

func TestDeterministic(t *testing.T) {
	needBusybox(t)
	for name, fn := range map[string]func(io.Writer, Options) error{
		"rootfs": Rootfs, "docker": DockerArchive, "oci": OCIArchive,
	} {
		t.Run(name, func(t *testing.T) {
			a, b := mustBuild(t, fn, Options{}), mustBuild(t, fn, Options{})
			if !bytes.Equal(a, b) {
				t.Error("two builds differ")
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	needBusybox(t)
	dir := t.TempDir()
	rootfs, docker, oci, err := WriteAll(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for path, fn := range map[string]func(io.Writer, Options) error{
		rootfs: Rootfs, docker: DockerArchive, oci: OCIArchive,
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, mustBuild(t, fn, Options{})) {
			t.Errorf("%s differs from a direct build", path)
		}
	}
	if want := filepath.Join(dir, "busybox-docker.tar"); docker != want {
		t.Errorf("docker archive at %s, want %s", docker, want)
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 3 {
		t.Errorf("%s holds %d files, want the 3 archives", dir, len(left))
	}
}

func TestWriteAllBadBusybox(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, err := WriteAll(dir, Options{Busybox: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("WriteAll with a missing busybox succeeded")
	}
	if _, _, _, err := WriteAll(dir, Options{Ref: "busybox@sha256:abc"}); err == nil {
		t.Fatal("WriteAll with a digest reference succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed WriteAll left %d files behind", len(left))
	}
}

func TestNotStatic(t *testing.T) {
	const dynamic = "/bin/ls" // Debian's coreutils are dynamically linked
	data, err := os.ReadFile(dynamic)
	if err != nil {
		t.Skip(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Skip(err)
	}
	if !slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Skipf("%s is statically linked", dynamic)
	}
	if err := checkStatic(dynamic, data); err == nil {
		t.Errorf("checkStatic accepted the dynamically linked %s", dynamic)
	}
	if err := checkStatic("script", []byte("#!/bin/sh\n")); err == nil {
		t.Error("checkStatic accepted a non-ELF file")
	}
	if _, err := os.Stat(DefaultBusybox); err == nil {
		bb, err := os.ReadFile(DefaultBusybox)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkStatic(DefaultBusybox, bb); err != nil {
			t.Error(err)
		}
	}
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct{ in, full, familiar, repo, tag string }{
		{"docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest", "busybox", "latest"},
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", "busybox", "latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "busybox", "1.36"},
		{"docker.io/bench/big:latest", "docker.io/bench/big:latest", "bench/big:latest", "bench/big", "latest"},
		{"example.com/a/b:v1", "example.com/a/b:v1", "example.com/a/b:v1", "example.com/a/b", "v1"},
		{"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest", "localhost:5000/x", "latest"},
		{"localhost/x:y", "localhost/x:y", "localhost/x:y", "localhost/x", "y"},
	} {
		r, err := parseRef(tc.in)
		if err != nil {
			t.Errorf("parseRef(%q): %v", tc.in, err)
			continue
		}
		want := reference{full: tc.full, familiar: tc.familiar, repo: tc.repo, tag: tc.tag}
		if r != want {
			t.Errorf("parseRef(%q) = %+v, want %+v", tc.in, r, want)
		}
	}
	for _, bad := range []string{"busybox:", ":latest", "busybox@sha256:abc", "/busybox", "a//b"} {
		if _, err := parseRef(bad); err == nil {
			t.Errorf("parseRef(%q) succeeded", bad)
		}
	}
}

func TestCustomRef(t *testing.T) {
	needBusybox(t)
	o := Options{Ref: "example.com/team/tools:v2"}
	entries := readTar(t, mustBuild(t, DockerArchive, o))
	var manifest []dockerManifest
	decode(t, "manifest.json", file(t, entries, "manifest.json"), &manifest)
	if got := manifest[0].RepoTags; len(got) != 1 || got[0] != o.Ref {
		t.Errorf("RepoTags = %q, want [%s]", got, o.Ref)
	}
	entries = readTar(t, mustBuild(t, OCIArchive, o))
	var index ocispec.Index
	decode(t, "index.json", file(t, entries, "index.json"), &index)
	if a := index.Manifests[0].Annotations; a["io.containerd.image.name"] != o.Ref || a[ocispec.AnnotationRefName] != "v2" {
		t.Errorf("index annotations %v", a)
	}
}
