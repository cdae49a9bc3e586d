package commands

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/containerd/console"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/logs"
	"github.com/lumper/lumper/pkg/spec"
)

// RunOptions are the flags of `lumper run`.
type RunOptions struct {
	Global      *GlobalOptions
	Detach      bool
	TTY         bool
	Interactive bool
	Remove      bool
	Name        string
	Env         []string
	Workdir     string
	Entrypoint  string
	Hostname    string
	User        string
	LogOpts     []string

	Image string
	Args  []string
	In    io.Reader
	Out   io.Writer
	Err   io.Writer
}

func newRunCmd(g *GlobalOptions) *cobra.Command {
	o := &RunOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a container",
		Example: `  lumper run --rm busybox echo hello
  lumper run -d --name web busybox httpd -f -p 8080
  lumper run -it --name shell busybox sh
  lumper run -e GREETING=hi -w /tmp busybox sh -c 'echo $GREETING from $(pwd)'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Args = args[0], args[1:]
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Detach && o.Remove {
				return usageErrorf(cmd, "--rm and -d cannot be used together: a detached container is removed with 'lumper rm'")
			}
			return runRun(cmd.Context(), cmd, o)
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the container in the background and print its ID")
	f.BoolVarP(&o.TTY, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep stdin open")
	f.BoolVar(&o.Remove, "rm", false, "remove the container when it exits")
	f.StringVar(&o.Name, "name", "", "name of the container")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy the host's)")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVar(&o.Entrypoint, "entrypoint", "", "override the image's ENTRYPOINT")
	f.StringVarP(&o.Hostname, "hostname", "h", "", "container host name (default: the short ID)")
	f.StringVarP(&o.User, "user", "u", "", "user to run as: UID[:GID] or name[:group]")
	f.StringArrayVar(&o.LogOpts, "log-opt", nil, "log rotation: max-size=10m, max-file=3")
	f.Bool("help", false, "help for run")
	return cmd
}

func runRun(ctx context.Context, cmd *cobra.Command, o *RunOptions) error {
	maxSize, maxFiles, err := logs.ParseLogOpts(o.LogOpts)
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	if o.Workdir != "" && o.Workdir[0] != '/' {
		return usageErrorf(cmd, "invalid --workdir %q: it must be an absolute path", o.Workdir)
	}
	env, err := spec.ParseEnv(o.Env, nil, os.LookupEnv)
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	var con console.Console
	if o.TTY && !o.Detach {
		c, err := console.ConsoleFromFile(os.Stdin)
		if err != nil {
			return usageErrorf(cmd, "-t needs a terminal on stdin (%v): drop -t when piping", err)
		}
		con = c
	}
	c, ctx, err := o.Global.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	co := container.CreateOptions{
		Image:       o.Image,
		Args:        o.Args,
		Name:        o.Name,
		Env:         env,
		Workdir:     o.Workdir,
		Hostname:    o.Hostname,
		User:        o.User,
		TTY:         o.TTY,
		Interactive: o.Interactive,
	}
	if cmd.Flags().Changed("entrypoint") {
		co.Entrypoint = &o.Entrypoint
	}
	ctr, err := container.Create(ctx, c, co)
	if err != nil {
		return err
	}
	lo := container.LogOptions{MaxSize: maxSize, MaxFiles: maxFiles}
	if o.Detach {
		if err := container.StartDetached(ctx, c, ctr, o.TTY, lo); err != nil {
			return err
		}
		_, err := fmt.Fprintln(o.Out, ctr.ID())
		return err
	}
	ao := container.AttachOptions{
		Stdio:   container.Stdio{Out: o.Out, Err: o.Err},
		TTY:     o.TTY,
		Console: con,
		Remove:  o.Remove,
		Log:     lo,
	}
	if o.Interactive {
		ao.Stdio.In = o.In
	}
	return container.RunAttached(ctx, c, ctr, ao)
}
