package container

import (
	"errors"
	"reflect"
	"testing"

	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/core/containers"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

func TestProcessArgs(t *testing.T) {
	img := ocispec.ImageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"def"}}
	empty, ls := "", "ls"
	tests := []struct {
		name string
		cfg  ocispec.ImageConfig
		ep   *string
		args []string
		want []string
	}{
		{"image defaults", img, nil, nil, []string{"/ep", "def"}},
		{"args replace cmd", img, nil, []string{"x"}, []string{"/ep", "x"}},
		{"entrypoint drops cmd", img, &ls, nil, []string{"ls"}},
		{"entrypoint with args", img, &ls, []string{"-l"}, []string{"ls", "-l"}},
		{"empty entrypoint clears", img, &empty, []string{"sh"}, []string{"sh"}},
		{"cmd only", ocispec.ImageConfig{Cmd: []string{"sh"}}, nil, nil, []string{"sh"}},
		{"nothing", ocispec.ImageConfig{}, nil, nil, []string{}},
	}
	for _, tt := range tests {
		if got := processArgs(tt.cfg, tt.ep, tt.args); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStartError(t *testing.T) {
	tests := []struct {
		msg  string
		code int
	}{
		{`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown`, 127},
		{`OCI runtime create failed: unable to start container process: exec: "/x": stat /x: no such file or directory: unknown`, 127},
		{`OCI runtime create failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown`, 126},
		{`something else entirely`, 0},
	}
	for _, tt := range tests {
		err := startError(errors.New(tt.msg))
		var se *api.StatusError
		if tt.code == 0 {
			if errors.As(err, &se) {
				t.Errorf("%q: unexpected status %d", tt.msg, se.Code)
			}
			continue
		}
		if !errors.As(err, &se) || se.Code != tt.code {
			t.Errorf("%q: got %v, want status %d", tt.msg, err, tt.code)
		}
	}
	if err := startError(errors.New(tests[0].msg)); err.Error() != `exec "nope": executable file not found in $PATH` {
		t.Errorf("message: %q", err.Error())
	}
}

func TestState(t *testing.T) {
	exited := containers.Container{Labels: map[string]string{client.LabelExitCode: "3"}}
	tests := []struct {
		name   string
		ctr    containers.Container
		task   *tasktypes.Process
		status string
		pid    uint32
		code   int
	}{
		{"running", containers.Container{}, &tasktypes.Process{Status: tasktypes.Status_RUNNING, Pid: 42}, StatusRunning, 42, 0},
		{"stopped task", containers.Container{}, &tasktypes.Process{Status: tasktypes.Status_STOPPED, ExitStatus: 137}, StatusExited, 0, 137},
		{"reaped", exited, nil, StatusExited, 0, 3},
		{"never started", containers.Container{}, nil, StatusCreated, 0, 0},
		{"paused", containers.Container{}, &tasktypes.Process{Status: tasktypes.Status_PAUSED, Pid: 7}, StatusPaused, 7, 0},
	}
	for _, tt := range tests {
		s, pid, code := state(tt.ctr, tt.task)
		if s != tt.status || pid != tt.pid || code != tt.code {
			t.Errorf("%s: got %s %d %d", tt.name, s, pid, code)
		}
	}
}
