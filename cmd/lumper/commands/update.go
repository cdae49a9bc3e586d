package commands

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/spec"
)

// UpdateOptions are the flags of `lumper update`.
type UpdateOptions struct {
	Global     *GlobalOptions
	Memory     string
	MemorySwap string
	CPUShares  int64
	CPUs       string
	Cpuset     string
	PidsLimit  int64
	Restart    string
	Refs       []string
	Out        io.Writer
	Err        io.Writer

	update container.UpdateOptions
}

func newUpdateCmd(g *GlobalOptions) *cobra.Command {
	o := &UpdateOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER...",
		Short: "Change the resource limits and restart policy of containers",
		Long: `Change the cgroup limits of containers (at once for a running one, through
containerd's task update, and in the container's spec for later starts) and
their restart policy.`,
		Example: `  lumper update -m 256m --cpus 1.5 web
  lumper update --restart unless-stopped web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs, o.Out, o.Err = args, cmd.OutOrStdout(), cmd.ErrOrStderr()
			if !slices.ContainsFunc(updateFlags, cmd.Flags().Changed) {
				return usageErrorf(cmd, "give one or more flags: what to update")
			}
			if err := o.validate(cmd); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runUpdate(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Memory, "memory", "m", "", "memory limit (e.g. 64m, 1g)")
	f.StringVar(&o.MemorySwap, "memory-swap", "", "memory plus swap limit (-1 unlimited swap; default twice --memory)")
	f.Int64VarP(&o.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.StringVar(&o.CPUs, "cpus", "", "number of CPUs (e.g. 0.5)")
	f.StringVar(&o.Cpuset, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "maximum number of processes (-1 unlimited)")
	f.StringVar(&o.Restart, "restart", "", "restart policy: no, on-failure[:MAX-RETRIES], always, unless-stopped")
	return cmd
}

// updateFlags are what update can change: at least one must be given.
var updateFlags = []string{"memory", "memory-swap", "cpu-shares", "cpus", "cpuset-cpus", "pids-limit", "restart"}

// validate checks the flags before dialing and turns them into the update.
func (o *UpdateOptions) validate(cmd *cobra.Command) error {
	var r spec.Resources
	var err error
	if o.Memory != "" {
		if r.Memory, err = spec.ParseMemory(o.Memory); err != nil {
			return err
		}
	}
	if o.MemorySwap != "" {
		if o.Memory == "" {
			return fmt.Errorf("--memory-swap needs --memory: it is the total of memory and swap")
		}
		if r.MemorySwap, err = spec.ParseMemorySwap(o.MemorySwap, r.Memory); err != nil {
			return err
		}
	}
	if r.CPUShares, err = spec.ParseCPUShares(o.CPUShares); err != nil {
		return err
	}
	if o.Cpuset != "" {
		online, err := spec.OnlineCPUs()
		if err != nil {
			return fmt.Errorf("reading the host's CPUs: %w", err)
		}
		if r.CpusetCpus, err = spec.ParseCpuset(o.Cpuset, online); err != nil {
			return err
		}
	}
	if o.CPUs != "" {
		if r.CPUs, err = spec.ParseCPUs(o.CPUs, runtime.NumCPU()); err != nil {
			return err
		}
	}
	r.PidsLimit = o.PidsLimit
	if o.update.Resources, err = spec.ResourceOpts(r); err != nil {
		return err
	}
	if cmd.Flags().Changed("restart") {
		if o.update.Restart, err = container.ParseRestartPolicy(o.Restart); err != nil {
			return err
		}
	}
	return nil
}

func runUpdate(ctx context.Context, o *UpdateOptions) error {
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(o.Err, o.Refs, func(ref string) error {
		if err := container.Update(ctx, c, ref, o.update); err != nil {
			return err
		}
		_, err := fmt.Fprintln(o.Out, ref)
		return err
	})
}
