package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/kube"
)

// GenerateKubeOptions are the flags of `lumper generate kube`.
type GenerateKubeOptions struct {
	Global   *GlobalOptions
	Refs     []string
	Kube     kube.Options
	Filename string // "" or "-": stdout
}

// newGenerateCmd groups the generators (podman's `generate`).
func newGenerateCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate configuration for other tools from containers",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newGenerateKubeCmd(g))
	return cmd
}

func newGenerateKubeCmd(g *GlobalOptions) *cobra.Command {
	o := &GenerateKubeOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "kube [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Write Kubernetes YAML (a Pod or Deployment, and a Service) from containers' configuration",
		Long: `Write Kubernetes YAML built from the containers' configuration as inspect shows it:
one Pod (or Deployment) holding one container per CONTAINER, and a Service when
they publish ports (or with --service). What Kubernetes cannot express is named
on stderr, one line each. The YAML is written by lumper-kube, found beside
lumper, then in PATH.`,
		Example: `  lumper generate kube web
  lumper generate kube --type deployment --replicas 3 -f web.yaml web
  lumper generate kube --service web db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			switch o.Kube.Type {
			case kube.TypePod, kube.TypeDeployment:
			default:
				return usageErrorf(cmd, "invalid --type %q: use pod or deployment", o.Kube.Type)
			}
			if o.Kube.Replicas < 0 {
				return usageErrorf(cmd, "invalid --replicas %d: must not be negative", o.Kube.Replicas)
			}
			if o.Kube.Replicas > 0 && o.Kube.Type != kube.TypeDeployment {
				return usageErrorf(cmd, "--replicas needs --type deployment")
			}
			return runOrHook(cmd.Context(), o.Global, o, runGenerateKube)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Kube.Type, "type", "t", kube.TypePod, "the workload: pod or deployment")
	f.BoolVarP(&o.Kube.Service, "service", "s", false, "also write a Service when no port is published (a headless one)")
	f.IntVarP(&o.Kube.Replicas, "replicas", "r", 0, "replicas of a deployment (default 1)")
	f.StringVarP(&o.Filename, "filename", "f", "", "write the YAML to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{kube.TypePod, kube.TypeDeployment}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runGenerateKube(ctx context.Context, o *GenerateKubeOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		y, err := kube.Generate(ctx, c, o.Refs, o.Kube, o.Global.IO.Err)
		if err != nil {
			return fmt.Errorf("generating kube YAML: %w", err)
		}
		return writeOutput(o.Filename, o.Global.IO.Out, func(w io.Writer) error {
			_, err := w.Write(y)
			return err
		})
	})
}
