package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

func TestClean(t *testing.T) {
	good := map[string]string{
		"":              "/",
		"/":             "/",
		"a/b":           "/a/b",
		"/a/../b":       "/b",
		"./a/./b/":      "/a/b",
		"a/b/../../c":   "/c",
		"//a//b":        "/a/b",
		"a/..":          "/",
		"/etc/passwd/.": "/etc/passwd",
	}
	for in, want := range good {
		if got, err := Clean(in); err != nil || got != want {
			t.Errorf("Clean(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "../etc/passwd", "/../x", "a/../../x", "./../../etc"} {
		if _, err := Clean(in); !errors.Is(err, ErrEscape) {
			t.Errorf("Clean(%q): want ErrEscape, got %v", in, err)
		}
	}
}

// tarOf builds an archive from (name, type, body-or-target) triples.
func tarOf(t *testing.T, entries ...[3]string) *tar.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Typeflag: e[1][0], Mode: 0o644}
		switch h.Typeflag {
		case tar.TypeReg:
			h.Size = int64(len(e[2]))
		case tar.TypeSymlink, tar.TypeLink:
			h.Linkname = e[2]
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e[2])); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return tar.NewReader(&buf)
}

func openRoot(t *testing.T, dir string) *Root {
	t.Helper()
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestExtractStaysInRoot(t *testing.T) {
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	outside := filepath.Join(tmp, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "dst")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The symlinks' targets, taken inside the root.
	if err := os.MkdirAll(filepath.Join(root, outside), 0o755); err != nil {
		t.Fatal(err)
	}
	// Symlinks in the root that point out of it, absolute and relative.
	if err := os.Symlink(outside, filepath.Join(root, "dst", "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../.."+outside, filepath.Join(root, "dst", "rel")); err != nil {
		t.Fatal(err)
	}
	r := openRoot(t, root)
	err := Extract(tarOf(t,
		[3]string{"abs/viaabs", "0", "x"},
		[3]string{"rel/viarel", "0", "x"},
		[3]string{"link", "2", outside},
		[3]string{"link/vialink", "0", "x"},
	), r, "/dst")
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the root: %v", entries)
	}
	// They all landed at the symlinks' targets taken inside the root.
	for _, p := range []string{"viaabs", "viarel", "vialink"} {
		if _, err := os.Stat(filepath.Join(root, outside, p)); err != nil {
			t.Errorf("%s not inside the root: %v", p, err)
		}
	}
	// A symlink whose target does not exist in the root is not followed
	// out of it: the entry fails.
	if err := os.Symlink(filepath.Join(outside, "missing"), filepath.Join(root, "dst", "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := Extract(tarOf(t, [3]string{"dangling/x", "0", "x"}), r, "/dst"); err == nil {
		t.Error("extracting through a dangling symlink succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the root: %v", entries)
	}
	// Entries that climb out of the destination are refused.
	for _, name := range []string{"../escape", "a/../../escape", "/../escape"} {
		if err := Extract(tarOf(t, [3]string{name, "0", "x"}), r, "/dst"); !errors.Is(err, ErrEscape) {
			t.Errorf("entry %q: want ErrEscape, got %v", name, err)
		}
	}
	if err := Extract(tarOf(t, [3]string{"hard", "1", "../../etc/passwd"}), r, "/dst"); !errors.Is(err, ErrEscape) {
		t.Errorf("hard link out: want ErrEscape, got %v", err)
	}
}

func TestExtractReplacesFilesNotDirectories(t *testing.T) {
	root := t.TempDir()
	r := openRoot(t, root)
	if err := Extract(tarOf(t, [3]string{"d", "5", ""}, [3]string{"f", "0", "old"}, [3]string{"s", "2", "/nowhere"}), r, "/"); err != nil {
		t.Fatal(err)
	}
	if err := Extract(tarOf(t, [3]string{"f", "0", "new"}, [3]string{"s", "0", "file now"}), r, "/"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "f")); string(b) != "new" {
		t.Fatalf("f: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "s")); string(b) != "file now" {
		t.Fatalf("s: %q", b)
	}
	if err := Extract(tarOf(t, [3]string{"d", "0", "x"}), r, "/"); err == nil {
		t.Fatal("a file replaced a directory")
	}
	if err := Extract(tarOf(t, [3]string{"f", "5", ""}), r, "/"); err == nil {
		t.Fatal("a directory replaced a file")
	}
}

func TestWriteExtractRoundTrip(t *testing.T) {
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "tree", "ro", "deep"), 0o755))
	must(os.WriteFile(filepath.Join(src, "tree", "f"), []byte("data"), 0o640))
	must(os.Link(filepath.Join(src, "tree", "f"), filepath.Join(src, "tree", "hard")))
	must(os.Symlink("f", filepath.Join(src, "tree", "s")))
	must(os.WriteFile(filepath.Join(src, "tree", "ro", "deep", "x"), []byte("x"), 0o600))
	must(os.Chmod(filepath.Join(src, "tree", "ro"), 0o500))
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "tree", "ro"), 0o755) })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(Write(tw, openRoot(t, src), "/tree", "copy"))
	must(tw.Close())
	var names []string
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(err)
		names = append(names, h.Name+":"+string(h.Typeflag))
	}
	want := []string{"copy/:5", "copy/f:0", "copy/hard:1", "copy/ro/:5", "copy/ro/deep/:5", "copy/ro/deep/x:0", "copy/s:2"}
	sort.Strings(names)
	if len(names) != len(want) {
		t.Fatalf("entries: %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries: %v, want %v", names, want)
		}
	}

	dst := t.TempDir()
	must(Extract(tar.NewReader(bytes.NewReader(buf.Bytes())), openRoot(t, dst), "/"))
	t.Cleanup(func() { os.Chmod(filepath.Join(dst, "copy", "ro"), 0o755) })
	fi, err := os.Stat(filepath.Join(dst, "copy", "ro"))
	must(err)
	if fi.Mode().Perm() != 0o500 {
		t.Fatalf("read-only directory mode: %v", fi.Mode())
	}
	a, _ := os.Stat(filepath.Join(dst, "copy", "f"))
	b, _ := os.Stat(filepath.Join(dst, "copy", "hard"))
	if !os.SameFile(a, b) || a.Mode().Perm() != 0o640 {
		t.Fatalf("hard link or mode lost: %v %v", a.Mode(), b.Mode())
	}
	if target, _ := os.Readlink(filepath.Join(dst, "copy", "s")); target != "f" {
		t.Fatalf("symlink: %q", target)
	}
	if x, _ := os.ReadFile(filepath.Join(dst, "copy", "ro", "deep", "x")); string(x) != "x" {
		t.Fatalf("deep file: %q", x)
	}
}

