package view

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/api"
)

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "Less than a second"},
		{999 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{3 * time.Second, "3 seconds"},
		{59 * time.Second, "59 seconds"},
		{60 * time.Second, "About a minute"},
		{119 * time.Second, "About a minute"},
		{2 * time.Minute, "2 minutes"},
		{59 * time.Minute, "59 minutes"},
		{60 * time.Minute, "About an hour"},
		{89 * time.Minute, "About an hour"},
		{90 * time.Minute, "2 hours"},
		{47 * time.Hour, "47 hours"},
		{48 * time.Hour, "2 days"},
		{13 * 24 * time.Hour, "13 days"},
		{14 * 24 * time.Hour, "2 weeks"},
		{60 * 24 * time.Hour, "2 months"},
		{2 * 365 * 24 * time.Hour, "2 years"},
	} {
		if got := HumanDuration(tc.d); got != tc.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	now := time.Now()
	if got := Ago(now.Add(-2*time.Minute), now); got != "2 minutes ago" {
		t.Errorf("Ago = %q", got)
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0B"}, {999, "999B"}, {1000, "1kB"}, {1234, "1.23kB"}, {1_200_000, "1.2MB"},
		{4_260_000, "4.26MB"}, {12_345_678, "12.3MB"}, {123_456_789, "123MB"}, {3_000_000_000, "3GB"},
	} {
		if got := HumanSize(tc.n); got != tc.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"}, {1024, "1KiB"}, {1536, "1.5KiB"}, {1_753_088, "1.672MiB"}, {8 << 30, "8GiB"},
	} {
		if got := BytesSize(tc.n); got != tc.want {
			t.Errorf("BytesSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestEllipsisAndShortID(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"httpd -f -p 80", 20, "httpd -f -p 80"},
		{"12345678901234567890", 20, "12345678901234567890"},
		{"sh -c while true; do sleep 1; done", 20, "sh -c while true; d…"},
		{"échoéchoéchoéchoécho+", 20, "échoéchoéchoéchoéch…"},
	} {
		if got := Ellipsis(tc.s, tc.n); got != tc.want {
			t.Errorf("Ellipsis(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	if got := ShortID("sha256:1bda78eac25976f73a0bcb3f7861514319ad0a2db592bdfe8bf1a801fbf538af"); got != "1bda78eac259" {
		t.Errorf("ShortID = %q", got)
	}
	if got := ShortID("abc"); got != "abc" {
		t.Errorf("ShortID(abc) = %q", got)
	}
}

func TestStatusText(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		c    Container
		want string
	}{
		{Container{State: StateRunning, StartedAt: ago(3 * time.Second)}, "Up 3 seconds"},
		{Container{State: StatePaused, StartedAt: ago(2 * time.Minute)}, "Up 2 minutes (Paused)"},
		{Container{State: StateExited, ExitCode: 0, StartedAt: ago(time.Minute), FinishedAt: ago(5 * time.Second)}, "Exited (0) 5 seconds ago"},
		{Container{State: StateExited, ExitCode: 137, StartedAt: ago(3 * time.Hour), FinishedAt: ago(2 * time.Hour)}, "Exited (137) 2 hours ago"},
		{Container{State: StateExited, ExitCode: 255, StartedAt: ago(time.Hour)}, "Exited (255)"},
		{Container{State: StateRestarting, ExitCode: 1, FinishedAt: ago(2 * time.Second)}, "Restarting (1) 2 seconds ago"},
		{Container{State: StateCreated}, "Created"},
		{Container{State: StateDead}, "Dead"},
		{Container{State: StateUnknown}, "Unknown"},
	} {
		if got := StatusText(tc.c, now); got != tc.want {
			t.Errorf("StatusText(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestPortsText(t *testing.T) {
	for _, tc := range []struct {
		ports []api.Port
		want  string
	}{
		{nil, ""},
		{[]api.Port{{HostIP: "127.0.0.1", HostPort: 32768, ContainerPort: 80, Protocol: "tcp"}}, "127.0.0.1:32768->80/tcp"},
		{[]api.Port{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}, "0.0.0.0:8080->80/tcp"},
		{[]api.Port{{HostPort: 53, ContainerPort: 53, Protocol: "udp"}}, "0.0.0.0:53->53/udp"},
		{[]api.Port{ // a run of ports published on the same numbers is one range
			{HostPort: 8001, ContainerPort: 8001, Protocol: "tcp"},
			{HostPort: 8000, ContainerPort: 8000, Protocol: "tcp"},
			{HostPort: 8002, ContainerPort: 8002, Protocol: "tcp"},
		}, "0.0.0.0:8000-8002->8000-8002/tcp"},
		{[]api.Port{ // mapped ports come after, sorted by container port
			{HostIP: "127.0.0.1", HostPort: 9090, ContainerPort: 90, Protocol: "tcp"},
			{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
			{HostPort: 443, ContainerPort: 443, Protocol: "tcp"},
		}, "0.0.0.0:443->443/tcp, 127.0.0.1:8080->80/tcp, 127.0.0.1:9090->90/tcp"},
		{[]api.Port{{HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}, "[::1]:8080->80/tcp"},
	} {
		if got := PortsText(tc.ports); got != tc.want {
			t.Errorf("PortsText(%+v) = %q, want %q", tc.ports, got, tc.want)
		}
	}
}

func TestContainerRow(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	c := Container{
		ID:      "24115e90b4343b9b1ce0e5b9fd4af8a6c3ed3fd1e4f69c0cd6e1e2dae4e5f0aa",
		Name:    "web",
		Image:   "busybox",
		Command: `sh -c while true; do echo "hi"; sleep 1; done`,
		Created: now.Add(-2 * time.Minute), State: StateRunning, StartedAt: now.Add(-90 * time.Second),
		Ports:    []api.Port{{HostIP: "127.0.0.1", HostPort: 32768, ContainerPort: 80, Protocol: "tcp"}},
		Labels:   map[string]string{"tier": "front", "app": "web", "empty": ""},
		Networks: []string{"bridge"},
		Mounts:   []string{"/a/very/long/host/path", "/short"},
		SizeRw:   2, SizeRootFs: 1_200_002,
	}
	r := NewContainerRow(c, now, true)
	want := ContainerRow{
		Command: `"sh -c while true; d…"`, CreatedAt: CreatedAt(c.Created), ID: "24115e90b434", Image: "busybox",
		Labels: "app=web,empty=,tier=front", LocalVolumes: "0", Mounts: "/a/very/long/h…,/short", Names: "web",
		Networks: "bridge", Ports: "127.0.0.1:32768->80/tcp", RunningFor: "2 minutes ago", Size: "2B (virtual 1.2MB)",
		State: "running", Status: "About a minute",
	}
	want.Status = "Up About a minute"
	if !equalRows(r, want) {
		t.Errorf("row:\n got %+v\nwant %+v", r, want)
	}
	if r.Label("app") != "web" || r.Label("nope") != "" || ContainerHeader.Label("app") != "LABEL" {
		t.Error("Label")
	}
	full := NewContainerRow(c, now, false)
	if full.ID != c.ID || full.Command != `"sh -c while true; do echo \"hi\"; sleep 1; done"` || !strings.Contains(full.Mounts, "/a/very/long/host/path") {
		t.Errorf("untruncated row: %+v", full)
	}
	c.Image = "sha256:1bda78eac25976f73a0bcb3f7861514319ad0a2db592bdfe8bf1a801fbf538af"
	if r := NewContainerRow(c, now, true); r.Image != "1bda78eac259" {
		t.Errorf("an image ID as the image: %q", r.Image)
	}
	if r := NewContainerRow(c, now, false); r.Image != c.Image {
		t.Errorf("--no-trunc image ID: %q", r.Image)
	}
	c.SizeRootFs = 0
	if r := NewContainerRow(c, now, true); r.Size != "2B" {
		t.Errorf("size without the image's: %q", r.Size)
	}
}

func equalRows(a, b ContainerRow) bool {
	a.labels, b.labels = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestCreatedAt(t *testing.T) {
	tm := time.Date(2024, 1, 2, 15, 4, 5, 999, time.Local)
	if got, want := CreatedAt(tm), time.Date(2024, 1, 2, 15, 4, 5, 0, time.Local).String(); got != want {
		t.Errorf("CreatedAt = %q, want %q", got, want)
	}
}
