package commands

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// visibleCommands walks lumper's command tree: every command a user can type
// (not hidden, not help/completion's own plumbing), with its path after
// "lumper" and its own flags (not the global ones).
func visibleCommands(root *cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || strings.HasPrefix(sub.Name(), "__") {
				continue
			}
			path := strings.TrimPrefix(sub.CommandPath(), "lumper ")
			var flags []string
			sub.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && f.Name != "help" {
					flags = append(flags, "--"+f.Name)
				}
			})
			slices.Sort(flags)
			out[path] = flags
			walk(sub)
		}
	}
	walk(root)
	return out
}

// TestCompatibilityDocCurrent keeps docs/COMPATIBILITY.md current: every
// command a user can type has a row naming it as `lumper PATH`, and that row
// names each of its flags.
func TestCompatibilityDocCurrent(t *testing.T) {
	b, err := os.ReadFile("../../../docs/COMPATIBILITY.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Split(string(b), "\n")
	streams, _, _ := TestIO("")
	cmds := visibleCommands(NewRootIO(streams))
	if os.Getenv("LUMPER_DUMP_COMMANDS") != "" {
		paths := make([]string, 0, len(cmds))
		for p := range cmds {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			t.Logf("%s: %s", p, strings.Join(cmds[p], " "))
		}
	}
	for path, flags := range cmds {
		row := ""
		for _, l := range doc {
			if strings.HasPrefix(l, "|") && strings.Contains(l, "`lumper "+path+"`") {
				row = l
				break
			}
		}
		if row == "" {
			t.Errorf("docs/COMPATIBILITY.md has no table row for `lumper %s`", path)
			continue
		}
		for _, f := range flags {
			if !strings.Contains(row, "`"+f+"`") && !strings.Contains(row, f+"`") && !strings.Contains(row, f+" ") && !strings.Contains(row, f+",") {
				t.Errorf("docs/COMPATIBILITY.md: the row of `lumper %s` does not name its flag %s", path, f)
			}
		}
	}
}
