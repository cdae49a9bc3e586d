package commands

import (
	"context"
	"fmt"
	"io"
	"strconv"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// newSystemCmd groups the verbs about lumper as a whole: `lumper system df`.
func newSystemCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage lumper as a whole", Args: cobra.NoArgs}
	cmd.AddCommand(newDfCmd(g))
	cmd.AddCommand(newSystemPruneCmd(g), newEventsCmd(g))
	return cmd
}

// DfOptions are the flags of `lumper system df`.
type DfOptions struct {
	Global *GlobalOptions
	Format string
	Out    io.Writer
}

func newDfCmd(g *GlobalOptions) *cobra.Command {
	o := &DfOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show the disk space used by images, containers and logs",
		Example: `  lumper system df
  lumper system df --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runDf)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runDf(ctx context.Context, o *DfOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		rows, err := container.DiskUsage(ctx, c)
		if err != nil {
			return err
		}
		return output.Print(o.Out, output.Options{Format: o.Format}, rows, dfColumns,
			func(r api.DiskUsage) string { return r.Type })
	})
}

func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

var dfColumns = []output.Column[api.DiskUsage]{
	{Header: "TYPE", Value: func(r api.DiskUsage) string { return r.Type }},
	{Header: "TOTAL", Value: func(r api.DiskUsage) string { return strconv.Itoa(r.Total) }},
	{Header: "ACTIVE", Value: func(r api.DiskUsage) string { return strconv.Itoa(r.Active) }},
	{Header: "SIZE", Value: func(r api.DiskUsage) string { return humanSize(r.Size) }},
	{Header: "RECLAIMABLE", Value: func(r api.DiskUsage) string {
		pct := 0
		if r.Size > 0 {
			pct = int(r.Reclaimable * 100 / r.Size)
		}
		return fmt.Sprintf("%s (%d%%)", humanSize(r.Reclaimable), pct)
	}},
}
