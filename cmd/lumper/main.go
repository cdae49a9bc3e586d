// Command lumper is a small, fast, Docker-like front end for containerd.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lumper/lumper/cmd/lumper/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd, err := commands.NewRoot().ExecuteContextC(ctx)
	stop()
	os.Exit(commands.ExitCode(os.Stderr, cmd, err))
}
