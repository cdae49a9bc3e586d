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
		// containerd 2.4, seen in TestShimGroupJoinWhileLastDeleted: the exiting shim's close removed the new
		// bundle; the exiting shim removed the socket the new member's `shim start` was about to remove.
		`failed to start shim: start failed: io.containerd.runc.v2: remove pre-existing socket: remove /run/containerd/s/b39: no such file or directory: exit status 1`:                                                                                                 true,
		`failed to start shim: start failed: failed to write bootstrap.json: failed to rename "/s/io.containerd.runtime.v2.task/ns/id/4081645397" to "/s/io.containerd.runtime.v2.task/ns/id/bootstrap.json": rename /s/x /s/bootstrap.json: no such file or directory`: true,
		`OCI runtime create failed: runc create failed: unable to start container process: exec: "/nope": stat /nope: no such file or directory`:                                                                                                                        false,
	} {
		if got := shimGone(errors.New(msg)); got != want {
			t.Errorf("shimGone(%q) = %v, want %v", msg, got, want)
		}
	}
}
