package commands

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// CpOptions are the arguments of `lumper cp`.
type CpOptions struct {
	Global  *GlobalOptions
	Src     string
	Dst     string
	SrcCtr  string // the container of CONTAINER:SRC_PATH, if that is the form used
	DstCtr  string
	SrcPath string
	DstPath string
	In      io.Reader
	Out     io.Writer
}

func newCpCmd(g *GlobalOptions) *cobra.Command {
	o := &CpOptions{Global: g}
	cmd := &cobra.Command{
		Use: `cp CONTAINER:SRC_PATH DEST_PATH|-
  lumper cp SRC_PATH|- CONTAINER:DEST_PATH`,
		Short: "Copy files between a container (running or not) and the host",
		Long: `Copy files between a container and the host, keeping permissions, times and
symlinks. As with Docker, files copied out of a container are owned by the
user who runs lumper cp; files copied in keep their owners. Paths in the container are resolved in its root file
system: symlinks cannot lead out of it and a path that climbs above it is
refused. SRC_PATH/. copies the contents of a directory; "-" reads or writes
a tar stream instead of a host path.`,
		Example: `  lumper cp web:/etc/httpd.conf .
  lumper cp ./site/. web:/var/www
  lumper cp web:/var/log - | tar -t`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Src, o.Dst = args[0], args[1]
			o.In, o.Out = cmd.InOrStdin(), cmd.OutOrStdout()
			o.SrcCtr, o.SrcPath = splitCpArg(o.Src)
			o.DstCtr, o.DstPath = splitCpArg(o.Dst)
			switch {
			case o.SrcCtr != "" && o.DstCtr != "":
				return usageErrorf(cmd, "copying between containers is not supported: copy to the host first")
			case o.SrcCtr == "" && o.DstCtr == "":
				return usageErrorf(cmd, "one of the paths must be CONTAINER:PATH")
			}
			return runOrHook(cmd.Context(), o.Global, o, runCp)
		},
	}
	return cmd
}

// splitCpArg splits CONTAINER:PATH. A path that starts with "/" or "." is
// the host's, even with a colon in it (write ./a:b for a file named a:b).
func splitCpArg(arg string) (ctr, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") || arg == "-" {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || ctr == "" {
		return "", arg
	}
	return ctr, p
}

func runCp(ctx context.Context, o *CpOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		if o.SrcCtr != "" {
			return container.CopyFromContainer(ctx, c, o.SrcCtr, o.SrcPath, o.Dst, o.Out)
		}
		return container.CopyToContainer(ctx, c, o.Src, o.In, o.DstCtr, o.DstPath)
	})
}
