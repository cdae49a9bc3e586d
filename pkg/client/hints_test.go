package client

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetupHint(t *testing.T) {
	for _, tc := range []struct{ err, want string }{
		{"creating container: snapshotter not loaded: zfs: invalid argument", "no snapshotter zfs loaded: enable it"},
		{`failed to start shim: runtime "io.containerd.runc.v2" binary not installed "containerd-shim-runc-v2": file does not exist: not found`, "install it next to containerd"},
		{`OCI runtime create failed: exec: "runc": executable file not found in $PATH`, "apt-get install runc"},
		{"something else", ""},
	} {
		got := SetupHint(errors.New(tc.err))
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) || strings.Contains(got, "\n") {
			t.Errorf("SetupHint(%q) = %q, want one line with %q", tc.err, got, tc.want)
		}
	}
}

func TestCheckSocket(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "ctd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := checkSocket(sock); err != nil {
		t.Fatalf("a usable socket: %v", err)
	}
	var u *ErrUnreachable
	if err := checkSocket(filepath.Join(dir, "missing.sock")); !errors.As(err, &u) {
		t.Fatalf("a missing socket: %v", err)
	}
	file := filepath.Join(dir, "file")
	_ = os.WriteFile(file, nil, 0o644)
	if err := checkSocket(file); !errors.As(err, &u) || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("a file: %v", err)
	}
}
