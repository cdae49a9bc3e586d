// Package arch enforces the import rules of docs/ARCHITECTURE.md: it fails
// when a package under pkg/ depends on cobra or on cmd/, when pkg/api or
// pkg/output depend on containerd, or when lumper-logger's dependency
// closure grows beyond its allowed list, when lumper links the Kubernetes
// types (lumper-kube's) or lumper-kube containerd. `make lint` runs it, and so does
// `go test ./...`.
package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lumper/lumper"

// loggerAllowed is lumper-logger's whole non-standard dependency closure: it
// runs once per detached container, so every package counts (ARCHITECTURE.md:
// stdlib + pkg/logs only, ~2 MB). Growing it is a decision: make it here.
var loggerAllowed = []string{
	module + "/pkg/logs",
	module + "/pkg/proc",         // pkg/logs: the logger's pid:start-time identity (stdlib only)
	"github.com/docker/go-units", // pkg/logs: --log-opt max-size
	"golang.org/x/sys/unix",      // poll, pidfd, pipes
}

// initAllowed is lumper-init's whole non-standard dependency closure: it is
// mounted into every `run --init` container as PID 1.
var initAllowed = []string{
	"golang.org/x/sys/unix", // wait4, prctl, termios
}

// pkgInfo is what `go list -json` says of one package.
type pkgInfo struct {
	ImportPath string
	Standard   bool
	Deps       []string
	Error      *struct{ Err string }
}

// violations applies the rules to the packages of the module (with their
// transitive dependencies in Deps) and to std, the set of standard packages.
func violations(pkgs []pkgInfo, std map[string]bool) []string {
	var out []string
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			switch {
			case strings.HasPrefix(rel, "pkg/") && (d == "github.com/spf13/cobra" || strings.HasPrefix(d, "github.com/spf13/cobra/")):
				out = append(out, fmt.Sprintf("%s depends on cobra (pkg/** must not; flags belong in cmd/lumper/commands)", p.ImportPath))
			case strings.HasPrefix(rel, "pkg/") && strings.HasPrefix(d, module+"/cmd/"):
				out = append(out, fmt.Sprintf("%s depends on %s (pkg/** must not import cmd/**)", p.ImportPath, d))
			case (rel == "pkg/api" || strings.HasPrefix(rel, "pkg/api/") || rel == "pkg/output" || strings.HasPrefix(rel, "pkg/output/")) &&
				strings.HasPrefix(d, "github.com/containerd/"):
				out = append(out, fmt.Sprintf("%s depends on %s (pkg/api and pkg/output must not depend on containerd)", p.ImportPath, d))
			case rel == "cmd/lumper-logger" && !std[d] && !slices.Contains(loggerAllowed, d):
				out = append(out, fmt.Sprintf("lumper-logger depends on %s, which is not in its allowed list (test/arch: loggerAllowed)", d))
			case rel == "cmd/lumper-init" && !std[d] && !slices.Contains(initAllowed, d):
				out = append(out, fmt.Sprintf("lumper-init depends on %s, which is not in its allowed list (test/arch: initAllowed)", d))
			case (rel == "cmd/lumper" || strings.HasPrefix(rel, "cmd/lumper/")) && (strings.HasPrefix(d, "k8s.io/") || strings.HasPrefix(d, "sigs.k8s.io/")):
				out = append(out, fmt.Sprintf("%s depends on %s (the Kubernetes types belong in lumper-kube: +33%% of lumper's size)", p.ImportPath, d))
			case (rel == "cmd/lumper-kube" || strings.HasPrefix(rel, "pkg/kube/manifest")) && strings.HasPrefix(d, "github.com/containerd/"):
				out = append(out, fmt.Sprintf("%s depends on %s (lumper-kube converts inspect documents, it never dials containerd)", p.ImportPath, d))
			}
		}
	}
	return out
}

// goList runs `go list -deps -json` on the whole module.
func goList(t *testing.T) ([]pkgInfo, map[string]bool) {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "list", "-deps", "-json=ImportPath,Standard,Deps,Error", "./...")
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.String())
	}
	var pkgs []pkgInfo
	std := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		if p.Standard {
			std[p.ImportPath] = true
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, std
}

