package commands

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
)

// TestExitCodeOneLine: every error lumper prints is one line, with the exit
// code Docker uses for it.
func TestExitCodeOneLine(t *testing.T) {
	root := &cobra.Command{Use: "lumper"}
	logs := &cobra.Command{Use: "logs"}
	run := &cobra.Command{Use: "run"}
	ctrGroup, ctrRun := &cobra.Command{Use: "container"}, &cobra.Command{Use: "run"}
	netGroup, netCreate := &cobra.Command{Use: "network"}, &cobra.Command{Use: "create"}
	ctrGroup.AddCommand(ctrRun)
	netGroup.AddCommand(netCreate)
	root.AddCommand(logs, run, ctrGroup, netGroup)
	for _, tc := range []struct {
		cmd  *cobra.Command
		err  error
		code int
		want string
	}{
		{logs, usageErrorf(logs, "invalid --tail %q", "abc"), 1, "lumper: invalid --tail \"abc\" (see 'lumper logs --help')\n"},
		{logs, &usageError{cmd: logs, err: errors.New("unknown flag: --x"), flag: true}, 125, "lumper: unknown flag: --x (see 'lumper logs --help')\n"},
		{run, usageErrorf(run, "invalid --memory"), 125, "lumper: invalid --memory (see 'lumper run --help')\n"},
		{logs, errors.New("first\nsecond"), 1, "lumper: first second\n"},
		{ctrRun, errors.New("bad"), 125, "lumper: bad\n"},
		{netCreate, errors.New("bad"), 1, "lumper: bad\n"},
		{run, errors.New("first\nsecond"), 125, "lumper: first second\n"},
		{root, &api.StatusError{Code: 127, Err: errors.New("not found")}, 127, "lumper: not found\n"},
		{run, &api.StatusError{Code: 3}, 3, ""},
	} {
		var b bytes.Buffer
		if code := ExitCode(&b, tc.cmd, tc.err); code != tc.code || b.String() != tc.want || strings.Count(b.String(), "\n") > 1 {
			t.Errorf("ExitCode(%v) = %d, %q; want %d, %q", tc.err, code, b.String(), tc.code, tc.want)
		}
	}
}

// runCmd runs lumper's command tree on test streams, without containerd
// (every case here must fail or finish before dialing).
func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	streams, out, errb := TestIO(stdin)
	root := NewRootIO(streams)
	root.SetArgs(append([]string{"--address", "/nonexistent/containerd.sock"}, args...))
	cmd, err := root.ExecuteContextC(t.Context())
	code = ExitCode(errb, cmd, err)
	return out.String(), errb.String(), code
}

// TestUsageErrorsBeforeDialing: flag mistakes are one-line usage errors
// found before lumper looks for containerd.
func TestUsageErrorsBeforeDialing(t *testing.T) {
	for _, args := range [][]string{
		{"inspect", "--type", "bogus", "x"},
		{"run", "-it", "busybox"},
	} {
		_, stderr, code := runCmd(t, "", args...)
		if code == 0 || strings.Contains(stderr, "containerd") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("lumper %v: exit %d, stderr %q: want a one-line usage error", args, code, stderr)
		}
	}
}

// TestUnknownSubcommand: a verb a group does not have is an error (exit 1),
// not help and exit 0; the group alone prints its help.
func TestUnknownSubcommand(t *testing.T) {
	for _, group := range []string{"network", "image", "container", "system"} {
		_, stderr, code := runCmd(t, "", group, "nosuch")
		if code != 1 || !strings.Contains(stderr, `unknown command "nosuch"`) {
			t.Errorf("lumper %s nosuch: exit %d, %q", group, code, stderr)
		}
		if out, _, code := runCmd(t, "", group); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("lumper %s: exit %d, %q", group, code, out)
		}
	}
	// `network create` is not `create`: its errors exit 1; `container
	// create` is, with 125.
	if _, stderr, code := runCmd(t, "", "network", "create", "--subnet", "bogus", "n1"); code != 1 {
		t.Errorf("lumper network create --subnet bogus: exit %d, %q; want 1", code, stderr)
	}
	if _, stderr, code := runCmd(t, "", "container", "create", "--memory", "bogus", "busybox"); code != 125 {
		t.Errorf("lumper container create --memory bogus: exit %d, %q; want 125", code, stderr)
	}
	if _, stderr, code := runCmd(t, "", "nosuch"); code != 1 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("lumper nosuch: exit %d, %q", code, stderr)
	}
}
