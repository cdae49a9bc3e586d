package container

// Shim groups.
//
// containerd's runc shim serves every container whose spec carries the same
// io.containerd.runc.v2.group annotation from one process: the shim's socket
// is derived from the group instead of the container ID, so the `shim start`
// of a second member finds the socket in use, connects and hands containerd
// the running shim's address. The shim exits when containerd asks it to shut
// down after a delete and its map of containers is empty, i.e. with its last
// task. lumper puts the containers it creates (unless --shim isolated) in
// groups of at most ShimGroupSize live tasks per namespace, named lumper-K:
// create counts the live tasks of each group (one container list filtered by
// label, one task list, at once) and takes the first group with room. The
// bound is soft: creates racing for the last place may overfill a group by
// their number.
//
// What grouping changes elsewhere:
//   - A task that joins a group while the group's last member is deleted may
//     reach a shim that is shutting down: newTask retries once.
//   - A group shim that dies (kill -9, OOM) takes every member's task with
//     it: containerd runs `shim delete` for each (runc delete --force, the
//     rootfs unmounted) and drops the tasks. Each member's logger sees its
//     init die and runs internal-reap, which finds no task and no exit
//     recorded: settleVanishedTask records exit 137 and the reason, and
//     releases the network unless the restart policy brings it back.
//   - An orphaned group shim (containerd issue 11392) is ended only when no
//     container of its group has a task (endIdleGroupShim).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/spec"
)

// ShimGroupSize is how many live tasks one group shim serves before new
// containers go to the next group (bench/RESULTS.md, "shim groups").
const ShimGroupSize = 32

// shimGroupPrefix names lumper's groups: lumper-0, lumper-1, ...
const shimGroupPrefix = "lumper-"

func shimGroupName(k int) string { return shimGroupPrefix + strconv.Itoa(k) }

