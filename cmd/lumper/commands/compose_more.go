package commands

import "github.com/spf13/cobra"

// composeMoreCmds are the verbs beyond up, down, ps, logs, exec and config.
func composeMoreCmds(o *ComposeOptions) []*cobra.Command { return nil }
