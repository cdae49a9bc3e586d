package container

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
	"github.com/lumper/lumper/pkg/network"
)

// LoggerBinary is the name of lumper's log-capture program.
const LoggerBinary = "lumper-logger"

// ReapCommand is the hidden lumper subcommand the logger runs when a detached
// container exits.
const ReapCommand = "internal-reap"

// NetNSCommand is the hidden lumper subcommand the logger runs, before the
// task is created, when the container's network namespace is missing (the
// restart monitor starting a container after a host reboot).
const NetNSCommand = "internal-netns"

// findLogger looks for lumper-logger next to the running binary, then in PATH.
func findLogger() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), LoggerBinary)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(LoggerBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found next to lumper or in PATH: install both with 'make install': %w", LoggerBinary, err)
	}
	return filepath.Abs(p)
}

// detachedIO sends the task's output to lumper-logger, started by the shim.
// When the container exits, the logger runs `lumper internal-reap`, which
// records the exit status and deletes the task so that no shim lingers. For a
// task that joins the network namespace netns (not empty), a logger that
// finds it missing first runs `lumper internal-netns`, which sets the
// network up again. It also returns the logger URI, for the restart monitor.
//
// With a health check every interval (health > 0), the logger also runs
// `lumper internal-health` that often while the container's init runs.
func detachedIO(c *client.Client, id string, tty bool, lo LogOptions, netns string, health time.Duration) (cio.Creator, string, error) {
	logger, err := findLogger()
	if err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("locating lumper binary: %w", err)
	}
	if err := os.MkdirAll(ContainerDir(c, id), 0o700); err != nil {
		return nil, "", fmt.Errorf("creating container directory: %w", err)
	}
	global := []string{"--address", c.Address, "--namespace", c.Namespace, "--data-root", c.DataRoot}
	var netnsArgs []string
	if netns != "" {
		netnsArgs = append(append(slices.Clone(global), "--cni-path", c.CNIPath), NetNSCommand)
	}
	uri := logs.BinaryURIWithNetNS(logger, LogPath(c, id), lo.MaxSize, lo.MaxFiles, self,
		append(global, ReapCommand), netns, netnsArgs)
	if health > 0 {
		uri = withHealthURI(uri, health, append(slices.Clone(global), HealthCommand))
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, "", fmt.Errorf("building logger URI: %w", err)
	}
	if lo.Driver == LogDriverNone {
		q := u.Query()
		q.Set("--log-driver", LogDriverNone)
		u.RawQuery = q.Encode()
		uri = u.String()
	}
	if tty {
		return cio.TerminalLogURI(u), uri, nil
	}
	return cio.LogURI(u), uri, nil
}

// Reap records the exit of container id's task and deletes the task, once it
// has stopped. It is run by the logger when the container's init exits. A
// task the restart monitor is to restart is left to it (see reapOrLeave).
//
// The delete goes through deleteTask (reap.go): a stop, rm -f or restart
// that raced the exit may have deleted the task first, under the same lock,
// and then reapTask does nothing (that lumper recorded the exit). Anything
// to do after the exit (e.g. removing a `run --rm -d` container) belongs
// after reapOrLeave returns, and must treat a container already removed
// (rm -f won the race) as done.
func Reap(ctx context.Context, c *client.Client, id string) error {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	// A task whose shim died is dropped by containerd a moment after the
	// init is killed; until then calls on it fail: ask again for a while.
	var task containerd.Task
	var st containerd.ExitStatus
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		task, err = ctr.Task(ctx, nil)
		if errdefs.IsNotFound(err) {
			// Reaped already (stop, rm), or gone with its shim.
			_, err := settleVanishedTask(ctx, c, ctr)
			return err
		}
		if err == nil {
			if st, err = waitStopped(ctx, task); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for task of %s: %w", id, err)
		}
	}
	return reapOrLeave(ctx, c, ctr, task, st)
}

// waitStopped waits (at most 30 s) for task to stop and returns its status.
func waitStopped(ctx context.Context, task containerd.Task) (containerd.ExitStatus, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	statusC, err := task.Wait(wctx)
	if err != nil {
		return containerd.ExitStatus{}, err
	}
	select {
	case st := <-statusC:
		if st.Error() != nil && !errdefs.IsNotFound(st.Error()) {
			return st, st.Error()
		}
		return st, nil
	case <-wctx.Done():
		return containerd.ExitStatus{}, fmt.Errorf("task did not stop: %w", wctx.Err())
	}
}

// RestoreNetwork sets up the network of container id again if its network
// namespace is missing: after a host reboot, the restart monitor starts the
// container's task with the spec of the last boot, which names a namespace
// that /run no longer holds. It is run by the logger before the task is
// created; a container whose namespace is there is left alone.
func RestoreNetwork(ctx context.Context, c *client.Client, id string) error {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	if network.IsNetNS(network.NetNSPath(id)) {
		return nil
	}
	return attachNetwork(ctx, c, ctr)
}

// netNSOf returns the network namespace a container's tasks join, or "" for
// the host's network, none (a private namespace made by the runtime) and
// containers made before lumper had networks.
func netNSOf(ctx context.Context, ctr containerd.Container) string {
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return ""
	}
	switch info.Labels[client.LabelNetwork] {
	case "", network.None, network.Host:
		return ""
	}
	return network.NetNSPath(ctr.ID())
}
