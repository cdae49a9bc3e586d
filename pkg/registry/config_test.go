package registry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                            hubConfigKey,
		"docker.io":                   hubConfigKey,
		"index.docker.io":             hubConfigKey,
		"https://index.docker.io/v1/": hubConfigKey,
		"registry-1.docker.io":        hubConfigKey,
		"localhost:5000":              "localhost:5000",
		"http://LOCALHOST:5000/":      "localhost:5000",
		"https://ghcr.io/v2/":         "ghcr.io",
	} {
		if got := ServerKey(in); got != want {
			t.Errorf("ServerKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orig := `{"auths":{"https://ghcr.io":{"auth":"Ym9iOnB3"}},"psFormat":"table {{.ID}}","proxies":{"default":{"httpProxy":"x"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	// An entry written with a scheme is found by host.
	cr, err := cfg.Get(ctx, "ghcr.io")
	if err != nil || cr.Username != "bob" || cr.Secret != "pw" {
		t.Fatalf("Get(ghcr.io) = %+v, %v", cr, err)
	}
	if err := cfg.Set(ctx, "localhost:5000", Credentials{Username: "alice", Secret: "s:e:c"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "config.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json mode: %v, %v", fi.Mode(), err)
	}
	var raw map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["psFormat"] != "table {{.ID}}" || raw["proxies"] == nil {
		t.Fatalf("unknown keys lost: %s", b)
	}
	auths := raw["auths"].(map[string]any)
	if got := auths["localhost:5000"].(map[string]any)["auth"]; got != "YWxpY2U6czplOmM=" {
		t.Fatalf("auth = %v", got)
	}

	cfg, err = LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	cr, err = cfg.Get(ctx, "localhost:5000")
	if err != nil || cr.Username != "alice" || cr.Secret != "s:e:c" {
		t.Fatalf("Get after reload = %+v, %v", cr, err)
	}
	found, err := cfg.Erase(ctx, "ghcr.io")
	if err != nil || !found {
		t.Fatalf("Erase(ghcr.io) = %v, %v", found, err)
	}
	if found, _ := cfg.Erase(ctx, "ghcr.io"); found {
		t.Fatal("second Erase found credentials")
	}
	if cr, _ := cfg.Get(ctx, "nowhere.example"); !cr.Empty() {
		t.Fatalf("credentials for an unknown host: %+v", cr)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if cfg, err := LoadConfig(dir); err != nil || len(cfg.auths) != 0 {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("bad JSON: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"h":{"auth":"!!"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Get(context.Background(), "h"); err == nil {
		t.Fatal("bad base64 accepted")
	}
}

func TestConfigDir(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", "/some/where")
	if d, _ := ConfigDir(); d != "/some/where" {
		t.Fatalf("ConfigDir = %q", d)
	}
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("HOME", "/home/x")
	if d, _ := ConfigDir(); d != "/home/x/.docker" {
		t.Fatalf("ConfigDir = %q", d)
	}
}

// fakeHelper installs docker-credential-fake, which keeps one set of
// credentials in a file, on PATH.
func fakeHelper(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
store="$(dirname "$0")/store"
case "$1" in
store) cat > "$store" ;;
get) read -r server || true
     if [ -f "$store" ] && grep -q "\"$server\"" "$store"; then cat "$store"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) rm -f "$store" ;;
*) echo "unknown action" >&2; exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker-credential-fake"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return filepath.Join(dir, "store")
}

func TestCredentialHelper(t *testing.T) {
	ctx := context.Background()
	store := fakeHelper(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credHelpers":{"reg.example":"fake"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cr, err := cfg.Get(ctx, "reg.example"); err != nil || !cr.Empty() {
		t.Fatalf("Get before store = %+v, %v", cr, err)
	}
	if err := cfg.Set(ctx, "reg.example", Credentials{Username: "u", Secret: "p"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(store)
	if err != nil || !strings.Contains(string(b), `"Secret":"p"`) {
		t.Fatalf("helper store got %s (%v)", b, err)
	}
	if raw, _ := json.Marshal(cfg.auths); string(raw) != `{"reg.example":{}}` {
		t.Fatalf("the file keeps %s; want an empty entry", raw)
	}
	if cr, err := cfg.Get(ctx, "reg.example"); err != nil || cr.Username != "u" || cr.Secret != "p" {
		t.Fatalf("Get = %+v, %v", cr, err)
	}
	// A token is stored under Docker's <token> user name.
	if err := cfg.Set(ctx, "reg.example", Credentials{IdentityToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if cr, _ := cfg.Get(ctx, "reg.example"); cr.IdentityToken != "tok" || cr.Username != "" {
		t.Fatalf("token round trip = %+v", cr)
	}
	if found, err := cfg.Erase(ctx, "reg.example"); err != nil || !found {
		t.Fatalf("Erase = %v, %v", found, err)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatal("helper erase was not called")
	}
	// Hosts without a helper still use the file.
	if err := cfg.Set(ctx, "other.example", Credentials{Username: "a", Secret: "b"}); err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(cfg.auths); !strings.Contains(string(raw), `"auth":"YTpi"`) {
		t.Fatalf("file entry: %s", raw)
	}
	// A helper that is not installed is a clear error.
	cfg.CredsStore, cfg.CredHelpers = "missing", nil
	if _, err := cfg.Get(ctx, "x.example"); err == nil || !strings.Contains(err.Error(), "docker-credential-missing") {
		t.Fatalf("missing helper: %v", err)
	}
}
