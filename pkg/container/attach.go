package container

import (
	"context"
	"errors"
	"fmt"
	"io"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// AttachRunningOptions configure Attach.
type AttachRunningOptions struct {
	// SigProxy forwards the signals lumper receives to the container's
	// main process (Docker's --sig-proxy, on by default); the attach then
	// ends only when the container does.
	SigProxy bool
}

// Attach follows the output of the running container ref from now on, as
// `docker attach` shows it: a container's output always goes to its log
// (written by lumper-logger beside the shim for a detached container, by the
// foreground lumper for an attached one), so Attach follows that log like
// `logs -f --tail 0`, stdout to stdout and stderr to stderr, until the
// container exits, and returns its exit status (a StatusError when it is
// not 0). No input is forwarded: a detached container has no stdin (its
// output goes to the logger, its stdin is /dev/null), and that of a
// foreground one belongs to the lumper that runs it.
func Attach(ctx context.Context, c *client.Client, ref string, o AttachRunningOptions, stdout, stderr io.Writer) error {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return err
	}
	task, status, err := runningTask(ctx, ctr, ref)
	var inv *api.InvalidArgument
	if errors.As(err, &inv) {
		return api.Invalidf("cannot attach to container %s: it is not running (start it first)", ref)
	}
	if err != nil {
		return err
	}
	if status == containerd.Paused || status == containerd.Pausing {
		return api.Invalidf("cannot attach to container %s: it is paused (unpause it first)", ref)
	}
	follow := ctx
	if o.SigProxy {
		// The signal is the container's to act on: lumper ends with it, so
		// the follow outlives the cancellation a SIGINT brings.
		follow = context.WithoutCancel(ctx)
		stop := forwardSignals(follow, task, false, nil)
		defer stop()
	}
	err = Logs(follow, c, rec.ID, logs.ReadOptions{Follow: true, Tail: 0}, stdout, stderr)
	if ctx.Err() != nil && !o.SigProxy {
		return nil // detached by a signal: the container runs on
	}
	if err != nil {
		return err
	}
	code, err := Wait(follow, c, rec.ID)
	if err != nil {
		if errdefs.IsNotFound(err) || errors.Is(err, errdefs.ErrNotFound) {
			return nil // removed as it exited (--rm)
		}
		return fmt.Errorf("reading the exit status of %s: %w", ref, err)
	}
	if code != 0 {
		return &api.StatusError{Code: code}
	}
	return nil
}
