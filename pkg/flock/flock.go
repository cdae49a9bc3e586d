// Package flock takes exclusive advisory locks on files: lumper's mutexes
// between processes (the networks and volumes of a data root, a task's
// deletion). The kernel drops a lock when its holder dies, even by SIGKILL,
// so a crashed lumper never leaves one held. Standard library only.
package flock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock creates path (and its directory, with dirMode) if needed and waits
// until this process holds the exclusive lock on it. The returned func
// releases it.
func Lock(path string, dirMode os.FileMode) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
