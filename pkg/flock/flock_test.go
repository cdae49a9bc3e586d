package flock

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockExcludes: a second taker (another open file description, as
// another process has) waits until the first releases.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", ".lock")
	unlock, err := Lock(path, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Bool
	done := make(chan struct{})
	go func() {
		u, err := Lock(path, 0o700)
		if err != nil {
			t.Error(err)
		} else {
			got.Store(true)
			u()
		}
		close(done)
	}()
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if got.Load() {
			t.Fatal("a second Lock got the lock while the first held it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	unlock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the second Lock did not get the lock once it was released")
	}
	if !got.Load() {
		t.Fatal("the second Lock failed")
	}
}
