//go:build !nocompose

package commands

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/compose"
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
	Scale         []string
	Services      []string
}

func newComposeUpCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeUpOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start the services' containers (detached: -d is required)",
		Example: `  lumper compose up -d
  lumper compose up -d --wait --wait-timeout 60
  lumper compose up -d --force-recreate web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if o.Build {
				return usageErrorf(cmd, "--build is not supported: lumper does not build images (build them elsewhere and set image:)")
			}
			if !o.Detach && !o.Wait {
				return usageErrorf(cmd, "attached mode is not supported: use -d (and 'lumper compose logs -f')")
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
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return compose.Up(ctx, c, p, compose.UpOptions{
			Services: o.Services, NoDeps: o.NoDeps, ForceRecreate: o.ForceRecreate,
			Wait: o.Wait, WaitTimeout: time.Duration(o.WaitTimeout) * time.Second,
			Create: o.createContainer, Progress: composeProgress(o.Global),
		})
	})
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
