package commands

import (
	"context"
	"encoding/json"
	"io"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// InspectOptions are the flags of `lumper inspect`.
type InspectOptions struct {
	Global *GlobalOptions
	Format string
	Type   string
	Refs   []string
	Out    io.Writer
	Err    io.Writer
}

func newInspectCmd(g *GlobalOptions) *cobra.Command {
	o := &InspectOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER|IMAGE...",
		Short: "Show details of containers or images as JSON",
		Example: `  lumper inspect web
  lumper inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' web
  lumper inspect --type image busybox`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			switch o.Type {
			case "", "container", "image":
			default:
				return usageErrorf(cmd, "invalid --type %q: use container or image", o.Type)
			}
			if o.Format != "" && o.Format != "json" {
				if _, err := output.Template(o.Format); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			return runInspect(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", "format each result with a Go template")
	cmd.Flags().StringVar(&o.Type, "type", "", "only look for a container or an image")
	return cmd
}

func runInspect(ctx context.Context, o *InspectOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var results []any
	var firstErr error
	for _, ref := range o.Refs {
		v, err := inspectOne(ctx, c, o.Type, ref)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		results = append(results, v)
	}
	if o.Format == "" || o.Format == "json" {
		if results == nil {
			results = []any{}
		}
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "    ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else if err := output.Print(o.Out, output.Options{Format: o.Format}, results, nil, nil); err != nil {
		return err
	}
	return firstErr
}

func inspectOne(ctx context.Context, c *client.Client, typ, ref string) (any, error) {
	if typ != "image" {
		d, err := container.Inspect(ctx, c, ref)
		if err == nil {
			return d, nil
		}
		if typ == "container" || !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	d, err := images.Inspect(ctx, c, ref)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, api.Invalidf("no such container or image: %s", ref)
		}
		return nil, err
	}
	return d, nil
}
