package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/registry"
)

// PullOptions are the flags of `lumper pull`.
type PullOptions struct {
	Global   *GlobalOptions
	Platform string
	Quiet    bool
	Ref      string
	Out      io.Writer
	Err      io.Writer
}

func newPullCmd(g *GlobalOptions) *cobra.Command {
	o := &PullOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Example: `  lumper pull busybox
  lumper pull --platform linux/arm64 alpine:3.20
  lumper pull localhost:5000/myimage:1.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Out, o.Err = args[0], cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runOrHook(cmd.Context(), o.Global, o, runPull)
		},
	}
	cmd.Flags().StringVar(&o.Platform, "platform", "", "pull this platform (os/arch[/variant]) of a multi-platform image")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print only the image name")
	return cmd
}

func runPull(ctx context.Context, o *PullOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		po := registry.PullOptions{Remote: o.Global.registryOptions(), Platform: o.Platform}
		if !o.Quiet {
			po.Progress = o.Err
		}
		res, err := registry.Pull(ctx, c, o.Ref, po)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.Out, res.Name)
		return err
	})
}

// registryOptions say how to reach registries: --insecure-registry, and
// Docker's config.json for credentials.
func (g *GlobalOptions) registryOptions() registry.Options {
	return registry.Options{Insecure: g.InsecureRegistries, HostsDirs: g.hostsDirs()}
}

// puller is how `run` and `create` pull an image they do not find, with
// progress on w.
func (g *GlobalOptions) puller(w io.Writer) container.Puller {
	return func(ctx context.Context, c *client.Client, ref, platform string) error {
		_, err := registry.Pull(ctx, c, ref, registry.PullOptions{Remote: g.registryOptions(), Progress: w, Platform: platform})
		return err
	}
}
