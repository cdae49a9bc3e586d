package container

import (
	"time"

	"github.com/containerd/containerd/v2/pkg/cio"
)

// outputDrainWait bounds how long a finished process's output may take to
// reach EOF: a background child that inherited the process's stdout keeps
// the pipe open, and lumper then stops waiting for it.
const outputDrainWait = 10 * time.Second

// drainOutput waits until everything a finished process wrote has been
// copied to the user: the shim closes its ends of the FIFOs when the
// process's pipes close, and the copy then ends at EOF. It must run before
// Delete: containerd's Delete cancels the I/O (closing lumper's reading ends
// of the FIFOs) before it waits for the copy, so bytes still in a FIFO were
// lost whenever the copy lagged behind the exit — seen under load as an
// exec that printed nothing and exited 0.
func drainOutput(io cio.IO) {
	if io == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(outputDrainWait):
	}
}
