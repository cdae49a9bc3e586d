package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
)

func TestPortLines(t *testing.T) {
	ports := []api.Port{
		{HostIP: "127.0.0.1", HostPort: 32768, ContainerPort: 80, Protocol: "tcp"},
		{HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
	}
	all, err := PortLines(ports, "web", 0, "")
	if want := []string{"80/tcp -> 127.0.0.1:32768", "53/udp -> 0.0.0.0:5353"}; err != nil || !reflect.DeepEqual(all, want) {
		t.Errorf("all: %q, %v; want %q", all, err, want)
	}
	one, err := PortLines(ports, "web", 53, "udp")
	if err != nil || !reflect.DeepEqual(one, []string{"0.0.0.0:5353"}) {
		t.Errorf("53/udp: %q, %v", one, err)
	}
	if _, err := PortLines(ports, "web", 53, "tcp"); err == nil {
		t.Error("53/tcp is not published: want an error")
	}
}

func TestParsePortFilter(t *testing.T) {
	for in, want := range map[string]string{"80": "80/tcp", "53/udp": "53/udp", "8080/TCP": "8080/tcp"} {
		p, proto, err := ParsePortFilter(in)
		if got := (api.Port{ContainerPort: p, Protocol: proto}).String(); err != nil || got != "0.0.0.0:0->"+want {
			t.Errorf("%s: %d %s %v", in, p, proto, err)
		}
	}
	for _, bad := range []string{"", "http", "80/sctp", "0", "70000"} {
		if _, _, err := ParsePortFilter(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestUpperChanges(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	for _, d := range []string{"etc", "opq"} {
		_ = os.MkdirAll(filepath.Join(lower, d), 0o755)
		_ = os.MkdirAll(filepath.Join(upper, d), 0o755)
	}
	_ = os.WriteFile(filepath.Join(lower, "etc/passwd"), []byte("a"), 0o644)
	_ = os.WriteFile(filepath.Join(lower, "etc/group"), []byte("a"), 0o644)
	_ = os.WriteFile(filepath.Join(lower, "opq/old"), []byte("a"), 0o644)
	_ = os.WriteFile(filepath.Join(upper, "etc/passwd"), []byte("b"), 0o644)
	_ = os.WriteFile(filepath.Join(upper, "new"), []byte("b"), 0o644)
	if err := unix.Mknod(filepath.Join(upper, "etc/group"), unix.S_IFCHR, 0); err != nil {
		t.Skipf("cannot make a whiteout here: %v", err)
	}
	if err := unix.Setxattr(filepath.Join(upper, "opq"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("cannot mark an opaque directory here: %v", err)
	}
	got, err := UpperChanges(upper, []string{lower})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{"C", "/etc"}, {"D", "/etc/group"}, {"C", "/etc/passwd"}, {"A", "/new"}, {"C", "/opq"}, {"D", "/opq/old"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}

func TestUnderMount(t *testing.T) {
	dests := map[string]bool{"/etc/hosts": true, "/proc": true}
	for p, want := range map[string]bool{"/etc/hosts": true, "/proc/1": true, "/etc": false, "/etc/hostsx": false} {
		if underMount(p, dests) != want {
			t.Errorf("underMount(%s) = %v", p, !want)
		}
	}
}

func TestFilterPS(t *testing.T) {
	out := "UID        PID  PPID  C STIME TTY          TIME CMD\n" +
		"root         1     0  0 15:23 ?        00:00:20 /sbin/init\n" +
		"root       412   400  0 15:24 ?        00:00:00 sleep 1000\n" +
		"root       413   412  0 15:24 ?        00:00:00 sh -c x\n"
	got, err := FilterPS(out, []uint32{412, 413})
	if err != nil || len(got) != 3 || got[1] != "root       412   400  0 15:24 ?        00:00:00 sleep 1000" {
		t.Fatalf("FilterPS: %q, %v", got, err)
	}
	if _, err := FilterPS("USER COMMAND\nroot init\n", []uint32{1}); err == nil {
		t.Fatal("no PID column: want an error")
	}
}

func TestWithoutMounts(t *testing.T) {
	dests := map[string]bool{"/etc/hosts": true, "/etc/resolv.conf": true, "/proc": true}
	in := []Change{{"C", "/etc"}, {"A", "/etc/hosts"}, {"A", "/etc/resolv.conf"}, {"C", "/var"}, {"A", "/var/x"}, {"C", "/srv"}}
	want := []Change{{"C", "/var"}, {"A", "/var/x"}, {"C", "/srv"}}
	if got := withoutMounts(in, dests); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	in = []Change{{"C", "/etc"}, {"A", "/etc/hosts"}, {"C", "/etc/passwd"}}
	if got := withoutMounts(in, dests); !reflect.DeepEqual(got, []Change{{"C", "/etc"}, {"C", "/etc/passwd"}}) {
		t.Errorf("a real change in /etc: got %v", got)
	}
}
