package commands

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/output"
)

// InfoOptions are the flags of `lumper info`.
type InfoOptions struct {
	Global *GlobalOptions
	Format string
	Out    io.Writer
}

func newInfoCmd(g *GlobalOptions) *cobra.Command {
	o := &InfoOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Show lumper's settings (and where each came from) and containerd's",
		Long: `Show lumper's effective settings, each with its source (flag, env, file or
default), and containerd's version, the snapshotter and the numbers of
containers and images in lumper's namespace.

--format takes a Go template over these fields (or "json"):
  .ServerVersion .ServerRevision .Address .Namespace .Driver .DataRoot
  .Containers .ContainersRunning .ContainersPaused .ContainersStopped .Images
  .Warnings
  .ClientInfo.Version .ClientInfo.ConfigFile
  .ClientInfo.Settings (each .Key .Value .Source)`,
		Example: `  lumper info
  lumper info --format '{{.ServerVersion}}'
  lumper system info --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if o.Format != "" && o.Format != "json" {
				if _, err := output.Template(o.Format); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			return runOrHook(cmd.Context(), o.Global, o, runInfo)
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", `output format: "json" or a Go template`)
	return cmd
}

// clientInfo is lumper's side of the information, which needs no containerd.
func clientInfo(g *GlobalOptions) api.ClientInfo {
	ci := api.ClientInfo{Version: clientVersion().Version}
	if st := configOf(g); st != nil && st.file != nil {
		ci.ConfigFile = st.file.Path()
		ci.Settings = st.settings
	}
	return ci
}

func runInfo(ctx context.Context, o *InfoOptions) error {
	g := o.Global
	info := api.SystemInfo{
		Address: g.Address, Namespace: g.Namespace, Driver: g.Snapshotter, DataRoot: g.DataRoot,
		ClientInfo: clientInfo(g), Warnings: []string{},
	}
	c, ctx, err := g.dial(ctx)
	if err != nil {
		if o.Format == "" {
			// The client side is worth showing when containerd is not.
			printInfo(o.Out, info, false)
		}
		return err
	}
	defer c.Close()
	sv, err := c.Version(ctx)
	if err != nil {
		return fmt.Errorf("asking containerd for its version: %w", err)
	}
	info.ServerVersion, info.ServerRevision = sv.Version, sv.Revision
	if w, err := c.CheckDaemon(ctx); err == nil {
		info.Warnings = append(info.Warnings, w...)
	}
	ctrs, err := container.List(ctx, c)
	if err != nil {
		return err
	}
	for _, ci := range ctrs {
		info.Containers++
		switch ci.Status {
		case "running", "restarting":
			info.ContainersRunning++
		case "paused":
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	imgs, err := images.List(ctx, c)
	if err != nil {
		return err
	}
	info.Images = len(imgs)
	switch o.Format {
	case "":
		printInfo(o.Out, info, true)
		return nil
	case "json":
		o.Format = "{{json .}}"
	}
	tmpl, err := output.Template(o.Format)
	if err != nil {
		return err
	}
	if err := tmpl.Execute(o.Out, info); err != nil {
		return fmt.Errorf("formatting: %w", err)
	}
	_, err = fmt.Fprintln(o.Out)
	return err
}

// printInfo writes Docker's `info` layout: a Client section, then a Server
// section (when containerd answered).
func printInfo(w io.Writer, info api.SystemInfo, server bool) {
	ci := info.ClientInfo
	fmt.Fprintf(w, "Client:\n Version:     %s\n", ci.Version)
	cf := ci.ConfigFile
	if cf == "" {
		cf = "none"
	}
	fmt.Fprintf(w, " Config file: %s\n Settings:\n", cf)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range ci.Settings {
		v := s.Value
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "  %s:\t%s\t(%s)\n", s.Key, v, s.Source)
	}
	tw.Flush()
	if !server {
		return
	}
	fmt.Fprintf(w, "\nServer:\n")
	fmt.Fprintf(w, " Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n",
		info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped)
	fmt.Fprintf(w, " Images: %d\n", info.Images)
	fmt.Fprintf(w, " Server Version: containerd %s (%s)\n", info.ServerVersion, info.ServerRevision)
	fmt.Fprintf(w, " Address: %s\n Namespace: %s\n Storage Driver: %s\n Lumper Root Dir: %s\n",
		info.Address, info.Namespace, info.Driver, info.DataRoot)
	for _, warn := range info.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
}
