//go:build !nocompose

package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/compose"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/kube"
	"github.com/lumper/lumper/pkg/logs"
)

func newComposePsCmd(co *ComposeOptions) *cobra.Command {
	o := &PsOptions{Global: co.Global}
	var services []string
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS] [SERVICE...]",
		Short: "List the project's containers (running ones unless -a), as 'lumper ps' does",
		RunE: func(cmd *cobra.Command, args []string) error {
			services = args
			o.Out = cmd.OutOrStdout()
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *PsOptions) error {
				p, err := co.loadOrName(ctx)
				if err != nil {
					return err
				}
				if err := checkServices(p, services); err != nil && len(p.Services) > 0 {
					return err
				}
				o.Filters = append(o.Filters, "label="+compose.LabelProject+"="+p.Name, "label="+compose.LabelOneOff+"=False")
				o.NoTrunc = o.Quiet // Docker Compose's -q prints full IDs
				for _, s := range services {
					o.Filters = append(o.Filters, "name=^"+regexp.QuoteMeta(p.Name+"-"+s+"-")+"[0-9]+$")
				}
				if err := o.validate(cmd); err != nil {
					return err
				}
				return runPs(ctx, o)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.All, "all", "a", false, "show stopped containers too")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "only print container IDs")
	f.StringVar(&o.Format, "format", "", "output format: table, json, or a Go template (as 'lumper ps')")
	f.StringArrayVar(&o.Filters, "filter", nil, "filter as 'lumper ps' does (KEY=VALUE)")
	return cmd
}

// ComposeLogsOptions are `compose logs`' flags.
type ComposeLogsOptions struct {
	*ComposeOptions
	Logs     LogsOptions
	NoPrefix bool
	NoColor  bool
	Services []string
}

func newComposeLogsCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeLogsOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "Show the services' output, each line prefixed with its container (coloured on a terminal)",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			o.Logs.Out, o.Logs.Err = cmd.OutOrStdout(), cmd.ErrOrStderr()
			ro, err := o.Logs.readOptions(time.Now())
			if err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *ComposeLogsOptions) error { return runComposeLogs(ctx, o, ro) })
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Logs.Follow, "follow", "f", false, "keep streaming new output")
	f.StringVarP(&o.Logs.Tail, "tail", "n", "all", "number of lines to show from the end of each container's log, or all")
	f.StringVar(&o.Logs.Since, "since", "", "show lines since a time or a duration ago (10m)")
	f.StringVar(&o.Logs.Until, "until", "", "show lines before a time or a duration ago")
	f.BoolVarP(&o.Logs.Timestamps, "timestamps", "t", false, "prefix each line with its RFC 3339 timestamp")
	f.BoolVar(&o.NoPrefix, "no-log-prefix", false, "do not prefix lines with the container's name")
	f.BoolVar(&o.NoColor, "no-color", false, "do not colour the prefixes")
	return cmd
}

func runComposeLogs(ctx context.Context, o *ComposeLogsOptions, ro logs.ReadOptions) error {
	p, err := o.loadOrName(ctx)
	if err != nil {
		return err
	}
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		cs, err := compose.Containers(ctx, c, p.Name, o.Services...)
		if err != nil {
			return err
		}
		return composeLogs(ctx, c, cs, ro, logsStyle{out: o.Logs.Out, err: o.Logs.Err, noPrefix: o.NoPrefix, color: o.Global.IO.OutTTY && !o.NoColor}, nil)
	})
}

// logsStyle is how composeLogs prints: where, with prefixes, coloured.
type logsStyle struct {
	out, err        io.Writer
	noPrefix, color bool
}

