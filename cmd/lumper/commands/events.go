package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
)

// EventsOptions are the flags of `lumper events`.
type EventsOptions struct {
	Global  *GlobalOptions
	Since   string
	Until   string
	Filters []string
	Format  string
	Out     io.Writer

	events container.EventsOptions
	tmpl   *template.Template
}

func newEventsCmd(g *GlobalOptions) *cobra.Command {
	o := &EventsOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Stream container and image events, in Docker's vocabulary",
		Long: `Stream the events of lumper's namespace from containerd's event service, as
Docker's events: container create, start, die, pause, unpause, oom,
exec_create, exec_start, exec_die, destroy; image tag, delete.

containerd keeps no event history: only events from now on are shown. --since
drops earlier ones; --until ends the stream at that time (at once if it is
past).`,
		Example: `  lumper events --filter container=web
  lumper events --filter event=die --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'
  lumper events --until 2030-01-01T00:00:00Z --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := o.validate(time.Now()); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runEvents(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Since, "since", "", "show only events from this time on (RFC 3339, Unix seconds, or a duration like 10m before now)")
	f.StringVar(&o.Until, "until", "", "stop streaming at this time")
	f.StringArrayVarP(&o.Filters, "filter", "f", nil, "filter events: container=, event=, image=, label=, type=container|image")
	f.StringVar(&o.Format, "format", "", "json, or a Go template over Docker's event fields")
	return cmd
}

func (o *EventsOptions) validate(now time.Time) error {
	var err error
	if o.events.Since, err = parseTime("--since", o.Since, now); err != nil {
		return err
	}
	if o.events.Until, err = parseTime("--until", o.Until, now); err != nil {
		return err
	}
	o.events.Filters = container.EventFilters{}
	for _, f := range o.Filters {
		if err := o.events.Filters.Add(f); err != nil {
			return err
		}
	}
	if o.Format != "" && o.Format != "json" {
		if o.tmpl, err = output.Template(o.Format); err != nil {
			return err
		}
	}
	return nil
}

func runEvents(ctx context.Context, o *EventsOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return container.Events(ctx, c, o.events, func(e container.Event) error {
		return writeEvent(o.Out, o.Format, o.tmpl, e)
	})
}

// writeEvent prints one event: Docker's line, its JSON, or the template.
func writeEvent(w io.Writer, format string, tmpl *template.Template, e container.Event) error {
	switch {
	case format == "json":
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case tmpl != nil:
		if err := tmpl.Execute(w, e); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
	_, err := fmt.Fprintln(w, e.String())
	return err
}
