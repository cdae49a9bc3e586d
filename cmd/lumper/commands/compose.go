//go:build !nocompose

package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/compose"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/network"
)

// ComposeOptions are the flags every `lumper compose` verb shares.
type ComposeOptions struct {
	Global     *GlobalOptions
	Files      []string
	Project    string
	ProjectDir string
	EnvFiles   []string
	Profiles   []string
}

func newComposeCmd(g *GlobalOptions) *cobra.Command {
	o := &ComposeOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "compose",
		Short: "Run a multi-container application from a compose file",
		Long: `Run the services of a compose file (the Compose specification: .env and
environment interpolation, profiles, extends, several -f files and overrides)
as lumper containers, networks and volumes, named and labelled as Docker
Compose names them (PROJECT-SERVICE-N, PROJECT_default, PROJECT_VOLUME,
com.docker.compose.* labels). Keys lumper cannot honour (build, secrets,
configs, ...) are refused in one line before anything is created.`,
		Example: `  lumper compose up -d --wait
  lumper compose ps
  lumper compose logs web
  lumper compose exec db sh -c 'echo ok'
  lumper compose down -v`,
	}
	pf := cmd.Flags() // before the verb, as Docker Compose's (root's TraverseChildren)
	pf.StringArrayVarP(&o.Files, "file", "f", nil, "compose file (repeatable: later files override earlier ones; default compose.yaml, docker-compose.yml, or COMPOSE_FILE)")
	pf.StringVarP(&o.Project, "project-name", "p", "", "project name (default: COMPOSE_PROJECT_NAME, the file's name:, or the directory's name)")
	pf.StringVar(&o.ProjectDir, "project-directory", "", "project directory (default: the first file's directory)")
	pf.StringArrayVar(&o.EnvFiles, "env-file", nil, "file of variables for interpolation (default: .env in the project directory)")
	pf.StringArrayVar(&o.Profiles, "profile", nil, "profile to enable (default: COMPOSE_PROFILES)")
	cmd.AddCommand(newComposeUpCmd(o), newComposeDownCmd(o), newComposePsCmd(o), newComposeLogsCmd(o),
		newComposeExecCmd(o), newComposeConfigCmd(o))
	cmd.AddCommand(composeMoreCmds(o)...)
	return cmd
}

// load reads the project (one line on error).
func (o *ComposeOptions) load(ctx context.Context) (*types.Project, error) {
	return compose.Load(ctx, compose.LoadOptions{
		Files: o.Files, Name: o.Project, ProjectDir: o.ProjectDir, EnvFiles: o.EnvFiles, Profiles: o.Profiles,
	})
}

// checkServices refuses service names the project does not have.
func checkServices(p *types.Project, names []string) error {
	for _, n := range names {
		if _, ok := p.Services[n]; !ok {
			return api.Invalidf("no such service: %s", n)
		}
	}
	return nil
}

// createContainer is compose's Creator: the service as `lumper create`'s
// options, through the same checks and container.Create as `lumper run`.
func (o *ComposeOptions) createContainer(ctx context.Context, c *client.Client, nc compose.NewContainer) (string, error) {
	co, err := o.serviceCreateOptions(nc)
	if err != nil {
		return "", err
	}
	ctr, err := container.Create(ctx, c, co)
	if err != nil {
		return "", err
	}
	return ctr.ID(), nil
}

// checkProject turns every selected service into create options without
// creating anything, so that a value lumper refuses fails before up
// creates a network.
func (o *ComposeOptions) checkProject(p *types.Project, services []string) error {
	if len(services) == 0 {
		services = slices.Sorted(maps.Keys(p.Services))
	}
	for _, name := range services {
		s := p.Services[name]
		nets := compose.ServiceNetworks(p, s)
		if _, err := o.serviceCreateOptions(compose.NewContainer{Project: p, Service: s, Name: compose.ContainerName(p, s, 1),
			Labels: compose.Labels(p, s, 1, false), Network: nets[0]}); err != nil {
			return err
		}
	}
	return nil
}

// serviceCreateOptions maps a service onto run's flags, then checks and
// converts them exactly as `lumper create` does (createOptions).
func (o *ComposeOptions) serviceCreateOptions(nc compose.NewContainer) (container.CreateOptions, error) {
	ro := &RunOptions{Global: o.Global}
	cmd := &cobra.Command{Use: "compose"}
	addCreateFlags(cmd.Flags(), ro)
	o.runDefaults(ro)
	fail := func(err error) (container.CreateOptions, error) {
		var ue *usageError
		if errors.As(err, &ue) {
			err = ue.err
		}
		return container.CreateOptions{}, api.Invalidf("service %s: %v", nc.Service.Name, describe(err))
	}
	if err := serviceRunFlags(ro, cmd, nc); err != nil {
		return fail(err)
	}
	co, err := ro.createOptions(cmd)
	if err != nil {
		return fail(err)
	}
	if hc := nc.Service.HealthCheck; hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] == "CMD" {
		co.Health.Test = hc.Test
	}
	return co, nil
}

