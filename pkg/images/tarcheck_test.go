package images

import (
	"archive/tar"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func mkTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckLayer(t *testing.T) {
	good := [][]entry{
		{{name: "bin/", typ: tar.TypeDir}, {name: "bin/busybox", body: "x"}, {name: "bin/sh", link: "busybox", typ: tar.TypeSymlink}},
		{{name: "./etc/passwd", body: "root"}, {name: "etc/mtab", link: "/proc/mounts", typ: tar.TypeSymlink}},
		{{name: "a", body: "1"}, {name: "b", link: "a", typ: tar.TypeLink}},
		{{name: "usr/lib/x", link: "../../lib/x", typ: tar.TypeSymlink}},
		{{name: "etc/.wh.passwd", body: ""}, {name: "dir/.wh..wh..opq", body: ""}},
		{{name: "link", link: "dir", typ: tar.TypeSymlink}, {name: "link", typ: tar.TypeDir}, {name: "link/file", body: "ok once link is a dir"}},
		{{name: "fifo", typ: tar.TypeFifo}},
	}
	for i, es := range good {
		if err := CheckLayer(bytes.NewReader(mkTar(t, es...))); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	bad := []struct {
		entries []entry
		want    string
	}{
		{[]entry{{name: "../evil", body: "x"}}, "leaves the root"},
		{[]entry{{name: "a/../../evil", body: "x"}}, "leaves the root"},
		{[]entry{{name: "/etc/passwd", body: "x"}}, "absolute"},
		{[]entry{{name: "h", link: "../../etc/shadow", typ: tar.TypeLink}}, "hard link"},
		{[]entry{{name: "s", link: "../../../etc", typ: tar.TypeSymlink}}, "climbs out"},
		{[]entry{{name: "a/s", link: "../..", typ: tar.TypeSymlink}}, "climbs out"},
		{[]entry{{name: "s", link: "/etc", typ: tar.TypeSymlink}, {name: "s/passwd", body: "x"}}, "through the symbolic link"},
		{[]entry{{name: "dev/sda", typ: tar.TypeBlock}}, "device"},
		{[]entry{{name: "dev/mem", typ: tar.TypeChar}}, "device"},
	}
	for _, tt := range bad {
		err := CheckLayer(bytes.NewReader(mkTar(t, tt.entries...)))
		var inv *api.InvalidArgument
		if err == nil || !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: got %v, want an InvalidArgument mentioning %q", tt.entries, err, tt.want)
		}
	}
	// Truncated: a header that promises more than the stream has.
	full := mkTar(t, entry{name: "big", body: strings.Repeat("x", 4096)})
	if err := CheckLayer(bytes.NewReader(full[:1024])); err == nil {
		t.Error("a truncated layer passed")
	}
}

func FuzzCheckLayer(f *testing.F) {
	f.Add(mkTar(f, entry{name: "bin/sh", link: "busybox", typ: tar.TypeSymlink}))
	f.Add(mkTar(f, entry{name: "../x", body: "x"}))
	f.Add(mkTar(f, entry{name: "s", link: "/etc", typ: tar.TypeSymlink}, entry{name: "s/p", body: "x"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Must never panic; when it accepts, no accepted name may leave the root.
		if err := CheckLayer(bytes.NewReader(b)); err != nil {
			return
		}
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := tr.Next()
			if err != nil {
				return
			}
			if strings.HasPrefix(h.Name, "/") {
				t.Fatalf("accepted absolute name %q", h.Name)
			}
			for _, p := range strings.Split(h.Name, "/") {
				if p == ".." {
					t.Fatalf("accepted %q", h.Name)
				}
			}
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c", "localhost:5000/x@sha256:" + strings.Repeat("a", 64), "UPPER", "a::b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q", s)
			}
			return
		}
		// A normalised name normalises to itself.
		if n2, err := Normalize(n); err != nil || n2 != n {
			t.Fatalf("Normalize(%q) = %q, then %q, %v", s, n, n2, err)
		}
	})
}
