package view

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/api"
)

func TestParseFilters(t *testing.T) {
	f, err := ParseFilters([]string{"status=running", "label=a=b=c", "status=paused", "name="}, ContainerFilterKeys...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f["status"], []string{"running", "paused"}) || !slices.Equal(f["label"], []string{"a=b=c"}) || !f.Has("name") {
		t.Errorf("parsed %v", f)
	}
	for arg, msg := range map[string]string{
		"status":    "bad format of filter",
		"bogus=1":   "invalid filter 'bogus'",
		"dangling=": "invalid filter 'dangling'",
	} {
		if _, err := ParseFilters([]string{arg}, ContainerFilterKeys...); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", arg, err, msg)
		}
	}
}

// testContainers are newest first, as ps lists them.
func testContainers() []Container {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return []Container{
		{ID: "dddd4444", Name: "created1", Image: "busybox", ImageName: "docker.io/library/busybox:latest", State: StateCreated, Created: t0.Add(4 * time.Minute), Networks: []string{"bridge"}},
		{ID: "cccc3333", Name: "paused1", Image: "alpine", ImageName: "docker.io/library/alpine:latest", State: StatePaused, Created: t0.Add(3 * time.Minute), Labels: map[string]string{"app": "web"}, Networks: []string{"none"}},
		{ID: "bbbb2222", Name: "exited3", Image: "busybox", ImageName: "docker.io/library/busybox:latest", State: StateExited, ExitCode: 3, Created: t0.Add(2 * time.Minute), Labels: map[string]string{"app": "batch"}, Networks: []string{"bridge"}},
		{ID: "aaaa1111", Name: "web", Image: "busybox", ImageName: "docker.io/library/busybox:latest", State: StateRunning, Created: t0.Add(time.Minute), Labels: map[string]string{"app": "web", "tier": "front"}, Networks: []string{"bridge", "back"},
			Ports:  []api.Port{{HostIP: "127.0.0.1", HostPort: 32768, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 53, ContainerPort: 53, Protocol: "udp"}},
			Mounts: []string{"/srv/data"}, MountPoints: []string{"/data"}},
		{ID: "abab0000", Name: "restarting", Image: "busybox", State: StateRestarting, ExitCode: 1, Created: t0, Networks: []string{"bridge"}},
	}
}

func names(cs []Container) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

