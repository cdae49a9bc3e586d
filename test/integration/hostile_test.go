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
		r := mustFail(t, 125, "load", "-q", "-i", archive)
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "invalid layer") {
			t.Errorf("load %s: %q", name, r.stderr)
		}
		rootfs := filepath.Join(dir, name+"-rootfs.tar")
		os.WriteFile(rootfs, layer, 0o644)
		r = mustFail(t, 125, "import", rootfs, "hostile-import-"+name+":1")
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
	mustFail(t, 125, "load", "-q", "-i", write("truncated.tar", good[:len(good)/2]))
	// A manifest naming a blob the archive lacks.
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	manifest := `[{"Config":"nope.json","RepoTags":["missing:1"],"Layers":["nope/layer.tar"]}]`
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(manifest))})
	tw.Write([]byte(manifest))
	tw.Close()
	mustFail(t, 125, "load", "-q", "-i", write("missing.tar", b.Bytes()))
	// An OCI archive whose blob does not match its digest.
	oci, err := os.ReadFile(env.images.oci)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := corruptBlob(t, oci)
	mustFail(t, 125, "load", "-q", "-i", write("corrupt.tar", corrupt))
	// Huge declared size with little data.
	var h bytes.Buffer
	tw = tar.NewWriter(&h)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: 1 << 40})
	tw.Flush()
	mustFail(t, 125, "load", "-q", "-i", write("huge.tar", h.Bytes()))
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
