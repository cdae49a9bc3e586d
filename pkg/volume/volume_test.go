package volume

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"ab", "data", "my_vol.1-x", "0a", NewAnonymousName()} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "-a", ".a", "_a", "a/b", "a b", "a:b", "../x"} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", bad)
		}
	}
	if a, b := NewAnonymousName(), NewAnonymousName(); len(a) != 64 || a == b {
		t.Errorf("anonymous names %q %q", a, b)
	}
}

func TestStore(t *testing.T) {
	s := NewStore(t.TempDir())
	if vs, err := s.List(); err != nil || len(vs) != 0 {
		t.Fatalf("List of a new store = %v, %v", vs, err)
	}
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	v, created, err := s.Create("data", map[string]string{"a": "1"}, false)
	if err != nil || !created || v.Mountpoint != filepath.Join(s.Dir, "data", "_data") || v.Labels["a"] != "1" || v.Anonymous {
		t.Fatalf("Create = %+v, %v, %v", v, created, err)
	}
	if _, created, err := s.Create("data", nil, false); err != nil || created {
		t.Fatalf("Create of an existing volume: created %v, %v", created, err)
	}
	if _, _, err := s.Create("a/b", nil, false); err == nil {
		t.Fatal("Create of an invalid name succeeded")
	}
	anon := NewAnonymousName()
	if _, _, err := s.Create(anon, nil, true); err != nil {
		t.Fatal(err)
	}
	unlock()
	// Leftovers of an interrupted create or rm are not volumes.
	if err := os.Mkdir(filepath.Join(s.Dir, ".new-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	vs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	want := []string{anon, "data"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("List = %q, want %q", names, want)
	}
	if g, err := s.Get(anon); err != nil || !g.Anonymous || g.CreatedAt.IsZero() {
		t.Fatalf("Get = %+v, %v", g, err)
	}
	if empty, err := s.IsEmpty("data"); err != nil || !empty {
		t.Fatalf("IsEmpty of a new volume = %v, %v", empty, err)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if empty, _ := s.IsEmpty("data"); empty {
		t.Fatal("IsEmpty of a volume with a file = true")
	}
	if n := s.Size("data"); n != 5 {
		t.Fatalf("Size = %d, want 5", n)
	}
	if err := s.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("data"); !IsNotFound(err) {
		t.Fatalf("Get after Remove = %v, want not found", err)
	}
	if err := s.Remove("data"); !IsNotFound(err) {
		t.Fatalf("second Remove = %v, want not found", err)
	}
	if _, err := s.Get("../../etc"); !IsNotFound(err) {
		t.Fatalf("Get of a path = %v, want not found", err)
	}
}

func TestCopyUp(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(src, "f"), []byte("hello"), 0o600))
	must(os.Symlink("../../../etc/passwd", filepath.Join(src, "link")))
	must(os.Link(filepath.Join(src, "f"), filepath.Join(src, "hard")))
	must(syscall.Mkfifo(filepath.Join(src, "fifo"), 0o640))
	must(os.WriteFile(filepath.Join(src, "sub", "g"), []byte("g"), 0o644))
	must(os.Chmod(filepath.Join(src, "sub"), 0o701))
	must(os.Chmod(src, 0o710))
	root := os.Geteuid() == 0
	if root {
		must(os.Lchown(filepath.Join(src, "f"), 1234, 5678))
		must(os.Lchown(filepath.Join(src, "link"), 11, 12))
		must(os.Chown(src, 42, 43))
	}
	must(syscall.Chmod(filepath.Join(src, "f"), 0o4750)) // after chown, which clears setuid

	s := NewStore(t.TempDir())
	if _, _, err := s.Create("vol", nil, false); err != nil {
		t.Fatal(err)
	}
	must(s.CopyUp("vol", src))
	dst := s.Mountpoint("vol")
	check := func(rel string, mode os.FileMode, uid, gid uint32) {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != mode || root && (st.Uid != uid || st.Gid != gid) {
			t.Errorf("%q: %v %d:%d, want %v %d:%d", rel, fi.Mode(), st.Uid, st.Gid, mode, uid, gid)
		}
	}
	check(".", os.ModeDir|0o710, 42, 43)
	check("f", os.ModeSetuid|0o750, 1234, 5678)
	check("link", os.ModeSymlink|0o777, 11, 12)
	check("fifo", os.ModeNamedPipe|0o640, 0, 0)
	check("sub", os.ModeDir|0o701, 0, 0)
	if target, err := os.Readlink(filepath.Join(dst, "link")); err != nil || target != "../../../etc/passwd" {
		t.Errorf("symlink = %q, %v: kept as it is, never followed", target, err)
	}
	a, _ := os.Stat(filepath.Join(dst, "f"))
	b, _ := os.Stat(filepath.Join(dst, "hard"))
	if a == nil || b == nil || !os.SameFile(a, b) {
		t.Error("hard link not kept")
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "sub", "g")); string(got) != "g" {
		t.Errorf("sub/g = %q", got)
	}
	// A missing source or a file leaves the volume as it is.
	if _, _, err := s.Create("other", nil, false); err != nil {
		t.Fatal(err)
	}
	must(s.CopyUp("other", filepath.Join(src, "nope")))
	must(s.CopyUp("other", filepath.Join(src, "f")))
	if empty, _ := s.IsEmpty("other"); !empty {
		t.Error("CopyUp of a missing path or a file filled the volume")
	}
}
