package commit

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/containerd/containerd/v2/core/mount"

	"github.com/lumper/lumper/pkg/api"
)

func TestUpperDir(t *testing.T) {
	tests := []struct {
		mounts []mount.Mount
		want   string
		ok     bool
	}{
		{[]mount.Mount{{Type: "overlay", Source: "overlay", Options: []string{"workdir=/s/2/work", "upperdir=/s/2/fs", "lowerdir=/s/1/fs", "index=off"}}}, "/s/2/fs", true},
		{[]mount.Mount{{Type: "overlay", Options: []string{"lowerdir=/s/1/fs:/s/0/fs"}}}, "", false}, // a read-only view
		{[]mount.Mount{{Type: "bind", Source: "/s/1/fs", Options: []string{"rbind", "rw"}}}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		got, ok := upperDir(tt.mounts)
		if got != tt.want || ok != tt.ok {
			t.Errorf("upperDir(%+v) = %q, %v; want %q, %v", tt.mounts, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindWhiteoutNames(t *testing.T) {
	root := t.TempDir()
	mk := func(p string, dir bool) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if dir {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, nil, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/passwd", false)
	mk("etc/wh.not", false)
	mk("etc/x.wh.y", false)
	if got, err := findWhiteoutNames(root); err != nil || len(got) != 0 {
		t.Fatalf("clean tree: %v, %v", got, err)
	}

	mk("etc/.wh.passwd", false)
	mk("d/.wh..wh..opq", false)
	mk("e/.wh.sub", true)
	mk("e/.wh.sub/inner", false) // not reported separately: the directory is
	if err := os.Symlink("/nowhere", filepath.Join(root, ".wh.link")); err != nil {
		t.Fatal(err)
	}
	got, err := findWhiteoutNames(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/.wh.link", "/d/.wh..wh..opq", "/e/.wh.sub", "/etc/.wh.passwd"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}

	// At most maxReported+1 are collected.
	for i := 0; i < 10; i++ {
		mk("many/.wh.f"+string(rune('a'+i)), false)
	}
	if got, err := findWhiteoutNames(root); err != nil || len(got) != maxReported+1 {
		t.Errorf("many: %d found (%v), want %d", len(got), err, maxReported+1)
	}
}

func TestFindWhiteoutNamesSkipsOverlayWhiteouts(t *testing.T) {
	root := t.TempDir()
	// overlayfs marks a deleted file with a character device 0/0 of its name.
	if err := syscall.Mknod(filepath.Join(root, ".wh.deleted"), syscall.S_IFCHR|0o000, 0); err != nil {
		t.Skipf("cannot create a character device here (needs root): %v", err)
	}
	if err := syscall.Mknod(filepath.Join(root, ".wh.null"), syscall.S_IFCHR|0o666, int(1<<8|3)); err != nil {
		t.Fatal(err)
	}
	got, err := findWhiteoutNames(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/.wh.null"}; !reflect.DeepEqual(got, want) {
		t.Errorf("found %v, want %v (a 0/0 device is overlayfs's own marker)", got, want)
	}
}

func TestWhiteoutError(t *testing.T) {
	tests := []struct {
		found []string
		want  []string
	}{
		{[]string{"/etc/.wh.passwd"}, []string{"/etc/.wh.passwd", "delete /etc/passwd", `".wh."`}},
		{[]string{"/d/.wh..wh..opq"}, []string{"hide the contents of /d"}},
		{[]string{"/a/.wh.x", "/b/.wh.y"}, []string{"/a/.wh.x (and /b/.wh.y)", "delete /a/x"}},
		{[]string{"/1/.wh.a", "/2/.wh.b", "/3/.wh.c", "/4/.wh.d"}, []string{"(and /2/.wh.b, /3/.wh.c, and more)"}},
	}
	for _, tt := range tests {
		err := whiteoutError("c1", tt.found)
		var inv *api.InvalidArgument
		if !errors.As(err, &inv) {
			t.Fatalf("%v: not an InvalidArgument: %v", tt.found, err)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("message is not one line: %q", msg)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: message %q lacks %q", tt.found, msg, w)
			}
		}
	}
}
