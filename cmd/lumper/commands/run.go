package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"

	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
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
	EnvFiles    []string
	Labels      []string
	LabelFiles  []string

	// Resources (issue 3: verified in the container's cgroup).
	Memory     string
	MemorySwap string
	CPUShares  int64
	Cpuset     string
	CPUs       string
	PidsLimit  int64

	// Mounts and isolation.
	Volumes     []string
	Mounts      []string
	Tmpfs       []string
	VolumesFrom []string
	Privileged  bool
	ReadOnly    bool
	CapAdd      []string
	CapDrop     []string
	SecurityOpt []string
	Network     string
	Net         NetworkFlags // -p, -P, --dns, --add-host

	// Restart is the --restart policy (run -d and create).
	Restart string
	// Pull is the --pull policy for the image: missing, always or never.
	Pull string
	// Platform is --platform: os/arch[/variant].
	Platform string
	// Health is the --health-* and --no-healthcheck flags (health.go).
	Health HealthFlags
	// Init is --init: lumper-init as PID 1.
	Init bool
	// Shim is --shim: group or isolated (config `shim`, env LUMPER_SHIM).
	Shim string

	// Issue 16 item 5: more run/create flags.
	CIDFile           string
	Expose            []string
	ShmSize           string
	Ulimits           []string
	PID               string
	IPC               string
	GroupAdd          []string
	StopSignal        string
	StopTimeout       int
	Devices           []string
	LogDriver         string
	Sysctls           []string
	OOMKillDisable    bool
	MemoryReservation string
	Userns            string

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
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *RunOptions) error { return runRun(ctx, cmd, o) })
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the container in the background and print its ID")
	f.BoolVar(&o.Remove, "rm", false, "remove the container when it exits")
	addCreateFlags(f, o)
	f.Bool("help", false, "help for run")
	return cmd
}

