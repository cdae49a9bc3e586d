package commands

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/console"
	"golang.org/x/term"
)

// IOStreams are a command's standard streams and which of them are
// terminals: the one place that looks at os.Std*, so unit tests hand
// commands buffers (TestIO) and pretend terminals where they need to.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	InTTY, OutTTY, ErrTTY bool

	// console opens the terminal on stdin (-t); nil when stdin is none.
	console func() (console.Console, error)
}

// SystemIO are the process's own streams.
func SystemIO() *IOStreams {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: isTTY(os.Stdin), OutTTY: isTTY(os.Stdout), ErrTTY: isTTY(os.Stderr),
		console: func() (console.Console, error) { return console.ConsoleFromFile(os.Stdin) },
	}
}

// TestIO are streams for unit tests: stdin reads in, stdout and stderr are
// the buffers returned; nothing is a terminal.
func TestIO(in string) (s *IOStreams, out, errb *bytes.Buffer) {
	out, errb = &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: strings.NewReader(in), Out: out, Err: errb}, out, errb
}

// Console is the terminal on stdin that -t needs for a foreground container,
// exec process or attach.
func (s *IOStreams) Console() (console.Console, error) {
	if s.console == nil || !s.InTTY {
		return nil, fmt.Errorf("the input device is not a TTY")
	}
	return s.console()
}
