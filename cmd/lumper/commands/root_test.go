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