// runDefaults gives the create flags what lumper.toml and the environment
// give `run`'s (config.go applies them to run and create only): the shim
// mode and the log options.
func (o *ComposeOptions) runDefaults(ro *RunOptions) {
	st := configOf(o.Global)
	if st == nil {
		return
	}
	for _, s := range st.settings {
		switch s.Key {
		case "shim":
			ro.Shim = s.Value
		case "log_opts":
			if s.Value != "" {
				ro.LogOpts = strings.Split(s.Value, ",")
			}
		}
	}
}

// serviceRunFlags sets run's flags from a service, as `lumper run` would
// take them from the command line.
func serviceRunFlags(ro *RunOptions, cmd *cobra.Command, nc compose.NewContainer) error {
	s, p := nc.Service, nc.Project
	ro.Image, ro.Name = s.Image, nc.Name
	f := cmd.Flags()
	ro.Args = s.Command
	if s.Entrypoint != nil {
		ep := ""
		if len(s.Entrypoint) > 0 {
			ep = s.Entrypoint[0]
			ro.Args = append(slices.Clone([]string(s.Entrypoint[1:])), s.Command...)
		}
		if err := f.Set("entrypoint", ep); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		if v := s.Environment[k]; v != nil {
			ro.Env = append(ro.Env, k+"="+*v)
		}
	}
	ro.Workdir, ro.Hostname, ro.User = s.WorkingDir, s.Hostname, s.User
	labels := maps.Clone(map[string]string(s.Labels))
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, nc.Labels)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		ro.Labels = append(ro.Labels, k+"="+labels[k])
	}
	serviceResources(ro, s)
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Bind != nil && !bool(v.Bind.CreateHostPath) {
			if _, err := os.Stat(v.Source); err != nil {
				return api.Invalidf("bind source %s: %v (create_host_path is false)", v.Source, errors.Unwrap(err))
			}
		}
		serviceVolume(ro, p, v)
	}
	ro.Tmpfs = s.Tmpfs
	ro.Privileged, ro.ReadOnly = s.Privileged, s.ReadOnly
	ro.CapAdd, ro.CapDrop, ro.SecurityOpt = s.CapAdd, s.CapDrop, s.SecurityOpt
	ro.Network = nc.Network.Name
	if network.ResolvesNames(nc.Network.Name) {
		ro.Net.Aliases = nc.Network.Aliases
	}
	for _, pc := range s.Ports {
		ro.Net.Publish = append(ro.Net.Publish, portFlag(pc))
	}
	ro.Expose = s.Expose
	ro.Net.DNS = s.DNS
	for _, h := range slices.Sorted(maps.Keys(s.ExtraHosts)) {
		for _, ip := range s.ExtraHosts[h] {
			ro.Net.AddHosts = append(ro.Net.AddHosts, h+":"+ip)
		}
	}
	ro.Restart = serviceRestart(s)
	if err := serviceHealth(ro, s.HealthCheck); err != nil {
		return err
	}
	ro.Init = s.Init != nil && *s.Init
	ro.StopSignal = s.StopSignal
	if s.StopGracePeriod != nil {
		secs := int((time.Duration(*s.StopGracePeriod) + time.Second - 1) / time.Second)
		if err := f.Set("stop-timeout", strconv.Itoa(secs)); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Ulimits)) {
		u := s.Ulimits[name]
		if u.Single != 0 {
			ro.Ulimits = append(ro.Ulimits, fmt.Sprintf("%s=%d", name, u.Single))
		} else {
			ro.Ulimits = append(ro.Ulimits, fmt.Sprintf("%s=%d:%d", name, u.Soft, u.Hard))
		}
	}
	if s.ShmSize != 0 {
		ro.ShmSize = strconv.FormatInt(int64(s.ShmSize), 10)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Sysctls)) {
		ro.Sysctls = append(ro.Sysctls, k+"="+s.Sysctls[k])
	}
	ro.GroupAdd, ro.PID, ro.IPC, ro.Platform = s.GroupAdd, s.Pid, s.Ipc, s.Platform
	switch s.PullPolicy {
	case "", "if_not_present":
		ro.Pull = container.PullMissing
	default:
		ro.Pull = s.PullPolicy
	}
	ro.TTY = s.Tty
	if s.Logging != nil {
		ro.LogDriver, ro.LogOpts = s.Logging.Driver, nil
		for _, k := range slices.Sorted(maps.Keys(s.Logging.Options)) {
			ro.LogOpts = append(ro.LogOpts, k+"="+s.Logging.Options[k])
		}
	}
	for _, d := range s.Devices {
		dev := d.Source + ":" + d.Target
		if d.Permissions != "" {
			dev += ":" + d.Permissions
		}
		ro.Devices = append(ro.Devices, dev)
	}
	return nil
}

