package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/output"
	"github.com/lumper/lumper/pkg/volume"
)

// VolumeOptions are the flags of the `volume` verbs.
type VolumeOptions struct {
	Global  *GlobalOptions
	Verb    string // create, ls, rm, prune
	Names   []string
	Labels  map[string]string
	Quiet   bool
	Format  string
	Filters map[string][]string
	Force   bool
	All     bool
}

// newVolumeCmd groups the volume verbs: create, ls, inspect, rm, prune.
func newVolumeCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "volume",
		Short: "Manage volumes (directories under the data root that containers mount)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newVolumeCreateCmd(g), newVolumeLsCmd(g), newInspectCmdOf(g, typeVolume), newVolumeRmCmd(g), newVolumePruneCmd(g))
	return cmd
}

func newVolumeCreateCmd(g *GlobalOptions) *cobra.Command {
	o := &VolumeOptions{Global: g, Verb: "create"}
	var labels []string
	var driver, name string
	var opts []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume (a new anonymous name without VOLUME); print its name",
		Example: `  lumper volume create data
  lumper volume create --label env=ci cache`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if driver != "local" {
				return usageErrorf(cmd, "invalid --driver %q: lumper makes local volumes only", driver)
			}
			if len(opts) > 0 {
				return usageErrorf(cmd, "invalid --opt %q: the local driver's options are not supported", opts[0])
			}
			if len(args) == 1 && name != "" && name != args[0] {
				return usageErrorf(cmd, "conflicting options: either specify --name or provide positional arg, not both")
			}
			if len(args) == 1 {
				name = args[0]
			}
			if name != "" {
				if err := volume.ValidateName(name); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			o.Names = []string{name}
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				if k == "" {
					return usageErrorf(cmd, "invalid --label %q: use KEY=VALUE", l)
				}
				o.Labels[k] = v
			}
			return runOrHook(cmd.Context(), o.Global, o, runVolumeCreate)
		},
	}
	cmd.Flags().StringArrayVarP(&labels, "label", "l", nil, "set metadata on the volume (KEY=VALUE)")
	cmd.Flags().StringVarP(&driver, "driver", "d", "local", "volume driver (local only)")
	cmd.Flags().StringArrayVarP(&opts, "opt", "o", nil, "driver options (none are supported)")
	cmd.Flags().StringVar(&name, "name", "", "volume name (as the argument)")
	_ = cmd.Flags().MarkHidden("name")
	return cmd
}

func runVolumeCreate(ctx context.Context, o *VolumeOptions) error {
	// No containerd needed: volumes are files under the data root.
	s := volume.NewStore(o.Global.DataRoot)
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	name, anon := o.Names[0], o.Names[0] == ""
	if anon {
		name = volume.NewAnonymousName()
	}
	v, _, err := s.Create(name, o.Labels, anon)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Global.IO.Out, v.Name)
	return err
}

// volumeFilterKeys are the filters `volume ls --filter` takes.
var volumeFilterKeys = []string{"dangling", "name", "label", "driver"}

