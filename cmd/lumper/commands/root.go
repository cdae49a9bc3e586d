// Package commands wires lumper's cobra commands: each verb parses and checks
// its flags, then hands off to a pkg/ package.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/console"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/network"
)

// GlobalOptions are the flags every command shares.
type GlobalOptions struct {
	Address     string
	Namespace   string
	Snapshotter string
	DataRoot    string
	CNIPath     string
	Debug       bool
	// InsecureRegistries are reached over HTTPS without verification, or
	// plain HTTP (loopback registries always speak plain HTTP).
	InsecureRegistries []string
	// IO are the standard streams every command reads and writes.
	IO *IOStreams
	// runHook, set by unit tests, receives a command's parsed and checked
	// options instead of the command running (see runOrHook).
	runHook func(opts any) error
}

func envOr(def string, keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return def
}

// NewRoot builds the lumper command tree on the process's own streams.
func NewRoot() *cobra.Command { return NewRootIO(SystemIO()) }

// NewRootIO builds the lumper command tree on the given streams (unit tests
// pass TestIO).
func NewRootIO(streams *IOStreams) *cobra.Command { return newRoot(streams, nil) }

// newRoot builds the tree; a non-nil hook receives each command's options
// in place of running it (unit tests of flag parsing, no containerd).
func newRoot(streams *IOStreams, hook func(opts any) error) *cobra.Command {
	g := &GlobalOptions{IO: streams, runHook: hook}
	root := &cobra.Command{
		Use:   "lumper",
		Short: "A small, fast, Docker-like container manager for containerd",
		Long: `lumper manages containers on hosts that run containerd: run, exec, list, logs,
stop, rm and commit containers, and load, import, list, save and remove images.
Its containers and images live in their own containerd namespace ("lumper").`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			setupLogging(g.Debug)
			if cmd.Name() == cobra.ShellCompRequestCmd {
				// Only the shell's completion request reads them; the
				// walk cost every command ~1.5 ms of start-up.
				registerCompletions(cmd.Root(), g)
			}
		},
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	// A group's own flags before its verb (`compose -f FILE logs -f`).
	root.TraverseChildren, root.Args, root.RunE = true, cobra.ArbitraryArgs, unknownSubcommand
	// --version (and -v, as Docker's) prints one line without containerd.
	bi := clientVersion()
	root.Version = bi.Version
	root.SetVersionTemplate(fmt.Sprintf("lumper version %s, build %s\n", bi.Version, shortCommit(bi.GitCommit, 7)))
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	pf := root.PersistentFlags()
	pf.StringVar(&g.Address, "address", envOr(client.DefaultAddress, "LUMPER_ADDRESS", "CONTAINERD_ADDRESS"), "containerd socket (env LUMPER_ADDRESS, CONTAINERD_ADDRESS)")
	pf.StringVar(&g.Namespace, "namespace", envOr(client.DefaultNamespace, "LUMPER_NAMESPACE"), "containerd namespace (env LUMPER_NAMESPACE)")
	pf.StringVar(&g.Snapshotter, "snapshotter", envOr(client.DefaultSnapshotter, "LUMPER_SNAPSHOTTER"), "containerd snapshotter (env LUMPER_SNAPSHOTTER)")
	pf.StringVar(&g.DataRoot, "data-root", envOr(client.DefaultDataRoot, "LUMPER_DATA_ROOT"), "lumper's own files: container logs (env LUMPER_DATA_ROOT)")
	pf.StringVar(&g.CNIPath, "cni-path", envOr(network.DefaultCNIPath, "LUMPER_CNI_PATH"), "directories of the CNI plugins, colon-separated (env LUMPER_CNI_PATH)")
	pf.BoolVar(&g.Debug, "debug", false, "print debug logs, including containerd client warnings")
	pf.StringArrayVar(&g.InsecureRegistries, "insecure-registry", nil, "registry (HOST[:PORT]) to reach without TLS verification or over plain HTTP")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err, flag: true}
	})

	root.AddCommand(
		newRunCmd(g),
		newListCmd(g),
		newPsCmd(g),
		newStopCmd(g),
		newLogsCmd(g),
		newExecCmd(g),
		newInspectCmd(g),
		newStatsCmd(g),
		newTopCmd(g),
		newExecReapCmd(g),
		newRmCmd(g),
		newCreateCmd(g), newStartCmd(g), newRestartCmd(g), newKillCmd(g), newWaitCmd(g),
		newPauseCmd(g), newUnpauseCmd(g), newRenameCmd(g), newCpCmd(g),
		newLoadCmd(g),
		newImportCmd(g),
		newImagesCmd(g),
		newRmiCmd(g),
		newPullCmd(g), newPushCmd(g), newLoginCmd(g), newLogoutCmd(g),
		newCommitCmd(g), newSaveCmd(g), newTagCmd(g), newHistoryCmd(g),
		newImageCmd(g),
		newContainerCmd(g),
		newSystemCmd(g),
		newVersionCmd(g),
		newReapCmd(g),
		newNetNSCmd(g),
		newHealthCheckCmd(g),
		newNetworkCmd(g),
		newPortCmd(g), newDiffCmd(g), newExportCmd(g), newUpdateCmd(g), newEventsCmd(g), newAttachCmd(g),
		newVolumeCmd(g), newGenerateCmd(g),
		newComposeCmd(g),
	)
	installConfig(root, g)
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every command group (`lumper network`)
// an error for an argument that names none of its verbs, as Docker's; cobra
// would print help and exit 0. A group on its own still prints its help.
func refuseUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if !c.HasSubCommands() {
			continue
		}
		refuseUnknownSubcommands(c)
		if c.Runnable() {
			continue
		}
		c.Args, c.RunE = cobra.ArbitraryArgs, unknownSubcommand
	}
}

