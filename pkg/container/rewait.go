package container

import (
	"context"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/log"
)

// daemonRestartWait bounds how long a waiting lumper (a foreground run,
// `logs -f`) waits for containerd to come back after losing it.
const daemonRestartWait = 2 * time.Minute

// waiter is a task or an exec process.
type waiter interface {
	Wait(ctx context.Context) (<-chan containerd.ExitStatus, error)
}

// rewait returns st, unless st is the error of a lost connection to
// containerd (the daemon was restarted while the process ran): then it waits
// for containerd to come back and waits for the process again, instead of
// reporting an exit that did not happen. The shim, and with it the process
// and its I/O, survive a daemon restart.
func rewait(ctx context.Context, p waiter, st containerd.ExitStatus) containerd.ExitStatus {
	deadline := time.Now().Add(daemonRestartWait)
	for lostDaemon(st.Error()) && time.Now().Before(deadline) && ctx.Err() == nil {
		log.G(ctx).WithError(st.Error()).Debug("lost containerd while waiting; waiting again")
		time.Sleep(250 * time.Millisecond)
		statusC, err := p.Wait(ctx)
		if err != nil {
			st = *containerd.NewExitStatus(containerd.UnknownExitStatus, time.Time{}, err)
			continue
		}
		st = <-statusC
	}
	return st
}

// lostDaemon reports whether err means the connection to containerd broke.
func lostDaemon(err error) bool {
	if err == nil {
		return false
	}
	return errdefs.IsUnavailable(err) || errdefs.IsUnavailable(errgrpc.ToNative(err))
}
