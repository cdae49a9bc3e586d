package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/network"
	"github.com/lumper/lumper/pkg/output"
)

// NetworkFlags are run's port, DNS and hosts flags (--network itself is
// RunOptions.Network, which pkg/spec also reads).
type NetworkFlags struct {
	Publish    []string
	PublishAll bool
	DNS        []string
	AddHosts   []string
}

func addNetworkFlags(f *pflag.FlagSet, n *NetworkFlags) {
	f.StringArrayVarP(&n.Publish, "publish", "p", nil, "publish a container port: [[IP:]HOSTPORT:]CONTAINERPORT[/tcp|udp]")
	f.BoolVarP(&n.PublishAll, "publish-all", "P", false, "publish the image's EXPOSE ports on free host ports")
	f.StringArrayVar(&n.DNS, "dns", nil, "name server for the container (replaces the host's)")
	f.StringArrayVar(&n.AddHosts, "add-host", nil, "add HOST:IP to /etc/hosts (IP may be host-gateway)")
}

// networkOptions checks the network flags before anything is created.
func (n *NetworkFlags) networkOptions(mode string) (container.NetworkOptions, error) {
	o := container.NetworkOptions{Network: mode, PublishAll: n.PublishAll}
	for _, p := range n.Publish {
		port, err := network.ParsePublish(p)
		if err != nil {
			return o, err
		}
		o.Publish = append(o.Publish, port)
	}
	for _, d := range n.DNS {
		ip, err := network.ParseDNS(d)
		if err != nil {
			return o, err
		}
		o.DNS = append(o.DNS, ip)
	}
	for _, h := range n.AddHosts {
		host, ip, err := network.ParseAddHost(h)
		if err != nil {
			return o, err
		}
		o.AddHosts = append(o.AddHosts, host+":"+ip)
	}
	return o, nil
}

// NetworkOptions are the flags of the `network` commands.
type NetworkOptions struct {
	Global *GlobalOptions
	Subnet string
	Quiet  bool
	Format string
	Force  bool
	Out    io.Writer
}

// newNetworkCmd groups the network verbs: ls, create, rm, inspect.
func newNetworkCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage container networks (bridge networks through CNI)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newNetworkLsCmd(g), newNetworkCreateCmd(g), newNetworkRmCmd(g), newNetworkInspectCmd(g))
	return cmd
}

func newNetworkLsCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			nets, err := o.Global.networks().List()
			if err != nil {
				return err
			}
			var rows []api.NetworkInfo
			for _, n := range nets {
				rows = append(rows, n.NetworkInfo)
			}
			rows = append(rows, api.NetworkInfo{Name: network.Host, Driver: network.Host}, api.NetworkInfo{Name: network.None, Driver: "null"})
			return output.Print(o.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, networkColumns,
				func(r api.NetworkInfo) string { return r.Name })
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print network names")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

var networkColumns = []output.Column[api.NetworkInfo]{
	{Header: "NAME", Value: func(r api.NetworkInfo) string { return r.Name }},
	{Header: "DRIVER", Value: func(r api.NetworkInfo) string { return r.Driver }},
	{Header: "SUBNET", Value: func(r api.NetworkInfo) string { return orDash(r.Subnet) }},
	{Header: "GATEWAY", Value: func(r api.NetworkInfo) string { return orDash(r.Gateway) }},
	{Header: "BRIDGE", Value: func(r api.NetworkInfo) string { return orDash(r.Bridge) }},
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newNetworkCreateCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NAME",
		Short: "Create a bridge network with its own subnet",
		Example: `  lumper network create backend
  lumper network create --subnet 172.31.5.0/24 lab`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := o.Global.networks().Create(args[0], o.Subnet)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), n.Name)
			return err
		},
	}
	cmd.Flags().StringVar(&o.Subnet, "subnet", "", "subnet in CIDR form (default: a free /16 from lumper's pool)")
	return cmd
}

func newNetworkRmCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "rm NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove networks no container uses",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, err := o.Global.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			return forEach(cmd.ErrOrStderr(), args, func(name string) error {
				if err := removeNetwork(ctx, c, o.Global.networks(), name); err != nil {
					return err
				}
				_, err := fmt.Fprintln(cmd.OutOrStdout(), name)
				return err
			})
		},
	}
	return cmd
}

func removeNetwork(ctx context.Context, c *client.Client, s *network.Store, name string) error {
	if network.IsBuiltin(name) {
		return s.Remove(name) // refused with the reason
	}
	// Networks belong to the data root, shared by every namespace: a
	// container of another namespace keeps the network too.
	users, err := container.AllNetworkUsers(ctx, c, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		u := users[0]
		ref := client.ShortID(u.ID)
		if n := u.Labels[client.LabelName]; n != "" {
			ref = n + " (" + ref + ")"
		}
		return api.Invalidf("network %q is used by container %s in namespace %q: remove it first", name, ref, u.Namespace)
	}
	return s.Remove(name)
}

func newNetworkInspectCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "inspect NAME...",
		Short: "Show networks in detail (JSON), with the containers on them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, err := o.Global.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			var out []api.NetworkInfo
			for _, name := range args {
				n, err := container.InspectNetwork(ctx, c, o.Global.networks(), name)
				if err != nil {
					return err
				}
				out = append(out, n)
			}
			b, err := json.MarshalIndent(out, "", "    ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
	return cmd
}

// networks is the data root's network store.
func (g *GlobalOptions) networks() *network.Store {
	return network.NewStore(g.DataRoot, g.CNIPath)
}
