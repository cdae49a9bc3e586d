package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/containerd/console"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/spec"
)

// ExecOptions are the flags of `lumper exec`.
type ExecOptions struct {
	Global      *GlobalOptions
	Interactive bool
	TTY         bool
	Detach      bool
	Env         []string
	EnvFiles    []string
	Workdir     string
	User        string
	Privileged  bool

	Ref  string
	Args []string
	In   io.Reader
	Out  io.Writer
	Err  io.Writer
}

// execReapCommand is the hidden command a detached exec leaves running to
// remove the exec process from containerd when it ends.
const execReapCommand = "internal-exec-reap"

func newExecCmd(g *GlobalOptions) *cobra.Command {
	o := &ExecOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Example: `  lumper run -d --name c1 busybox top
  lumper exec -it c1 sh
  echo hi | lumper exec -i c1 cat
  lumper exec -e A=1 -w /tmp -u 65534 c1 sh -c 'echo $A $(pwd) $(id -u)'`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref, o.Args = args[0], args[1:]
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.Workdir != "" && o.Workdir[0] != '/' {
				return usageErrorf(cmd, "invalid --workdir %q: it must be an absolute path", o.Workdir)
			}
			if o.Detach && (o.Interactive || o.TTY) {
				return usageErrorf(cmd, "-d cannot be combined with -i or -t")
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *ExecOptions) error { return runExec(ctx, cmd, o) })
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep stdin open")
	f.BoolVarP(&o.TTY, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the command in the background")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy the host's)")
	f.StringArrayVar(&o.EnvFiles, "env-file", nil, "read environment variables from a file")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.User, "user", "u", "", "user to run as: UID[:GID] or name[:group]")
	f.BoolVar(&o.Privileged, "privileged", false, "give the process all capabilities")
	return cmd
}

func runExec(ctx context.Context, cmd *cobra.Command, o *ExecOptions) error {
	env, err := spec.ParseEnv(o.Env, o.EnvFiles, os.LookupEnv)
	if err != nil {
		return err
	}
	var con console.Console
	if o.TTY {
		if con, err = userTerminal(cmd, o.Global, o.Interactive); err != nil {
			return err
		}
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		eo := container.ExecOptions{
			Args:       o.Args,
			Env:        env,
			Workdir:    o.Workdir,
			User:       o.User,
			Privileged: o.Privileged,
			TTY:        o.TTY,
			Detach:     o.Detach,
			Stdio:      container.Stdio{Out: o.Out, Err: o.Err},
			Console:    con,
		}
		if o.Interactive {
			eo.Stdio.In = o.In
		}
		if o.TTY {
			// A terminal merges stderr into stdout.
			eo.Stdio.Err = nil
			if con != nil {
				eo.Stdio.Out = con
				if o.Interactive {
					eo.Stdio.In = con
				}
			}
		}
		ctrID, execID, err := container.Exec(ctx, c, o.Ref, eo)
		if err != nil || !o.Detach {
			return err
		}
		return spawnExecReaper(o.Global, ctrID, execID)
	})
}

// spawnExecReaper leaves a small lumper process behind that removes the
// detached exec process from containerd when it ends.
func spawnExecReaper(g *GlobalOptions, ctrID, execID string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating lumper binary: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	reaper := exec.Command(self, "--address", g.Address, "--namespace", g.Namespace, execReapCommand, ctrID, execID)
	reaper.Stdin, reaper.Stdout, reaper.Stderr = devnull, devnull, devnull
	reaper.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := reaper.Start(); err != nil {
		return fmt.Errorf("starting exec reaper: %w", err)
	}
	return reaper.Process.Release()
}

func newExecReapCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    execReapCommand + " CONTAINER-ID EXEC-ID",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, err := g.dial(context.WithoutCancel(cmd.Context()))
			if err != nil {
				return err
			}
			defer c.Close()
			return container.ReapExec(ctx, c, args[0], args[1])
		},
	}
}
