package commands

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/volume"
)

func TestVolumeFlagParsing(t *testing.T) {
	c := parsed(t, "volume", "create", "--label", "a=1", "-l", "b", "data").(*VolumeOptions)
	if c.Verb != "create" || !slices.Equal(c.Names, []string{"data"}) || !maps.Equal(c.Labels, map[string]string{"a": "1", "b": ""}) {
		t.Errorf("volume create: %+v", c)
	}
	if c := parsed(t, "volume", "create").(*VolumeOptions); !slices.Equal(c.Names, []string{""}) {
		t.Errorf("volume create without a name: %+v", c)
	}
	ls := parsed(t, "volume", "list", "-q", "--filter", "dangling=1", "-f", "name=x", "--format", "{{.Name}}").(*VolumeOptions)
	if !ls.Quiet || ls.Format != "{{.Name}}" || !slices.Equal(ls.Filters["dangling"], []string{"true"}) || !slices.Equal(ls.Filters["name"], []string{"x"}) {
		t.Errorf("volume ls: %+v", ls)
	}
	if rm := parsed(t, "volume", "remove", "-f", "a", "b").(*VolumeOptions); !rm.Force || !slices.Equal(rm.Names, []string{"a", "b"}) {
		t.Errorf("volume rm: %+v", rm)
	}
	if p := parsed(t, "volume", "prune", "-a", "-f", "--filter", "label=k=v").(*VolumeOptions); !p.All || !p.Force || !slices.Equal(p.Filters["label"], []string{"k=v"}) {
		t.Errorf("volume prune: %+v", p)
	}
	if rm := parsed(t, "rm", "-v", "-f", "x").(*RmOptions); !rm.Volumes || !rm.Force {
		t.Errorf("rm -v: %+v", rm)
	}
	if i := parsed(t, "volume", "inspect", "-f", "{{.Name}}", "a").(*InspectOptions); i.Type != typeVolume || i.Format != "{{.Name}}" {
		t.Errorf("volume inspect: %+v", i)
	}
}

func TestVolumeRows(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	vols := []container.VolumeSummary{
		{Volume: &volume.Volume{Name: "alpha", Labels: map[string]string{"env": "ci", "b": "2"}, CreatedAt: at, Mountpoint: "/v/alpha/_data"}, Size: -1},
		{Volume: &volume.Volume{Name: "beta", Labels: map[string]string{}, CreatedAt: at}, Users: []container.VolumeUser{{ID: "x"}}, Size: 2048},
	}
	names := func(f map[string][]string) []string {
		var out []string
		for _, r := range volumeRows(vols, f) {
			out = append(out, r.Name)
		}
		return out
	}
	for _, tc := range []struct {
		f    map[string][]string
		want []string
	}{
		{nil, []string{"alpha", "beta"}},
		{map[string][]string{"dangling": {"true"}}, []string{"alpha"}},
		{map[string][]string{"dangling": {"false"}}, []string{"beta"}},
		{map[string][]string{"name": {"lph"}}, []string{"alpha"}},
		{map[string][]string{"name": {"alpha", "beta"}}, []string{"alpha", "beta"}},
		{map[string][]string{"label": {"env"}}, []string{"alpha"}},
		{map[string][]string{"label": {"env=prod"}}, nil},
		{map[string][]string{"driver": {"local"}, "name": {"be"}}, []string{"beta"}},
		{map[string][]string{"driver": {"nfs"}}, nil},
	} {
		if got := names(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("filters %v: %q, want %q", tc.f, got, tc.want)
		}
	}
	r := volumeRows(vols, nil)
	if r[0].Labels != "b=2,env=ci" || r[0].Label("env") != "ci" || r[0].Driver != "local" || r[0].Scope != "local" ||
		r[0].Links != "0" || r[0].Size != "N/A" || r[0].Mountpoint != "/v/alpha/_data" {
		t.Errorf("row alpha: %+v", r[0])
	}
	if r[1].Links != "1" || r[1].Size != "2.05kB" {
		t.Errorf("row beta: %+v", r[1])
	}
	if _, err := parseVolumeFilters([]string{"dangling=maybe"}, volumeFilterKeys); err == nil {
		t.Error("dangling=maybe accepted")
	}
	if _, err := parseVolumeFilters([]string{"until=1h"}, volumeFilterKeys); err == nil {
		t.Error("until= accepted")
	}
}
