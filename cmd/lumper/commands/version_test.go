package commands

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

var testVersion = VersionInfo{
	Client: ClientVersion{Version: "v0.3.1", GitCommit: "0123456789abcdef0123", GoVersion: "go1.26.8", Os: "linux", Arch: "amd64", BuildTime: "2026-11-30T15:04:05Z"},
	Server: &ServerVersion{Name: "containerd", Version: "2.4.2", Revision: "abc123"},
}

// TestPrintVersion: Docker's sections, its JSON keys and template fields.
func TestPrintVersion(t *testing.T) {
	var b bytes.Buffer
	if err := printVersion(&b, "", testVersion); err != nil {
		t.Fatal(err)
	}
	want := `Client:
 Version:    v0.3.1
 Git commit: 0123456789ab
 Built:      Mon Nov 30 15:04:05 2026
 Go version: go1.26.8
 OS/Arch:    linux/amd64

Server: containerd
 Version:    2.4.2
 Revision:   abc123
`
	if b.String() != want {
		t.Errorf("version:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := printVersion(&b, "json", testVersion); err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got["Client"]["Version"] != "v0.3.1" || got["Server"]["Revision"] != "abc123" {
		t.Errorf("json: %s (%v)", b.String(), err)
	}

	b.Reset()
	format := "{{.Client.Version}} {{.Client.GitCommit}} {{.Client.GoVersion}} {{.Client.Os}} {{.Client.Arch}} {{.Client.BuildTime}} {{.Server.Version}} {{.Server.Revision}}"
	if err := printVersion(&b, format, testVersion); err != nil {
		t.Fatal(err)
	}
	if want := "v0.3.1 0123456789abcdef0123 go1.26.8 linux amd64 2026-11-30T15:04:05Z 2.4.2 abc123\n"; b.String() != want {
		t.Errorf("template: %q, want %q", b.String(), want)
	}

	// Without a server, its section is left out and its fields fail.
	b.Reset()
	noServer := VersionInfo{Client: testVersion.Client}
	if err := printVersion(&b, "", noServer); err != nil || strings.Contains(b.String(), "Server") {
		t.Errorf("no server: %q, %v", b.String(), err)
	}
	if err := printVersion(&bytes.Buffer{}, "{{.Server.Version}}", noServer); err == nil {
		t.Error("no server: {{.Server.Version}} should fail")
	}
}

// TestVersionFromBuildInfo: a plain `go build` still names its commit.
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "fedcba9876543210"},
		{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	var v ClientVersion
	fromBuildInfo(&v, bi)
	if v.Version != "fedcba9-dirty" || v.GitCommit != "fedcba9876543210" || v.BuildTime != "2026-11-30T10:00:00Z" {
		t.Errorf("from build info: %+v", v)
	}
	bi.Main.Version = "v0.4.0"
	v = ClientVersion{}
	fromBuildInfo(&v, bi)
	if v.Version != "v0.4.0" {
		t.Errorf("module version: %+v", v)
	}
	// What the Makefile stamped wins.
	v = ClientVersion{Version: "v1.0.0", GitCommit: "aaaa"}
	fromBuildInfo(&v, bi)
	if v.Version != "v1.0.0" || v.GitCommit != "aaaa" {
		t.Errorf("stamped: %+v", v)
	}
}

// TestVersionWithoutDaemon: --version needs no containerd; `version` prints
// the Client section, then fails (exit 1) on the server part, as Docker's.
func TestVersionWithoutDaemon(t *testing.T) {
	out, stderr, code := runCmd(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "lumper version ") || !strings.Contains(out, ", build ") || stderr != "" {
		t.Errorf("--version: exit %d, %q, %q", code, out, stderr)
	}
	out, stderr, code = runCmd(t, "", "version")
	if code != 1 || !strings.HasPrefix(out, "Client:\n") || !strings.Contains(out, " OS/Arch:    "+runtime.GOOS+"/"+runtime.GOARCH+"\n") ||
		strings.Contains(out, "Server") || !strings.Contains(stderr, "containerd") {
		t.Errorf("version without containerd: exit %d, %q, %q", code, out, stderr)
	}
	if _, _, code := runCmd(t, "", "version", "--format", "{{.Bad"); code != 1 {
		t.Errorf("version --format with a bad template: exit %d, want 1", code)
	}
}
