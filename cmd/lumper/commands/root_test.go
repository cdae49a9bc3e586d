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
	root.AddCommand(logs)
	for _, tc := range []struct {
		err  error
		code int
		want string
	}{
		{usageErrorf(logs, "invalid --tail %q", "abc"), 125, "lumper: invalid --tail \"abc\" (see 'lumper logs --help')\n"},
		{errors.New("first\nsecond"), 125, "lumper: first second\n"},
		{&api.StatusError{Code: 127, Err: errors.New("not found")}, 127, "lumper: not found\n"},
		{&api.StatusError{Code: 3}, 3, ""},
	} {
		var b bytes.Buffer
		if code := ExitCode(&b, tc.err); code != tc.code || b.String() != tc.want || strings.Count(b.String(), "\n") > 1 {
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
	err := root.ExecuteContext(t.Context())
	code = ExitCode(errb, err)
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
