package view

import (
	"testing"
	"time"
)

func TestHealthStatusAndFilter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	up := func(h string) Container {
		return Container{ID: h + "-id", State: StateRunning, StartedAt: now.Add(-3 * time.Second), Health: h}
	}
	for h, want := range map[string]string{
		"":          "Up 3 seconds",
		"starting":  "Up 3 seconds (health: starting)",
		"healthy":   "Up 3 seconds (healthy)",
		"unhealthy": "Up 3 seconds (unhealthy)",
	} {
		if got := StatusText(up(h), now); got != want {
			t.Errorf("health %q: %q, want %q", h, got, want)
		}
	}
	exited := Container{ID: "exited-id", State: StateExited, ExitCode: 1, FinishedAt: now.Add(-time.Minute), Health: "unhealthy"}
	if got := StatusText(exited, now); got != "Exited (1) About a minute ago" {
		t.Errorf("exited: %q", got)
	}
	all := []Container{up(""), up("starting"), up("healthy"), up("unhealthy"), exited}
	for h, want := range map[string][]string{
		"none":      {"-id", "exited-id"},
		"starting":  {"starting-id"},
		"healthy":   {"healthy-id"},
		"unhealthy": {"unhealthy-id"},
	} {
		got, err := SelectContainers(all, ContainerQuery{All: true, Filters: Filters{"health": {h}}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if len(ids) != len(want) {
			t.Errorf("health=%s: %q, want %q", h, ids, want)
			continue
		}
		for i := range ids {
			if ids[i] != want[i] {
				t.Errorf("health=%s: %q, want %q", h, ids, want)
			}
		}
	}
	if _, err := SelectContainers(all, ContainerQuery{Filters: Filters{"health": {"sick"}}}); err == nil {
		t.Error("health=sick accepted")
	}
}
