package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/output"
)

// Stamped by the Makefile's build target through -ldflags -X; a plain
// `go build` leaves them empty and the module's VCS settings are used.
var (
	buildVersion string // git describe --tags --always --dirty
	buildCommit  string // full commit hash
	buildTime    string // RFC 3339
)

// ClientVersion is the Client section of `lumper version` (Docker's field
// names, for --format).
type ClientVersion struct {
	Version   string
	GitCommit string
	GoVersion string
	Os        string
	Arch      string
	BuildTime string
}

// ServerVersion is the Server section: containerd's.
type ServerVersion struct {
	Name     string
	Version  string
	Revision string
}

// VersionInfo is what `lumper version --format` sees: .Client.Version,
// .Server.Revision...; Server is nil when containerd cannot be reached.
type VersionInfo struct {
	Client ClientVersion
	Server *ServerVersion
}

// VersionOptions are the flags of `lumper version`.
type VersionOptions struct {
	Global *GlobalOptions
	Format string
	Out    io.Writer
}

func newVersionCmd(g *GlobalOptions) *cobra.Command {
	o := &VersionOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show lumper's version and containerd's",
		Example: `  lumper version
  lumper version --format '{{.Server.Version}}'
  lumper version --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out = cmd.OutOrStdout()
			if o.Format != "" && o.Format != "json" {
				if _, err := output.Template(o.Format); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			return runOrHook(cmd.Context(), o.Global, o, runVersion)
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", "format the output: json, or a Go template")
	return cmd
}

// runVersion prints the client's version, then asks containerd for its own:
// if containerd cannot be reached, the client's is still printed and the
// command fails, as Docker's.
func runVersion(ctx context.Context, o *VersionOptions) error {
	v := VersionInfo{Client: clientVersion()}
	var serverErr error
	if c, ctx, err := o.Global.connect(ctx); err != nil {
		serverErr = err
	} else {
		defer c.Close()
		if sv, err := c.Version(ctx); err != nil {
			serverErr = fmt.Errorf("asking containerd for its version: %w", err)
		} else {
			v.Server = &ServerVersion{Name: "containerd", Version: sv.Version, Revision: sv.Revision}
		}
	}
	if err := printVersion(o.Out, o.Format, v); err != nil {
		if serverErr != nil {
			return serverErr // the template wanted the server's fields
		}
		return err
	}
	return serverErr
}

// printVersion draws v: Docker's sections, JSON, or a Go template.
func printVersion(w io.Writer, format string, v VersionInfo) error {
	switch format {
	case "":
		var b strings.Builder
		fmt.Fprintf(&b, "Client:\n")
		fmt.Fprintf(&b, " Version:    %s\n", v.Client.Version)
		fmt.Fprintf(&b, " Git commit: %s\n", shortCommit(v.Client.GitCommit, 12))
		fmt.Fprintf(&b, " Built:      %s\n", builtAt(v.Client.BuildTime))
		fmt.Fprintf(&b, " Go version: %s\n", v.Client.GoVersion)
		fmt.Fprintf(&b, " OS/Arch:    %s/%s\n", v.Client.Os, v.Client.Arch)
		if v.Server != nil {
			fmt.Fprintf(&b, "\nServer: %s\n", v.Server.Name)
			fmt.Fprintf(&b, " Version:    %s\n", v.Server.Version)
			fmt.Fprintf(&b, " Revision:   %s\n", orUnknown(v.Server.Revision))
		}
		_, err := io.WriteString(w, b.String())
		return err
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	default:
		tmpl, err := output.Template(format)
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, v); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		_, err = fmt.Fprintln(w, b.String())
		return err
	}
}

// clientVersion is lumper's own version: stamped by the Makefile, else read
// from the module's VCS settings (a plain `go build`), else "dev".
func clientVersion() ClientVersion {
	v := ClientVersion{
		Version: buildVersion, GitCommit: buildCommit, BuildTime: buildTime,
		GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&v, bi)
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

// fromBuildInfo fills what the Makefile did not stamp from the build's VCS
// settings: the commit, its time, and a version from the module's.
func fromBuildInfo(v *ClientVersion, bi *debug.BuildInfo) {
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.GitCommit == "" {
				v.GitCommit = s.Value
			}
		case "vcs.time":
			if v.BuildTime == "" {
				v.BuildTime = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if v.Version != "" {
		return
	}
	switch mv := bi.Main.Version; {
	case mv != "" && mv != "(devel)":
		v.Version = mv
	case v.GitCommit != "":
		v.Version = shortCommit(v.GitCommit, 7)
		if modified {
			v.Version += "-dirty"
		}
	}
}

func shortCommit(c string, n int) string {
	if c == "" {
		return "unknown"
	}
	if len(c) > n {
		return c[:n]
	}
	return c
}

// builtAt shows an RFC 3339 build time as Docker does (time.ANSIC).
func builtAt(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.ANSIC)
	}
	return orUnknown(s)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