func parseVolumeFilters(fs []string, keys []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" && k != "label" {
			return nil, fmt.Errorf("invalid filter %q: use KEY=VALUE", f)
		}
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("invalid filter %q: use %s", k, strings.Join(keys, ", "))
		}
		if k == "dangling" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter 'dangling=%s': use true or false", v)
			}
			v = strconv.FormatBool(b)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func newVolumeLsCmd(g *GlobalOptions) *cobra.Command {
	o := &VolumeOptions{Global: g, Verb: "ls"}
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Example: `  lumper volume ls
  lumper volume ls -q --filter dangling=true
  lumper volume ls --format '{{.Name}} {{.Mountpoint}}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			var err error
			if o.Filters, err = parseVolumeFilters(filters, volumeFilterKeys); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runVolumeLs)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print volume names")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template (.Name .Driver .Scope .Mountpoint .Labels .Links .Size .CreatedAt)")
	cmd.Flags().StringArrayVarP(&filters, "filter", "f", nil, "filter: dangling=true|false, name=, label=KEY[=VALUE], driver=local")
	return cmd
}

func runVolumeLs(ctx context.Context, o *VolumeOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		vols, err := container.ListVolumes(ctx, c, false)
		if err != nil {
			return err
		}
		rows := volumeRows(vols, o.Filters)
		cols := []output.Column[api.VolumeRow]{
			{Header: "DRIVER", Value: func(r api.VolumeRow) string { return r.Driver }},
			{Header: "VOLUME NAME", Value: func(r api.VolumeRow) string { return r.Name }},
		}
		return output.Print(o.Global.IO.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, cols,
			func(r api.VolumeRow) string { return r.Name })
	})
}

// volumeRows are the volumes that pass every filter key (any of a key's
// values), by name.
func volumeRows(vols []container.VolumeSummary, filters map[string][]string) []api.VolumeRow {
	rows := []api.VolumeRow{}
	for _, v := range vols {
		if volumeMatches(v, filters) {
			rows = append(rows, volumeRow(v))
		}
	}
	return rows
}

func volumeRow(v container.VolumeSummary) api.VolumeRow {
	size := "N/A"
	if v.Size >= 0 {
		size = units.HumanSizeWithPrecision(float64(v.Size), 3)
	}
	return api.VolumeRow{
		Name: v.Name, Driver: volume.Driver, Scope: volume.Scope, Mountpoint: v.Mountpoint,
		Labels: api.JoinLabels(v.Labels), LabelMap: v.Labels, Links: strconv.Itoa(len(v.Users)),
		Size: size, CreatedAt: v.CreatedAt.Local().Format(time.RFC3339),
	}
}

func volumeMatches(v container.VolumeSummary, filters map[string][]string) bool {
	for k, vals := range filters {
		if !slices.ContainsFunc(vals, func(val string) bool {
			switch k {
			case "name":
				return strings.Contains(v.Name, val) // Docker: a substring
			case "driver":
				return val == volume.Driver
			case "dangling":
				return (val == "true") == (len(v.Users) == 0)
			case "label":
				key, want, hasVal := strings.Cut(val, "=")
				got, ok := v.Labels[key]
				return ok && (!hasVal || got == want)
			}
			return false
		}) {
			return false
		}
	}
	return true
}

// inspectVolume is a volume's `volume inspect` document.
func inspectVolume(dataRoot, name string) (api.Volume, error) {
	v, err := volume.NewStore(dataRoot).Get(name)
	if err != nil {
		return api.Volume{}, err
	}
	return api.Volume{
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Driver: volume.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: map[string]string{}, Scope: volume.Scope,
	}, nil
}

func newVolumeRmCmd(g *GlobalOptions) *cobra.Command {
	o := &VolumeOptions{Global: g, Verb: "rm"}
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove volumes no container uses",
		Example: `  lumper volume rm data
  lumper volume rm -f $(lumper volume ls -q --filter dangling=true)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Names = args
			return runOrHook(cmd.Context(), o.Global, o, runVolumeRm)
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not fail on a volume that does not exist")
	return cmd
}

func runVolumeRm(ctx context.Context, o *VolumeOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		return forEach(o.Global.IO.Err, o.Names, func(name string) error {
			if err := container.RemoveVolume(ctx, c, name, o.Force); err != nil {
				return err
			}
			_, err := fmt.Fprintln(o.Global.IO.Out, name)
			return err
		})
	})
}

func newVolumePruneCmd(g *GlobalOptions) *cobra.Command {
	o := &VolumeOptions{Global: g, Verb: "prune"}
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove anonymous volumes no container uses (with -a: every unused volume)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Filters, err = parseVolumeFilters(filters, []string{"label"}); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runVolumePrune)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "remove every unused volume, named ones too")
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not prompt (lumper never does)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "only volumes with label=KEY[=VALUE]")
	return cmd
}

func runVolumePrune(ctx context.Context, o *VolumeOptions) error {
	po := &PruneOptions{Global: o.Global, Out: o.Global.IO.Out}
	return runPrune(ctx, po, "Volumes", func(ctx context.Context, g *GlobalOptions) (api.PruneReport, error) {
		var rep api.PruneReport
		err := g.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			var err error
			rep, err = container.PruneVolumes(ctx, c, o.All, func(v *volume.Volume) bool {
				return !volumeMatches(container.VolumeSummary{Volume: v}, o.Filters)
			})
			return err
		})
		return rep, err
	})
}
