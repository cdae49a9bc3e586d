//go:build integration

// Package integration drives the lumper binary against a real containerd and
// runc, started here with a private root, state directory and socket.
package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/lumper/lumper/internal/testimage"
	"github.com/lumper/lumper/pkg/proc"
)

const testNamespace = "lumper-test"

var env struct {
	binDir   string // lumper, lumper-logger, containerd, ctr
	ctdDir   string // the private containerd's root, state and sockets
	address  string
	dataRoot string
	images   struct{ rootfs, docker, oci string }
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration tests need root (they start containerd and runc)")
		return 1
	}
	root, _ := filepath.Abs("../..")
	env.binDir = os.Getenv("LUMPER_BIN_DIR")
	if env.binDir == "" {
		env.binDir = filepath.Join(root, "_output", "bin")
	}
	for _, b := range []string{"lumper", "lumper-logger", "containerd", "containerd-shim-runc-v2", "ctr"} {
		if _, err := os.Stat(filepath.Join(env.binDir, b)); err != nil {
			fmt.Fprintf(os.Stderr, "missing %s in %s: run 'make build containerd' first\n", b, env.binDir)
			return 1
		}
	}
	tmp, err := os.MkdirTemp("", "lumper-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	env.ctdDir = filepath.Join(tmp, "ctd")
	env.address = filepath.Join(env.ctdDir, "containerd.sock")
	env.dataRoot = filepath.Join(tmp, "data")
	if err := startContainerd(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopContainerd()

	imgDir := filepath.Join(tmp, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.images.rootfs, env.images.docker, env.images.oci, err = testimage.WriteAll(imgDir, testimage.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "building test images:", err)
		return 1
	}
	if r := lumperRun("load", "-i", env.images.docker); r.code != 0 {
		fmt.Fprintf(os.Stderr, "loading busybox: %s\n", r.stderr)
		return 1
	}
	code := m.Run()
	if err := teardownNetworks(); err != nil {
		fmt.Fprintln(os.Stderr, "removing the test networks' bridges:", err)
	}
	if code != 0 {
		if b, err := os.ReadFile(filepath.Join(env.ctdDir, "containerd.log")); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 40 {
				lines = lines[len(lines)-40:]
			}
			fmt.Fprintf(os.Stderr, "--- last lines of containerd.log:\n%s\n", strings.Join(lines, "\n"))
		}
	}
	return code
}

func ctdScript(action string) error {
	cmd := exec.Command("../../hack/containerd.sh", action)
	cmd.Env = append(os.Environ(), "LUMPER_CTD_DIR="+env.ctdDir, "LUMPER_BIN_DIR="+env.binDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("hack/containerd.sh %s: %v: %s", action, err, out)
	}
	return nil
}

func startContainerd() error { return ctdScript("up") }
func stopContainerd() error  { return ctdScript("down") }

// result is what one lumper invocation did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

func lumperCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(env.binDir, "lumper"), args...)
	cmd.Env = append(os.Environ(),
		"LUMPER_ADDRESS="+env.address,
		"LUMPER_NAMESPACE="+testNamespace,
		"LUMPER_DATA_ROOT="+env.dataRoot,
		// One shim per container: the suite finds, kills and counts shims
		// by container ID. Shim groups, the default, are tested in
		// shimgroup_test.go (and slowshim_test.go) in namespaces of their own.
		"LUMPER_SHIM=isolated",
	)
	return cmd
}

// lumperRun runs lumper with the test environment and returns what it did.
func lumperRun(args ...string) result {
	return lumperStdin(nil, args...)
}

func lumperStdin(stdin []byte, args ...string) result {
	cmd := lumperCmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			code = -1
			errb.WriteString(err.Error())
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// lumper runs lumper and fails the test unless it exits 0.
func lumper(t *testing.T, args ...string) string {
	t.Helper()
	r := lumperRun(args...)
	if r.code != 0 {
		t.Fatalf("lumper %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// mustFail runs lumper and checks its exit code and a one-line error.
func mustFail(t *testing.T, code int, args ...string) result {
	t.Helper()
	r := lumperRun(args...)
	if r.code != code {
		t.Fatalf("lumper %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	return r
}

// errorCode is the exit code Docker gives a failing invocation: 125 for the
// errors of run and create themselves, 1 for every other command.
func errorCode(args []string) int {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--namespace", "--address", "--data-root", "--snapshotter", "--cni-path", "--insecure-registry", "--config":
			i++
		case "run", "create":
			return 125
		default:
			if !strings.HasPrefix(args[i], "-") {
				return 1
			}
		}
	}
	return 1
}

// uniqueName derives a container name from the test name: lower case, with
// what a name may not hold replaced by '-', and a hash of the whole name
// where it is too long (compat cases are named by their Docker invocation).
func uniqueName(t *testing.T) string {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	if len(n) > 60 {
		sum := sha256.Sum256([]byte(t.Name()))
		n = n[:47] + "-" + hex.EncodeToString(sum[:6])
	}
	return n
}

// rmOnCleanup removes the container when the test ends, and fails the test
// if it leaves anything behind (see assertGone).
func rmOnCleanup(t *testing.T, ref string) {
	t.Cleanup(func() {
		r := lumperRun("inspect", "--format", "{{.Id}}", ref)
		id := strings.TrimSpace(r.stdout)
		if rm := lumperRun("rm", "-f", ref); r.code == 0 && rm.code == 0 && len(id) == 64 {
			assertGone(t, id, ref)
		}
	})
}

// ctd returns a containerd client in the test namespace, for checking what
// lumper left in containerd.
func ctd(t *testing.T) (*containerd.Client, context.Context) {
	t.Helper()
	c, err := containerd.New(env.address, containerd.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("connecting to containerd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, namespaces.WithNamespace(context.Background(), testNamespace)
}

// eventually polls cond until it is true or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
}

// never polls cond for the whole window and fails the test if it is ever
// true: how a test proves that something does not happen (no fixed sleep
// followed by one look).
func never(t *testing.T, window time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(window)
	for {
		if cond() {
			t.Fatalf("%s (within %v)", what, window)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nameLease is the ID of the lease that reserves a container name (see
// pkg/client/names.go).
func nameLease(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "lumper-name." + hex.EncodeToString(sum[:16])
}

// procStart is field 22 of /proc/PID/stat, as lumper records owners.
func procStart(pid int) string { return proc.StartTime(pid) }
