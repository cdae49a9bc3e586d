// Command lumper is a small, fast, Docker-like front end for containerd.
package main

import (
	"os"

	"github.com/lumper/lumper/cmd/lumper/commands"
)

func main() { os.Exit(commands.Main()) }
