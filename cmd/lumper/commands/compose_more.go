//go:build !nocompose

package commands

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/compose"
	"github.com/lumper/lumper/pkg/container"
)

// composeMoreCmds are the verbs beyond up, down, ps, logs, exec and config.
func composeMoreCmds(o *ComposeOptions) []*cobra.Command {
	return []*cobra.Command{newComposeRunCmd(o), newComposeStopCmd(o), newComposeStartCmd(o), newComposeRestartCmd(o),
		newComposeRmCmd(o), newComposePullCmd(o), newComposeTopCmd(o), newComposePortCmd(o)}
}

// ComposeRunOptions are `compose run`'s flags.
type ComposeRunOptions struct {
	*ComposeOptions
	Remove     bool
	Detach     bool
	NoTTY      bool
	NoDeps     bool
	Name       string
	Entrypoint string
	Env        []string
	User       string
	Workdir    string
	Service    string
	Args       []string
	In         io.Reader
	Out, Err   io.Writer
	entrypoint bool
}

func newComposeRunCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeRunOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARG...]",
		Short: "Run a one-off command in a new container of a service (its dependencies started first)",
		Example: `  lumper compose run --rm web sh -c 'wget -q -O- http://db/'
  lumper compose run --rm -T --no-deps web env`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Service, o.Args = args[0], args[1:]
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			o.entrypoint = cmd.Flags().Changed("entrypoint")
			if o.Remove && o.Detach {
				return usageErrorf(cmd, "--rm and -d cannot be combined")
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *ComposeRunOptions) error { return runComposeRun(ctx, cmd, o) })
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVar(&o.Remove, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the container in the background and print its ID")
	f.BoolVarP(&o.NoTTY, "no-TTY", "T", false, "do not allocate a terminal (default: one when stdin is a terminal)")
	f.BoolVar(&o.NoDeps, "no-deps", false, "do not start the service's dependencies")
	f.StringVar(&o.Name, "name", "", "name of the container (default PROJECT-SERVICE-run-RANDOM)")
	f.StringVar(&o.Entrypoint, "entrypoint", "", "override the service's entrypoint")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE)")
	f.StringVarP(&o.User, "user", "u", "", "user to run as")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	return cmd
}

func runComposeRun(ctx context.Context, cmd *cobra.Command, o *ComposeRunOptions) error {
	p, err := o.load(ctx)
	if err != nil {
		return err
	}
	s, ok := p.Services[o.Service]
	if !ok {
		return api.Invalidf("no such service: %s", o.Service)
	}
	// As Docker Compose: the service's ports are not published, the
	// command replaces the service's.
	s.Ports = nil
	if len(o.Args) > 0 {
		s.Command = o.Args
	}
	if o.entrypoint {
		s.Entrypoint = types.ShellCommand{o.Entrypoint}
		if o.Entrypoint == "" {
			s.Entrypoint = types.ShellCommand{}
		}
	}
	if len(o.Env) > 0 {
		s.Environment = maps.Clone(s.Environment)
		if s.Environment == nil {
			s.Environment = types.MappingWithEquals{}
		}
		s.Environment.OverrideBy(types.NewMappingWithEquals(o.Env))
	}
	if o.User != "" {
		s.User = o.User
	}
	if o.Workdir != "" {
		s.WorkingDir = o.Workdir
	}
	tty := !o.NoTTY && !o.Detach && o.Global.IO.InTTY
	s.Tty = tty
	s.Restart = ""
	if err := o.checkProject(&types.Project{Name: p.Name, Services: types.Services{s.Name: s}, Networks: p.Networks, Volumes: p.Volumes}, nil); err != nil {
		return err
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		nc, err := compose.PrepareOneOff(ctx, c, p, s, compose.OneOffOptions{Name: o.Name, NoDeps: o.NoDeps, Create: o.createContainer, Progress: composeProgress(o.Global)})
		if err != nil {
			return err
		}
		co, err := o.serviceCreateOptions(nc)
		if err != nil {
			return err
		}
		co.Interactive = !o.Detach
		co.AutoRemove = false
		ctr, err := container.Create(ctx, c, co)
		if err != nil {
			return err
		}
		if o.Detach {
			if err := container.StartDetached(ctx, c, ctr, tty, co.Log, true); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Out, ctr.ID())
			return err
		}
		ao := container.AttachOptions{
			Stdio: container.Stdio{In: o.In, Out: o.Out, Err: o.Err}, TTY: tty,
			Remove: o.Remove, Log: co.Log, RemoveOnStartFailure: o.Remove,
		}
		if tty {
			con, err := userTerminal(cmd, o.Global, true)
			if err != nil {
				return err
			}
			ao.Console = con
		}
		return container.RunAttached(ctx, c, ctr, ao)
	})
}

