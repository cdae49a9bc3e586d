package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/logs"
)

// Logs writes a container's log to stdout and stderr. With opts.Follow it
// keeps streaming until the container's task exits (or ctx ends).
func Logs(ctx context.Context, c *client.Client, ref string, opts logs.ReadOptions, stdout, stderr io.Writer) error {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return err
	}
	path := rec.Labels[client.LabelLogPath]
	if path == "" {
		path = LogPath(c, rec.ID)
	}
	if opts.Follow {
		done := make(chan struct{})
		opts.Done = done
		go func() {
			defer close(done)
			waitForExit(ctx, c, rec.ID)
		}()
	}
	if err := logs.Read(ctx, path, opts, stdout, stderr); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // the container never wrote anything
		}
		return fmt.Errorf("reading logs of %s: %w", ref, err)
	}
	return nil
}

// waitForExit returns when container id has no running task.
func waitForExit(ctx context.Context, c *client.Client, id string) {
	ctr, err := c.LoadContainer(ctx, id)
	if err != nil {
		return
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		return // no task: nothing to follow
	}
	statusC, err := task.Wait(ctx)
	if err != nil {
		return
	}
	select {
	case <-statusC:
	case <-ctx.Done():
	}
}