// shimGroupIndex is k of a group named lumper-K, or -1.
func shimGroupIndex(g string) int {
	s, ok := strings.CutPrefix(g, shimGroupPrefix)
	if !ok {
		return -1
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 0 {
		return -1
	}
	return k
}

// groupMembers lists the namespace's grouped containers and which of them
// have a task, with two calls made at once.
func groupMembers(ctx context.Context, c *client.Client, filter string) ([]containers.Container, map[string]bool, error) {
	var (
		wg    sync.WaitGroup
		recs  []containers.Container
		cerr  error
		tasks *tasksapi.ListTasksResponse
		terr  error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		recs, cerr = c.ContainerService().List(ctx, filter)
	}()
	tasks, terr = c.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	wg.Wait()
	if cerr != nil {
		return nil, nil, fmt.Errorf("listing grouped containers: %w", cerr)
	}
	if terr != nil {
		return nil, nil, fmt.Errorf("listing tasks: %w", errgrpc.ToNative(terr))
	}
	live := make(map[string]bool, len(tasks.Tasks))
	for _, t := range tasks.Tasks {
		live[t.ID] = true
	}
	return recs, live, nil
}

// groupedFilter selects the containers in any shim group, or in group g.
func groupedFilter(g string) string {
	if g == "" {
		return "labels." + strconv.Quote(client.LabelShimGroup)
	}
	return "labels." + strconv.Quote(client.LabelShimGroup) + "==" + strconv.Quote(g)
}

// chooseShimGroup returns the first group with fewer than size live tasks.
func chooseShimGroup(ctx context.Context, c *client.Client, size int) (string, error) {
	recs, live, err := groupMembers(ctx, c, groupedFilter(""))
	if err != nil {
		return "", err
	}
	return pickShimGroup(recs, live, size), nil
}

// pickShimGroup is chooseShimGroup's choice from the grouped containers and
// the IDs that have a task.
func pickShimGroup(recs []containers.Container, live map[string]bool, size int) string {
	count := map[string]int{}
	for _, r := range recs {
		if live[r.ID] {
			count[r.Labels[client.LabelShimGroup]]++
		}
	}
	for k := 0; ; k++ {
		if g := shimGroupName(k); count[g] < size {
			return g
		}
	}
}

// shimGroupOpts returns the spec option and label of a new container's shim
// group: none for --shim isolated.
func shimGroupOpts(ctx context.Context, c *client.Client, mode string, labels map[string]string) ([]oci.SpecOpts, error) {
	if mode == spec.ShimIsolated {
		return nil, nil
	}
	g, err := chooseShimGroup(ctx, c, ShimGroupSize)
	if err != nil {
		return nil, err
	}
	labels[client.LabelShimGroup] = g
	return []oci.SpecOpts{spec.WithShimGroup(g)}, nil
}

// groupLive reports whether a container of group g has a task. When it
// cannot tell, it says yes: a live shim is never ended on a guess.
func groupLive(ctx context.Context, c *client.Client, g string) bool {
	recs, live, err := groupMembers(ctx, c, groupedFilter(g))
	if err != nil {
		log.G(ctx).WithError(err).Debug("reading the members of a shim group")
		return true
	}
	for _, r := range recs {
		if live[r.ID] {
			return true
		}
	}
	return false
}

// endIdleGroupShim ends the shim of group g if it still runs although no
// container of the group has a task (a delete whose caller died left it,
// containerd issue 11392). It reports whether one was ended.
func endIdleGroupShim(ctx context.Context, c *client.Client, g string) bool {
	sock := shimSocketPath(c, g)
	if _, err := os.Lstat(sock); err != nil {
		return false
	}
	if groupLive(ctx, c, g) {
		return false
	}
	return endShimAt(ctx, sock, "shim group "+g)
}

// sweepIdleGroupShims ends the idle shims of every group of the namespace:
// the groups containers name, and lumper-0 up to a few past the highest.
func sweepIdleGroupShims(ctx context.Context, c *client.Client) int {
	recs, live, err := groupMembers(ctx, c, groupedFilter(""))
	if err != nil {
		return 0
	}
	busy := map[string]bool{}
	maxK := 0
	for _, r := range recs {
		g := r.Labels[client.LabelShimGroup]
		if live[r.ID] {
			busy[g] = true
		}
		maxK = max(maxK, shimGroupIndex(g))
	}
	n := 0
	for k := 0; k <= maxK+8; k++ {
		g := shimGroupName(k)
		sock := shimSocketPath(c, g)
		if _, err := os.Lstat(sock); err != nil || busy[g] {
			continue
		}
		if endShimAt(ctx, sock, "shim group "+g) {
			n++
		}
	}
	return n
}

// dropDeadGroupSocket removes the socket path of ctr's shim group when no
// shim listens on it any more. containerd 2.4's runc shim removes, when it
// exits, the socket derived from its -id (the group's first container) and
// the one named in an "address" file containerd no longer writes, so a group
// shim leaves its socket path behind. Called after a task delete: one
// connect, refused once the shim is gone. A shim still closing keeps its
// path until the next rm, prune or start of the group removes it.
func dropDeadGroupSocket(ctx context.Context, c *client.Client, ctr containerd.Container) {
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	g := info.Labels[client.LabelShimGroup]
	if err != nil || g == "" {
		return
	}
	sock := shimSocketPath(c, g)
	conn, err := net.DialTimeout("unix", sock, 100*time.Millisecond)
	if err == nil {
		conn.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		_ = os.Remove(sock)
	}
}

// newTask creates ctr's task. A grouped container may reach its group's
// shim while the group's last task is being deleted: the shim shuts down
// under the create ("ttrpc: closed", a refused connection), and while it
// exits it removes its socket path, which a new shim of the group may have
// taken already. The create is then tried again (at most newTaskAttempts
// times, a little later each time), which starts a new shim for the group.
func newTask(ctx context.Context, c *client.Client, ctr containerd.Container, creator cio.Creator, opts ...containerd.NewTaskOpts) (containerd.Task, error) {
	task, err := ctr.NewTask(ctx, creator, opts...)
	if err == nil || !shimGone(err) {
		return task, err
	}
	info, ierr := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	g := info.Labels[client.LabelShimGroup]
	if ierr != nil || g == "" {
		return task, err
	}
	for attempt := 2; attempt <= newTaskAttempts && err != nil && shimGone(err); attempt++ {
		log.G(ctx).WithError(err).Debugf("shim group %s shut down under the create: attempt %d", g, attempt)
		// The shutting-down shim exits (and removes its socket path)
		// within milliseconds.
		time.Sleep(time.Duration(attempt-1) * 25 * time.Millisecond)
		task, err = ctr.NewTask(ctx, creator, opts...)
	}
	return task, err
}

// newTaskAttempts bounds the creates of a task whose group shim went away.
const newTaskAttempts = 4

// shimGone tells the errors of a shim that went away under a call.
func shimGone(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	s := err.Error()
	for _, m := range []string{"ttrpc: closed", "connection refused", "shim disconnected", "connection reset", "no such file or directory: unknown",
		// containerd 1.7, dialing a group socket the exiting shim removed.
		"failed to create TTRPC connection"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	// The `shim start` of the new member raced the exiting shim for the
	// group's socket ("remove pre-existing socket": the exiting shim removed
	// it first), or containerd connected to the exiting shim, whose close
	// then removed the new task's bundle before containerd wrote its
	// bootstrap.json there. containerd 2.x reports both without ": unknown".
	return strings.Contains(s, "failed to start shim") && strings.Contains(s, "no such file or directory")
}

// ShimDiedReason is the exit reason recorded for a task that vanished with
// its shim.
const ShimDiedReason = "its shim (containerd-shim-runc-v2) died: containerd ended the task"

// shimDiedExitCode is what containerd's `shim delete` reports for a task it
// ends after its shim died (runc delete --force: SIGKILL).
const shimDiedExitCode = 137

// settleVanishedTask records the end of a container whose task containerd
// dropped without lumper deleting it (its shim died), under the delete lock:
// exit 137 and the reason, unless an exit was recorded for this start or a
// task is there again; then its network is released unless the restart
// monitor is to start it again (it keeps its namespace). It reports whether
// it recorded anything.
func settleVanishedTask(ctx context.Context, c *client.Client, ctr containerd.Container) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	// The start lock first, as every reap: a start must not attach a
	// network that the release below would take down.
	unlockStart, err := lockStart(c, ctr.ID())
	if err != nil {
		return false, err
	}
	defer unlockStart()
	unlock, err := lockTaskDelete(c, ctr.ID())
	if err != nil {
		return false, err
	}
	defer unlock()
	labels, err := ctr.Labels(ctx)
	if errdefs.IsNotFound(err) {
		removedMeanwhile(ctx, c, ctr) // drops the lock files rm removed
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading labels of %s: %w", client.ShortID(ctr.ID()), err)
	}
	if labels[client.LabelStartedAt] == "" || labels[client.LabelExitCode] != "" {
		return false, nil
	}
	if _, err := ctr.Task(ctx, nil); !errdefs.IsNotFound(err) {
		return false, nil // a task again (the restart monitor), or no answer
	}
	st := containerd.NewExitStatus(shimDiedExitCode, time.Now(), nil)
	recordExit(ctx, ctr, st.ExitCode(), st.ExitTime(), false)
	if _, err := ctr.SetLabels(ctx, map[string]string{client.LabelExitReason: ShimDiedReason}); err != nil && !errdefs.IsNotFound(err) {
		log.G(ctx).WithError(err).Warn("recording exit reason")
	}
	// The monitor finds no task, hence no status: always and
	// unless-stopped restart it, on-failure does not (containerd's
	// restart.Reconcile sees exit status 0).
	if !hasRestartPolicy(labels) || !restart.Reconcile(containerd.Status{}, labels) {
		detachNetwork(ctx, c, ctr)
		if labels[restart.StatusLabel] != "" {
			disarmRestart(ctx, ctr, false)
		}
	}
	log.G(ctx).Warnf("container %s: %s", client.ShortID(ctr.ID()), ShimDiedReason)
	return true, nil
}
