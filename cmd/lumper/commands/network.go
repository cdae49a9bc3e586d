package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	Aliases    []string
}

func addNetworkFlags(f *pflag.FlagSet, n *NetworkFlags) {
	f.StringArrayVarP(&n.Publish, "publish", "p", nil, "publish a container port: [[IP:]HOSTPORT:]CONTAINERPORT[/tcp|udp]")
	f.BoolVarP(&n.PublishAll, "publish-all", "P", false, "publish the image's EXPOSE ports on free host ports")
	f.StringArrayVar(&n.DNS, "dns", nil, "name server for the container (replaces the host's)")
	f.StringArrayVar(&n.AddHosts, "add-host", nil, "add HOST:IP to /etc/hosts (IP may be host-gateway)")
	f.StringArrayVar(&n.Aliases, "network-alias", nil, "another name the container answers to on its user network")
	f.StringArrayVar(&n.Aliases, "net-alias", nil, "alias of --network-alias")
	_ = f.MarkHidden("net-alias")
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
	for _, a := range n.Aliases {
		if err := network.ParseAlias(a); err != nil {
			return o, err
		}
		o.Aliases = append(o.Aliases, a)
	}
	return o, nil
}

// NetworkOptions are the flags of the `network` commands.
type NetworkOptions struct {
	Global   *GlobalOptions
	Subnet   string
	Gateway  string
	IPRange  string
	Internal bool
	Opts     []string
	Force    bool
	Aliases  []string
	Driver   string
	Labels   []string
	Quiet    bool
	NoTrunc  bool
	Format   string
	Filters  []string
}

// newNetworkCmd groups the network verbs: ls, create, rm, inspect.
func newNetworkCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage container networks (bridge networks through CNI)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newNetworkLsCmd(g), newNetworkCreateCmd(g), newNetworkRmCmd(g), newInspectCmdOf(g, typeNetwork), newNetworkPruneCmd(g),
		newNetworkConnectCmd(g), newNetworkDisconnectCmd(g))
	return cmd
}

func newNetworkLsCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Example: `  lumper network ls
  lumper network ls --filter driver=bridge --format '{{.ID}} {{.Name}}'
  lumper network ls -q --filter label=env=ci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := output.Validate(o.Format); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			filters, err := parseNetworkFilters(o.Filters)
			if err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			nets, err := o.Global.networks().All()
			if err != nil {
				return err
			}
			rows := networkRows(nets, filters)
			id := func(r api.NetworkSummary) string {
				if o.NoTrunc {
					return r.ID
				}
				return client.ShortID(r.ID)
			}
			cols := []output.Column[api.NetworkSummary]{
				{Header: "NETWORK ID", Value: id},
				{Header: "NAME", Value: func(r api.NetworkSummary) string { return r.Name }},
				{Header: "DRIVER", Value: func(r api.NetworkSummary) string { return r.Driver }},
				{Header: "SCOPE", Value: func(r api.NetworkSummary) string { return r.Scope }},
			}
			return output.Print(o.Global.IO.Out, output.Options{Format: o.Format, Quiet: o.Quiet}, rows, cols, id)
		},
	}
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print network IDs")
	cmd.Flags().BoolVar(&o.NoTrunc, "no-trunc", false, "print whole network IDs")
	cmd.Flags().StringVar(&o.Format, "format", "", "output format: table, json, or a Go template (.ID .Name .Driver .Scope .Labels .CreatedAt)")
	cmd.Flags().StringArrayVarP(&o.Filters, "filter", "f", nil, "filter: name=, id=, driver=, label=KEY[=VALUE], type=builtin|custom, scope=local")
	return cmd
}

// networkFilterKeys are the filters `network ls --filter` takes.
var networkFilterKeys = []string{"name", "id", "driver", "label", "type", "scope"}

// parseNetworkFilters reads --filter KEY=VALUE flags into KEY → values.
func parseNetworkFilters(fs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" && k != "label" {
			return nil, fmt.Errorf("invalid filter %q: use KEY=VALUE", f)
		}
		if !slices.Contains(networkFilterKeys, k) {
			return nil, fmt.Errorf("invalid filter %q: use %s", k, strings.Join(networkFilterKeys, ", "))
		}
		if k == "type" && v != "builtin" && v != "custom" {
			return nil, fmt.Errorf("invalid filter 'type=%s': use builtin or custom", v)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

// networkRows are the networks that pass every filter key (any of a key's
// values), sorted by name as Docker lists them.
func networkRows(nets []*network.Network, filters map[string][]string) []api.NetworkSummary {
	rows := []api.NetworkSummary{}
	for _, n := range nets {
		if networkMatches(n, filters) {
			rows = append(rows, n.Summary())
		}
	}
	slices.SortFunc(rows, func(a, b api.NetworkSummary) int { return strings.Compare(a.Name, b.Name) })
	return rows
}

func networkMatches(n *network.Network, filters map[string][]string) bool {
	for k, vals := range filters {
		if !slices.ContainsFunc(vals, func(v string) bool {
			switch k {
			case "name":
				return strings.Contains(n.Name, v) // Docker: a substring
			case "id":
				return strings.HasPrefix(n.ID, v)
			case "driver":
				return n.Driver == v
			case "scope":
				return v == "local"
			case "type":
				return (v == "builtin") == (network.IsBuiltin(n.Name))
			case "label":
				key, val, hasVal := strings.Cut(v, "=")
				got, ok := n.Labels[key]
				return ok && (!hasVal || got == val)
			}
			return false
		}) {
			return false
		}
	}
	return true
}

func newNetworkCreateCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NAME",
		Short: "Create a bridge network with its own subnet; print its ID",
		Example: `  lumper network create backend
  lumper network create --subnet 172.31.5.0/24 --label env=ci lab`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Driver != "" && o.Driver != "bridge" {
				return usageErrorf(cmd, "invalid --driver %q: lumper makes bridge networks only", o.Driver)
			}
			labels := map[string]string{}
			for _, l := range o.Labels {
				k, v, _ := strings.Cut(l, "=")
				if k == "" {
					return usageErrorf(cmd, "invalid --label %q: use KEY=VALUE", l)
				}
				labels[k] = v
			}
			opts := map[string]string{}
			for _, kv := range o.Opts {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErrorf(cmd, "invalid --opt %q: use KEY=VALUE", kv)
				}
				if k == "mtu" {
					k = network.OptMTU
				}
				opts[k] = v
			}
			n, err := o.Global.networks().Create(args[0], network.CreateOptions{
				Subnet: o.Subnet, Gateway: o.Gateway, IPRange: o.IPRange, Internal: o.Internal, Options: opts, Labels: labels,
			})
			if err != nil {
				// Exit 1 as Docker's network create, not run/create's 125
				// (errorStatus goes by the verb's name).
				return &api.StatusError{Code: 1, Err: errors.New(describe(err))}
			}
			_, err = fmt.Fprintln(o.Global.IO.Out, n.ID)
			return err
		},
	}
	cmd.Flags().StringVarP(&o.Driver, "driver", "d", "bridge", "driver (bridge only)")
	cmd.Flags().StringVar(&o.Subnet, "subnet", "", "subnet in CIDR form (default: a free /16 from lumper's pool)")
	cmd.Flags().StringArrayVar(&o.Labels, "label", nil, "set metadata on the network (KEY=VALUE)")
	cmd.Flags().StringVar(&o.Gateway, "gateway", "", "the bridge's address in --subnet (default: its first)")
	cmd.Flags().StringVar(&o.IPRange, "ip-range", "", "give containers addresses from this CIDR inside --subnet")
	cmd.Flags().BoolVar(&o.Internal, "internal", false, "no route out of the network (no default route, no masquerading)")
	cmd.Flags().StringArrayVarP(&o.Opts, "opt", "o", nil, "driver option: "+network.OptBridgeName+"=NAME, "+network.OptMTU+"=N (or mtu=N)")
	return cmd
}

func newNetworkPruneCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove every user network no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Global.withClient(cmd.Context(), func(ctx context.Context, c *client.Client) error {
				deleted, err := pruneNetworks(ctx, c, o.Global.networks())
				if len(deleted) > 0 {
					fmt.Fprintln(o.Global.IO.Out, "Deleted Networks:")
					for _, n := range deleted {
						fmt.Fprintln(o.Global.IO.Out, n)
					}
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "do not prompt (lumper never does)")
	return cmd
}

// pruneNetworks removes the user networks that no container of any
// namespace uses and returns their names.
func pruneNetworks(ctx context.Context, c *client.Client, s *network.Store) ([]string, error) {
	nets, err := s.List()
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, n := range nets {
		if network.IsBuiltin(n.Name) {
			continue
		}
		users, err := container.AllNetworkUsers(ctx, c, n.Name)
		if err != nil {
			return deleted, err
		}
		if len(users) > 0 {
			continue
		}
		if err := s.Remove(n.Name); err != nil {
			return deleted, err
		}
		deleted = append(deleted, n.Name)
	}
	return deleted, nil
}

func newNetworkRmCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "rm NETWORK...",
		Aliases: []string{"remove"},
		Short:   "Remove networks no container uses",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, err := o.Global.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			return forEach(o.Global.IO.Err, args, func(ref string) error {
				if err := removeNetwork(ctx, c, o.Global.networks(), ref); err != nil {
					return err
				}
				_, err := fmt.Fprintln(o.Global.IO.Out, ref)
				return err
			})
		},
	}
	return cmd
}

// removeNetwork removes the network ref names (a name or an ID prefix).
func removeNetwork(ctx context.Context, c *client.Client, s *network.Store, ref string) error {
	name := ref
	if n, err := s.Find(ref); err == nil {
		name = n.Name
	}
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

// networks is the data root's network store.
func (g *GlobalOptions) networks() *network.Store {
	return network.NewStore(g.DataRoot, g.CNIPath)
}

func newNetworkConnectCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a running container to one more network (a new interface in its namespace)",
		Example: `  lumper network connect backend web
  lumper network connect --alias api backend web`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range o.Aliases {
				if err := network.ParseAlias(a); err != nil {
					return usageErrorf(cmd, "%s", strings.Replace(describe(err), "--network-alias", "--alias", 1))
				}
			}
			return o.Global.withClient(cmd.Context(), func(ctx context.Context, c *client.Client) error {
				return container.ConnectNetwork(ctx, c, args[1], args[0], o.Aliases)
			})
		},
	}
	cmd.Flags().StringArrayVar(&o.Aliases, "alias", nil, "another name the container answers to on this network")
	return cmd
}

func newNetworkDisconnectCmd(g *GlobalOptions) *cobra.Command {
	o := &NetworkOptions{Global: g}
	cmd := &cobra.Command{
		Use:     "disconnect [OPTIONS] NETWORK CONTAINER",
		Short:   "Disconnect a container from a network it was connected to",
		Example: `  lumper network disconnect backend web`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Global.withClient(cmd.Context(), func(ctx context.Context, c *client.Client) error {
				return container.DisconnectNetwork(ctx, c, args[1], args[0])
			})
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "accepted for Docker habits")
	return cmd
}
