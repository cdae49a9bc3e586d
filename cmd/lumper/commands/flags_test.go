package commands

import (
	"strings"
	"testing"
)

// TestDockerFlagRules: Docker's flag rules (issue 14 item 6), checked before
// dialing: the cases that Docker accepts get as far as looking for
// containerd (which the test tree does not have), the others are refused
// with Docker's reason.
func TestDockerFlagRules(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"run", "-it", "busybox"}, 125, "the input device is not a TTY"},
		{[]string{"exec", "-it", "c1", "sh"}, 1, "the input device is not a TTY"},
		{[]string{"start", "-ai", "c1"}, 1, "cannot connect to containerd"}, // the TTY is only known from the container
		{[]string{"run", "-t", "busybox", "true"}, 125, "cannot connect to containerd"},
		{[]string{"exec", "-t", "c1", "true"}, 1, "cannot connect to containerd"},
		{[]string{"run", "--rm", "-d", "busybox", "true"}, 125, "cannot connect to containerd"},
		{[]string{"run", "--rm", "-d", "--restart", "always", "busybox"}, 125, "conflicting options: --restart and --rm"},
		{[]string{"logs", "-n", "5", "c1"}, 1, "cannot connect to containerd"},
		{[]string{"logs", "-n", "five", "c1"}, 1, `invalid --tail "five"`},
		{[]string{"commit", "c1"}, 1, "cannot connect to containerd"},
		{[]string{"commit", "c1", "Bad:Name"}, 1, "lowercase"},
	} {
		_, stderr, code := runCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("lumper %v: exit %d, %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