// addCreateFlags binds the flags `run` and `create` share.
func addCreateFlags(f *pflag.FlagSet, o *RunOptions) {
	f.BoolVarP(&o.TTY, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep stdin open")
	f.StringVar(&o.Name, "name", "", "name of the container")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy the host's)")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVar(&o.Entrypoint, "entrypoint", "", "override the image's ENTRYPOINT")
	f.StringVarP(&o.Hostname, "hostname", "h", "", "container host name (default: the short ID)")
	f.StringVarP(&o.User, "user", "u", "", "user to run as: UID[:GID] or name[:group]")
	f.StringArrayVar(&o.LogOpts, "log-opt", nil, "log rotation: max-size=10m, max-file=3")
	f.StringArrayVar(&o.EnvFiles, "env-file", nil, "read environment variables from a file (KEY=VALUE lines)")
	f.StringArrayVarP(&o.Labels, "label", "l", nil, "set a label on the container (KEY=VALUE)")
	f.StringArrayVar(&o.LabelFiles, "label-file", nil, "read labels from a file (KEY=VALUE lines)")
	f.StringVarP(&o.Memory, "memory", "m", "", "memory limit (e.g. 64m, 1g; at least 6m)")
	f.StringVar(&o.MemorySwap, "memory-swap", "", "memory plus swap limit; -1 for unlimited swap")
	f.Int64VarP(&o.CPUShares, "cpushare", "c", 0, "CPU shares (relative weight, 2-262144)")
	f.Int64Var(&o.CPUShares, "cpu-shares", 0, "CPU shares (alias of --cpushare)")
	f.StringVar(&o.Cpuset, "cpuset", "", "CPUs the container may use (0, 0-1, 0,1)")
	f.StringVar(&o.Cpuset, "cpuset-cpus", "", "CPUs the container may use (alias of --cpuset)")
	f.StringVar(&o.CPUs, "cpus", "", "number of CPUs (quota over period, e.g. 1.5)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "maximum number of processes (-1 unlimited)")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount HOST:CONTAINER[:ro|rw] (absolute host path), volume NAME:CONTAINER[:ro|rw], or anonymous volume CONTAINER")
	f.StringArrayVar(&o.Mounts, "mount", nil, "mount: type=bind,src=,dst=[,readonly], type=volume[,src=NAME],dst=[,readonly] or type=tmpfs,dst=[,tmpfs-size=]")
	f.StringArrayVar(&o.Tmpfs, "tmpfs", nil, "mount a tmpfs at PATH[:options]")
	f.StringArrayVar(&o.VolumesFrom, "volumes-from", nil, "mount the volumes and bind mounts of CONTAINER[:ro|rw]")
	f.BoolVar(&o.Privileged, "privileged", false, "give the container all capabilities and host devices")
	f.BoolVar(&o.ReadOnly, "read-only", false, "mount the container's root file system read-only")
	f.StringArrayVar(&o.CapAdd, "cap-add", nil, "add a Linux capability (e.g. NET_ADMIN, ALL)")
	f.StringArrayVar(&o.CapDrop, "cap-drop", nil, "drop a Linux capability")
	f.StringArrayVar(&o.SecurityOpt, "security-opt", nil, "no-new-privileges[:true|false], seccomp=unconfined|PROFILE.json")
	f.StringVar(&o.Network, "network", "", "network: bridge (the default), none, host, or a network from 'lumper network create'")
	addNetworkFlags(f, &o.Net)
	f.StringVar(&o.Network, "net", "", "alias of --network")
	_ = f.MarkHidden("net")
	f.StringVar(&o.Restart, "restart", "no", "restart policy: no, on-failure[:MAX-RETRIES], always or unless-stopped")
	f.StringVar(&o.Pull, "pull", container.PullMissing, "pull the image from its registry: missing, always or never")
	addHealthFlags(f, &o.Health)
	f.BoolVar(&o.Init, "init", false, "run an init inside the container that forwards signals and reaps processes")
	f.StringVar(&o.Shim, "shim", "", "containerd shim: group (share one with other containers, the default) or isolated (one of its own)")
	f.StringVar(&o.Platform, "platform", "", "use (and pull) the image's content for this platform, os/arch[/variant] (running it needs an emulator for a foreign architecture)")
	addMoreCreateFlags(f, o)
}

// addMoreCreateFlags binds issue 16's further run/create flags.
func addMoreCreateFlags(f *pflag.FlagSet, o *RunOptions) {
	f.StringVar(&o.CIDFile, "cidfile", "", "write the container ID to this file (which must not exist)")
	f.StringArrayVar(&o.Expose, "expose", nil, "expose a port or a range (PORT[-END][/tcp|udp]); -P publishes it")
	f.StringVar(&o.ShmSize, "shm-size", "", "size of /dev/shm (default 64m)")
	f.StringArrayVar(&o.Ulimits, "ulimit", nil, "resource limit NAME=SOFT[:HARD], e.g. nofile=1024:2048")
	f.StringVar(&o.PID, "pid", "", "PID namespace: host or container:NAME")
	f.StringVar(&o.IPC, "ipc", "", "IPC namespace: private (default), shareable, none, host or container:NAME")
	f.StringArrayVar(&o.GroupAdd, "group-add", nil, "add a supplementary group (GID or name)")
	f.StringVar(&o.StopSignal, "stop-signal", "", "signal that stops the container (default: the image's STOPSIGNAL, else SIGTERM)")
	f.IntVar(&o.StopTimeout, "stop-timeout", 0, "seconds stop waits before killing the container when -t is not given (default 10)")
	f.StringArrayVar(&o.Devices, "device", nil, "add a host device HOST[:CONTAINER][:rwm]")
	f.StringVar(&o.LogDriver, "log-driver", "", "logging driver: json-file or local (lumper's own log, the default), or none")
	f.StringArrayVar(&o.Sysctls, "sysctl", nil, "set a namespaced kernel parameter KEY=VALUE (net.*, kernel.shm*, ...)")
	f.BoolVar(&o.OOMKillDisable, "oom-kill-disable", false, "disable the OOM killer for the container (cgroup v1)")
	f.StringVar(&o.MemoryReservation, "memory-reservation", "", "memory soft limit (e.g. 32m)")
	f.StringVar(&o.Userns, "userns", "", "user namespace: only host (lumper does not remap users)")
}

func runRun(ctx context.Context, cmd *cobra.Command, o *RunOptions) error {
	co, err := o.createOptions(cmd)
	if err != nil {
		return err
	}
	if co.Restart != container.RestartNo && o.Remove {
		return usageErrorf(cmd, "conflicting options: --restart and --rm")
	}
	co.AutoRemove = o.Remove && o.Detach
	if co.Restart != container.RestartNo && !o.Detach {
		return usageErrorf(cmd, "--restart %s needs -d: a restarted container runs in the background", co.Restart)
	}
	var con console.Console
	if o.TTY && !o.Detach {
		if con, err = userTerminal(cmd, o.Global, o.Interactive); err != nil {
			return err
		}
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		ctr, err := createWithCIDFile(ctx, c, co, o.CIDFile)
		if err != nil {
			return err
		}
		if o.Detach {
			if err := container.StartDetached(ctx, c, ctr, o.TTY, co.Log, true); err != nil {
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
			Log:     co.Log,
			// A container that could not start is removed: its name is free.
			RemoveOnStartFailure: true,
		}
		if o.Interactive {
			ao.Stdio.In = o.In
		}
		return container.RunAttached(ctx, c, ctr, ao)
	})
}

// createOptions checks the flags `run` and `create` share (before anything
// is created) and turns them into the container's description.
func (o *RunOptions) createOptions(cmd *cobra.Command) (container.CreateOptions, error) {
	maxSize, maxFiles, err := logs.ParseLogOpts(o.LogOpts)
	if err != nil {
		return container.CreateOptions{}, usageErrorf(cmd, "%v", err)
	}
	if o.Workdir != "" && o.Workdir[0] != '/' {
		return container.CreateOptions{}, usageErrorf(cmd, "invalid --workdir %q: it must be an absolute path", o.Workdir)
	}
	policy, err := container.ParseRestartPolicy(o.Restart)
	if err != nil {
		return container.CreateOptions{}, err
	}
	env, err := spec.ParseEnv(o.Env, o.EnvFiles, os.LookupEnv)
	if err != nil {
		return container.CreateOptions{}, err
	}
	labels, err := spec.ParseLabels(o.Labels, o.LabelFiles)
	if err != nil {
		return container.CreateOptions{}, err
	}
	specOpts, mounts, err := o.specOptions()
	if err != nil {
		return container.CreateOptions{}, err
	}
	for _, v := range o.VolumesFrom {
		if _, err := container.ParseVolumesFrom(v); err != nil {
			return container.CreateOptions{}, err
		}
	}
	co := container.CreateOptions{
		VolumesFrom: o.VolumesFrom,
		Image:       o.Image,
		Args:        o.Args,
		Name:        o.Name,
		Env:         env,
		Labels:      labels,
		Workdir:     o.Workdir,
		Hostname:    o.Hostname,
		User:        o.User,
		TTY:         o.TTY,
		Interactive: o.Interactive,
		SpecOpts:    specOpts,
		Mounts:      mounts,
		Privileged:  o.Privileged,
		Restart:     policy,
		Log:         container.LogOptions{MaxSize: maxSize, MaxFiles: maxFiles},
	}
	if cmd.Flags().Changed("entrypoint") {
		co.Entrypoint = &o.Entrypoint
	}
	if err := container.ValidatePullPolicy(o.Pull); err != nil {
		return container.CreateOptions{}, usageErrorf(cmd, "%v", err)
	}
	co.Pull, co.Puller = o.Pull, o.Global.puller(cmd.ErrOrStderr())
	if _, _, err := images.ParsePlatform(o.Platform); err != nil {
		return container.CreateOptions{}, usageErrorf(cmd, "%v", err)
	}
	co.Platform = o.Platform
	if co.Health, err = o.Health.options(cmd); err != nil {
		return container.CreateOptions{}, err
	}
	co.Init = o.Init
	if co.Shim, err = spec.ParseShimMode(o.Shim); err != nil {
		return container.CreateOptions{}, usageErrorf(cmd, "%v", err)
	}
	if co.Network, err = o.Net.networkOptions(o.Network); err != nil {
		return container.CreateOptions{}, err
	}
	if err := o.moreCreateOptions(cmd, &co); err != nil {
		return container.CreateOptions{}, err
	}
	return co, nil
}

// moreCreateOptions checks issue 16's further flags that are not spec
// options (those are in specOptions).
func (o *RunOptions) moreCreateOptions(cmd *cobra.Command, co *container.CreateOptions) error {
	switch o.LogDriver {
	case "", "json-file", "local":
		// lumper's own log format behind Docker's names.
	case container.LogDriverNone:
		if len(o.LogOpts) > 0 {
			return usageErrorf(cmd, "--log-opt is not supported with --log-driver none")
		}
		co.Log.Driver = container.LogDriverNone
	default:
		return usageErrorf(cmd, "unsupported --log-driver %q: lumper supports json-file, local (both lumper's own log format) and none", o.LogDriver)
	}
	for _, e := range o.Expose {
		ports, err := spec.ParseExpose(e)
		if err != nil {
			return err
		}
		co.Expose = append(co.Expose, ports...)
	}
	if err := spec.CheckGroupAdd(o.GroupAdd); err != nil {
		return err
	}
	co.GroupAdd = o.GroupAdd
	if o.StopSignal != "" {
		sig, err := container.ParseSignal(o.StopSignal)
		if err != nil {
			return usageErrorf(cmd, "invalid --stop-signal %q: use a name such as SIGUSR1 or a number", o.StopSignal)
		}
		co.StopSignal = unix.SignalName(sig)
		if co.StopSignal == "" {
			co.StopSignal = strconv.Itoa(int(sig))
		}
	}
	if cmd.Flags().Changed("stop-timeout") {
		if o.StopTimeout < 0 {
			return usageErrorf(cmd, "invalid --stop-timeout %d: use a number of seconds, 0 or more", o.StopTimeout)
		}
		t := o.StopTimeout
		co.StopTimeout = &t
	}
	// Checked by specOptions already.
	co.PID, _ = spec.ParsePIDMode(o.PID)
	co.IPC, _ = spec.ParseIPCMode(o.IPC)
	co.Sysctls, _ = spec.ParseSysctls(o.Sysctls, o.Network, co.IPC)
	co.CIDFile = o.CIDFile
	if o.CIDFile != "" {
		// Checked here too, so that the error comes before dialing.
		if _, err := os.Lstat(o.CIDFile); err == nil {
			return usageErrorf(cmd, "container ID file found, make sure the other container isn't running or delete %s", o.CIDFile)
		}
	}
	return nil
}

// cidFile is --cidfile: created (exclusively) before the container, so
// that a path that cannot be written costs no container, written with the
// ID once it exists, and removed if creation fails (as Docker does).
type cidFile struct {
	f       *os.File
	written bool
}

// createWithCIDFile creates the container of run and create, recording its
// ID in the --cidfile path ("" for none): the file is made exclusively
// before the container and removed if the create fails.
func createWithCIDFile(ctx context.Context, c *client.Client, co container.CreateOptions, path string) (containerd.Container, error) {
	cid, err := openCIDFile(path)
	if err != nil {
		return nil, err
	}
	defer cid.close()
	ctr, err := container.Create(ctx, c, co)
	if err != nil {
		return nil, err
	}
	if err := cid.write(ctr.ID()); err != nil {
		return nil, err
	}
	return ctr, nil
}

func openCIDFile(path string) (*cidFile, error) {
	if path == "" {
		return &cidFile{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if os.IsExist(err) {
			return nil, api.Invalidf("container ID file found, make sure the other container isn't running or delete %s", path)
		}
		return nil, api.Invalidf("failed to create the container ID file: %v", err)
	}
	return &cidFile{f: f}, nil
}

// write records id; close then keeps the file.
func (c *cidFile) write(id string) error {
	if c.f == nil {
		return nil
	}
	if _, err := c.f.WriteString(id); err != nil {
		return fmt.Errorf("writing the container ID file: %w", err)
	}
	c.written = true
	return nil
}

// close closes the file, and removes it unless the ID was written.
func (c *cidFile) close() {
	if c.f == nil {
		return
	}
	c.f.Close()
	if !c.written {
		os.Remove(c.f.Name())
	}
}

// specOptions checks the resource, mount and security flags (before anything
// is created) and turns them into spec options.
func (o *RunOptions) specOptions() ([]oci.SpecOpts, []spec.Mount, error) {
	var r spec.Resources
	var err error
	if o.Memory != "" {
		if r.Memory, err = spec.ParseMemory(o.Memory); err != nil {
			return nil, nil, err
		}
	}
	if o.MemorySwap != "" {
		if r.MemorySwap, err = spec.ParseMemorySwap(o.MemorySwap, r.Memory); err != nil {
			return nil, nil, err
		}
	}
	if r.CPUShares, err = spec.ParseCPUShares(o.CPUShares); err != nil {
		return nil, nil, err
	}
	if o.Cpuset != "" {
		online, err := spec.OnlineCPUs()
		if err != nil {
			return nil, nil, fmt.Errorf("reading the host's CPUs: %w", err)
		}
		if r.CpusetCpus, err = spec.ParseCpuset(o.Cpuset, online); err != nil {
			return nil, nil, err
		}
	}
	if o.CPUs != "" {
		if r.CPUs, err = spec.ParseCPUs(o.CPUs, runtime.NumCPU()); err != nil {
			return nil, nil, err
		}
	}
	r.PidsLimit = o.PidsLimit
	if o.MemoryReservation != "" {
		if r.MemoryReservation, err = spec.ParseMemoryReservation(o.MemoryReservation, r.Memory); err != nil {
			return nil, nil, err
		}
	}
	r.OOMKillDisable = o.OOMKillDisable
	var mounts []spec.Mount
	for _, v := range o.Volumes {
		m, err := spec.ParseVolume(v)
		if err != nil {
			return nil, nil, err
		}
		mounts = append(mounts, m)
	}
	for _, v := range o.Mounts {
		m, err := spec.ParseMount(v)
		if err != nil {
			return nil, nil, err
		}
		mounts = append(mounts, m)
	}
	for _, v := range o.Tmpfs {
		m, err := spec.ParseTmpfs(v)
		if err != nil {
			return nil, nil, err
		}
		mounts = append(mounts, m)
	}
	sec := spec.Security{Privileged: o.Privileged, ReadOnly: o.ReadOnly, Network: o.Network}
	if sec.CapAdd, err = spec.NormalizeCaps(o.CapAdd); err != nil {
		return nil, nil, err
	}
	if sec.CapDrop, err = spec.NormalizeCaps(o.CapDrop); err != nil {
		return nil, nil, err
	}
	if sec.NoNewPrivileges, sec.Seccomp, err = spec.ParseSecurityOpts(o.SecurityOpt); err != nil {
		return nil, nil, err
	}
	if o.User != "" {
		if err := spec.ParseUser(o.User); err != nil {
			return nil, nil, err
		}
	}
	if sec.Isolation, err = o.isolation(); err != nil {
		return nil, nil, err
	}
	opts, err := spec.Opts(r, mounts, sec)
	if err != nil {
		return nil, nil, err
	}
	return opts, mounts, nil
}

// isolation checks --pid, --ipc, --shm-size, --ulimit, --device, --sysctl
// and --userns.
func (o *RunOptions) isolation() (spec.Isolation, error) {
	var iso spec.Isolation
	var err error
	if iso.PID, err = spec.ParsePIDMode(o.PID); err != nil {
		return iso, err
	}
	if iso.IPC, err = spec.ParseIPCMode(o.IPC); err != nil {
		return iso, err
	}
	if o.ShmSize != "" {
		if iso.ShmSize, err = spec.ParseShmSize(o.ShmSize); err != nil {
			return iso, err
		}
	}
	for _, u := range o.Ulimits {
		r, err := spec.ParseUlimit(u)
		if err != nil {
			return iso, err
		}
		iso.Ulimits = append(iso.Ulimits, r)
	}
	for _, d := range o.Devices {
		dev, err := spec.ParseDevice(d)
		if err != nil {
			return iso, err
		}
		iso.Devices = append(iso.Devices, dev)
	}
	if iso.Sysctls, err = spec.ParseSysctls(o.Sysctls, o.Network, iso.IPC); err != nil {
		return iso, err
	}
	return iso, spec.ParseUserns(o.Userns)
}
