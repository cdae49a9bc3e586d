// Command logread prints a lumper log file to stdout/stderr the way `lumper
// logs` does, without starting containerd's client or looking the container
// up: the reading part of `logs` alone, to profile and to compare with cat.
//
//	logread LOGPATH
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lumper/lumper/pkg/logs"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: logread LOGPATH")
		os.Exit(2)
	}
	if err := logs.Read(context.Background(), os.Args[1], logs.ReadOptions{Tail: -1}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "logread:", err)
		os.Exit(1)
	}
}