// composeLogs prints the containers' logs at once, each line after its
// container's name; ended is called (if not nil) as each one's log ends.
func composeLogs(ctx context.Context, c *client.Client, cs []api.ContainerInfo, ro logs.ReadOptions, st logsStyle, ended func(api.ContainerInfo)) error {
	width := 0
	for _, ci := range cs {
		width = max(width, len(ci.Name))
	}
	var mu sync.Mutex
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, ci := range cs {
		prefix := ""
		if !st.noPrefix {
			prefix = fmt.Sprintf("%-*s | ", width, ci.Name)
			if st.color {
				prefix = fmt.Sprintf("\x1b[%dm%s\x1b[0m", logColors[i%len(logColors)], prefix)
			}
		}
		out := &prefixWriter{mu: &mu, w: st.out, prefix: prefix}
		errw := &prefixWriter{mu: &mu, w: st.err, prefix: prefix}
		wg.Go(func() {
			errs[i] = container.Logs(ctx, c, ci.ID, ro, out, errw)
			out.flush()
			errw.flush()
			if ended != nil {
				ended(ci)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil // interrupted, or aborted by ended
	}
	return errors.Join(errs...)
}

// logColors are the ANSI colours of the prefixes, as Docker Compose
// cycles through them.
var logColors = []int{36, 33, 32, 35, 34, 96, 93, 92, 95, 94}

// prefixWriter writes whole lines, each after prefix, under a lock shared
// by every container's writer.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	i := bytes.LastIndexByte(p.buf, '\n')
	if i < 0 {
		return len(b), nil
	}
	var out bytes.Buffer
	for line := range strings.SplitSeq(string(p.buf[:i]), "\n") {
		out.WriteString(p.prefix + line + "\n")
	}
	p.buf = append(p.buf[:0], p.buf[i+1:]...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// flush writes a last line without its newline.
func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		_, _ = p.Write([]byte{'\n'})
	}
}

// ComposeExecOptions are `compose exec`'s flags.
type ComposeExecOptions struct {
	*ComposeOptions
	Exec  ExecOptions
	NoTTY bool
	Index int
}

func newComposeExecCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeExecOptions{ComposeOptions: co}
	o.Exec.Global = co.Global
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARG...]",
		Short: "Run a command in a service's running container (a terminal when stdin is one, unless -T)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := &o.Exec
			e.Args = args[1:]
			e.In, e.Out, e.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if e.Workdir != "" && e.Workdir[0] != '/' {
				return usageErrorf(cmd, "invalid --workdir %q: it must be an absolute path", e.Workdir)
			}
			if o.Index < 1 {
				return usageErrorf(cmd, "invalid --index %d: containers are numbered from 1", o.Index)
			}
			// Docker Compose: stdin and a terminal unless -T or -d.
			e.Interactive = !e.Detach
			e.TTY = !o.NoTTY && !e.Detach && o.Global.IO.InTTY
			service := args[0]
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *ComposeExecOptions) error {
				ref, err := o.serviceContainer(ctx, service, o.Index)
				if err != nil {
					return err
				}
				o.Exec.Ref = ref
				return runExec(ctx, cmd, &o.Exec)
			})
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&o.NoTTY, "no-TTY", "T", false, "do not allocate a terminal")
	f.BoolVarP(&o.Exec.Detach, "detach", "d", false, "run the command in the background")
	f.StringArrayVarP(&o.Exec.Env, "env", "e", nil, "set an environment variable (KEY=VALUE)")
	f.StringVarP(&o.Exec.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.Exec.User, "user", "u", "", "user to run as: UID[:GID] or name[:group]")
	f.BoolVar(&o.Exec.Privileged, "privileged", false, "give the process all capabilities")
	f.IntVar(&o.Index, "index", 1, "which of the service's containers (its number)")
	return cmd
}

// serviceContainer is the name of a service's container number index; with
// -p and no file, Docker Compose's PROJECT-SERVICE-N.
func (o *ComposeOptions) serviceContainer(ctx context.Context, service string, index int) (string, error) {
	p, err := o.loadOrName(ctx)
	if err != nil {
		return "", err
	}
	if len(p.Services) == 0 {
		return p.Name + "-" + service + "-" + strconv.Itoa(index), nil
	}
	s, ok := p.Services[service]
	if !ok {
		return "", api.Invalidf("no such service: %s", service)
	}
	return compose.ContainerName(p, s, index), nil
}

// ComposeConfigOptions are `compose config`'s flags.
type ComposeConfigOptions struct {
	*ComposeOptions
	Format   string
	Services bool
	Out      io.Writer
}

func newComposeConfigCmd(co *ComposeOptions) *cobra.Command {
	o := &ComposeConfigOptions{ComposeOptions: co}
	cmd := &cobra.Command{
		Use:     "config [OPTIONS]",
		Aliases: []string{"convert"},
		Short:   "Print the resolved project (files merged, variables interpolated) as YAML or JSON, or its containers as Kubernetes YAML",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if o.Format != "yaml" && o.Format != "json" && o.Format != "kube" {
				return usageErrorf(cmd, "invalid --format %q: use yaml, json or kube", o.Format)
			}
			return runOrHook(cmd.Context(), o.Global, o, runComposeConfig)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "yaml", "output format: yaml, json, or kube (Kubernetes Deployments and Services of the running project, by lumper-kube)")
	cmd.Flags().BoolVar(&o.Services, "services", false, "print the service names, one a line")
	return cmd
}

func runComposeConfig(ctx context.Context, o *ComposeConfigOptions) error {
	p, err := o.load(ctx)
	if err != nil {
		return err
	}
	if o.Format == "kube" {
		return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			ids, err := compose.ContainerIDs(ctx, c, p.Name)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return api.Invalidf("project %s has no containers: --format kube describes them, run 'lumper compose up' first", p.Name)
			}
			y, err := kube.Generate(ctx, c, ids, kube.Options{Type: kube.TypeDeployment, ByService: true}, o.Global.IO.Err)
			if err != nil {
				return fmt.Errorf("generating kube YAML: %w", err)
			}
			_, err = o.Out.Write(y)
			return err
		})
	}
	if o.Services {
		for _, name := range p.ServiceNames() {
			fmt.Fprintln(o.Out, name)
		}
		return nil
	}
	var b []byte
	if o.Format == "json" {
		b, err = p.MarshalJSON()
	} else {
		b, err = p.MarshalYAML()
	}
	if err != nil {
		return fmt.Errorf("printing the project: %w", err)
	}
	_, err = o.Out.Write(append(bytes.TrimRight(b, "\n"), '\n'))
	return err
}
