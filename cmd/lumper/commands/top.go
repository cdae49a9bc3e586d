package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// TopOptions are the flags of `lumper top`.
type TopOptions struct {
	Global *GlobalOptions
	Format string
	Ref    string
	PSArgs []string // ps OPTIONS: run the host's ps, as Docker does
	Out    io.Writer
	Err    io.Writer
}

func newTopCmd(g *GlobalOptions) *cobra.Command {
	o := &TopOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "top [OPTIONS] CONTAINER [ps OPTIONS]",
		Short: "Show the processes of a running container",
		Long: `Show the processes of a running container. Alone, lumper reads them from
/proc (columns PID PPID UID STAT RSS COMMAND, --format applies). With ps
OPTIONS after CONTAINER, the host's ps runs with them and only the
container's processes are kept, as Docker's top does (the output needs a PID
column).`,
		Example: `  lumper top web
  lumper top --format '{{.PID}} {{.Command}}' web
  lumper top web aux
  lumper top web -eo pid,user,comm`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.PSArgs, o.Out, o.Err = args[0], args[1:], cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			if len(o.PSArgs) > 0 && o.Format != "" {
				return usageErrorf(cmd, "--format applies to lumper's own columns: give either --format or ps options")
			}
			return runOrHook(cmd.Context(), o.Global, o, runTop)
		},
	}
	// Everything after CONTAINER is ps's: `top web -eo pid,comm`.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func runTop(ctx context.Context, o *TopOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		if len(o.PSArgs) > 0 {
			return runTopPS(ctx, c, o)
		}
		procs, err := container.Top(ctx, c, o.Ref)
		if err != nil {
			return err
		}
		return output.Print(o.Out, output.Options{Format: o.Format}, procs, topColumns,
			func(p container.Process) string { return strconv.FormatUint(uint64(p.PID), 10) })
	})
}

var topColumns = []output.Column[container.Process]{
	{Header: "PID", Value: func(p container.Process) string { return strconv.FormatUint(uint64(p.PID), 10) }},
	{Header: "PPID", Value: func(p container.Process) string { return strconv.FormatUint(uint64(p.PPID), 10) }},
	{Header: "UID", Value: func(p container.Process) string { return p.UID }},
	{Header: "STAT", Value: func(p container.Process) string { return p.State }},
	{Header: "RSS", Value: func(p container.Process) string { return p.RSS }},
	{Header: "COMMAND", Value: func(p container.Process) string { return p.Command }},
}

// runTopPS runs the host's ps with the user's options and keeps the
// container's processes (pkg/ never runs programs: this is the command's).
func runTopPS(ctx context.Context, c *client.Client, o *TopOptions) error {
	pids, err := container.TopPIDs(ctx, c, o.Ref)
	if err != nil {
		return err
	}
	var args []string
	for _, a := range o.PSArgs {
		args = append(args, strings.Fields(a)...)
	}
	var stderr bytes.Buffer
	ps := exec.CommandContext(ctx, "ps", args...)
	ps.Stderr = &stderr
	out, err := ps.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		return api.Invalidf("ps %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	rows, err := container.FilterPS(string(out), pids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := fmt.Fprintln(o.Out, r); err != nil {
			return err
		}
	}
	return nil
}
