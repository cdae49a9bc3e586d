package commands

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lumper/lumper/pkg/container"
)

// HealthFlags are run's and create's health check flags (Docker's).
type HealthFlags struct {
	Cmd      string
	Interval time.Duration
	Timeout  time.Duration
	Start    time.Duration
	Retries  int
	Disable  bool
}

func addHealthFlags(f *pflag.FlagSet, h *HealthFlags) {
	f.StringVar(&h.Cmd, "health-cmd", "", "command to run to check health (run with /bin/sh -c)")
	f.DurationVar(&h.Interval, "health-interval", 0, "time between running the check (ms|s|m|h) (default 30s)")
	f.DurationVar(&h.Timeout, "health-timeout", 0, "maximum time to allow one check to run (ms|s|m|h) (default 30s)")
	f.DurationVar(&h.Start, "health-start-period", 0, "start period for the container to initialize before failures count (ms|s|m|h) (default 0s)")
	f.IntVar(&h.Retries, "health-retries", 0, "consecutive failures needed to report unhealthy (default 3)")
	f.BoolVar(&h.Disable, "no-healthcheck", false, "disable any container-specified HEALTHCHECK")
}

// options checks the flags (before dialing) and returns them for create.
func (h HealthFlags) options(cmd *cobra.Command) (container.HealthOptions, error) {
	o := container.HealthOptions{Cmd: h.Cmd, Interval: h.Interval, Timeout: h.Timeout, Start: h.Start, Retries: h.Retries, Disable: h.Disable}
	if err := o.Validate(); err != nil {
		return o, usageErrorf(cmd, "%v", err)
	}
	return o, nil
}

// newHealthCheckCmd is run by lumper-logger every health check interval
// while a detached container runs: one probe, recorded in the container's
// health.json (ps, inspect and --filter health= read it).
func newHealthCheckCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    container.HealthCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return loggerHook(cmd, g, container.HealthCheck)
		},
	}
}
