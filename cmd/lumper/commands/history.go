package commands

import (
	"context"
	"io"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// HistoryOptions are the flags of `lumper history`.
type HistoryOptions struct {
	Global  *GlobalOptions
	Image   string
	Format  string
	Quiet   bool
	NoTrunc bool
	Out     io.Writer
}

func newHistoryCmd(g *GlobalOptions) *cobra.Command {
	o := &HistoryOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image, newest layer first",
		Example: `  lumper history web:v2
  lumper history --format json web:v2
  lumper history --format '{{.CreatedBy}}: {{.Size}}' web:v2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Out = args[0], cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runHistory)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print image IDs")
	cmd.Flags().BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate CREATED BY and IDs")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runHistory(ctx context.Context, o *HistoryOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		rows, err := images.History(ctx, c, o.Image)
		if err != nil {
			return err
		}
		return output.Print(o.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, historyColumns(o.NoTrunc, time.Now()),
			func(r images.HistoryEntry) string { return historyID(r.ID, o.NoTrunc) })
	})
}

// createdByWidth is where the CREATED BY column is cut, as in Docker.
const createdByWidth = 45

func historyColumns(noTrunc bool, now time.Time) []output.Column[images.HistoryEntry] {
	return []output.Column[images.HistoryEntry]{
		{Header: "IMAGE", Value: func(r images.HistoryEntry) string { return historyID(r.ID, noTrunc) }},
		{Header: "CREATED", Value: func(r images.HistoryEntry) string {
			if r.Created.IsZero() {
				return "-"
			}
			return units.HumanDuration(now.Sub(r.Created)) + " ago"
		}},
		{Header: "CREATED BY", Value: func(r images.HistoryEntry) string {
			s := strings.Join(strings.Fields(r.CreatedBy), " ")
			if !noTrunc && len([]rune(s)) > createdByWidth {
				s = string([]rune(s)[:createdByWidth-1]) + "…"
			}
			return s
		}},
		{Header: "SIZE", Value: func(r images.HistoryEntry) string { return units.HumanSizeWithPrecision(float64(r.Size), 3) }},
		{Header: "COMMENT", Value: func(r images.HistoryEntry) string { return r.Comment }},
	}
}

func historyID(id string, noTrunc bool) string {
	if noTrunc || id == images.MissingID {
		return id
	}
	return client.ShortID(id)
}