// unknownSubcommand is the run function of a group (and of the root, which
// TraverseChildren leaves to it): help alone, an error for a bad verb.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usageErrorf(cmd, "unknown command %q for %q: did you mean %s?", args[0], cmd.CommandPath(), strings.Join(s, " or "))
	}
	return usageErrorf(cmd, "unknown command %q for %q", args[0], cmd.CommandPath())
}

// setupLogging keeps library warnings (such as containerd's cgroup v1
// deprecation notice) off the terminal unless --debug is given.
func setupLogging(debug bool) {
	_ = log.SetFormat(log.TextFormat)
	log.L.Logger.SetOutput(os.Stderr)
	if debug {
		_ = log.SetLevel("debug")
	} else {
		_ = log.SetLevel("error")
	}
}

// dial connects to containerd with the global options, refuses a containerd
// that is too old and warns about one with known container escapes.
func (g *GlobalOptions) dial(ctx context.Context) (*client.Client, context.Context, error) {
	c, ctx, err := g.connect(ctx)
	if err != nil {
		return nil, ctx, err
	}
	warnings, err := c.CheckDaemon(ctx)
	if err != nil {
		c.Close()
		return nil, ctx, err
	}
	for _, w := range warnings {
		fmt.Fprintf(g.IO.Err, "lumper: warning: %s\n", w)
	}
	return c, ctx, nil
}

// connect connects to containerd with the global options, whatever its
// version (`version` reports any).
func (g *GlobalOptions) connect(ctx context.Context) (*client.Client, context.Context, error) {
	return client.New(ctx, client.Options{
		Address:     g.Address,
		Namespace:   g.Namespace,
		Snapshotter: g.Snapshotter,
		DataRoot:    g.DataRoot,
		CNIPath:     g.CNIPath,
	})
}

