// Command lumper-compose is lumper built with `lumper compose` (compose-go
// linked in). lumper itself is built without it (-tags nocompose) and execs
// this binary for `lumper compose …` with its whole command line, so that
// no other command pays compose-go's size and start-up (see
// docs/ARCHITECTURE.md).
package main

import (
	"os"

	"github.com/lumper/lumper/cmd/lumper/commands"
)

func main() { os.Exit(commands.Main()) }
