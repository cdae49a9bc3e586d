//go:build integration

package integration

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
)

// TestSetupMistakes: the common set-up mistakes are one line that names the
// fix — a socket this user may not use, a snapshotter containerd has not
// loaded.
func TestSetupMistakes(t *testing.T) {
	t.Parallel()
	cmd := lumperCmd("ps", "-a")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	if err == nil || !strings.HasPrefix(msg, "lumper: permission denied: lumper needs root, or access to "+env.address) || strings.Contains(msg, "\n") {
		t.Errorf("lumper ps as nobody: %v, %q; want one line saying it needs root or access to the socket", err, msg)
	}

	r := mustFail(t, 125, "--snapshotter", "nosuchsnap", "run", "--rm", "busybox", "true")
	oneLineError(t, r, `no snapshotter nosuchsnap loaded`)
}