// usageError is a mistake on the command line, with a hint where to look:
// exit 125 for flags that do not parse (any command) and for run/create,
// 1 for other commands, as Docker's.
type usageError struct {
	cmd  *cobra.Command
	err  error
	flag bool // a flag that did not parse
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// Main runs lumper's command line (os.Args) with a context that SIGINT and
// SIGTERM cancel, and returns the process exit code: the whole of lumper's
// main and of lumper-compose's.
func Main() int {
	deferGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd, err := NewRoot().ExecuteContextC(ctx)
	stop()
	return ExitCode(os.Stderr, cmd, err)
}

// A command's garbage is mostly its start-up's (package init, the command
// tree, the client): collecting it in a process that exits moments later
// costs ~10 % of a short command's CPU (`logs` of a 30 MB log: GC workers
// and write barriers). So the collector stays off for a command's first
// gcOffFor, bounded by gcOffLimit of memory, then runs as usual for
// long-lived commands (logs -f, attached runs, events). GOGC or GOMEMLIMIT
// in the environment leave it alone.
const (
	gcOffFor   = 250 * time.Millisecond
	gcOffLimit = 64 << 20
)

func deferGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcOffLimit)
	time.AfterFunc(gcOffFor, func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

// ExitCode prints err (one line) to w and returns the process exit code
// of the command cmd that failed with it, following Docker: errors of run
// and create themselves (and flags that do not parse) exit 125, errors of
// every other command 1, a process that cannot be run 126/127, and run,
// start -a, wait and exec the container's status.
func ExitCode(w io.Writer, cmd *cobra.Command, err error) int {
	if err == nil {
		return 0
	}
	failed := errorStatus(cmd)
	var se *api.StatusError
	if errors.As(err, &se) {
		if se.Err != nil {
			fmt.Fprintf(w, "lumper: %s\n", oneLine(se.Err.Error()))
		}
		return se.Code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		msg := oneLine(ue.Error())
		if ue.cmd != nil {
			// One line, with where to look, unlike Docker's two.
			msg += fmt.Sprintf(" (see '%s --help')", ue.cmd.CommandPath())
		}
		fmt.Fprintf(w, "lumper: %s\n", msg)
		if ue.flag {
			return 125
		}
		return failed
	}
	fmt.Fprintf(w, "lumper: %s\n", oneLine(describe(err)))
	return failed
}

// errorStatus is the exit code of a failed command: 125 for run and create
// (Docker's "the error is the container runtime's own"), 1 for the rest.
func errorStatus(cmd *cobra.Command) int {
	if cmd == nil || (cmd.Name() != "run" && cmd.Name() != "create") {
		return 1
	}
	// `run`, `create`, `container run|create`; not `network create`.
	if p := cmd.Parent(); p != nil && p.HasParent() && p.Name() != "container" {
		return 1
	}
	return 125
}

// describe adds the hints users need to the errors they will meet most.
func describe(err error) string {
	var u *client.ErrUnreachable
	switch {
	case errors.As(err, &u):
		return fmt.Sprintf("cannot connect to containerd at %s (%v): is it running? Start it (e.g. 'systemctl start containerd', or 'make containerd-up' in a lumper checkout) or point lumper at its socket with --address or LUMPER_ADDRESS", u.Address, u.Err)
	case errdefs.IsUnavailable(err):
		return fmt.Sprintf("containerd is not answering: %v: is it running? Start it or point lumper at its socket with --address or LUMPER_ADDRESS", err)
	}
	var inv *api.InvalidArgument
	if errors.As(err, &inv) {
		return inv.Msg
	}
	if hint := client.SetupHint(err); hint != "" {
		return hint
	}
	return err.Error()
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// userTerminal is the terminal on stdin for a foreground container or exec
// process with -t. With -i there must be one (Docker's "the input device is
// not a TTY"); without -i, stdin need not be a terminal: the process still
// gets one, whose output is copied to stdout, as Docker does (nil console).
func userTerminal(cmd *cobra.Command, g *GlobalOptions, interactive bool) (console.Console, error) {
	con, err := g.IO.Console()
	if err != nil {
		if !interactive {
			return nil, nil
		}
		return nil, usageErrorf(cmd, "the input device is not a TTY")
	}
	return con, nil
}

// withClient dials containerd (dial), runs fn with the client and a context
// in lumper's namespace, and closes the client: the preamble every command
// that talks to containerd shares.
func (g *GlobalOptions) withClient(ctx context.Context, fn func(context.Context, *client.Client) error) error {
	c, ctx, err := g.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

// runOrHook runs a command's run function with its options, or hands the
// options to the unit tests' hook when one is set: the seam through which
// flag parsing and flag checks are tested without containerd.
func runOrHook[T any](ctx context.Context, g *GlobalOptions, o T, run func(context.Context, T) error) error {
	if g.runHook != nil {
		return g.runHook(o)
	}
	return run(ctx, o)
}