func TestSelectContainers(t *testing.T) {
	for _, tc := range []struct {
		all     bool
		limit   int
		filters []string
		want    string
	}{
		{false, 0, nil, "paused1,web,restarting"},
		{true, 0, nil, "created1,paused1,exited3,web,restarting"},
		{false, 2, nil, "created1,paused1"},              // -n lists every state
		{false, 1, nil, "created1"},                      // -l
		{false, 0, []string{"status=exited"}, "exited3"}, // status implies -a
		{false, 0, []string{"status=exited", "status=created"}, "created1,exited3"},
		{true, 0, []string{"status=running"}, "web"},
		{true, 0, []string{"status=restarting"}, "restarting"},
		{true, 0, []string{"name=web"}, "web"},
		{true, 0, []string{"name=^/web$"}, "web"},
		{true, 0, []string{"name=^web$"}, "web"},
		{true, 0, []string{"name=e"}, "created1,paused1,exited3,web,restarting"},
		{true, 0, []string{"name=web", "name=paused1"}, "paused1,web"},
		{true, 0, []string{"id=aaaa"}, "web"},
		{true, 0, []string{"id=aaaa1111"}, "web"},
		{true, 0, []string{"label=app"}, "paused1,exited3,web"},
		{true, 0, []string{"label=app=web"}, "paused1,web"},
		{true, 0, []string{"label=app=web", "label=tier"}, "web"}, // labels: all must match
		{true, 0, []string{"label=app=web", "status=paused"}, "paused1"},
		{true, 0, []string{"label=nope"}, ""},
		{true, 0, []string{"exited=3"}, "exited3"},
		{true, 0, []string{"exited=0"}, ""},
		{true, 0, []string{"exited=0", "exited=3"}, "exited3"},
		{true, 0, []string{"ancestor=alpine"}, "paused1"},
		{true, 0, []string{"ancestor=docker.io/library/busybox:latest"}, "created1,exited3,web"},
		{true, 0, []string{"before=exited3"}, "web,restarting"},
		{true, 0, []string{"since=exited3"}, "created1,paused1"},
		{true, 0, []string{"since=bbbb"}, "created1,paused1"},
		{true, 0, []string{"since=restarting", "before=paused1"}, "exited3,web"},
		{true, 0, []string{"network=back"}, "web"},
		{true, 0, []string{"network=none", "network=back"}, "paused1,web"},
		{true, 0, []string{"health=none"}, "created1,paused1,exited3,web,restarting"},
		{true, 0, []string{"health=healthy"}, ""},
		{true, 2, []string{"status=exited", "status=running"}, "exited3,web"},
		{true, 0, []string{"publish=80"}, "web"},
		{true, 0, []string{"publish=80/tcp"}, "web"},
		{true, 0, []string{"publish=80/udp"}, ""},
		{true, 0, []string{"publish=50-60/udp"}, "web"},
		{true, 0, []string{"publish=32768"}, ""}, // the container's port, not the host's
		{true, 0, []string{"volume=/srv/data"}, "web"},
		{true, 0, []string{"volume=/data"}, "web"},
		{true, 0, []string{"volume=/other"}, ""},
	} {
		f, err := ParseFilters(tc.filters, ContainerFilterKeys...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := SelectContainers(testContainers(), ContainerQuery{All: tc.all, Limit: tc.limit, Filters: f})
		if err != nil {
			t.Errorf("%v: %v", tc.filters, err)
			continue
		}
		if names(got) != tc.want {
			t.Errorf("all=%v limit=%d %v: got %q, want %q", tc.all, tc.limit, tc.filters, names(got), tc.want)
		}
	}
	for _, bad := range []string{"status=bogus", "health=ok", "exited=x", "before=nosuch", "since=zzzz", "publish=x", "publish=80/icmp", "publish=9-8"} {
		f, _ := ParseFilters([]string{bad}, ContainerFilterKeys...)
		if _, err := SelectContainers(testContainers(), ContainerQuery{Filters: f}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func testImages() []api.ImageInfo {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return []api.ImageInfo{
		{Name: "docker.io/library/app:2", Repository: "app", Tag: "2", ID: "sha256:3333aaaa", Created: t0.Add(3 * time.Hour), Labels: map[string]string{"org": "acme", "v": "2"}},
		{Name: "lumper.local/untagged@sha256:ff", Repository: "lumper.local/untagged", Tag: "<none>", ID: "sha256:2222bbbb", Created: t0.Add(2 * time.Hour)},
		{Name: "docker.io/library/app:1", Repository: "app", Tag: "1", ID: "sha256:1111cccc", Created: t0.Add(time.Hour), Labels: map[string]string{"org": "acme"}},
		{Name: "docker.io/library/busybox:latest", Repository: "busybox", Tag: "latest", ID: "sha256:0000dddd", Created: t0},
	}
}

func imageNames(is []api.ImageInfo) string {
	var n []string
	for _, i := range is {
		n = append(n, i.Repository+":"+i.Tag)
	}
	return strings.Join(n, ",")
}

func TestSelectImages(t *testing.T) {
	for _, tc := range []struct {
		filters []string
		want    string
	}{
		{nil, "app:2,lumper.local/untagged:<none>,app:1,busybox:latest"},
		{[]string{"dangling=true"}, "lumper.local/untagged:<none>"},
		{[]string{"dangling=false"}, "app:2,app:1,busybox:latest"},
		{[]string{"reference=app"}, "app:2,app:1"},
		{[]string{"reference=app:1"}, "app:1"},
		{[]string{"reference=busy*"}, "busybox:latest"},
		{[]string{"reference=*:latest"}, "busybox:latest"},
		{[]string{"reference=app", "reference=busybox"}, "app:2,app:1,busybox:latest"},
		{[]string{"label=org"}, "app:2,app:1"},
		{[]string{"label=org=acme", "label=v=2"}, "app:2"},
		{[]string{"before=app:1"}, "busybox:latest"},
		{[]string{"since=app:1"}, "app:2,lumper.local/untagged:<none>"},
		{[]string{"since=busybox"}, "app:2,lumper.local/untagged:<none>,app:1"},
		{[]string{"before=3333"}, "lumper.local/untagged:<none>,app:1,busybox:latest"},
		{[]string{"since=busybox", "dangling=false"}, "app:2,app:1"},
	} {
		f, err := ParseFilters(tc.filters, ImageFilterKeys...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := SelectImages(testImages(), f)
		if err != nil {
			t.Errorf("%v: %v", tc.filters, err)
			continue
		}
		if imageNames(got) != tc.want {
			t.Errorf("%v: got %q, want %q", tc.filters, imageNames(got), tc.want)
		}
	}
	for _, bad := range []string{"dangling=maybe", "reference=[", "before=nosuch:1"} {
		f, _ := ParseFilters([]string{bad}, ImageFilterKeys...)
		if _, err := SelectImages(testImages(), f); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestImageRow(t *testing.T) {
	now := time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC)
	i := api.ImageInfo{Name: "docker.io/library/busybox:latest", Repository: "busybox", Tag: "latest",
		ID: "sha256:1bda78eac25976f73a0bcb3f7861514319ad0a2db592bdfe8bf1a801fbf538af", Digest: "sha256:6023",
		Created: now.Add(-14 * 24 * time.Hour), Size: 4_261_000}
	r := NewImageRow(i, now, true)
	if r.ID != "1bda78eac259" || r.CreatedSince != "2 weeks ago" || r.Size != "4.26MB" || r.Digest != "sha256:6023" ||
		r.Name() != i.Name || r.Containers != "N/A" {
		t.Errorf("row %+v", r)
	}
	if r := NewImageRow(i, now, false); r.ID != i.ID {
		t.Errorf("--no-trunc ID %q", r.ID)
	}
	i.Digest, i.Created = "", time.Time{}
	if r := NewImageRow(i, now, true); r.Digest != "<none>" || r.CreatedSince != "N/A" {
		t.Errorf("row without digest and time: %+v", r)
	}
}

func TestStatsRow(t *testing.T) {
	s := api.Stats{ID: "24115e90b4343b9b1ce0e5b9fd4af8a6", Name: "web", CPUPercent: 12.345, MemUsage: 1_753_088,
		MemLimit: 8 << 30, MemPercent: 0.0204, Pids: 3, BlockRead: 1_200_000, NetRx: 1834, NetTx: 542}
	want := StatsRow{BlockIO: "1.2MB / 0B", CPUPerc: "12.35%", Container: "web", ID: "24115e90b434", MemPerc: "0.02%",
		MemUsage: "1.672MiB / 8GiB", Name: "web", NetIO: "1.83kB / 542B", PIDs: "3"}
	if got := NewStatsRow(s, "web", true); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := NewStatsRow(s, "", false); got.ID != s.ID || got.Container != "24115e90b434" {
		t.Errorf("untruncated %+v", got)
	}
}
