package commands

import (
	"context"
	"fmt"
	"io"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
)

// PruneOptions are the flags of `lumper container prune` and `lumper image
// prune`.
type PruneOptions struct {
	Global *GlobalOptions
	All    bool // image prune: every unused image, not only untagged ones
	Force  bool // accepted for Docker habits: lumper does not ask
	Out    io.Writer
}

func newContainerPruneCmd(g *GlobalOptions) *cobra.Command {
	o := &PruneOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all containers that are not running, and stale name reservations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			return runPrune(cmd.Context(), o, "Containers", func(ctx context.Context, g *GlobalOptions) (api.PruneReport, error) {
				c, ctx, err := g.dial(ctx)
				if err != nil {
					return api.PruneReport{}, err
				}
				defer c.Close()
				return container.Prune(ctx, c)
			})
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not prompt (lumper never does)")
	return cmd
}

func newImagePruneCmd(g *GlobalOptions) *cobra.Command {
	o := &PruneOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove untagged images no container uses (with -a: every unused image)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			return runPrune(cmd.Context(), o, "Images", func(ctx context.Context, g *GlobalOptions) (api.PruneReport, error) {
				c, ctx, err := g.dial(ctx)
				if err != nil {
					return api.PruneReport{}, err
				}
				defer c.Close()
				return images.Prune(ctx, c, o.All)
			})
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "remove every image no container uses, not only untagged ones")
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not prompt (lumper never does)")
	return cmd
}

func runPrune(ctx context.Context, o *PruneOptions, what string, prune func(context.Context, *GlobalOptions) (api.PruneReport, error)) error {
	rep, err := prune(ctx, o.Global)
	if err != nil {
		return err
	}
	if len(rep.Deleted) > 0 {
		fmt.Fprintf(o.Out, "Deleted %s:\n", what)
		for _, d := range rep.Deleted {
			fmt.Fprintln(o.Out, d)
		}
		fmt.Fprintln(o.Out)
	}
	if len(rep.ReleasedNames) > 0 {
		fmt.Fprintln(o.Out, "Released stale name reservations:")
		for _, n := range rep.ReleasedNames {
			fmt.Fprintln(o.Out, n)
		}
		fmt.Fprintln(o.Out)
	}
	_, err = fmt.Fprintf(o.Out, "Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(rep.SpaceReclaimed), 3))
	return err
}
