//go:build integration

package integration

import (
	"slices"
	"strings"
	"testing"
)

// completions asks lumper's shell completion (cobra's __complete, what the
// bash/zsh/fish scripts call) for the words after args and returns them
// without descriptions and the directive line.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	out := lumper(t, append([]string{"__complete"}, args...)...)
	var words []string
	for _, l := range lines(out) {
		if strings.HasPrefix(l, ":") {
			continue
		}
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words
}

// TestCompletion: container names by state (stop offers running ones, start
// stopped ones, rm all), images, networks and flag values complete against
// the real containerd; a container argument never completes file names.
func TestCompletion(t *testing.T) {
	t.Parallel()
	up, down := uniqueName(t)+"-up", uniqueName(t)+"-down"
	lumper(t, "run", "-d", "--name", up, "busybox", "sleep", "1000")
	rmOnCleanup(t, up)
	lumper(t, "run", "--name", down, "busybox", "true")
	rmOnCleanup(t, down)
	net := "compl" + strings.ReplaceAll(uniqueName(t), "-", "")[:6]
	lumper(t, "network", "create", net)
	t.Cleanup(func() { lumperRun("network", "rm", net) })

	has := func(words []string, w string) bool { return slices.Contains(words, w) }
	for _, c := range []struct {
		args     []string
		want     []string
		wantNot  []string
		describe string
	}{
		{[]string{"stop", ""}, []string{up}, []string{down}, "stop offers running containers"},
		{[]string{"container", "stop", ""}, []string{up}, []string{down}, "container stop as stop"},
		{[]string{"start", ""}, []string{down}, []string{up}, "start offers stopped containers"},
		{[]string{"rm", ""}, []string{up, down}, nil, "rm offers every container"},
		{[]string{"logs", ""}, []string{up, down}, nil, "logs offers every container"},
		{[]string{"exec", up, ""}, nil, []string{up, down}, "exec completes only its first argument"},
		{[]string{"rmi", ""}, []string{"busybox:latest"}, []string{up}, "rmi offers images"},
		{[]string{"run", ""}, []string{"busybox:latest"}, nil, "run offers images"},
		{[]string{"inspect", ""}, []string{up, "busybox:latest"}, nil, "inspect offers containers and images"},
		{[]string{"network", "rm", ""}, []string{net}, nil, "network rm offers networks"},
		{[]string{"run", "--network", ""}, []string{"bridge", "host", "none", net}, nil, "--network offers modes and networks"},
		{[]string{"run", "--restart", ""}, []string{"no", "on-failure", "always", "unless-stopped"}, nil, "--restart values"},
		{[]string{"run", "--pull", ""}, []string{"missing", "always", "never"}, nil, "--pull values"},
		{[]string{"run", "--log-opt", ""}, []string{"max-size=", "max-file="}, nil, "--log-opt keys"},
	} {
		words := completions(t, c.args...)
		for _, w := range c.want {
			if !has(words, w) {
				t.Errorf("%s: lumper __complete %v = %q lacks %q", c.describe, c.args, words, w)
			}
		}
		for _, w := range c.wantNot {
			if has(words, w) {
				t.Errorf("%s: lumper __complete %v = %q offers %q", c.describe, c.args, words, w)
			}
		}
	}
	// A container argument never falls back to file names (directive 4 =
	// no file completion), also when containerd cannot be reached.
	out := lumper(t, "--address", "/nonexistent.sock", "__complete", "stop", "")
	if ls := lines(out); len(ls) == 0 || ls[len(ls)-1] != ":4" {
		t.Errorf("stop completion without containerd: %q, want only the no-file directive", out)
	}
}