func TestArchitecture(t *testing.T) {
	pkgs, std := goList(t)
	var seen []string
	for _, p := range pkgs {
		if strings.HasPrefix(p.ImportPath, module+"/") {
			seen = append(seen, p.ImportPath)
		}
	}
	for _, want := range []string{module + "/pkg/api", module + "/pkg/output", module + "/cmd/lumper-logger", module + "/cmd/lumper-init", module + "/pkg/container", module + "/cmd/lumper-kube", module + "/pkg/kube/manifest"} {
		if !slices.Contains(seen, want) {
			t.Fatalf("go list did not report %s: the check would prove nothing", want)
		}
	}
	for _, v := range violations(pkgs, std) {
		t.Error(v)
	}
}

// TestViolationsFound proves that each rule can fail.
func TestViolationsFound(t *testing.T) {
	std := map[string]bool{"fmt": true, "os": true}
	pkgs := []pkgInfo{
		{ImportPath: module + "/pkg/container", Deps: []string{"fmt", "github.com/spf13/cobra"}},
		{ImportPath: module + "/pkg/images", Deps: []string{module + "/cmd/lumper/commands"}},
		{ImportPath: module + "/pkg/api", Deps: []string{"github.com/containerd/errdefs"}},
		{ImportPath: module + "/pkg/output", Deps: []string{"github.com/containerd/containerd/v2/client"}},
		{ImportPath: module + "/cmd/lumper-logger", Deps: []string{"os", module + "/pkg/logs", "github.com/sirupsen/logrus"}},
		{ImportPath: module + "/cmd/lumper-init", Deps: []string{"os", module + "/pkg/logs"}},
		{ImportPath: module + "/cmd/lumper/commands", Deps: []string{"k8s.io/api/core/v1"}},
		{ImportPath: module + "/pkg/kube/manifest", Deps: []string{"github.com/containerd/log"}},
		// Allowed: lumper-kube has the Kubernetes types.
		{ImportPath: module + "/cmd/lumper-kube", Deps: []string{"k8s.io/api/core/v1", "sigs.k8s.io/yaml"}},
		// Allowed: the command layer may use cobra and containerd.
		{ImportPath: module + "/cmd/lumper/commands", Deps: []string{"github.com/spf13/cobra", "github.com/containerd/errdefs"}},
		{ImportPath: module + "/pkg/client", Deps: []string{"github.com/containerd/errdefs"}},
	}
	got := violations(pkgs, std)
	for _, want := range []string{
		"pkg/container depends on cobra",
		"pkg/images depends on " + module + "/cmd/lumper/commands",
		"pkg/api depends on github.com/containerd/errdefs",
		"pkg/output depends on github.com/containerd/containerd/v2/client",
		"lumper-logger depends on github.com/sirupsen/logrus",
		"lumper-init depends on " + module + "/pkg/logs",
		"cmd/lumper/commands depends on k8s.io/api/core/v1",
		"pkg/kube/manifest depends on github.com/containerd/log",
	} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, want) }) {
			t.Errorf("no violation reported for %q; got %q", want, got)
		}
	}
	if len(got) != 8 {
		t.Errorf("got %d violations, want 8: %q", len(got), got)
	}
}

// TestLumperLinksNoCompose: lumper, as `make build` builds it (-tags
// nocompose), does not link compose-go — whose package init costs every
// command ~7 ms — while lumper-compose does (so the check can fail).
func TestLumperLinksNoCompose(t *testing.T) {
	deps := func(tags, pkg string) []string {
		out, err := exec.Command("go", "list", "-tags", tags, "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	hasCompose := func(ds []string) bool {
		return slices.ContainsFunc(ds, func(d string) bool { return strings.HasPrefix(d, "github.com/compose-spec/") })
	}
	if hasCompose(deps("nocompose", module+"/cmd/lumper")) {
		t.Error("lumper built with -tags nocompose links compose-go: it belongs in lumper-compose")
	}
	if !hasCompose(deps("", module+"/cmd/lumper-compose")) {
		t.Error("lumper-compose does not link compose-go: the check above proves nothing")
	}
}
