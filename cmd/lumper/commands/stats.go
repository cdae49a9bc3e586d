package commands

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// StatsOptions are the flags of `lumper stats`.
type StatsOptions struct {
	Global   *GlobalOptions
	NoStream bool
	Format   string
	Refs     []string
	Out      io.Writer
}

func newStatsCmd(g *GlobalOptions) *cobra.Command {
	o := &StatsOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Show CPU, memory, PIDs and block I/O of running containers",
		Example: `  lumper stats
  lumper stats --no-stream web
  lumper stats --no-stream --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out = args, cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runStats(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.NoStream, "no-stream", false, "print one sample and exit")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

// statsInterval is the time between two samples (CPU % needs two).
const statsInterval = 500 * time.Millisecond

func runStats(ctx context.Context, o *StatsOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	targets, err := container.StatsTargets(ctx, c, o.Refs)
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
		if err := output.Print(o.Out, output.Options{Format: o.Format}, rows, statsColumns,
			func(s api.Stats) string { return client.ShortID(s.ID) }); err != nil {
			return err
		}
		if o.NoStream {
			return nil
		}
	}
}

var statsColumns = []output.Column[api.Stats]{
	{Header: "ID", Value: func(s api.Stats) string { return client.ShortID(s.ID) }},
	{Header: "NAME", Value: func(s api.Stats) string { return s.Name }},
	{Header: "CPU %", Value: func(s api.Stats) string { return strconv.FormatFloat(s.CPUPercent, 'f', 2, 64) + "%" }},
	{Header: "MEM USAGE / LIMIT", Value: func(s api.Stats) string {
		return units.BytesSize(float64(s.MemUsage)) + " / " + units.BytesSize(float64(s.MemLimit))
	}},
	{Header: "MEM %", Value: func(s api.Stats) string { return strconv.FormatFloat(s.MemPercent, 'f', 2, 64) + "%" }},
	{Header: "BLOCK I/O", Value: func(s api.Stats) string {
		return units.HumanSize(float64(s.BlockRead)) + " / " + units.HumanSize(float64(s.BlockWrite))
	}},
	{Header: "PIDS", Value: func(s api.Stats) string { return strconv.FormatUint(s.Pids, 10) }},
}