func TestEscapingLink(t *testing.T) {
	dir := t.TempDir()
	for _, l := range [][2]string{
		{"../../../x", "rel"}, {"/x", "abs"}, {"sub/../x", "in"}, {"rel/foo", "chain"},
		{"../../y", "deep/l"}, {"../y", "deep/ok"}, {"loop", "loop"},
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(l[1])), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "x", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for p, want := range map[string]string{
		"/rel/file":   "/rel",
		"/rel":        "/rel",
		"/abs/file":   "",
		"/in/file":    "",
		"/chain/file": "/rel",
		"/deep/l/f":   "/deep/l",
		"/deep/ok/f":  "",
		"/x/sub/f":    "",
		"/missing/f":  "",
		"/loop/f":     "",
	} {
		got, err := r.EscapingLink(p)
		if err != nil || got != want {
			t.Errorf("EscapingLink(%s) = %q, %v; want %q", p, got, err, want)
		}
	}
}

func TestExtractWithOwner(t *testing.T) {
	root := t.TempDir()
	r := openRoot(t, root)
	// Entries owned by 1234 in the archive come out owned by the given
	// owner (Docker's cp out of a container: the caller).
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1234, Gid: 567},
		{Name: "d/f", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1234, Gid: 567, Size: 1},
		{Name: "d/l", Typeflag: tar.TypeSymlink, Linkname: "f", Uid: 1234, Gid: 567},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	owner := &Owner{UID: 42, GID: 43}
	if err := ExtractWith(tar.NewReader(&buf), r, "/", ExtractOptions{Owner: owner}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"d", "d/f", "d/l"} {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 42 || st.Gid != 43 {
			t.Errorf("%s owned by %d:%d, want 42:43", p, st.Uid, st.Gid)
		}
	}
	if fi, _ := os.Stat(filepath.Join(root, "d/f")); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 (kept)", fi.Mode())
	}
}