func serviceResources(ro *RunOptions, s types.ServiceConfig) {
	mem, cpus, pids, res := int64(s.MemLimit), float64(s.CPUS), s.PidsLimit, int64(s.MemReservation)
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if l.MemoryBytes != 0 {
				mem = int64(l.MemoryBytes)
			}
			if l.NanoCPUs != 0 {
				cpus = float64(l.NanoCPUs)
			}
			if l.Pids != 0 {
				pids = l.Pids
			}
		}
		if r := s.Deploy.Resources.Reservations; r != nil && r.MemoryBytes != 0 {
			res = int64(r.MemoryBytes)
		}
	}
	if mem != 0 {
		ro.Memory = strconv.FormatInt(mem, 10)
	}
	if s.MemSwapLimit != 0 {
		ro.MemorySwap = strconv.FormatInt(int64(s.MemSwapLimit), 10)
	}
	if res != 0 {
		ro.MemoryReservation = strconv.FormatInt(res, 10)
	}
	if cpus != 0 {
		ro.CPUs = strconv.FormatFloat(cpus, 'f', -1, 64)
	}
	ro.PidsLimit = pids
	ro.CPUShares = s.CPUShares
	ro.Cpuset = s.CPUSet
	ro.OOMKillDisable = s.OomKillDisable
}

// serviceVolume adds one entry of a service's volumes as -v, --mount or
// --tmpfs.
func serviceVolume(ro *RunOptions, p *types.Project, v types.ServiceVolumeConfig) {
	ro2 := ""
	if v.ReadOnly {
		ro2 = ":ro"
	}
	switch v.Type {
	case types.VolumeTypeBind:
		ro.Volumes = append(ro.Volumes, v.Source+":"+v.Target+ro2)
	case types.VolumeTypeVolume:
		if v.Source == "" {
			ro.Volumes = append(ro.Volumes, v.Target)
			return
		}
		src := v.Source
		if _, ok := p.Volumes[src]; ok {
			src = compose.VolumeName(p, src)
		}
		ro.Volumes = append(ro.Volumes, src+":"+v.Target+ro2)
	case types.VolumeTypeTmpfs:
		m := "type=tmpfs,dst=" + v.Target
		if v.Tmpfs != nil && v.Tmpfs.Size != 0 {
			m += ",tmpfs-size=" + strconv.FormatInt(int64(v.Tmpfs.Size), 10)
		}
		ro.Mounts = append(ro.Mounts, m)
	}
}

// portFlag is a ports entry as -p: [HOST_IP:][PUBLISHED:]TARGET[/PROTO].
func portFlag(pc types.ServicePortConfig) string {
	s := strconv.FormatUint(uint64(pc.Target), 10)
	if pc.Published != "" {
		s = pc.Published + ":" + s
		if pc.HostIP != "" {
			s = pc.HostIP + ":" + s
		}
	}
	if pc.Protocol != "" {
		s += "/" + pc.Protocol
	}
	return s
}

// serviceRestart is restart, or deploy.restart_policy in run's terms.
func serviceRestart(s types.ServiceConfig) string {
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		rp := s.Deploy.RestartPolicy
		switch rp.Condition {
		case "any":
			return container.RestartAlways
		case "on-failure":
			if rp.MaxAttempts != nil {
				return "on-failure:" + strconv.FormatUint(*rp.MaxAttempts, 10)
			}
			return "on-failure"
		case "none":
			return container.RestartNo
		}
	}
	if s.Restart == "" {
		return container.RestartNo
	}
	return s.Restart
}

// serviceHealth sets the --health-* flags from a healthcheck (a CMD test
// is set on the create options after, see serviceCreateOptions).
func serviceHealth(ro *RunOptions, hc *types.HealthCheckConfig) error {
	if hc == nil {
		return nil
	}
	if hc.Disable || (len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		ro.Health.Disable = true
		return nil
	}
	if len(hc.Test) > 0 {
		switch hc.Test[0] {
		case "CMD-SHELL":
			if len(hc.Test) < 2 {
				return api.Invalidf("healthcheck test CMD-SHELL needs a command")
			}
			ro.Health.Cmd = hc.Test[1]
		case "CMD":
			if len(hc.Test) < 2 {
				return api.Invalidf("healthcheck test CMD needs a command")
			}
		default:
			return api.Invalidf("healthcheck test must start with CMD, CMD-SHELL or NONE, not %q", hc.Test[0])
		}
	}
	dur := func(d *types.Duration) time.Duration {
		if d == nil {
			return 0
		}
		return time.Duration(*d)
	}
	ro.Health.Interval, ro.Health.Timeout, ro.Health.Start = dur(hc.Interval), dur(hc.Timeout), dur(hc.StartPeriod)
	if hc.Retries != nil {
		ro.Health.Retries = int(*hc.Retries)
	}
	return nil
}

// composeProgress is where up and down report each container: stderr.
func composeProgress(g *GlobalOptions) io.Writer { return g.IO.Err }
