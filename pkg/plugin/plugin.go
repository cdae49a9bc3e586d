// Package plugin finds lumper's companion binaries: the programs that
// carry a feature whose libraries would make every lumper command bigger or
// slower (lumper-kube: the Kubernetes types; lumper-compose: compose-go,
// whose package init compiles JSON schemas on every start). As Docker's CLI
// plugins, they are looked for beside the running lumper, then in PATH.
package plugin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The companion binaries.
const (
	Kube    = "lumper-kube"
	Compose = "lumper-compose"
)

// Find returns the path of the binary name, beside the running executable
// (symlinks resolved) or else in PATH; what names the command that needs
// it, for the error.
func Find(name, what string) (string, error) {
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		p := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found next to lumper or in PATH: %s needs it, install it with 'make install'", name, what)
	}
	return filepath.Abs(p)
}
