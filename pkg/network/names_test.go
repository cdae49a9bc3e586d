package network

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWithPeersReplacesSection(t *testing.T) {
	base := []byte("127.0.0.1\tlocalhost\n10.0.0.2\tabc\n")
	one := withSection(base, "n1", []Peer{{ID: "b", IP: "10.0.0.3", Names: []string{"db", "db", "bbbbbbbbbbbb"}}, {ID: "a", IP: "10.0.0.2", Names: []string{"web", "alias"}}})
	want := string(base) + sectionPrefix + "n1\n10.0.0.2\tweb alias\n10.0.0.3\tdb bbbbbbbbbbbb\n"
	if string(one) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", one, want)
	}
	two := withSection(one, "n1", []Peer{{ID: "a", IP: "10.0.0.2", Names: []string{"web"}}})
	if strings.Contains(string(two), "db") || !strings.HasPrefix(string(two), string(base)) {
		t.Fatalf("second rewrite kept a gone peer or lost the base:\n%s", two)
	}
	if got := withSection(one, "n1", nil); string(got) != string(base) {
		t.Fatalf("no peers left: %q", got)
	}
	// Two networks: each section is replaced alone, in place.
	both := withSection(one, "n2", []Peer{{ID: "c", IP: "10.1.0.2", Names: []string{"c"}}})
	both = withSection(both, "n1", []Peer{{ID: "a", IP: "10.0.0.9", Names: []string{"web"}}})
	want = string(base) + sectionPrefix + "n1\n10.0.0.9\tweb\n" + sectionPrefix + "n2\n10.1.0.2\tc\n"
	if string(both) != want {
		t.Fatalf("two networks:\n%s\nwant:\n%s", both, want)
	}
}

// A bind-mounted file must keep its inode: the update is in place.
func TestUpdateHostsInPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	long := "127.0.0.1\tlocalhost\n" + sectionPrefix + "n\n" + strings.Repeat("10.0.0.9\tsomeone-with-a-long-name\n", 20)
	if err := os.WriteFile(path, []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	ino := func() uint64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	before := ino()
	peers := []Peer{{ID: "x", IP: "10.0.0.2", Names: []string{"x"}, Hosts: path}, {ID: "gone", IP: "10.0.0.3", Names: []string{"gone"}, Hosts: filepath.Join(dir, "missing")}}
	if err := UpdateHosts(context.Background(), "n", peers); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "127.0.0.1\tlocalhost\n" + sectionPrefix + "n\n10.0.0.3\tgone\n10.0.0.2\tx\n" // by ID
	if string(b) != want {
		t.Fatalf("got:\n%q\nwant:\n%q", b, want)
	}
	if ino() != before {
		t.Fatal("the hosts file was replaced, not rewritten in place")
	}
}

func TestParseAlias(t *testing.T) {
	for _, ok := range []string{"web", "db.internal", "a-b"} {
		if err := ParseAlias(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a,b", "-x", "a b", strings.Repeat("a", 254)} {
		if err := ParseAlias(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestResolvesNames(t *testing.T) {
	if ResolvesNames(Default) || ResolvesNames(Host) || ResolvesNames(None) || ResolvesNames("") || !ResolvesNames("backend") {
		t.Fatal("only user networks resolve names")
	}
}