// composeTargets are the project's containers of the services (none: all).
func (o *ComposeOptions) composeTargets(ctx context.Context, c *client.Client, services []string) ([]api.ContainerInfo, error) {
	p, err := o.loadOrName(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.Services) > 0 {
		if err := checkServices(p, services); err != nil {
			return nil, err
		}
	}
	return compose.Containers(ctx, c, p.Name, services...)
}

// eachContainer runs fn on the services' containers in parallel; the
// first error decides, the others are printed.
func (o *ComposeOptions) eachContainer(ctx context.Context, services []string, fn func(context.Context, *client.Client, api.ContainerInfo) error) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		cs, err := o.composeTargets(ctx, c, services)
		if err != nil {
			return err
		}
		errs := make([]error, len(cs))
		var wg sync.WaitGroup
		for i, ci := range cs {
			wg.Go(func() { errs[i] = fn(ctx, c, ci) })
		}
		wg.Wait()
		var first error
		for _, err := range errs {
			if err != nil && first == nil {
				first = err
			} else if err != nil {
				fmt.Fprintf(o.Global.IO.Err, "lumper: %s\n", oneLine(describe(err)))
			}
		}
		return first
	})
}

func newComposeStopCmd(co *ComposeOptions) *cobra.Command {
	return newComposeTimedCmd(co, "stop [OPTIONS] [SERVICE...]",
		"Stop the services' containers (stop_signal, then SIGKILL after stop_grace_period)",
		func(ctx context.Context, c *client.Client, id string, t time.Duration) error {
			_, err := container.Stop(ctx, c, id, t)
			return err
		})
}

// newComposeTimedCmd is compose stop or restart: fn on each of the
// services' containers, with -t/--timeout (-1: the container's own grace
// period).
func newComposeTimedCmd(co *ComposeOptions, use, short string, fn func(ctx context.Context, c *client.Client, id string, t time.Duration) error) *cobra.Command {
	timeout := -1
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			t := time.Duration(-1)
			if cmd.Flags().Changed("timeout") {
				t = time.Duration(timeout) * time.Second
			}
			return runOrHook(cmd.Context(), co.Global, co, func(ctx context.Context, co *ComposeOptions) error {
				return co.eachContainer(ctx, args, func(ctx context.Context, c *client.Client, ci api.ContainerInfo) error {
					return fn(ctx, c, ci.ID, t)
				})
			})
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "seconds to wait before killing (default: the service's stop_grace_period, else 10)")
	return cmd
}

func newComposeStartCmd(co *ComposeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start the services' existing containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrHook(cmd.Context(), co.Global, co, func(ctx context.Context, co *ComposeOptions) error {
				return co.eachContainer(ctx, args, func(ctx context.Context, c *client.Client, ci api.ContainerInfo) error {
					return container.Start(ctx, c, ci.ID, container.StartOptions{})
				})
			})
		},
	}
}

func newComposeRestartCmd(co *ComposeOptions) *cobra.Command {
	return newComposeTimedCmd(co, "restart [OPTIONS] [SERVICE...]", "Stop and start the services' containers again",
		func(ctx context.Context, c *client.Client, id string, t time.Duration) error {
			return container.Restart(ctx, c, id, t)
		})
}

