package commands

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
	"github.com/lumper/lumper/pkg/view"
)

// StatsOptions are the flags of `lumper stats`.
type StatsOptions struct {
	Global   *GlobalOptions
	All      bool
	NoStream bool
	NoTrunc  bool
	Format   string
	Refs     []string
	Out      io.Writer
}

func newStatsCmd(g *GlobalOptions) *cobra.Command {
	o := &StatsOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Show CPU, memory, network and block I/O and PIDs of running containers",
		Long: `Show running containers' resource use as Docker's stats does (CONTAINER ID,
NAME, CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS); NET I/O is
read from the container's network namespace, loopback excluded.

--format fields: .Container .Name .ID .CPUPerc .MemUsage .MemPerc .NetIO
.BlockIO .PIDs; "json", "table", or "table TEMPLATE" for a table with a header.`,
		Example: `  lumper stats
  lumper stats --no-stream web
  lumper stats --no-stream --format 'table {{.Name}}\t{{.CPUPerc}}'
  lumper stats --no-stream --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out = args, cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runStats)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "show all containers (running ones by default); stopped ones show zeros")
	cmd.Flags().BoolVar(&o.NoStream, "no-stream", false, "print one sample and exit")
	cmd.Flags().BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate output (full IDs)")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

// statsInterval is the time between two samples (CPU % needs two).
const statsInterval = 500 * time.Millisecond

func runStats(ctx context.Context, o *StatsOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		targets, err := container.StatsTargets(ctx, c, o.Refs, o.All)
		if err != nil {
			return err
		}
		container.Sample(ctx, targets)
		clear := false
		if o.Global.IO.OutTTY && !o.NoStream {
			clear = true
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(statsInterval):
			}
			rows := container.Sample(ctx, targets)
			if clear {
				fmt.Fprint(o.Out, "\x1b[2J\x1b[H")
			}
			if err := printStats(o.Out, o, rows); err != nil {
				return err
			}
			if o.NoStream {
				return nil
			}
		}
	})
}

// printStats draws one sample of every target as Docker's stats does.
func printStats(w io.Writer, o *StatsOptions, samples []api.Stats) error {
	rows := make([]view.StatsRow, len(samples))
	for i, s := range samples {
		ref := ""
		if i < len(o.Refs) {
			ref = o.Refs[i]
		}
		rows[i] = view.NewStatsRow(s, ref, !o.NoTrunc)
	}
	return output.Render(w, o.Format, view.StatsTable, view.StatsHeader, rows, false, nil)
}
