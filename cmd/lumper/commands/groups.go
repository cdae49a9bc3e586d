package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
)

// newImageCmd groups the image verbs Docker-style: `lumper image ls`.
func newImageCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images", Args: cobra.NoArgs}
	ls := newImagesCmd(g)
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}
	rm := newRmiCmd(g)
	rm.Use = "rm [OPTIONS] IMAGE..."
	cmd.AddCommand(ls, rm, newLoadCmd(g), newImportCmd(g), newPullCmd(g), newPushCmd(g), newImagePruneCmd(g),
		newSaveCmd(g), newTagCmd(g), newHistoryCmd(g))
	cmd.AddCommand(newInspectCmdOf(g, typeImage))
	return cmd
}

// newContainerCmd groups the container verbs: `lumper container ls`.
func newContainerCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers", Args: cobra.NoArgs}
	ls := newPsCmd(g)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	cmd.AddCommand(ls, newRunCmd(g), newStopCmd(g), newRmCmd(g),
		newCreateCmd(g), newStartCmd(g), newRestartCmd(g), newKillCmd(g), newWaitCmd(g),
		newPauseCmd(g), newUnpauseCmd(g), newRenameCmd(g), newCpCmd(g), newContainerPruneCmd(g), newCommitCmd(g))
	cmd.AddCommand(newInspectCmdOf(g, typeContainer))
	cmd.AddCommand(newPortCmd(g), newDiffCmd(g), newExportCmd(g), newUpdateCmd(g), newAttachCmd(g))
	return cmd
}

// newReapCmd is run by lumper-logger when a detached container exits: it
// records the exit status and deletes the task, so that no shim lingers.
func newReapCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    container.ReapCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return loggerHook(cmd, g, container.ReapAndAutoRemove)
		},
	}
}

// newNetNSCmd is run by lumper-logger before a detached container's task is
// created, when the network namespace the task is to join is missing (the
// restart monitor starting it after a host reboot): it sets the network up.
func newNetNSCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    container.NetNSCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return loggerHook(cmd, g, container.RestoreNetwork)
		},
	}
}

// loggerHook dials containerd for a command run by lumper-logger, which
// names the container in CONTAINER_ID and CONTAINER_NAMESPACE, and runs fn.
func loggerHook(cmd *cobra.Command, g *GlobalOptions, fn func(context.Context, *client.Client, string) error) error {
	id := envOr("", "CONTAINER_ID")
	if ns := envOr("", "CONTAINER_NAMESPACE"); ns != "" {
		g.Namespace = ns
	}
	if id == "" {
		return fmt.Errorf("CONTAINER_ID is not set: this command is run by lumper-logger")
	}
	c, ctx, err := g.dial(cmd.Context())
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c, id)
}
