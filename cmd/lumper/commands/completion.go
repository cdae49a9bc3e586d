package commands

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/volume"
)

// What a command's positional arguments name, for shell completion.
type argKind int

const (
	argNone argKind = iota
	argContainer
	argImage
	argNetwork
	argContainerOrImage
	argVolume
)

// completion says what a command's arguments complete to: the kind of the
// first argument (firstOnly) or of all, and for containers which states.
type completion struct {
	kind      argKind
	states    []string // container states offered; nil = all
	firstOnly bool
}

var (
	running = []string{container.StatusRunning}
	stopped = []string{container.StatusCreated, container.StatusExited}
	paused  = []string{container.StatusPaused}
)

// completions maps a command path (without "lumper" and without the
// "container" group, which repeats the top-level verbs) to its completion.
var completions = map[string]completion{
	"stop": {kind: argContainer, states: running}, "kill": {kind: argContainer, states: running},
	"pause": {kind: argContainer, states: running}, "exec": {kind: argContainer, states: running, firstOnly: true},
	"top": {kind: argContainer, states: running, firstOnly: true}, "stats": {kind: argContainer, states: running},
	"attach": {kind: argContainer, states: running, firstOnly: true}, "port": {kind: argContainer, firstOnly: true},
	"start": {kind: argContainer, states: stopped}, "unpause": {kind: argContainer, states: paused},
	"restart": {kind: argContainer}, "rm": {kind: argContainer}, "wait": {kind: argContainer},
	"logs": {kind: argContainer, firstOnly: true}, "rename": {kind: argContainer, firstOnly: true},
	"commit": {kind: argContainer, firstOnly: true}, "diff": {kind: argContainer, firstOnly: true},
	"export": {kind: argContainer, firstOnly: true}, "update": {kind: argContainer},
	"inspect": {kind: argContainerOrImage},
	"run":     {kind: argImage, firstOnly: true}, "create": {kind: argImage, firstOnly: true},
	"rmi": {kind: argImage}, "tag": {kind: argImage, firstOnly: true}, "save": {kind: argImage},
	"history": {kind: argImage, firstOnly: true}, "push": {kind: argImage, firstOnly: true},
	"image rm": {kind: argImage}, "image inspect": {kind: argImage}, "image tag": {kind: argImage, firstOnly: true},
	"image save": {kind: argImage}, "image history": {kind: argImage, firstOnly: true}, "image push": {kind: argImage, firstOnly: true},
	"network rm": {kind: argNetwork}, "network inspect": {kind: argNetwork},
	"network connect": {kind: argNetwork, firstOnly: true}, "network disconnect": {kind: argNetwork, firstOnly: true},
	"volume rm": {kind: argVolume}, "volume inspect": {kind: argVolume},
	"generate kube": {kind: argContainer},
}

// flagValues are the fixed values of flags, by flag name.
var flagValues = map[string][]string{
	"restart":  {"no", "on-failure", "always", "unless-stopped"},
	"pull":     {"missing", "always", "never"},
	"format":   {"table", "json", "table {{.ID}}\t{{.Names}}", "{{json .}}"},
	"log-opt":  {"max-size=", "max-file="},
	"signal":   {"SIGTERM", "SIGKILL", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2"},
	"type":     {"container", "image", "network", "volume"},
	"platform": {"linux/amd64", "linux/arm64", "linux/arm/v7"},
	// issue 16's run/create flags
	"log-driver":  {"json-file", "local", "none"},
	"stop-signal": {"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"},
	"pid":         {"host", "container:"},
	"ipc":         {"private", "shareable", "none", "host", "container:"},
	"userns":      {"host"},
	"ulimit":      {"nofile=", "nproc=", "core=", "memlock=", "stack="},
	"shim":        {"group", "isolated"},
}

// keyEqualsFlags complete KEY= then the value, with no space after KEY=;
// so do the container: modes of --pid and --ipc.
var keyEqualsFlags = []string{"log-opt", "ulimit", "pid", "ipc"}

// registerCompletions gives every command's arguments and the flags with
// known values their shell completions (tested through `lumper __complete`).
func registerCompletions(root *cobra.Command, g *GlobalOptions) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "lumper"), " ")
		path = strings.TrimPrefix(path, "container ")
		if comp, ok := completions[path]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = g.completeArgs(comp)
		}
		for name, values := range flagValues {
			if c.LocalFlags().Lookup(name) != nil {
				dir := cobra.ShellCompDirectiveNoFileComp
				if slices.Contains(keyEqualsFlags, name) { // KEY= then the value
					dir |= cobra.ShellCompDirectiveNoSpace
				}
				_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, dir))
			}
		}
		for _, name := range []string{"network", "net"} {
			if f := c.LocalFlags().Lookup(name); f != nil && c.Name() != "network" {
				_ = c.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
					names := []string{"bridge", "host", "none"}
					for _, n := range g.networkNames() {
						if !slices.Contains(names, n) {
							names = append(names, n)
						}
					}
					return names, cobra.ShellCompDirectiveNoFileComp
				})
			}
		}
	}
	walk(root)
}

// completeArgs completes a command's arguments from containerd; when
// containerd cannot be reached it offers nothing (never file names).
func (g *GlobalOptions) completeArgs(comp completion) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		if comp.firstOnly && len(args) > 0 {
			return nil, none
		}
		var out []string
		switch comp.kind {
		case argContainer, argContainerOrImage, argImage:
			c, ctx, err := g.dial(cmd.Context())
			if err != nil {
				return nil, none
			}
			defer c.Close()
			if comp.kind != argImage {
				rows, err := container.List(ctx, c)
				if err != nil {
					return nil, none
				}
				out = append(out, containerCompletions(rows, comp.states)...)
			}
			if comp.kind != argContainer {
				imgs, err := images.List(ctx, c)
				if err != nil {
					return nil, none
				}
				for _, im := range imgs {
					if im.Repository != "" && im.Repository != "<none>" {
						out = append(out, im.Repository+":"+im.Tag)
					}
				}
			}
		case argNetwork:
			out = g.networkNames()
		case argVolume:
			if vols, err := volume.NewStore(g.DataRoot).List(); err == nil {
				for _, v := range vols {
					out = append(out, v.Name)
				}
			}
		}
		return out, none
	}
}

// containerCompletions are the names of the containers in one of states
// (all when nil), each with its state as the description.
func containerCompletions(rows []api.ContainerInfo, states []string) []string {
	var out []string
	for _, r := range rows {
		if states != nil && !slices.Contains(states, r.Status) {
			continue
		}
		name := r.Name
		if name == "" {
			name = r.ID[:12]
		}
		out = append(out, name+"\t"+r.Status)
	}
	return out
}

// networkNames are the user's networks (not the built-in modes).
func (g *GlobalOptions) networkNames() []string {
	nets, err := g.networks().List()
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range nets {
		out = append(out, n.Name)
	}
	return out
}
