package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// InitBinary is lumper's init for `run --init`: PID 1 in the container, it
// forwards signals to the command and reaps zombies (Docker's docker-init).
const InitBinary = "lumper-init"

// InitPath is where lumper-init is mounted (read-only) in the container.
const InitPath = "/lumper-init"

// findInit looks for lumper-init next to the running binary, then in PATH.
func findInit() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), InitBinary)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(InitBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found next to lumper or in PATH: install both with 'make install': %w", InitBinary, err)
	}
	return filepath.Abs(p)
}

// withInit mounts lumper-init at InitPath and makes it the container's
// process, with the command after "--". It must come after every option
// that sets the process's arguments.
func withInit() (oci.SpecOpts, error) {
	path, err := findInit()
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
		if s.Process == nil {
			return fmt.Errorf("--init: the spec has no process")
		}
		s.Process.Args = append([]string{InitPath, "--"}, s.Process.Args...)
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: InitPath,
			Type:        "bind",
			Source:      path,
			Options:     []string{"rbind", "ro", "nosuid", "nodev"},
		})
		return nil
	}, nil
}

// stripInit removes lumper-init from a process's arguments (inspect's
// Config shows the command, as Docker's does).
func stripInit(args []string) []string {
	if len(args) >= 2 && args[0] == InitPath && args[1] == "--" {
		return args[2:]
	}
	return args
}
