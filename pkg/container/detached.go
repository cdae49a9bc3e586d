package container

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// LoggerBinary is the name of lumper's log-capture program.
const LoggerBinary = "lumper-logger"

// ReapCommand is the hidden lumper subcommand the logger runs when a detached
// container exits.
const ReapCommand = "internal-reap"

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
// records the exit status and deletes the task so that no shim lingers. It
// also returns the logger URI, for the restart monitor.
func detachedIO(c *client.Client, id string, tty bool, lo LogOptions) (cio.Creator, string, error) {
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
	uri := logs.BinaryURI(logger, LogPath(c, id), lo.MaxSize, lo.MaxFiles, self,
		[]string{"--address", c.Address, "--namespace", c.Namespace, "--data-root", c.DataRoot, ReapCommand})
	u, err := url.Parse(uri)
	if err != nil {
		return nil, "", fmt.Errorf("building logger URI: %w", err)
	}
	if tty {
		return cio.TerminalLogURI(u), uri, nil
	}
	return cio.LogURI(u), uri, nil
}

// Reap records the exit of container id's task and deletes the task, once it
// has stopped. It is run by the logger when the container's init exits. A
// task the restart monitor is to restart is left to it (see reapOrLeave).
func Reap(ctx context.Context, c *client.Client, id string) error {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", id, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil // already reaped (e.g. by stop or rm)
		}
		return fmt.Errorf("loading task of %s: %w", id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	statusC, err := task.Wait(wctx)
	if err != nil {
		return fmt.Errorf("waiting for task of %s: %w", id, err)
	}
	var st containerd.ExitStatus
	select {
	case st = <-statusC:
	case <-wctx.Done():
		return fmt.Errorf("task of %s did not stop: %w", id, wctx.Err())
	}
	return reapOrLeave(ctx, ctr, task, st)
}
