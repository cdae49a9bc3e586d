//go:build integration

package integration

import (
	"encoding/json"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// version as Docker's: Client and Server sections, --format with Docker's
// field names, --version without a daemon.

var _ = registerCompat("version",
	compatCase{"version: Client and Server sections", func(t *testing.T) {
		out := dockerOK(t, "version")
		for _, re := range []string{`(?m)^Client:$`, `(?m)^ Version: +\S+$`, `(?m)^ Git commit: +\S+$`, `(?m)^ Go version: +go1\.`,
			`(?m)^ OS/Arch: +` + runtime.GOOS + "/" + runtime.GOARCH + `$`, `(?m)^Server: containerd$`, `(?m)^ Revision: +\S+$`} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Fatalf("version output lacks %s:\n%s", re, out)
			}
		}
	}},
	compatCase{"version --format '{{.Server.Version}}': containerd's", func(t *testing.T) {
		out := strings.TrimSpace(dockerOK(t, "version", "--format", "{{.Server.Version}}"))
		c, ctx := ctd(t)
		v, err := c.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if out != v.Version {
			t.Fatalf("version --format printed %q, containerd says %q", out, v.Version)
		}
	}},
	compatCase{"version --format '{{.Client.Os}}/{{.Client.Arch}} {{.Client.GoVersion}}'", func(t *testing.T) {
		out := dockerOK(t, "version", "--format", "{{.Client.Os}}/{{.Client.Arch}} {{.Client.GoVersion}}")
		if !strings.HasPrefix(out, runtime.GOOS+"/"+runtime.GOARCH+" go1.") {
			t.Fatalf("stdout %q", out)
		}
	}},
	compatCase{"version --format json", func(t *testing.T) {
		var v struct {
			Client struct{ Version, GitCommit, GoVersion, Os, Arch, BuildTime string }
			Server struct{ Version, Revision string }
		}
		out := dockerOK(t, "version", "--format", "json")
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Client.Version == "" || v.Server.Version == "" || v.Client.Os != runtime.GOOS {
			t.Fatalf("version --format json: %q (%v)", out, err)
		}
	}},
	compatCase{"--version: lumper version X, build Y", func(t *testing.T) {
		out := dockerOK(t, "--version")
		if !regexp.MustCompile(`^lumper version \S+, build \S+\n$`).MatchString(out) {
			t.Fatalf("--version printed %q", out)
		}
		// The binary under test is built by make: stamped with its commit.
		if strings.Contains(out, "build unknown") {
			t.Fatalf("--version of a make-built binary has no commit: %q", out)
		}
	}},
	compatCase{"version with containerd unreachable: Client section, exit 1", func(t *testing.T) {
		r := docker("--address", "/nonexistent/containerd.sock", "version")
		wantExit(t, r, 1)
		if !strings.HasPrefix(r.stdout, "Client:\n") || strings.Contains(r.stdout, "Server") {
			t.Fatalf("stdout %q", r.stdout)
		}
	}},
	compatCase{"--version with containerd unreachable: works", func(t *testing.T) {
		wantExit(t, docker("--address", "/nonexistent/containerd.sock", "--version"), 0)
	}},
)
