package kube

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
)

func TestOptionsArgs(t *testing.T) {
	got := Options{Type: TypeDeployment, Service: true, Name: "web", Replicas: 2, ByService: true}.Args()
	want := []string{"--type", "deployment", "--service", "--name", "web", "--replicas", "2", "--by-service"}
	if !slices.Equal(got, want) {
		t.Errorf("Args() = %q, want %q", got, want)
	}
	if got := (Options{}).Args(); len(got) != 0 {
		t.Errorf("zero Options: %q", got)
	}
}

// fakeKube puts a lumper-kube script in PATH (the test binary's directory
// has none).
func fakeKube(t *testing.T, script string) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, Binary), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

// Convert hands lumper-kube the documents on stdin and its flags, returns
// its stdout and passes its warnings on.
func TestConvert(t *testing.T) {
	fakeKube(t, `read -r docs; echo "lumper-kube: warning: args $*" >&2; echo "$docs"`)
	var warn bytes.Buffer
	out, err := Convert(t.Context(), []api.ContainerJSON{{ID: "abc", Name: "/web"}}, Options{Type: TypeDeployment}, &warn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), `[{"Id":"abc",`) || !strings.Contains(string(out), `"Name":"/web"`) {
		t.Errorf("stdin/stdout: %s", out)
	}
	if warn.String() != "lumper-kube: warning: args --type deployment\n" {
		t.Errorf("warnings: %q", warn.String())
	}
}

// A failing lumper-kube is its last line, without its prefix.
func TestConvertError(t *testing.T) {
	fakeKube(t, `cat >/dev/null; echo "lumper-kube: warning: w" >&2; echo "lumper-kube: invalid type" >&2; exit 1`)
	_, err := Convert(t.Context(), nil, Options{}, nil)
	if err == nil || err.Error() != "invalid type" {
		t.Errorf("err = %v, want invalid type", err)
	}
}

func TestFindMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Convert(t.Context(), nil, Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "lumper-kube not found next to lumper or in PATH") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v", err)
	}
}
