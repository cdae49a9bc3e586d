//go:build nocompose

package commands

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/plugin"
)

// newComposeCmd, in the lumper that `make build` makes (-tags nocompose:
// without compose-go, its size and its start-up cost), hands the whole
// command line to lumper-compose — lumper built with compose — as Docker
// hands `docker compose` to its compose plugin. Exit status, signals and
// the terminal are the plugin's, since it replaces this process.
func newComposeCmd(_ *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:                "compose",
		Short:              "Define and run multi-container applications from compose files (runs lumper-compose)",
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			self, _ := os.Executable()
			if filepath.Base(self) == plugin.Compose {
				return api.Invalidf("%s was built without compose (-tags nocompose): build it with 'make build'", plugin.Compose)
			}
			p, err := plugin.Find(plugin.Compose, "`lumper compose`")
			if err != nil {
				return err
			}
			return syscall.Exec(p, append([]string{p}, os.Args[1:]...), os.Environ())
		},
	}
}
