package commands

import (
	"context"
	"fmt"
	"io"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/network"
)

// SystemPruneOptions are the flags of `lumper system prune`.
type SystemPruneOptions struct {
	Global  *GlobalOptions
	All     bool // every unused image, not only untagged ones
	Force   bool // accepted for Docker habits: lumper does not ask
	Volumes bool // also the anonymous volumes no container uses (Docker 23+)
	Out     io.Writer
}

func newSystemPruneCmd(g *GlobalOptions) *cobra.Command {
	o := &SystemPruneOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove stopped containers, unused networks and dangling images (-a: every unused image)",
		Long: `Remove, as 'docker system prune' does: every container that is not running
(and stale name reservations), every user network no container uses, and
untagged images no container uses (with -a: every image no container uses).
lumper never prompts; -f is accepted for scripts written for Docker.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			return runSystemPrune(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "remove every image no container uses, not only untagged ones")
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not prompt (lumper never does)")
	cmd.Flags().BoolVar(&o.Volumes, "volumes", false, "also prune the anonymous volumes no container uses")
	return cmd
}

func runSystemPrune(ctx context.Context, o *SystemPruneOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var total int64
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(o.Out, "Deleted %s:\n", title)
		for _, it := range items {
			fmt.Fprintln(o.Out, it)
		}
		fmt.Fprintln(o.Out)
	}

	ctrs, err := container.Prune(ctx, c)
	if err != nil {
		return err
	}
	total += ctrs.SpaceReclaimed
	section("Containers", ctrs.Deleted)

	// Networks after containers, so those the pruned containers used go too.
	store := o.Global.networks()
	nets, err := store.List()
	if err != nil {
		return err
	}
	var deletedNets []string
	for _, n := range nets {
		if network.IsBuiltin(n.Name) {
			continue
		}
		users, err := container.AllNetworkUsers(ctx, c, n.Name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			continue
		}
		if err := removeNetwork(ctx, c, store, n.Name); err != nil {
			return err
		}
		deletedNets = append(deletedNets, n.Name)
	}
	section("Networks", deletedNets)

	if o.Volumes {
		vols, err := container.PruneVolumes(ctx, c, false, nil)
		if err != nil {
			return err
		}
		total += vols.SpaceReclaimed
		section("Volumes", vols.Deleted)
	}

	imgs, err := images.Prune(ctx, c, o.All)
	if err != nil {
		return err
	}
	total += imgs.SpaceReclaimed
	section("Images", imgs.Deleted)
	_, err = fmt.Fprintf(o.Out, "Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(total), 3))
	return err
}
