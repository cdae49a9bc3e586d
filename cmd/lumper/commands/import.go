package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// ImportOptions are the flags of `lumper import`.
type ImportOptions struct {
	Global  *GlobalOptions
	Changes []string
	Message string
	Source  string
	Ref     string
	In      io.Reader
	Out     io.Writer
}

func newImportCmd(g *GlobalOptions) *cobra.Command {
	o := &ImportOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|- REFERENCE",
		Short: "Create an image from a rootfs tarball (what 'docker export' writes)",
		Example: `  lumper import rootfs.tar myimage:1.0
  docker export c1 | lumper import -c 'CMD ["sh"]' - myimage`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source, o.Ref = args[0], args[1]
			o.In, o.Out = cmd.InOrStdin(), cmd.OutOrStdout()
			if _, err := images.Normalize(o.Ref); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			return runOrHook(cmd.Context(), o.Global, o, runImport)
		},
	}
	cmd.Flags().StringArrayVarP(&o.Changes, "change", "c", nil, `apply a Dockerfile instruction to the image config (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE)`)
	cmd.Flags().StringVarP(&o.Message, "message", "m", "", "history comment of the imported layer")
	return cmd
}

func runImport(ctx context.Context, o *ImportOptions) error {
	in, _, closeIn, err := openInput(o.Source, o.In)
	if err != nil {
		return err
	}
	defer closeIn()
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		img, err := images.Import(ctx, c, in, o.Ref, images.ImportOptions{Changes: o.Changes, Message: o.Message})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.Out, img.Target.Digest.String())
		return err
	})
}
