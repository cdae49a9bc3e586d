package container

import (
	"errors"
	"testing"

	"github.com/containerd/containerd/v2/core/containers"

	"github.com/lumper/lumper/pkg/client"
)

func TestPickShimGroup(t *testing.T) {
	rec := func(id, g string) containers.Container {
		return containers.Container{ID: id, Labels: map[string]string{client.LabelShimGroup: g}}
	}
	recs := []containers.Container{rec("a", "lumper-0"), rec("b", "lumper-0"), rec("c", "lumper-1"), rec("d", "lumper-0")}
	for _, tc := range []struct {
		live map[string]bool
		size int
		want string
	}{
		{map[string]bool{}, 2, "lumper-0"},
		{map[string]bool{"a": true}, 2, "lumper-0"},
		{map[string]bool{"a": true, "b": true}, 2, "lumper-1"},
		// Exited members (no task) leave room.
		{map[string]bool{"a": true, "d": false}, 2, "lumper-0"},
		{map[string]bool{"a": true, "b": true, "c": true}, 2, "lumper-1"},
		{map[string]bool{"a": true, "b": true, "c": true}, 1, "lumper-2"},
	} {
		if got := pickShimGroup(recs, tc.live, tc.size); got != tc.want {
			t.Errorf("pickShimGroup(live %v, size %d) = %s, want %s", tc.live, tc.size, got, tc.want)
		}
	}
}

func TestShimGroupIndex(t *testing.T) {
	for g, want := range map[string]int{"lumper-0": 0, "lumper-12": 12, "lumper-x": -1, "other-1": -1, "lumper--1": -1} {
		if got := shimGroupIndex(g); got != want {
			t.Errorf("shimGroupIndex(%q) = %d, want %d", g, got, want)
		}
	}
}

func TestShimGone(t *testing.T) {
	for msg, want := range map[string]bool{
		"failed to create shim task: ttrpc: closed": true,
		"failed to start shim: start failed: failed to create TTRPC connection: dial unix /run/containerd/s/x: connect: connection refused": true,
		"OCI runtime create failed: exec: \"nope\": executable file not found in $PATH":                                                     false,
	} {
		if got := shimGone(errors.New(msg)); got != want {
			t.Errorf("shimGone(%q) = %v, want %v", msg, got, want)
		}
	}
}
