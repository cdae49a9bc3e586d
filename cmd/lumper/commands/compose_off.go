//go:build nocompose

package commands

import (
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
)

// newComposeCmd, in a lumper built with -tags nocompose (without
// compose-go, its size and its start-up cost), only says so.
func newComposeCmd(_ *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use: "compose", Hidden: true, DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return api.Invalidf("this lumper was built without compose (-tags nocompose)")
		},
	}
}
