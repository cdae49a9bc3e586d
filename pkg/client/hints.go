package client

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrPermission reports a containerd socket that exists but refuses this
// user.
type ErrPermission struct {
	Address string
	Err     error
}

func (e *ErrPermission) Error() string {
	return fmt.Sprintf("permission denied: lumper needs root, or access to %s (%v)", e.Address, e.Err)
}

func (e *ErrPermission) Unwrap() error { return e.Err }

// SetupHint explains the errors that a host set up wrongly gives — containerd
// without lumper's snapshotter or without the runc shim, runc missing — as
// one line naming the fix; "" when err is none of them.
func SetupHint(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "snapshotter not loaded"):
		name := strings.TrimSpace(strings.TrimSuffix(msg[strings.Index(msg, "snapshotter not loaded")+len("snapshotter not loaded"):], ": invalid argument"))
		return fmt.Sprintf("containerd has no snapshotter %s loaded: enable it in containerd's configuration, or choose a loaded one with --snapshotter (LUMPER_SNAPSHOTTER)", strings.TrimPrefix(name, ": "))
	case strings.Contains(msg, "binary not installed") && strings.Contains(msg, "containerd-shim-runc-v2"):
		return "containerd cannot find its runc shim (containerd-shim-runc-v2): install it next to containerd or in containerd's PATH (lumper's 'make containerd' builds it)"
	case strings.Contains(msg, `"runc": executable file not found`):
		return "runc is not installed where containerd's shim looks: install it (apt-get install runc) in containerd's PATH"
	}
	return ""
}

// checkSocket tells a missing socket, a file that is not one, and a socket
// this user may not use apart, before dialing.
func checkSocket(address string) error {
	fi, err := os.Stat(address)
	switch {
	case errors.Is(err, os.ErrPermission):
		return &ErrPermission{Address: address, Err: err}
	case errors.Is(err, os.ErrNotExist):
		return &ErrUnreachable{Address: address, Err: errors.New("no such socket")}
	case err != nil:
		return &ErrUnreachable{Address: address, Err: err}
	case fi.Mode()&os.ModeSocket == 0:
		return &ErrUnreachable{Address: address, Err: errors.New("not a socket")}
	}
	// Connecting needs write permission on the socket itself.
	if f, err := os.OpenFile(address, os.O_WRONLY, 0); err != nil && errors.Is(err, os.ErrPermission) {
		return &ErrPermission{Address: address, Err: err}
	} else if f != nil {
		f.Close()
	}
	return nil
}