func newComposeRmCmd(co *ComposeOptions) *cobra.Command {
	var force, stop, volumes bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] [SERVICE...]",
		Short: "Remove the services' stopped containers (-s: stop them first)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrHook(cmd.Context(), co.Global, co, func(ctx context.Context, co *ComposeOptions) error {
				return co.eachContainer(ctx, args, func(ctx context.Context, c *client.Client, ci api.ContainerInfo) error {
					if ci.Status == "running" || ci.Status == "paused" {
						if !stop {
							return nil // Docker Compose leaves running containers
						}
						if _, err := container.Stop(ctx, c, ci.ID, -1); err != nil {
							return err
						}
					}
					if _, err := container.Remove(ctx, c, ci.ID, true); err != nil {
						return err
					}
					fmt.Fprintf(co.Global.IO.Err, "Container %s  Removed\n", ci.Name)
					if volumes {
						return container.RemoveAnonymousVolumes(ctx, c, ci.Labels)
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask (lumper never asks)")
	cmd.Flags().BoolVarP(&stop, "stop", "s", false, "stop running containers first")
	cmd.Flags().BoolVarP(&volumes, "volumes", "v", false, "also remove the containers' anonymous volumes")
	return cmd
}

func newComposePullCmd(co *ComposeOptions) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull the services' images",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrHook(cmd.Context(), co.Global, co, func(ctx context.Context, co *ComposeOptions) error {
				p, err := co.load(ctx)
				if err != nil {
					return err
				}
				if err := checkServices(p, args); err != nil {
					return err
				}
				if len(args) == 0 {
					args = slices.Sorted(maps.Keys(p.Services))
				}
				seen := map[string]bool{}
				for _, name := range args {
					s := p.Services[name]
					if seen[s.Image+"|"+s.Platform] || s.PullPolicy == "never" {
						continue
					}
					seen[s.Image+"|"+s.Platform] = true
					po := &PullOptions{Global: co.Global, Ref: s.Image, Platform: s.Platform, Quiet: quiet, Out: cmd.OutOrStdout(), Err: cmd.ErrOrStderr()}
					if err := runPull(ctx, po); err != nil {
						return fmt.Errorf("pulling %s for service %s: %w", s.Image, name, err)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func newComposeTopCmd(co *ComposeOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Show the processes of the services' running containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrHook(cmd.Context(), co.Global, co, func(ctx context.Context, co *ComposeOptions) error {
				var cs []api.ContainerInfo
				err := co.Global.withClient(ctx, func(ctx context.Context, c *client.Client) (err error) {
					cs, err = co.composeTargets(ctx, c, args)
					return err
				})
				if err != nil {
					return err
				}
				for _, ci := range cs {
					if ci.Status != "running" {
						continue
					}
					fmt.Fprintln(cmd.OutOrStdout(), ci.Name)
					if err := runTop(ctx, &TopOptions{Global: co.Global, Ref: ci.ID, Out: cmd.OutOrStdout(), Err: cmd.ErrOrStderr()}); err != nil {
						return err
					}
					fmt.Fprintln(cmd.OutOrStdout())
				}
				return nil
			})
		},
	}
}

func newComposePortCmd(co *ComposeOptions) *cobra.Command {
	o := &PortOptions{Global: co.Global}
	var index int
	cmd := &cobra.Command{
		Use:   "port [OPTIONS] SERVICE PRIVATE_PORT",
		Short: "Print the host address a service's container port is published on",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			port, proto, err := container.ParsePortFilter(args[1] + "/" + o.Proto)
			if err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			o.Port, o.Proto, o.Out = port, proto, cmd.OutOrStdout()
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *PortOptions) error {
				ref, err := co.serviceContainer(ctx, args[0], index)
				if err != nil {
					return err
				}
				o.Ref = ref
				return runPort(ctx, o)
			})
		},
	}
	cmd.Flags().StringVar(&o.Proto, "protocol", "tcp", "tcp or udp")
	cmd.Flags().IntVar(&index, "index", 1, "which of the service's containers (its number)")
	return cmd
}
