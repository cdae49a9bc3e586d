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
	err := commands.NewRoot().ExecuteContext(ctx)
	stop()
	os.Exit(commands.ExitCode(os.Stderr, err))
}
