package commands

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// TagOptions are the arguments of `lumper tag`.
type TagOptions struct {
	Global         *GlobalOptions
	Source, Target string
}

func newTagCmd(g *GlobalOptions) *cobra.Command {
	o := &TagOptions{Global: g}
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE TARGET_IMAGE",
		Short: "Give an image another name (an existing name is moved)",
		Example: `  lumper tag busybox mybox:1.0
  lumper tag 3f57d9401f8d registry.example.com/team/app:latest`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source, o.Target = args[0], args[1]
			if _, err := images.Normalize(o.Target); err != nil {
				return err
			}
			return runOrHook(cmd.Context(), o.Global, o, runTag)
		},
	}
}

func runTag(ctx context.Context, o *TagOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		_, err := images.Tag(ctx, c, o.Source, o.Target)
		return err
	})
}
