package api

import (
	"slices"
	"strings"
)

// Volume is `volume inspect`'s document, in Docker's shape.
type Volume struct {
	CreatedAt  string            `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

// VolumeRow is one row of `volume ls`, with the fields Docker's --format
// knows.
type VolumeRow struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Scope      string            `json:"Scope"`
	Mountpoint string            `json:"Mountpoint"`
	Labels     string            `json:"Labels"` // k=v,k=v
	Links      string            `json:"Links"`  // containers that use it
	Size       string            `json:"Size"`   // N/A: ls does not measure
	CreatedAt  string            `json:"CreatedAt"`
	LabelMap   map[string]string `json:"-"`
}

// Label is one label's value ({{.Label "k"}}).
func (v VolumeRow) Label(k string) string { return v.LabelMap[k] }

// JoinLabels is labels as Docker's ls shows them: k=v, sorted, comma-separated.
func JoinLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k, v := range l {
		keys = append(keys, k+"="+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}
