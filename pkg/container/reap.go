package container

// One delete per task.
//
// Every lumper path that deletes a task (stop, rm -f, restart, start's reap
// of a stopped task, a failed start, a foreground run's end, the logger's
// internal-reap, and list/inspect/logs/wait reaping a task whose logger died)
// goes through deleteTask, which holds an exclusive flock on
// <data-root>/<namespace>/locks/<id>.delete while it deletes. The lock is not
// in the container's directory (rm deletes that) and the kernel drops it when
// its holder dies, even by SIGKILL. The callers that lose the race wait for
// the lock, then read the outcome instead of deleting again: a task that is
// gone (or replaced by a newer task, another pid) was deleted by the winner,
// which also recorded the exit in the labels before deleting.
//
// Two deletes of one task at once make containerd's runc shim (2.4.2,
// containerd issue 12344) lose its own shutdown: the second delete finds the
// init process already deleted, its shutdown finds the container still in
// the shim's map, and the connection closes under the first delete, whose
// shutdown then never happens; the shim lingers, unknown to containerd.
//
// Where a shim is left all the same (a delete whose caller died, containerd
// issue 11392), endOrphanShim ends the shim of a container that no longer
// exists, found by its socket (the path containerd's shim derives from the
// daemon address, namespace and ID) and the PID listening on it. rm, container
// prune and system prune call it. A grouped container's shim is its group's
// (shimgroup.go): it is ended only when no container of the group has a
// task left.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/flock"
)

// locksDir holds the delete locks of a namespace's tasks.
func locksDir(c *client.Client) string {
	return filepath.Join(c.DataRoot, c.Namespace, "locks")
}

// deleteLockPath is the lock file of container id's task deletion.
func deleteLockPath(c *client.Client, id string) string {
	return filepath.Join(locksDir(c), id+".delete")
}

// lockTaskDelete takes the exclusive right to delete container id's task,
// waiting for a holder to finish. The returned func releases it.
func lockTaskDelete(c *client.Client, id string) (func(), error) {
	unlock, err := flock.Lock(deleteLockPath(c, id), 0o700)
	if err != nil {
		return nil, fmt.Errorf("taking the delete lock of %s: %w", client.ShortID(id), err)
	}
	return unlock, nil
}

// startLockPath is the lock file held while a lumper starts container id's
// task (from before the network is attached until the task is started).
func startLockPath(c *client.Client, id string) string {
	return filepath.Join(locksDir(c), id+".start")
}

// lockStart takes the right to start container id's task, or, for rm, to
// remove the container: an `rm -f` racing a `run -d` waits until the task
// is started (and then kills it) instead of pulling the container out from
// under the runtime mid-way, which failed the run with errors that did not
// say what happened (a missing hosts file as exit 127, "ttrpc: closed",
// "container not created: not found"). The returned func releases it.
func lockStart(c *client.Client, id string) (func(), error) {
	unlock, err := flock.Lock(startLockPath(c, id), 0o700)
	if err != nil {
		return nil, fmt.Errorf("taking the start lock of %s: %w", client.ShortID(id), err)
	}
	return unlock, nil
}

// removeDeleteLock drops the lock file of a container that no longer exists
// (rm). A lumper still waiting on the old file finds the container gone once
// it gets it, so it deletes nothing.
func removeDeleteLock(c *client.Client, id string) {
	_ = os.Remove(deleteLockPath(c, id))
	_ = os.Remove(startLockPath(c, id))
}

// currentTask reports whether task is still the container's task: not
// deleted, and not replaced by a new one (same pid).
func currentTask(ctx context.Context, ctr containerd.Container, task containerd.Task) (bool, error) {
	cur, err := ctr.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("loading task of %s: %w", client.ShortID(ctr.ID()), err)
	}
	return cur.Pid() == task.Pid(), nil
}

// deleteTask deletes task under the container's delete lock, unless another
// lumper deleted it while this one waited for the lock: then deleted is
// false and nothing is done. before, when not nil, runs under the lock just
// before the delete (reapTask records the exit there).
func deleteTask(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task, before func(), opts ...containerd.ProcessDeleteOpts) (st *containerd.ExitStatus, deleted bool, err error) {
	ctx = context.WithoutCancel(ctx)
	start := time.Now()
	unlock, err := lockTaskDelete(c, ctr.ID())
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	trace(ctx, "delete lock taken")
	cur, err := currentTask(ctx, ctr, task)
	if err != nil || !cur {
		log.G(ctx).WithField("waited", time.Since(start)).Debug("task deleted by another lumper meanwhile")
		if err == nil {
			removedMeanwhile(ctx, c, ctr) // drops the lock files if rm ran
		}
		return nil, false, err
	}
	log.G(ctx).WithField("waited", time.Since(start)).Debug("deleting task")
	if before != nil {
		before()
		trace(ctx, "exit recorded")
	}
	st, err = task.Delete(ctx, opts...)
	trace(ctx, "task deleted")
	if errdefs.IsNotFound(err) {
		// Deleted by something other than lumper (ctr, the restart monitor).
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("deleting task of %s: %w", client.ShortID(ctr.ID()), err)
	}
	dropDeadGroupSocket(ctx, c, ctr)
	return st, true, nil
}

// reapTask deletes a stopped task and records its exit (status, time, and
// whether it was OOM-killed) in the container's labels, then releases its
// network. A task another lumper reaped meanwhile is left as it is (that
// lumper recorded the exit).
func reapTask(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task) error {
	return reapExited(ctx, c, ctr, task, nil)
}

