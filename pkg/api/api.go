// Package api holds the plain option and result types shared between lumper's
// command layer and its packages. It imports only the standard library.
package api

import (
	"fmt"
	"time"
)

// ContainerInfo is one row of `lumper list`.
type ContainerInfo struct {
	ID       string            `json:"ID"`
	Name     string            `json:"Name"`
	Image    string            `json:"Image"`
	Command  string            `json:"Command"`
	Created  time.Time         `json:"Created"`
	Status   string            `json:"Status"` // created, running, paused, exited, unknown
	PID      uint32            `json:"Pid"`
	ExitCode int               `json:"ExitCode"`
	Labels   map[string]string `json:"Labels,omitempty"`
}

// ImageInfo is one row of `lumper images`.
type ImageInfo struct {
	Repository string    `json:"Repository"`
	Tag        string    `json:"Tag"`
	Name       string    `json:"Name"`   // full normalised reference
	ID         string    `json:"ID"`     // config digest, "sha256:..."
	Digest     string    `json:"Digest"` // manifest (or index) digest
	Created    time.Time `json:"Created"`
	Size       int64     `json:"Size"` // unpacked size on the snapshotter when known, else content size
}

// StatusError carries a process exit status that lumper must exit with
// (the container's status, or 126/127 for commands that cannot be run).
type StatusError struct {
	Code int
	Err  error // optional message; nil when the status speaks for itself
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *StatusError) Unwrap() error { return e.Err }

// InvalidArgument marks an error caused by the user's input (exit code 125
// with a one-line message, never a stack of wrapped RPC errors).
type InvalidArgument struct{ Msg string }

func (e *InvalidArgument) Error() string { return e.Msg }

// Invalidf builds an InvalidArgument error.
func Invalidf(format string, args ...any) error {
	return &InvalidArgument{Msg: fmt.Sprintf(format, args...)}
}
