package commands

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
	"github.com/lumper/lumper/pkg/view"
)

// PsOptions are the flags of `lumper ps` (Docker's).
type PsOptions struct {
	Global  *GlobalOptions
	All     bool
	Last    int
	Latest  bool
	Quiet   bool
	NoTrunc bool
	Size    bool
	Format  string
	Filters []string
	Out     io.Writer

	filters view.Filters
}

func newPsCmd(g *GlobalOptions) *cobra.Command {
	o := &PsOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers as Docker's ps does (running ones unless -a)",
		Long: `List containers the way Docker's ps does: running containers only unless -a,
Docker's columns (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES),
filters and --format fields. 'lumper list' is lumper's own listing (every
container, with its PID).

Filters (--filter KEY=VALUE, repeatable; values of one key are alternatives,
different keys must all match, every label filter must match):
  status=created|restarting|running|removing|paused|exited|dead
  name=NAME, id=ID       (a regular expression found in the name or ID)
  label=KEY, label=KEY=VALUE
  ancestor=IMAGE         (a reference or an image ID)
  exited=CODE, before=CONTAINER, since=CONTAINER, network=NETWORK
  publish=PORT[/PROTO] or FIRST-LAST[/PROTO] (a published container port)
  volume=PATH            (a bind mount's source or destination)
  health=starting|healthy|unhealthy|none

--format fields: .ID .Image .Command .CreatedAt .RunningFor .Ports .State
.Status .Size .Names .Labels (.Label "KEY") .Mounts .Networks .LocalVolumes;
"json", "table", or "table TEMPLATE" for a table with a header.`,
		Example: `  lumper ps
  lumper ps -a --filter status=exited
  lumper ps -q --filter label=app=web
  lumper ps --format 'table {{.Names}}\t{{.Status}}'
  lumper ps -a --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runOrHook(cmd.Context(), o.Global, o, runPs)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show all containers (only running ones by default)")
	f.IntVarP(&o.Last, "last", "n", -1, "show the n last created containers (in every state)")
	f.BoolVarP(&o.Latest, "latest", "l", false, "show the latest created container (in every state)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only print container IDs")
	f.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate output")
	f.BoolVarP(&o.Size, "size", "s", false, "display total file sizes")
	f.StringVar(&o.Format, "format", "", `"table", "json", "table TEMPLATE" or a Go template`)
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "filter output based on conditions provided (KEY=VALUE)")
	return cmd
}

func (o *PsOptions) validate(cmd *cobra.Command) error {
	if err := output.Validate(o.Format); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	f, err := view.ParseFilters(o.Filters, view.ContainerFilterKeys...)
	if err == nil {
		_, err = view.CheckContainerFilters(f)
	}
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	if o.Last < -1 {
		return usageErrorf(cmd, "invalid --last %d: give a number of containers", o.Last)
	}
	o.filters = f
	return nil
}

// query is what the flags select.
func (o *PsOptions) query() view.ContainerQuery {
	q := view.ContainerQuery{All: o.All, Limit: o.Last, Filters: o.filters}
	if o.Latest {
		q.Limit = 1
	}
	return q
}

// psFormat is the format ps draws with: Docker's table (with SIZE for -s)
// when none is given.
func (o *PsOptions) psFormat() (format, table string) {
	table = view.ContainerTable
	if o.Size {
		table += view.ContainerSizeColumn
	}
	return o.Format, table
}

func runPs(ctx context.Context, o *PsOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		format := o.Format
		uses := func(field string) bool {
			return strings.Contains(format, field) || field == "Mounts" && format == "json"
		}
		cs, err := container.PS(ctx, c, container.PSOptions{
			Query:  o.query(),
			Size:   !o.Quiet && (o.Size || uses(".Size")),
			Mounts: !o.Quiet && uses("Mounts"),
		})
		if err != nil {
			return err
		}
		return printPs(o.Out, o, cs, time.Now())
	})
}

// printPs draws the containers as ps does.
func printPs(w io.Writer, o *PsOptions, cs []view.Container, now time.Time) error {
	rows := make([]view.ContainerRow, len(cs))
	for i, c := range cs {
		rows[i] = view.NewContainerRow(c, now, !o.NoTrunc)
	}
	format, table := o.psFormat()
	return output.Render(w, format, table, view.ContainerHeader, rows, o.Quiet,
		func(r view.ContainerRow) string { return r.ID })
}
