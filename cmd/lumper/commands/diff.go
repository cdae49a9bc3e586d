package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
)

// DiffOptions are the arguments of `lumper diff`.
type DiffOptions struct {
	Global *GlobalOptions
	Ref    string
	Out    io.Writer
}

func newDiffCmd(g *GlobalOptions) *cobra.Command {
	o := &DiffOptions{Global: g}
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "List the files a container added (A), changed (C) or deleted (D) against its image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out = args[0], cmd.OutOrStdout()
			return runDiff(cmd.Context(), o)
		},
	}
}

func runDiff(ctx context.Context, o *DiffOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	changes, err := container.Diff(ctx, c, o.Ref)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if _, err := fmt.Fprintf(o.Out, "%s %s\n", ch.Kind, ch.Path); err != nil {
			return err
		}
	}
	return nil
}
