package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseVolume(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mount
	}{
		{"/a:/b", Mount{Source: "/a", Destination: "/b", Type: TypeBind}},
		{"/a:/b:ro", Mount{Source: "/a", Destination: "/b", Type: TypeBind, ReadOnly: true}},
		{"/a:/b:rw", Mount{Source: "/a", Destination: "/b", Type: TypeBind}},
		{"/a/../c/:/b/./d/", Mount{Source: "/c", Destination: "/b/d", Type: TypeBind}},
		{"data:/b", Mount{Source: "data", Destination: "/b", Type: TypeVolume}},
		{"my_vol.1-x:/b/:ro", Mount{Source: "my_vol.1-x", Destination: "/b", Type: TypeVolume, ReadOnly: true}},
		{"data:/b:nocopy", Mount{Source: "data", Destination: "/b", Type: TypeVolume, NoCopy: true}},
		{"/a", Mount{Destination: "/a", Type: TypeVolume}},
		{"/a/./b/", Mount{Destination: "/a/b", Type: TypeVolume}},
	} {
		got, err := ParseVolume(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"-bad:/x", `"-bad" is not a valid volume name`},
		{"a:/x", `"a" is not a valid volume name`},
		{"b@d:/x", `"b@d" is not a valid volume name`},
		{"/a:/b:nocopy", `unknown option "nocopy"`},
		{"a", `container path "a" must be absolute`},
		{"/", "the container path cannot be /"},
		{"./data:/x", `relative host path "./data" in -v`},
		{"/a:/b:bogus", `invalid -v "/a:/b:bogus": unknown option "bogus", use ro or rw`},
		{"/a:/b:z", `unknown option "z"`},
		{"/a:/b:ro,z", `unknown option "z"`},
		{"/a:/b:", `unknown option ""`},
		{"/a:b", `container path "b" must be absolute`},
		{"/a:/", "the container path cannot be /"},
		{"/a:/b:ro:x", `too many ":"`},
		{":/b", "use HOST-PATH:CONTAINER-PATH"},
		{"/a:", "use HOST-PATH:CONTAINER-PATH"},
	} {
		_, err := ParseVolume(tc.in)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseMount(t *testing.T) {
	defTmpfs := []string{"nosuid", "nodev", "noexec"}
	for _, tc := range []struct {
		in   string
		want Mount
	}{
		{"type=bind,src=/a,dst=/b", Mount{Source: "/a", Destination: "/b", Type: TypeBind}},
		{"type=bind,source=/a,destination=/b,readonly", Mount{Source: "/a", Destination: "/b", Type: TypeBind, ReadOnly: true}},
		{"type=bind,source=/a,target=/b,ro=true", Mount{Source: "/a", Destination: "/b", Type: TypeBind, ReadOnly: true}},
		{"type=bind,src=/a,dst=/b,readonly=false", Mount{Source: "/a", Destination: "/b", Type: TypeBind}},
		{"dst=/b,src=/a,type=bind,bind-propagation=rslave", Mount{Source: "/a", Destination: "/b", Type: TypeBind, Options: []string{"rslave"}}},
		{"type=tmpfs,dst=/t", Mount{Source: "tmpfs", Destination: "/t", Type: TypeTmpfs, Options: defTmpfs}},
		{"type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777", Mount{Source: "tmpfs", Destination: "/t", Type: TypeTmpfs,
			Options: []string{"nosuid", "nodev", "noexec", "size=67108864", "mode=1777"}}},
		{"type=tmpfs,target=/t,readonly", Mount{Source: "tmpfs", Destination: "/t", Type: TypeTmpfs, Options: defTmpfs, ReadOnly: true}},
		{"type=volume,src=data,dst=/b", Mount{Source: "data", Destination: "/b", Type: TypeVolume}},
		{"type=volume,target=/b,readonly", Mount{Destination: "/b", Type: TypeVolume, ReadOnly: true}},
		{"type=volume,src=data,dst=/b,volume-nocopy,volume-label=a=1,volume-label=b=2", Mount{Source: "data", Destination: "/b", Type: TypeVolume,
			NoCopy: true, VolumeLabels: map[string]string{"a": "1", "b": "2"}}},
	} {
		got, err := ParseMount(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMount(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"src=/a,dst=/b", "type= is required, use type=bind, type=volume or type=tmpfs"},
		{"type=volume,src=v,dst=/b", `"v" is not a valid volume name`},
		{"type=volume,src=/a,dst=/b", `"/a" is not a valid volume name`},
		{"type=volume,src=data,dst=/b,tmpfs-size=1m", "type=volume takes no tmpfs- or bind- options"},
		{"type=bind,src=/a,dst=/b,volume-nocopy", "only apply to type=volume"},
		{"type=volume,dst=/b,volume-label==x", "use volume-label=KEY=VALUE"},
		{"type=overlay,dst=/b", `unsupported type "overlay"`},
		{"type=bind,dst=/b", "type=bind needs src=/host/path"},
		{"type=bind,src=a,dst=/b", `relative host path "a"`},
		{"type=bind,src=/a", "dst= is required"},
		{"type=bind,src=/a,dst=b", `container path "b" must be absolute`},
		{"type=bind,src=/a,dst=/b,readonly=maybe", "readonly=maybe, use readonly, readonly=true or readonly=false"},
		{"type=bind,src=/a,dst=/b,bogus=1", `unknown field "bogus"`},
		{"type=bind,src=/a,dst=/b,,", "empty field"},
		{"type=bind,src=/a,dst=/b,target=/c", "destination is given twice"},
		{"type=bind,src=/a,dst=/b,bind-propagation=weird", "bind-propagation=weird, use one of"},
		{"type=bind,src=/a,dst=/b,tmpfs-size=1m", "only apply to type=tmpfs"},
		{"type=bind,src,dst=/b", "src needs a value"},
		{"type=tmpfs,src=/a,dst=/t", "type=tmpfs takes no src"},
		{"type=tmpfs,dst=/t,tmpfs-size=lots", `tmpfs-size: size "lots"`},
		{"type=tmpfs,dst=/t,tmpfs-mode=999", `tmpfs-mode: mode "999"`},
		{"type=tmpfs,dst=/t,bind-propagation=shared", "bind-propagation only applies to type=bind"},
	} {
		_, err := ParseMount(tc.in)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseTmpfs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mount
	}{
		{"/run", Mount{Source: "tmpfs", Destination: "/run", Type: TypeTmpfs, Options: []string{"nosuid", "nodev", "noexec"}}},
		{"/run:size=64m", Mount{Source: "tmpfs", Destination: "/run", Type: TypeTmpfs, Options: []string{"nosuid", "nodev", "noexec", "size=67108864"}}},
		{"/run:exec,mode=755,size=50%", Mount{Source: "tmpfs", Destination: "/run", Type: TypeTmpfs, Options: []string{"nosuid", "nodev", "exec", "mode=755", "size=50%"}}},
		{"/run:ro,size=1m,size=2m", Mount{Source: "tmpfs", Destination: "/run", Type: TypeTmpfs, Options: []string{"nosuid", "nodev", "noexec", "size=2097152"}, ReadOnly: true}},
		{"/run:rw,uid=1000,gid=1000,nr_inodes=1k", Mount{Source: "tmpfs", Destination: "/run", Type: TypeTmpfs, Options: []string{"nosuid", "nodev", "noexec", "uid=1000", "gid=1000", "nr_inodes=1024"}}},
	} {
		got, err := ParseTmpfs(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTmpfs(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"run", `invalid --tmpfs "run": container path "run" must be absolute`},
		{"/", "the container path cannot be /"},
		{"/run:bogus", `unknown option "bogus"`},
		{"/run:size=big", `size "big"`},
		{"/run:size=0", `size "0"`},
		{"/run:size=150%", `size "150%"`},
		{"/run:mode=rwx", `mode "rwx"`},
		{"/run:uid=me", `uid "me": use a numeric ID`},
		{"/run:", "empty option"},
		{"/run:foo=1", `unknown option "foo"`},
	} {
		_, err := ParseTmpfs(tc.in)
		checkInvalid(t, err, tc.want)
	}
}

func TestPrepareHostPaths(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ms := []Mount{
		{Source: existing, Destination: "/e", Type: TypeBind},
		{Source: file, Destination: "/f", Type: TypeBind},
		{Source: filepath.Join(dir, "new"), Destination: "/n", Type: TypeBind},
		{Source: filepath.Join(dir, "a", "b", "c"), Destination: "/abc", Type: TypeBind},
		{Source: "tmpfs", Destination: "/t", Type: TypeTmpfs},
	}
	created, err := PrepareHostPaths(ms)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "a", "b", "c"),
		filepath.Join(dir, "a", "b"),
		filepath.Join(dir, "a"),
		filepath.Join(dir, "new"),
	}
	if !reflect.DeepEqual(created, want) {
		t.Errorf("created = %q, want %q", created, want)
	}
	for _, p := range want {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Errorf("%s was not created as a directory: %v", p, err)
		}
	}
	// Something the container left behind keeps its directory.
	if err := os.WriteFile(filepath.Join(dir, "new", "kept"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RemoveCreated(created); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("%s/a still exists after RemoveCreated: %v", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new", "kept")); err != nil {
		t.Errorf("non-empty created directory was removed: %v", err)
	}
	if _, err := os.Stat(existing); err != nil {
		t.Errorf("pre-existing source removed: %v", err)
	}

	// A source under a regular file cannot be created; what was created
	// before the failure is removed again.
	created, err = PrepareHostPaths([]Mount{
		{Source: filepath.Join(dir, "x", "y"), Destination: "/xy", Type: TypeBind},
		{Source: filepath.Join(file, "sub"), Destination: "/s", Type: TypeBind},
	})
	if err == nil {
		t.Fatalf("PrepareHostPaths under a file succeeded, created %q", created)
	}
	if created != nil {
		t.Errorf("created = %q on error, want nil", created)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Errorf("%s/x left behind after a failed PrepareHostPaths: %v", dir, err)
	}
}
