package container

import (
	"testing"
	"time"
)

func TestEventString(t *testing.T) {
	ts := time.Date(2024, 1, 1, 0, 0, 0, 5, time.UTC)
	e := Event{Type: "container", Action: "die", TimeNano: ts.UnixNano(),
		Actor: EventActor{ID: "abc", Attributes: map[string]string{"name": "web", "image": "busybox", "exitCode": "3"}}}
	got := e.String()
	want := time.Unix(0, ts.UnixNano()).Format("2006-01-02T15:04:05.000000000Z07:00") + " container die abc (exitCode=3, image=busybox, name=web)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestEventFilters(t *testing.T) {
	e := Event{Type: "container", Action: "start",
		Actor: EventActor{ID: "0123456789abcdef", Attributes: map[string]string{"name": "web", "image": "docker.io/library/busybox:latest", "app": "x"}}}
	for _, c := range []struct {
		filters []string
		want    bool
	}{
		{nil, true},
		{[]string{"container=web"}, true},
		{[]string{"container=0123"}, true},
		{[]string{"container=db"}, false},
		{[]string{"container=db", "container=web"}, true},
		{[]string{"event=start", "type=container"}, true},
		{[]string{"event=die"}, false},
		{[]string{"image=busybox"}, true},
		{[]string{"label=app"}, true},
		{[]string{"label=app=y"}, false},
		{[]string{"type=image"}, false},
	} {
		f := EventFilters{}
		for _, s := range c.filters {
			if err := f.Add(s); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.Match(e); got != c.want {
			t.Errorf("%v: %v, want %v", c.filters, got, c.want)
		}
	}
	for _, bad := range []string{"x=1", "container", "type=volume", "event="} {
		if err := (EventFilters{}).Add(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