// reapExited is reapTask for a caller that already holds the task's exit
// status from its Wait (stop): the status is not asked again, and the OOM
// check runs while the delete lock is taken.
func reapExited(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task, exit *containerd.ExitStatus) error {
	// Under the start lock, so that a start right after the exit cannot
	// attach a new network that the release below would then take down
	// (it releases whatever the labels name).
	unlock, err := lockStart(c, ctr.ID())
	if err != nil {
		return err
	}
	defer unlock()
	recorded := false
	oomC := make(chan bool, 1)
	go func() { oomC <- oomKilled(ctx, task) }()
	var oom bool
	st, deleted, err := deleteTask(ctx, c, ctr, task, func() {
		// Record the exit before the task goes, so that nobody sees a
		// started container with neither a task nor an exit status (list
		// would take it for one lost in a reboot).
		oom = <-oomC
		trace(ctx, "oom checked")
		if exit != nil && exit.Error() == nil {
			recordExit(ctx, ctr, exit.ExitCode(), exit.ExitTime(), oom)
			recorded = true
		} else if s, err := task.Status(ctx); err == nil && s.Status == containerd.Stopped {
			recordExit(ctx, ctr, s.ExitStatus, s.ExitTime, oom)
			recorded = true
		}
	})
	if err != nil || !deleted {
		return err
	}
	detachNetwork(ctx, c, ctr)
	if !recorded {
		recordExit(ctx, ctr, st.ExitCode(), st.ExitTime(), oom)
	}
	return nil
}

// shimSocketDir is where containerd's shims put their sockets unless
// containerd's config sets another socket_dir.
const shimSocketDir = "/run/containerd/s"

// shimSocketPath is the socket of the shim of container id in c's
// namespace, as containerd's shim names it (shim.SocketAddress).
func shimSocketPath(c *client.Client, id string) string {
	addr := strings.TrimPrefix(c.Address, "unix://")
	sum := sha256.Sum256([]byte(filepath.Join(addr, c.Namespace, id)))
	return filepath.Join(shimSocketDir, fmt.Sprintf("%x", sum))
}

// endOrphanShim ends the shim of container id, which must no longer exist
// in containerd: a shim left behind by an interrupted delete (containerd
// issue 11392) that nothing else would ever reclaim. The shim is the process
// listening on the socket derived from the container's ID; it is checked to
// be a containerd shim before it is killed. It reports whether one was ended.
func endOrphanShim(ctx context.Context, c *client.Client, id string) bool {
	return endShimAt(ctx, shimSocketPath(c, id), "container "+client.ShortID(id))
}

// endContainerShim ends what is left of the shim of a container that no
// longer exists (labels: its last labels): its own shim, or its group's
// when no other member of the group has a task.
func endContainerShim(ctx context.Context, c *client.Client, id string, labels map[string]string) bool {
	if g := labels[client.LabelShimGroup]; g != "" {
		return endIdleGroupShim(ctx, c, g)
	}
	return endOrphanShim(ctx, c, id)
}

// endShimAt ends the containerd shim listening on socket sock (of what:
// for the log), checked to be a shim, and removes a socket left without a
// listener. It reports whether a shim was ended.
func endShimAt(ctx context.Context, sock, what string) bool {
	if _, err := os.Lstat(sock); err != nil {
		return false
	}
	pid := socketListener(sock)
	ended := false
	if pid > 0 && isShim(pid) {
		if err := unix.Kill(pid, syscall.SIGKILL); err == nil {
			log.G(ctx).WithField("pid", pid).Warnf("ended the shim left behind by %s", what)
			ended = true
			waitGone(pid, 2*time.Second)
		}
	}
	if pid == 0 || ended {
		// A socket without a listener is left from a shim that died.
		_ = os.Remove(sock)
	}
	return ended
}

// socketListener returns the pid of the process holding the unix socket
// bound to path, or 0.
func socketListener(path string) int {
	inode := unixSocketInode(path)
	if inode == "" {
		return 0
	}
	target := "socket:[" + inode + "]"
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join("/proc", p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && l == target {
				return pid
			}
		}
	}
	return 0
}

// unixSocketInode finds the inode of the listening socket bound to path in
// /proc/net/unix.
func unixSocketInode(path string) string {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fields := strings.Fields(sc.Text())
		if len(fields) >= 8 && fields[7] == path {
			return fields[6]
		}
	}
	return ""
}

// isShim reports whether pid runs a containerd shim.
func isShim(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "containerd-shim")
}

// waitGone waits (at most d) until pid has exited and been reaped.
func waitGone(pid int, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := unix.Kill(pid, 0); err == unix.ESRCH {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SweepOrphanShims ends the shims of containers that no longer exist in the
// namespace but left a delete lock behind (a lumper killed during rm, or a
// task deleted by a caller that died), then drops those locks, and ends the
// shims of groups none of whose containers has a task (shimgroup.go). exists tells
// which IDs are still containers. container prune and system prune call it.
func SweepOrphanShims(ctx context.Context, c *client.Client, exists func(id string) bool) int {
	entries, err := os.ReadDir(locksDir(c))
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".delete")
		if !ok || exists(id) {
			continue
		}
		if endOrphanShim(ctx, c, id) {
			n++
		}
		removeDeleteLock(c, id)
	}
	return n + sweepIdleGroupShims(ctx, c)
}
