//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/bcrypt"

	"github.com/lumper/lumper/internal/testimage"
)

const (
	regUser = "lumper"
	regPass = "s3cret"
)

// testRegistry is a private distribution registry (Debian's docker-registry)
// on 127.0.0.1, with its own storage, stopped when the test ends.
type testRegistry struct {
	host string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	log  string
}

// startRegistry starts a registry, with htpasswd authentication when auth is
// set (user regUser, password regPass). TLS is off: lumper speaks plain HTTP
// to loopback registries that the hosts directories do not configure.
func startRegistry(t *testing.T, auth bool) *testRegistry {
	return startRegistryWith(t, regConfig{auth: auth})
}

// regConfig is how a test registry is served.
type regConfig struct {
	auth bool
	// tls serves HTTPS with this certificate and key; with clientCA set,
	// clients must present a certificate it signed.
	tls *regTLS
}

type regTLS struct {
	cert, key, clientCA string
	// probe is an HTTPS client the readiness check uses.
	probe *http.Client
}

func startRegistryWith(t *testing.T, rc regConfig) *testRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatalf("docker-registry is not installed (Debian package docker-registry): run 'make deps'")
	}
	dir := t.TempDir()
	r := &testRegistry{host: "127.0.0.1:" + strconv.Itoa(freePort(t)), log: filepath.Join(dir, "registry.log")}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), r.host)
	probe, scheme := http.DefaultClient, "http"
	if rc.tls != nil {
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", rc.tls.cert, rc.tls.key)
		if rc.tls.clientCA != "" {
			cfg += fmt.Sprintf("    clientcas:\n      - %s\n", rc.tls.clientCA)
		}
		probe, scheme = rc.tls.probe, "https"
	}
	if rc.auth {
		hash, err := bcrypt.GenerateFromPassword([]byte(regPass), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(regUser+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: lumper-test\n    path: %s\n", pw)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(bin, "serve", cfgPath)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	t.Cleanup(func() { r.stop(); logf.Close() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := probe.Get(scheme + "://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return r
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(r.log)
			t.Fatalf("registry did not answer on %s: %v\n%s", r.host, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *testRegistry) stop() {
	if r.cmd.Process != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// regEnv is the environment of lumper in registry tests: a private
// DOCKER_CONFIG, so that nothing touches root's ~/.docker.
func regEnv(t *testing.T) []string {
	return []string{"DOCKER_CONFIG=" + t.TempDir()}
}

func lumperEnv(env []string, stdin []byte, args ...string) result {
	cmd := lumperCmd(args...)
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			code = -1
			errb.WriteString(err.Error())
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// lumperOK runs lumper with env and fails the test unless it exits 0.
func lumperOK(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := lumperEnv(env, nil, args...)
	if r.code != 0 {
		t.Fatalf("lumper %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// failsWith runs lumper, and checks it exits as Docker would (125 for run
// and create, 1 for other commands) with one line on stderr that contains
// want.
func failsWith(t *testing.T, env []string, want string, args ...string) {
	t.Helper()
	r := lumperEnv(env, nil, args...)
	if code := errorCode(args); r.code != code {
		t.Fatalf("lumper %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	msg := strings.TrimSpace(r.stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("lumper %s: want one line with %q, got %q", strings.Join(args, " "), want, r.stderr)
	}
}

// tagImage gives the test namespace's image src the name dst, through
// containerd (lumper's own tag command is another issue's).
func tagImage(t *testing.T, src, dst string) {
	t.Helper()
	c, ctx := ctd(t)
	img, err := c.ImageService().Get(ctx, src)
	if err != nil {
		t.Fatalf("image %s: %v", src, err)
	}
	_ = c.ImageService().Delete(ctx, dst)
	if _, err := c.ImageService().Create(ctx, images.Image{Name: dst, Target: img.Target}); err != nil {
		t.Fatalf("naming %s %s: %v", src, dst, err)
	}
	t.Cleanup(func() { _ = c.ImageService().Delete(context.Background(), dst) })
}

// regNS is a namespace of its own for a test's pulls; its images are removed
// when the test ends.
func regNS(t *testing.T, suffix string) string {
	ns := "reg-" + uniqueName(t) + suffix
	t.Cleanup(func() {
		for _, id := range strings.Fields(lumperRun("--namespace", ns, "images", "--format", "{{.Name}}").stdout) {
			lumperRun("--namespace", ns, "rmi", "-f", id)
		}
	})
	return ns
}

// pullLeases lists what lumper's pulls hold in a namespace.
func pullLeases(t *testing.T, ns string) []leases.Lease {
	t.Helper()
	c, _ := ctd(t)
	ls, err := c.LeasesService().List(nsCtx(ns), `labels."lumper.io/operation"==pull`)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// imageID is the ID `lumper images` shows for name in a namespace.
func imageID(t *testing.T, ns, name string) string {
	t.Helper()
	for _, line := range strings.Split(lumperRun("--namespace", ns, "images", "--format", "{{.Name}} {{.ID}}").stdout, "\n") {
		if n, id, ok := strings.Cut(line, " "); ok && n == name {
			return id
		}
	}
	return ""
}

func nsCtx(ns string) context.Context {
	return namespaces.WithNamespace(context.Background(), ns)
}

const busyboxRef = "docker.io/library/busybox:latest"

func TestRegistryPushPullRun(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/library/busybox:1"
	tagImage(t, busyboxRef, ref)

	r := lumperOK(t, denv, "push", ref)
	if !strings.HasPrefix(r.stdout, "1: digest: sha256:") || !strings.Contains(r.stderr, ": Pushed") {
		t.Fatalf("push printed %s", r)
	}
	r = lumperOK(t, denv, "push", ref)
	if !strings.Contains(r.stderr, "Layer already exists") {
		t.Fatalf("second push: %s", r)
	}

	ns := regNS(t, "")
	r = lumperOK(t, denv, "--namespace", ns, "pull", ref)
	if r.stdout != ref+"\n" || !strings.Contains(r.stderr, "Status: Downloaded newer image for "+ref) {
		t.Fatalf("pull printed %s", r)
	}
	if out := lumperOK(t, denv, "--namespace", ns, "run", "--rm", ref, "echo", "pulled"); out.stdout != "pulled\n" {
		t.Fatalf("run of the pulled image: %s", out)
	}
	if r := lumperOK(t, denv, "--namespace", ns, "pull", ref); !strings.Contains(r.stderr, "Image is up to date") {
		t.Fatalf("second pull: %s", r)
	}
	if n := len(pullLeases(t, ns)); n != 0 {
		t.Fatalf("%d pull leases left after successful pulls", n)
	}
	// rmi, pull again, run: the same ID as the pushed image.
	want := imageID(t, testNamespace, ref)
	lumperOK(t, denv, "--namespace", ns, "rmi", ref)
	lumperOK(t, denv, "--namespace", ns, "image", "pull", "-q", ref)
	if got := imageID(t, ns, ref); got != want || want == "" {
		t.Fatalf("pulled image ID %q, pushed %q", got, want)
	}
	if out := lumperOK(t, denv, "--namespace", ns, "run", "--rm", ref, "echo", "again"); out.stdout != "again\n" {
		t.Fatalf("run after re-pull: %s", out)
	}
}

// An image made on this host (import with --change, as commit makes one)
// survives the round trip into another namespace.
func TestRegistryPushImported(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/me/imported:v1"
	t.Cleanup(func() { lumperRun("rmi", "-f", ref) })
	lumperOK(t, denv, "import", "-c", `CMD ["sh", "-c", "echo made here: $ORIGIN"]`, "-c", "ENV ORIGIN=import", env.images.rootfs, ref)
	lumperOK(t, denv, "push", ref)
	lumperOK(t, denv, "--namespace", "other", "pull", "-q", ref)
	t.Cleanup(func() { lumperRun("--namespace", "other", "rmi", "-f", ref) })
	if r := lumperOK(t, denv, "--namespace", "other", "run", "--rm", ref); r.stdout != "made here: import\n" {
		t.Fatalf("run of the round-tripped image: %s", r)
	}
}

// A committed container's image (two layers: busybox and the change) goes
// to the registry and comes back in another namespace.
func TestRegistryPushCommitted(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/me/committed:1"
	name := uniqueName(t)
	lumperOK(t, denv, "run", "--name", name, "busybox", "sh", "-c", "echo committed > /greeting")
	rmOnCleanup(t, name)
	t.Cleanup(func() { lumperRun("rmi", "-f", ref) })
	lumperOK(t, denv, "commit", name, ref)
	lumperOK(t, denv, "push", "-q", ref)
	ns := regNS(t, "")
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", ref)
	if r := lumperOK(t, denv, "--namespace", ns, "run", "--rm", ref, "cat", "/greeting"); r.stdout != "committed\n" {
		t.Fatalf("run of the pulled commit: %s", r)
	}
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, true)
	denv := regEnv(t)
	cfgFile := filepath.Join(strings.TrimPrefix(denv[0], "DOCKER_CONFIG="), "config.json")
	ref := reg.host + "/private/busybox:1"
	tagImage(t, busyboxRef, ref)
	ns := regNS(t, "")

	failsWith(t, denv, "authentication required: log in with 'lumper login "+reg.host+"'", "push", "-q", ref)
	r := lumperEnv(denv, []byte("wrong\n"), "login", "-u", regUser, "--password-stdin", reg.host)
	if r.code != 1 || strings.TrimSpace(r.stderr) != "lumper: logging in to "+reg.host+": unauthorized: incorrect username or password" {
		t.Fatalf("login with a wrong password: %s", r)
	}
	if _, err := os.Stat(cfgFile); !os.IsNotExist(err) {
		t.Fatalf("a failed login wrote %s", cfgFile)
	}
	r = lumperEnv(denv, []byte(regPass+"\n"), "login", "-u", regUser, "--password-stdin", reg.host)
	if r.code != 0 || r.stdout != "Login Succeeded\n" {
		t.Fatalf("login: %s", r)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	b, err := os.ReadFile(cfgFile)
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatalf("reading %s: %v: %s", cfgFile, err, b)
	}
	if got := cfg.Auths[reg.host].Auth; got != base64.StdEncoding.EncodeToString([]byte(regUser+":"+regPass)) {
		t.Fatalf("config.json: %s", b)
	}
	if fi, _ := os.Stat(cfgFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json mode %v", fi.Mode())
	}
	lumperOK(t, denv, "push", "-q", ref)
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", ref)
	if r := lumperOK(t, denv, "--namespace", ns, "run", "--rm", ref, "echo", "private"); r.stdout != "private\n" {
		t.Fatalf("run: %s", r)
	}

	if r := lumperOK(t, denv, "logout", reg.host); r.stdout != "Removing login credentials for "+reg.host+"\n" {
		t.Fatalf("logout: %s", r)
	}
	b, _ = os.ReadFile(cfgFile)
	if strings.Contains(string(b), reg.host) {
		t.Fatalf("logout left the entry: %s", b)
	}
	if r := lumperOK(t, denv, "logout", reg.host); !strings.HasPrefix(r.stdout, "Not logged in") {
		t.Fatalf("second logout: %s", r)
	}
	lumperOK(t, denv, "--namespace", ns, "rmi", ref)
	failsWith(t, denv, "access denied", "--namespace", ns, "pull", "-q", ref)

	// Stored credentials the registry refuses.
	if err := os.WriteFile(cfgFile, []byte(`{"auths":{"`+reg.host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(regUser+":nope"))+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	failsWith(t, denv, "refused the stored credentials", "--namespace", ns, "pull", "-q", ref)
	if out := lumperRun("--namespace", ns, "images", "-q"); strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("failed pulls left images: %q", out.stdout)
	}
}

// Credentials go to the credential helper config.json names, through
// Docker's docker-credential-* protocol.
func TestLoginCredentialHelper(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, true)
	denv := regEnv(t)
	dir := strings.TrimPrefix(denv[0], "DOCKER_CONFIG=")
	helperDir := t.TempDir()
	store := filepath.Join(helperDir, "store")
	script := `#!/bin/sh
case "$1" in
store) cat > "` + store + `" ;;
get) read -r server || true
     if [ -f "` + store + `" ] && grep -q "\"$server\"" "` + store + `"; then cat "` + store + `"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) rm -f "` + store + `" ;;
esac
`
	if err := os.WriteFile(filepath.Join(helperDir, "docker-credential-lumpertest"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"lumpertest","detachKeys":"ctrl-x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	denv = append(denv, "PATH="+helperDir+":"+os.Getenv("PATH"))
	lumperOK(t, denv, "login", "-u", regUser, "-p", regPass, reg.host)
	b, err := os.ReadFile(store)
	if err != nil || !strings.Contains(string(b), `"Secret":"`+regPass+`"`) {
		t.Fatalf("helper store: %s (%v)", b, err)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if strings.Contains(string(cfg), regPass) || !strings.Contains(string(cfg), "ctrl-x") {
		t.Fatalf("config.json: %s", cfg)
	}
	ref := reg.host + "/helper/busybox:1"
	tagImage(t, busyboxRef, ref)
	lumperOK(t, denv, "push", "-q", ref)
	lumperOK(t, denv, "logout", reg.host)
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatal("logout did not erase the helper's credentials")
	}
	failsWith(t, denv, "authentication required", "push", "-q", ref)
}

func TestPullErrors(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ns := regNS(t, "")
	ref := reg.host + "/library/busybox:1"
	tagImage(t, busyboxRef, ref)
	lumperOK(t, denv, "push", "-q", ref)

	failsWith(t, denv, "not found: "+reg.host+" has no such repository or tag", "--namespace", ns, "pull", "-q", reg.host+"/library/busybox:nope")
	failsWith(t, denv, "not found", "--namespace", ns, "pull", "-q", reg.host+"/no/such:1")
	down := "127.0.0.1:" + strconv.Itoa(freePort(t))
	failsWith(t, denv, "cannot reach registry "+down+": connection refused", "--namespace", ns, "pull", "-q", down+"/x:1")
	tagImage(t, busyboxRef, down+"/x:1")
	failsWith(t, denv, "cannot reach registry "+down, "push", "-q", down+"/x:1")
	failsWith(t, denv, "invalid reference", "--namespace", ns, "pull", "-q", "bad@@ref")
	failsWith(t, denv, "invalid reference", "--namespace", ns, "pull", "-q", "Upper/Case:1")
	failsWith(t, denv, "invalid --platform", "--namespace", ns, "pull", "-q", "--platform", "a/b/c/d", ref)
	failsWith(t, denv, "is for platform linux/"+runtime.GOARCH+", not linux/s390x", "--namespace", ns, "pull", "-q", "--platform", "linux/s390x", ref)
	failsWith(t, denv, "no such image", "push", "-q", reg.host+"/never/named:1")

	// A registry whose manifest does not match its digest. containerd
	// shares blobs between namespaces, so the manifest must be one that
	// is nowhere on this host: push a fresh image and remove it.
	fresh := reg.host + "/fresh/image:1"
	lumperOK(t, denv, "import", "-c", "LABEL made-at="+strconv.FormatInt(time.Now().UnixNano(), 10), env.images.rootfs, fresh)
	lumperOK(t, denv, "push", "-q", fresh)
	lumperOK(t, denv, "rmi", fresh)
	p := newProxy(t, reg.host)
	p.tamper.Store(true)
	failsWith(t, denv, "does not match its digest", "--namespace", ns, "pull", "-q", p.host+"/fresh/image:1")

	if out := lumperRun("--namespace", ns, "images", "-q"); strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("failed pulls left images: %q", out.stdout)
	}
	if n := len(pullLeases(t, ns)); n != 0 {
		t.Fatalf("failed pulls left %d leases", n)
	}
	p.tamper.Store(false)
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", p.host+"/fresh/image:1")
}

// A registry reached by a name that is not a loopback literal is spoken to
// over HTTPS unless --insecure-registry names it.
func TestPullInsecureRegistry(t *testing.T) {
	t.Parallel()
	name, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := net.LookupHost(name)
	if !slices.Contains(addrs, "127.0.0.1") || name == "localhost" {
		t.Skipf("host name %q does not resolve to 127.0.0.1 (%v)", name, addrs)
	}
	reg := startRegistry(t, false)
	denv := regEnv(t)
	_, port, _ := net.SplitHostPort(reg.host)
	host := net.JoinHostPort(name, port)
	ref := host + "/insecure/busybox:1"
	tagImage(t, busyboxRef, ref)
	failsWith(t, denv, host+" speaks plain HTTP: allow it with --insecure-registry "+host, "push", "-q", ref)
	lumperOK(t, denv, "--insecure-registry", host, "push", "-q", ref)
	ns := regNS(t, "")
	failsWith(t, denv, "--insecure-registry", "--namespace", ns, "pull", "-q", ref)
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", "--insecure-registry", name, ref)
}

func TestPullMultiPlatform(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/multi/busybox:1"
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	makeIndex(t, busyboxRef, ref, []string{runtime.GOARCH, other})
	lumperOK(t, denv, "push", "-q", ref)

	ns := regNS(t, "")
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", ref)
	if r := lumperOK(t, denv, "--namespace", ns, "run", "--rm", ref, "echo", "host platform"); r.stdout != "host platform\n" {
		t.Fatalf("run: %s", r)
	}
	failsWith(t, denv, "no variant for platform linux/s390x", "--namespace", ns, "pull", "-q", "--platform", "linux/s390x", ref)
	// The index says which manifest is for which platform.
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", "--platform", "linux/"+other, ref)
	// The pulled index lacks nothing here (both entries share the
	// manifest), so it is pushed whole to a new name.
	ns2 := regNS(t, "-2")
	lumperOK(t, denv, "--namespace", ns2, "pull", "-q", ref)
}

// TestRunPlatform: run --platform picks that platform's manifest of an
// index, pulling it when only another platform's content is here, and the
// default stays the host's. The other platform's manifest here is busybox
// with a marker file (an emulator would be needed for a real foreign binary).
func TestRunPlatform(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	marker := uniqueName(t)
	rmOnCleanup(t, marker)
	lumper(t, "run", "--name", marker, "--network", "none", "busybox", "sh", "-c", "echo "+other+" > /platform")
	lumper(t, "commit", marker, "marker:"+other)
	t.Cleanup(func() { lumperRun("rmi", "-f", "marker:"+other) })
	ref := reg.host + "/multi/platform:1"
	makeIndexOf(t, ref, map[string]string{runtime.GOARCH: busyboxRef, other: "docker.io/library/marker:" + other})
	lumperOK(t, denv, "push", "-q", ref)

	ns := regNS(t, "")
	// The host's platform only.
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", ref)
	if r := lumperEnv(denv, nil, "--namespace", ns, "run", "--rm", "--network", "none", ref, "cat", "/platform"); r.code == 0 {
		t.Fatalf("the host's manifest has the other platform's file: %s", r)
	}
	failsWith(t, denv, "has no content for platform linux/"+other+" here: pull it with 'lumper pull --platform linux/"+other,
		"--namespace", ns, "run", "--rm", "--pull", "never", "--platform", "linux/"+other, ref, "cat", "/platform")
	// Missing content for the platform is pulled.
	if r := lumperOK(t, denv, "--namespace", ns, "run", "--rm", "--network", "none", "--platform", "linux/"+other, ref, "cat", "/platform"); r.stdout != other+"\n" {
		t.Fatalf("run --platform linux/%s: %s", other, r)
	}
	// Both are here now; the default is still the host's.
	if r := lumperEnv(denv, nil, "--namespace", ns, "run", "--rm", "--network", "none", ref, "cat", "/platform"); r.code == 0 {
		t.Fatalf("after pulling linux/%s, run without --platform used it: %s", other, r)
	}
	failsWith(t, denv, `invalid --platform "a/b/c/d"`, "--namespace", ns, "run", "--rm", "--platform", "a/b/c/d", ref, "true")
}

// makeIndexOf names a multi-platform index with one entry per architecture,
// each the manifest of the image named for it.
func makeIndexOf(t *testing.T, dst string, srcs map[string]string) {
	t.Helper()
	c, ctx := ctd(t)
	ctx, done, err := c.WithLease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer done(context.Background())
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	labels := map[string]string{}
	arches := slices.Sorted(maps.Keys(srcs))
	for i, a := range arches {
		img, err := c.ImageService().Get(ctx, srcs[a])
		if err != nil {
			t.Fatal(err)
		}
		d := img.Target
		d.Platform = &ocispec.Platform{OS: "linux", Architecture: a}
		idx.Manifests = append(idx.Manifests, d)
		labels[fmt.Sprintf("containerd.io/gc.ref.content.m.%d", i)] = d.Digest.String()
	}
	b, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := content.WriteBlob(ctx, c.ContentStore(), "index-"+desc.Digest.String(), bytes.NewReader(b), desc, content.WithLabels(labels)); err != nil && !errdefs.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	_ = c.ImageService().Delete(ctx, dst)
	if _, err := c.ImageService().Create(ctx, images.Image{Name: dst, Target: desc}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.ImageService().Delete(context.Background(), dst) })
}

// makeIndex names a multi-platform index over the manifest of src: one
// entry per architecture (all the same manifest).
func makeIndex(t *testing.T, src, dst string, arches []string) {
	t.Helper()
	srcs := map[string]string{}
	for _, a := range arches {
		srcs[a] = src
	}
	makeIndexOf(t, dst, srcs)
}

func TestRunPull(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ns := regNS(t, "")
	ref := reg.host + "/library/busybox:run"
	v2 := reg.host + "/library/busybox:v2"
	tagImage(t, busyboxRef, ref)
	lumperOK(t, denv, "push", "-q", ref)
	t.Cleanup(func() { lumperRun("rmi", "-f", v2) })
	lumperOK(t, denv, "import", "-c", "ENV VERSION=2", env.images.rootfs, v2)

	show := []string{"sh", "-c", "echo v$VERSION"}
	failsWith(t, denv, "No such image", append([]string{"--namespace", ns, "run", "--rm", "--pull", "never", ref}, show...)...)
	if r := mustFail(t, 125, append([]string{"--namespace", ns, "run", "--rm", "--pull", "sometimes", ref}, show...)...); !strings.Contains(r.stderr, "invalid --pull") {
		t.Fatalf("--pull sometimes: %s", r)
	}
	r := lumperOK(t, denv, append([]string{"--namespace", ns, "run", "--rm", ref}, show...)...)
	if r.stdout != "v\n" || !strings.Contains(r.stderr, "Pulling from") {
		t.Fatalf("run pulling a missing image: %s", r)
	}
	// The tag moves to another image in the registry.
	lumperOK(t, denv, "push", "-q", v2)
	tagImage(t, v2, ref)
	lumperOK(t, denv, "push", "-q", ref)

	r = lumperOK(t, denv, append([]string{"--namespace", ns, "run", "--rm", "--pull", "missing", ref}, show...)...)
	if r.stdout != "v\n" || strings.Contains(r.stderr, "Pulling") {
		t.Fatalf("--pull missing with the image here: %s", r)
	}
	r = lumperOK(t, denv, append([]string{"--namespace", ns, "run", "--rm", "--pull", "always", ref}, show...)...)
	if r.stdout != "v2\n" || !strings.Contains(r.stderr, "Downloaded newer image") {
		t.Fatalf("--pull always: %s", r)
	}
	reg.stop()
	r = lumperOK(t, denv, append([]string{"--namespace", ns, "run", "--rm", ref}, show...)...)
	if r.stdout != "v2\n" {
		t.Fatalf("run with the registry down and the image here: %s", r)
	}
	r = lumperEnv(denv, nil, append([]string{"--namespace", ns, "run", "--rm", "--pull", "always", ref}, show...)...)
	if r.code != 125 || !strings.HasSuffix(r.stderr, ": cannot reach registry "+reg.host+": connection refused\n") {
		t.Fatalf("--pull always with the registry down: %s", r)
	}
	if out := lumperRun("--namespace", ns, "ps", "-a", "-q"); strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("failed runs left containers: %q", out.stdout)
	}
}

// An interrupted pull keeps what it fetched under its lease; the next pull
// takes it over, asks the registry only for the rest (a Range request), and
// leaves no lease behind.
func TestPullResume(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, false)
	denv := regEnv(t)
	ref := reg.host + "/big/busybox:1"
	srcNS := regNS(t, "-src")
	archive := filepath.Join(t.TempDir(), "big.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := testimage.DockerArchive(f, testimage.Options{Ref: ref, Extra: 16 << 20}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	lumperOK(t, denv, "--namespace", srcNS, "load", "-q", "-i", archive)
	lumperOK(t, denv, "--namespace", srcNS, "push", "-q", ref)
	// containerd shares blobs between namespaces: remove the source so that
	// the pull below has to download the layer.
	lumperOK(t, denv, "--namespace", srcNS, "rmi", ref)

	p := newProxy(t, reg.host)
	p.throttle.Store(true)
	pref := p.host + "/big/busybox:1"
	ns := regNS(t, "")
	cmd := lumperCmd("--namespace", ns, "pull", "-q", pref)
	cmd.Env = append(cmd.Env, denv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the pull to fetch 2 MiB", func() bool { return p.served.Load() > 2<<20 })
	_ = cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("interrupted pull: %v: %s", err, stderr.String())
	}
	if out := lumperRun("--namespace", ns, "images", "-q"); strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("an interrupted pull recorded an image: %q", out.stdout)
	}
	if ls := pullLeases(t, ns); len(ls) != 1 {
		t.Fatalf("an interrupted pull should keep one lease, found %d", len(ls))
	}

	p.throttle.Store(false)
	lumperOK(t, denv, "--namespace", ns, "pull", "-q", pref)
	if !p.sawRange() {
		t.Fatal("the second pull fetched the interrupted layer from the start")
	}
	if ls := pullLeases(t, ns); len(ls) != 0 {
		t.Fatalf("%d pull leases left after the resumed pull", len(ls))
	}
	if r := lumperOK(t, denv, "--namespace", ns, "run", "--rm", pref, "sh", "-c", "wc -c < /data/random"); strings.TrimSpace(r.stdout) != strconv.Itoa(16<<20) {
		t.Fatalf("resumed layer content: %s", r)
	}
	// Nothing dangles: once the image is removed, its layers are gone.
	c, _ := ctd(t)
	img, err := c.ImageService().Get(nsCtx(ns), pref)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := images.Manifest(nsCtx(ns), c.ContentStore(), img.Target, nil)
	if err != nil {
		t.Fatal(err)
	}
	lumperOK(t, denv, "--namespace", ns, "rmi", pref)
	for _, l := range layers.Layers {
		if _, err := c.ContentStore().Info(nsCtx(ns), l.Digest); !errdefs.IsNotFound(err) {
			t.Fatalf("layer %s still in the content store after rmi: %v", l.Digest, err)
		}
	}
}

// proxy stands between lumper and a registry to misbehave on demand: it can
// alter manifests (keeping their length and digest header) and slow blobs
// down.
type proxy struct {
	host     string
	tamper   atomic.Bool
	throttle atomic.Bool
	served   atomic.Int64
	mu       sync.Mutex
	ranges   []string
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{}
	u, _ := url.Parse("http://" + target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		path := resp.Request.URL.Path
		if resp.Request.Method != http.MethodGet || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent) {
			return nil
		}
		if strings.Contains(path, "/manifests/") && p.tamper.Load() {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			b = bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":3`), 1)
			resp.Body = io.NopCloser(bytes.NewReader(b))
		}
		if strings.Contains(path, "/blobs/") {
			if r := resp.Request.Header.Get("Range"); r != "" {
				p.mu.Lock()
				p.ranges = append(p.ranges, r)
				p.mu.Unlock()
			}
			resp.Body = &countingBody{ReadCloser: resp.Body, p: p}
		}
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.host = l.Addr().String()
	return p
}

func (p *proxy) sawRange() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ranges) > 0
}

type countingBody struct {
	io.ReadCloser
	p *proxy
}

func (b *countingBody) Read(buf []byte) (int, error) {
	if b.p.throttle.Load() {
		if len(buf) > 32<<10 {
			buf = buf[:32<<10]
		}
		time.Sleep(20 * time.Millisecond)
	}
	n, err := b.ReadCloser.Read(buf)
	b.p.served.Add(int64(n))
	return n, err
}
