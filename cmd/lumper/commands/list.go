package commands

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// ListOptions are the flags of `lumper list`.
type ListOptions struct {
	Global *GlobalOptions
	All    bool
	Quiet  bool
	Format string
	Out    io.Writer
}

// createdLayout is the seed's CREATED column format (2020/3/4 12:53:04).
const createdLayout = "2006/1/2 15:04:05"

func newListCmd(g *GlobalOptions) *cobra.Command {
	o := &ListOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "list [OPTIONS]",
		Short: "List every container in lumper's own format (ID NAME PID STATUS COMMAND CREATED)",
		Long: `List every container (running, created and exited) in lumper's own format:
ID, NAME, PID, STATUS, COMMAND, CREATED and PORTS. Its --format fields are
lumper's (.ID .Name .Image .Command .Created .Status .Pid .ExitCode .Ports
.Labels .RestartPolicy .RestartCount). For Docker's listing (running
containers unless -a, Docker's columns, filters and fields) use 'lumper ps'.`,
		Example: `  lumper list
  lumper list -q
  lumper list --format json
  lumper list --format '{{.Name}} {{.Status}}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runList)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", true, "show all containers (the default; kept for Docker habits)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only print container IDs")
	f.StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runList(ctx context.Context, o *ListOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		rows, err := container.List(ctx, c)
		if err != nil {
			return err
		}
		return output.Print(o.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, containerColumns,
			func(r api.ContainerInfo) string { return client.ShortID(r.ID) })
	})
}

var containerColumns = []output.Column[api.ContainerInfo]{
	{Header: "ID", Value: func(r api.ContainerInfo) string { return client.ShortID(r.ID) }},
	{Header: "NAME", Value: func(r api.ContainerInfo) string { return r.Name }},
	{Header: "PID", Value: func(r api.ContainerInfo) string {
		if r.PID == 0 {
			return "-"
		}
		return strconv.FormatUint(uint64(r.PID), 10)
	}},
	{Header: "STATUS", Value: statusText},
	{Header: "COMMAND", Value: func(r api.ContainerInfo) string { return ellipsis(r.Command, 30) }},
	{Header: "CREATED", Value: func(r api.ContainerInfo) string { return r.Created.Local().Format(createdLayout) }},
	{Header: "PORTS", Value: portsText},
}

// statusText is the STATUS column: the state, the exit code of an exited
// container, and how often the restart policy restarted it, if ever.
func statusText(r api.ContainerInfo) string {
	s := r.Status
	if r.Status == container.StatusExited {
		s = "exited (" + strconv.Itoa(r.ExitCode) + ")"
	}
	switch r.RestartCount {
	case 0:
	case 1:
		s += ", restarted once"
	default:
		s += ", restarted " + strconv.Itoa(r.RestartCount) + " times"
	}
	return s
}

func ellipsis(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// portsText lists published ports as Docker's ps does (127.0.0.1:8080->80/tcp).
func portsText(r api.ContainerInfo) string {
	s := make([]string, len(r.Ports))
	for i, p := range r.Ports {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
