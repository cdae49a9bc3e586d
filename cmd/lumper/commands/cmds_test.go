package commands

import (
	"strings"
	"testing"
)

// The new verbs' mistakes are found before lumper looks for containerd:
// exit 1 (125 for a flag that does not parse), one line, no dial.
func TestCmdsErrorsBeforeDialing(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"port", "web", "http"}, 1, "invalid port"},
		{[]string{"port", "web", "80/sctp"}, 1, "invalid port"},
		{[]string{"update", "web"}, 1, "give one or more flags"},
		{[]string{"update", "-m", "1k", "web"}, 1, "memory"},
		{[]string{"update", "--restart", "sometimes", "web"}, 1, "restart"},
		{[]string{"update", "--memory-swap", "1g", "web"}, 1, "--memory-swap needs --memory"},
		{[]string{"update", "--bogus", "web"}, 125, "unknown flag"},
		{[]string{"events", "--filter", "bogus=x"}, 1, "filter"},
		{[]string{"events", "--filter", "type=volume"}, 1, "filter"},
		{[]string{"events", "--since", "yesterday"}, 1, "--since"},
		{[]string{"events", "--format", "{{.Nope"}, 1, "template"},
		{[]string{"top", "--format", "{{.PID}}", "web", "aux"}, 1, "either --format or ps options"},
		{[]string{"system", "prune", "extra"}, 1, ""},
		{[]string{"diff"}, 1, ""},
		{[]string{"attach"}, 1, ""},
		{[]string{"attach", "--detach-keys", "ctrl-1", "web"}, 1, "--detach-keys"},
		{[]string{"start", "-ai", "--detach-keys", "alt-x", "web"}, 1, "--detach-keys"},
		{[]string{"export", "a", "b"}, 1, ""},
	} {
		_, stderr, code := runCmd(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
		if strings.Contains(stderr, "containerd") && !strings.Contains(c.want, "containerd") {
			t.Errorf("%v dialed containerd before checking: %q", c.args, stderr)
		}
	}
}

func TestExportRefusesTerminal(t *testing.T) {
	streams, _, errb := TestIO("")
	streams.OutTTY = true
	root := NewRootIO(streams)
	root.SetArgs([]string{"--address", "/nonexistent/containerd.sock", "export", "web"})
	cmd, err := root.ExecuteContextC(t.Context())
	if code := ExitCode(errb, cmd, err); code != 1 || !strings.Contains(errb.String(), "terminal") {
		t.Fatalf("export to a terminal: exit %d, %q", code, errb.String())
	}
}
