package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/api"
)

// fakeRegistry answers /v2/ for alice:secret, with Basic auth or with a
// Bearer token from its /token endpoint.
func fakeRegistry(t *testing.T, bearer bool) string {
	t.Helper()
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			user, pass, ok = r.Form.Get("username"), r.Form.Get("password"), true
		}
		if !ok || user != "alice" || pass != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": "T", "access_token": "T"})
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		if bearer {
			if r.Header.Get("Authorization") == "Bearer T" {
				return
			}
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake"`, srv.URL))
		} else {
			if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "secret" {
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestLogin(t *testing.T) {
	ctx := context.Background()
	for _, bearer := range []bool{false, true} {
		t.Run(fmt.Sprintf("bearer=%v", bearer), func(t *testing.T) {
			host := fakeRegistry(t, bearer)
			o := Options{ConfigDir: t.TempDir()}
			_, err := Login(ctx, o, host, Credentials{Username: "alice", Secret: "wrong"})
			var inv *api.InvalidArgument
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), "incorrect username or password") {
				t.Fatalf("wrong password: %v", err)
			}
			if _, err := os.Stat(filepath.Join(o.ConfigDir, "config.json")); !os.IsNotExist(err) {
				t.Fatal("a failed login wrote config.json")
			}
			key, err := Login(ctx, o, "http://"+host+"/", Credentials{Username: "alice", Secret: "secret"})
			if err != nil || key != host {
				t.Fatalf("Login = %q, %v", key, err)
			}
			cfg, err := LoadConfig(o.ConfigDir)
			if err != nil {
				t.Fatal(err)
			}
			if cr, _ := cfg.Get(ctx, host); cr.Username != "alice" || cr.Secret != "secret" {
				t.Fatalf("stored %+v", cr)
			}
			// What a pull would send.
			cs := &credStore{o: o, ctx: ctx}
			if u, p, err := cs.get(host); u != "alice" || p != "secret" || err != nil || !cs.offered.Load() {
				t.Fatalf("credStore.get = %q %q %v", u, p, err)
			}
			if _, found, err := Logout(ctx, o, host); !found || err != nil {
				t.Fatalf("Logout = %v, %v", found, err)
			}
			if _, found, _ := Logout(ctx, o, host); found {
				t.Fatal("second Logout found credentials")
			}
		})
	}
}

func TestLoginUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Login(context.Background(), Options{ConfigDir: t.TempDir()}, addr, Credentials{Username: "a", Secret: "b"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach registry "+addr+": connection refused") {
		t.Fatalf("Login to a closed port: %v", err)
	}
}

func TestExplain(t *testing.T) {
	f := failure{verb: "pulling", ref: "r.example/a:1", host: "r.example", platform: "linux/amd64"}
	status := func(code int) error {
		return fmt.Errorf("resolving: %w", remoteerrors.ErrUnexpectedStatus{StatusCode: code, Status: fmt.Sprintf("%d x", code)})
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	offered := f
	offered.offered = true
	resolved := f
	resolved.resolved = true
	for _, tt := range []struct {
		f       failure
		err     error
		want    string
		invalid bool
	}{
		{f, status(401), "access denied: the repository does not exist or needs a login: 'lumper login r.example'", true},
		{offered, status(401), "unauthorized: r.example refused the stored credentials", true},
		{f, status(403), "denied", true},
		{f, status(502), "registry r.example failed: 502 x", true},
		{f, fmt.Errorf("r.example/a:1: %w", errdefs.ErrNotFound), "not found: r.example has no such repository or tag", true},
		{resolved, fmt.Errorf("no match for platform in manifest: %w", errdefs.ErrNotFound), "no variant for platform linux/amd64", true},
		{resolved, fmt.Errorf("failed commit on ref \"manifest-sha256:1\": unexpected commit digest sha256:2, expected sha256:1: %w", errdefs.ErrFailedPrecondition), "does not match its digest (unexpected commit digest sha256:2, expected sha256:1)", true},
		{f, fmt.Errorf("head: %w", refused), "cannot reach registry r.example: connection refused", true},
		{f, fmt.Errorf("x: %w", context.Canceled), "pulling r.example/a:1 interrupted", false},
		{f, errors.New("strange"), "pulling r.example/a:1: strange", false},
	} {
		err := tt.f.explain(tt.err)
		var inv *api.InvalidArgument
		if !strings.Contains(err.Error(), tt.want) || errors.As(err, &inv) != tt.invalid {
			t.Errorf("explain(%v) = %v (invalid=%v), want %q (invalid=%v)", tt.err, err, errors.As(err, &inv), tt.want, tt.invalid)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("explain(%v) is not one line", tt.err)
		}
	}
	if !interrupted(fmt.Errorf("x: %w", refused)) || !interrupted(context.Canceled) || interrupted(status(401)) {
		t.Error("interrupted misclassifies")
	}
}

func TestInsecure(t *testing.T) {
	o := Options{Insecure: []string{"reg.example:5000", "https://other.example/"}}
	for host, want := range map[string]bool{
		"reg.example:5000": true,
		"reg.example":      false,
		"other.example":    true,
		"other.example:1":  true,
		"third.example":    false,
	} {
		if got := o.insecure(host); got != want {
			t.Errorf("insecure(%q) = %v", host, got)
		}
	}
	hosts := o.hosts(context.Background(), nil)
	for host, scheme := range map[string]string{"localhost:5000": "http", "127.0.0.1": "http", "reg.example:5000": "https", "docker.io": "https"} {
		h, err := hosts(host)
		if err != nil || h[0].Scheme != scheme {
			t.Errorf("hosts(%q) scheme = %v, %v", host, h[0].Scheme, err)
		}
	}
	if h, _ := hosts("docker.io"); h[0].Host != "registry-1.docker.io" {
		t.Errorf("docker.io is reached at %s", h[0].Host)
	}
}
