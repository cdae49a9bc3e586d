package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lumper.toml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// clearEnv unsets the variables that would outrank the file.
func clearEnv(t *testing.T) {
	for _, k := range []string{"LUMPER_CONFIG", "LUMPER_ADDRESS", "CONTAINERD_ADDRESS", "LUMPER_NAMESPACE", "LUMPER_DATA_ROOT",
		"LUMPER_SNAPSHOTTER", "LUMPER_CNI_PATH", "LUMPER_HOSTS_DIR", "LUMPER_SHIM"} {
		t.Setenv(k, "")
	}
}

// settingLine finds "  key:  value  (source)" in info's Client section.
func settingLine(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key+":") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	return ""
}

// TestConfigPrecedence: flag > env > file > built-in default, and info says
// which one each setting came from (the Client section needs no containerd).
func TestConfigPrecedence(t *testing.T) {
	clearEnv(t)
	p := writeConfig(t, `namespace = "filens"
data_root = "/srv/file"
snapshotter = "native"
insecure_registries = ["reg.lan:5000"]
hosts_dir = ["/etc/lumper/certs.d"]
default_network = "none"
log_opts = { max-size = "1m" }
shim = "isolated"
`)
	t.Setenv("LUMPER_CONFIG", p)
	t.Setenv("LUMPER_SNAPSHOTTER", "envsnap")
	stdout, stderr, code := runCmd(t, "", "--data-root", "/srv/flag", "info")
	if code != 1 || !strings.Contains(stderr, "cannot connect to containerd") {
		t.Fatalf("info without containerd: exit %d, %q", code, stderr)
	}
	for key, want := range map[string]string{
		"address":             "address: /nonexistent/containerd.sock (flag)",
		"namespace":           "namespace: filens (file)",
		"data_root":           "data_root: /srv/flag (flag)",
		"snapshotter":         "snapshotter: envsnap (env LUMPER_SNAPSHOTTER)",
		"cni_path":            "(default)",
		"debug":               "debug: false (default)",
		"insecure_registries": "insecure_registries: reg.lan:5000 (file)",
		"hosts_dir":           "hosts_dir: /etc/lumper/certs.d (file)",
		"default_network":     "default_network: none (file)",
		"log_opts":            "log_opts: max-size=1m (file)",
		"shim":                "shim: isolated (file)",
	} {
		if got := settingLine(stdout, key); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q in\n%s", key, got, want, stdout)
		}
	}
	if !strings.Contains(stdout, "Config file: "+p) {
		t.Errorf("config file not shown:\n%s", stdout)
	}

	// The flag outranks the file for lists too; env outranks the file.
	t.Setenv("LUMPER_HOSTS_DIR", "/a:/b")
	stdout, _, _ = runCmd(t, "", "--insecure-registry", "x.lan", "--namespace", "flagns", "info")
	for key, want := range map[string]string{
		"insecure_registries": "insecure_registries: x.lan (flag)",
		"hosts_dir":           "hosts_dir: /a,/b (env LUMPER_HOSTS_DIR)",
		"namespace":           "namespace: flagns (flag)",
	} {
		if got := settingLine(stdout, key); got != want {
			t.Errorf("%s: got %q, want %q", key, got, want)
		}
	}
	// --config outranks LUMPER_CONFIG.
	other := writeConfig(t, "namespace = \"otherns\"\n")
	stdout, _, _ = runCmd(t, "", "--config", other, "system", "info")
	if got := settingLine(stdout, "namespace"); got != "namespace: otherns (file)" {
		t.Errorf("--config: namespace %q", got)
	}
}

// TestConfigErrors: a mistake in the file is one line naming the file and
// the line, before lumper dials; a file named by --config or LUMPER_CONFIG
// must exist, the default one need not.
func TestConfigErrors(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ content, want string }{
		{"namespace = \"n\"\n\nadress = \"/run/x.sock\"\n", `:3: unknown key "adress" (did you mean "address"?)`},
		{"debug = 1\n", ":1: debug must be a boolean, not a TOML integer"},
		{"# logs\nlog_opts = { max-size = \"ten\" }\n", ":2: log_opts: "},
		{"log_opts = { compress = \"true\" }\n", `:1: log_opts: unknown log option "compress"`},
		{"data_root = \"rel\"\n", `:1: data_root "rel" is not an absolute path`},
	} {
		p := writeConfig(t, tc.content)
		for _, verb := range []struct {
			args []string
			code int
		}{{[]string{"ps"}, 1}, {[]string{"run", "busybox"}, 125}} {
			_, stderr, code := runCmd(t, "", append([]string{"--config", p}, verb.args...)...)
			if code != verb.code || !strings.HasPrefix(stderr, "lumper: "+p+tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%q, lumper %v: exit %d, %q; want %d and %q", tc.content, verb.args, code, stderr, verb.code, p+tc.want)
			}
		}
	}
	missing := filepath.Join(t.TempDir(), "none.toml")
	t.Setenv("LUMPER_CONFIG", missing)
	if _, stderr, code := runCmd(t, "", "ps"); code != 1 || !strings.Contains(stderr, missing) || strings.Contains(stderr, "containerd") {
		t.Errorf("missing LUMPER_CONFIG file: exit %d, %q", code, stderr)
	}
	t.Setenv("LUMPER_CONFIG", "")
	// The default file (absent on a test host) is not an error: ps gets as
	// far as dialing.
	if _, err := os.Stat("/etc/lumper/lumper.toml"); err == nil {
		t.Skip("/etc/lumper/lumper.toml exists")
	}
	if _, stderr, _ := runCmd(t, "", "ps"); !strings.Contains(stderr, "cannot connect to containerd") {
		t.Errorf("no configuration file: %q", stderr)
	}
}
