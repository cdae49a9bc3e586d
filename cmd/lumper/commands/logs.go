package commands

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/logs"
)

// LogsOptions are the flags of `lumper logs`.
type LogsOptions struct {
	Global     *GlobalOptions
	Follow     bool
	Tail       string
	Since      string
	Until      string
	Timestamps bool
	Ref        string
	Out, Err   io.Writer
}

func newLogsCmd(g *GlobalOptions) *cobra.Command {
	o := &LogsOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Show a container's output (stdout to stdout, stderr to stderr)",
		Example: `  lumper logs web
  lumper logs -f --tail 20 web
  lumper logs --since 10m -t web`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out, o.Err = args[0], cmd.OutOrStdout(), cmd.ErrOrStderr()
			ro, err := o.readOptions(time.Now())
			if err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *LogsOptions) error { return runLogs(ctx, o, ro) })
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep streaming new output until the container exits")
	f.StringVarP(&o.Tail, "tail", "n", "all", "number of lines to show from the end, or all")
	f.StringVar(&o.Since, "since", "", "show lines since a time (2024-01-02T15:04:05Z) or a duration ago (10m)")
	f.StringVar(&o.Until, "until", "", "show lines before a time or a duration ago")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "prefix each line with its RFC 3339 timestamp")
	return cmd
}

func (o *LogsOptions) readOptions(now time.Time) (logs.ReadOptions, error) {
	ro := logs.ReadOptions{Follow: o.Follow, Tail: -1, Timestamps: o.Timestamps}
	if o.Tail != "all" && o.Tail != "" {
		n, err := strconv.Atoi(o.Tail)
		if err != nil || n < 0 {
			return ro, fmt.Errorf("invalid --tail %q: give a number of lines (0 or more) or all", o.Tail)
		}
		ro.Tail = n
	}
	var err error
	if ro.Since, err = parseTime("--since", o.Since, now); err != nil {
		return ro, err
	}
	if ro.Until, err = parseTime("--until", o.Until, now); err != nil {
		return ro, err
	}
	return ro, nil
}

// parseTime reads a timestamp (RFC 3339, a date, or Unix seconds) or a
// duration before now, as Docker's --since does.
func parseTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("invalid %s %q: a duration must not be negative", flag, s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if sec, frac, ok := strings.Cut(s, "."); ok || sec != "" {
		if secs, err := strconv.ParseInt(sec, 10, 64); err == nil {
			nanos := int64(0)
			if ok && frac != "" {
				if n, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64); err == nil {
					nanos = n
				} else {
					return time.Time{}, fmt.Errorf("invalid %s %q: use a time like 2024-01-02T15:04:05Z, Unix seconds, or a duration like 10m", flag, s)
				}
			}
			return time.Unix(secs, nanos), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid %s %q: use a time like 2024-01-02T15:04:05Z, Unix seconds, or a duration like 10m", flag, s)
}

func runLogs(ctx context.Context, o *LogsOptions, ro logs.ReadOptions) error {
	c, ctx, err := o.Global.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// dial's version check and the lookup in one round trip.
	warnings, rec, err := c.CheckedContainer(ctx, o.Ref)
	for _, w := range warnings {
		fmt.Fprintf(o.Global.IO.Err, "lumper: warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	return container.LogsOf(ctx, c, rec, o.Ref, ro, o.Out, o.Err)
}
