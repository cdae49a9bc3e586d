//go:build !nocompose

package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/compose"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/logs"
)

// ComposeUpOptions are `compose up`'s flags.
type ComposeUpOptions struct {
	*ComposeOptions
	Detach        bool
	Wait          bool
	WaitTimeout   int
	Build         bool
	ForceRecreate bool
	NoDeps        bool
	Abort         bool   // --abort-on-container-exit
	ExitCodeFrom  string // --exit-code-from SERVICE
	Scale         []string
	Services      []string
}

func newComposeUpCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeUpOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start the services' containers, then follow their output (-d: in the background)",
		Example: `  lumper compose up -d
  lumper compose up -d --wait --wait-timeout 60
  lumper compose up -d --force-recreate web
  lumper compose up --exit-code-from tests`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if o.Build {
				return usageErrorf(cmd, "--build is not supported: lumper does not build images (build them elsewhere and set image:)")
			}
			if o.ExitCodeFrom != "" {
				o.Abort = true
			}
			if o.Abort && (o.Detach || o.Wait) {
				return usageErrorf(cmd, "--abort-on-container-exit and --exit-code-from need attached mode: not with -d or --wait")
			}
			if o.WaitTimeout < 0 {
				return usageErrorf(cmd, "invalid --wait-timeout %d: use a number of seconds, 0 or more", o.WaitTimeout)
			}
			return runOrHook(cmd.Context(), o.Global, o, runComposeUp)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the containers in the background")
	f.BoolVar(&o.Wait, "wait", false, "wait until every service is running and healthy (implies -d); exit 1 with the failing probe's output otherwise")
	f.IntVar(&o.WaitTimeout, "wait-timeout", 0, "seconds --wait waits at most (0: no limit)")
	f.BoolVar(&o.Build, "build", false, "refused: lumper does not build images")
	f.BoolVar(&o.ForceRecreate, "force-recreate", false, "recreate the containers even if their configuration is unchanged")
	f.BoolVar(&o.NoDeps, "no-deps", false, "do not start the services' dependencies")
	f.BoolVar(&o.Abort, "abort-on-container-exit", false, "attached: stop every container when one exits")
	f.StringVar(&o.ExitCodeFrom, "exit-code-from", "", "attached: exit with this service's container's status (implies --abort-on-container-exit)")
	f.StringArrayVar(&o.Scale, "scale", nil, "SERVICE=N: run N containers of the service (over its scale)")
	return cmd
}

func runComposeUp(ctx context.Context, o *ComposeUpOptions) error {
	p, err := o.load(ctx)
	if err != nil {
		return err
	}
	if err := checkServices(p, o.Services); err != nil {
		return err
	}
	for _, sc := range o.Scale {
		name, n, ok := strings.Cut(sc, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 0 {
			return api.Invalidf("invalid --scale %q: use SERVICE=N", sc)
		}
		s, ok := p.Services[name]
		if !ok {
			return api.Invalidf("no such service: %s", name)
		}
		s.SetScale(count)
		p.Services[name] = s
	}
	if err := o.checkProject(p, nil); err != nil {
		return err
	}
	if o.ExitCodeFrom != "" {
		if err := checkServices(p, []string{o.ExitCodeFrom}); err != nil {
			return err
		}
	}
	// Attached, the output of this up only (a started container's earlier
	// runs are in its log too).
	since := time.Now()
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		if err := compose.Up(ctx, c, p, compose.UpOptions{
			Services: o.Services, NoDeps: o.NoDeps, ForceRecreate: o.ForceRecreate,
			Wait: o.Wait, WaitTimeout: time.Duration(o.WaitTimeout) * time.Second,
			Create: o.createContainer, Progress: composeProgress(o.Global),
		}); err != nil || o.Detach || o.Wait {
			return err
		}
		return o.attach(ctx, c, p, since)
	})
}

// attach is up without -d: the containers' output, prefixed, until they
// have all exited, or one has (--abort-on-container-exit), or the user
// interrupts; then the containers are stopped, as Docker Compose does.
func (o *ComposeUpOptions) attach(ctx context.Context, c *client.Client, p *types.Project, since time.Time) error {
	cs, err := compose.Containers(ctx, c, p.Name, o.Services...)
	if err != nil {
		return err
	}
	logCtx, abort := context.WithCancel(ctx)
	defer abort()
	var once sync.Once
	var first api.ContainerInfo
	ended := func(ci api.ContainerInfo) {
		if o.Abort && logCtx.Err() == nil {
			once.Do(func() { first = ci; abort() })
		}
	}
	st := logsStyle{out: o.Global.IO.Out, err: o.Global.IO.Err, color: o.Global.IO.OutTTY}
	if err := composeLogs(logCtx, c, cs, logs.ReadOptions{Follow: true, Tail: -1, Since: since}, st, ended); err != nil {
		return err
	}
	interrupted := ctx.Err() != nil
	ctx = context.WithoutCancel(ctx)
	if first.ID != "" {
		fmt.Fprintf(o.Global.IO.Err, "%s exited, aborting: stopping the containers\n", first.Name)
	}
	if err := compose.Stop(ctx, c, cs, composeProgress(o.Global)); err != nil {
		return err
	}
	if o.ExitCodeFrom != "" {
		for _, ci := range cs {
			if ci.Labels[compose.LabelService] == o.ExitCodeFrom {
				code, err := container.Wait(ctx, c, ci.ID)
				if err != nil {
					return err
				}
				if code != 0 {
					return &api.StatusError{Code: code}
				}
				return nil
			}
		}
	}
	if interrupted {
		return &api.StatusError{Code: 130}
	}
	return nil
}

// ComposeDownOptions are `compose down`'s flags.
type ComposeDownOptions struct {
	*ComposeOptions
	Volumes       bool
	RemoveOrphans bool
}

func newComposeDownCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeDownOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:   "down [OPTIONS]",
		Short: "Stop and remove the project's containers and networks (-v: and volumes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrHook(cmd.Context(), o.Global, o, runComposeDown)
		},
	}
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "also remove the project's named volumes and the containers' anonymous ones")
	cmd.Flags().BoolVar(&o.RemoveOrphans, "remove-orphans", false, "also remove containers of services the files no longer declare")
	return cmd
}

func runComposeDown(ctx context.Context, o *ComposeDownOptions) error {
	p, err := o.loadOrName(ctx)
	if err != nil {
		return err
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return compose.Down(ctx, c, p, compose.DownOptions{Volumes: o.Volumes, RemoveOrphans: o.RemoveOrphans, Progress: composeProgress(o.Global)})
	})
}

// loadOrName loads the project, or with -p and no readable file, stands
// for the project by its name alone (down and ps of a project whose files
// are gone, as Docker Compose allows).
func (o *ComposeOptions) loadOrName(ctx context.Context) (*types.Project, error) {
	p, err := o.load(ctx)
	if err != nil && o.Project != "" && len(o.Files) == 0 {
		return &types.Project{Name: o.Project}, nil
	}
	return p, err
}
