package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFull(t *testing.T) {
	src := `# lumper
address = "/run/k3s/containerd/containerd.sock"
namespace = "edge"
data_root = "/srv/lumper"
snapshotter = "native"
cni_path = ["/opt/cni/bin", "/usr/lib/cni"]
default_network = "none"
insecure_registries = ["registry.lan:5000"]
hosts_dir = ["/etc/lumper/certs.d"]
debug = true
log_opts = { max-size = "10m", max-file = "3" }
`
	f, err := Parse("/etc/lumper/lumper.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if *f.Address != "/run/k3s/containerd/containerd.sock" || *f.Namespace != "edge" || *f.DataRoot != "/srv/lumper" ||
		*f.Snapshotter != "native" || strings.Join(f.CNIPath, ":") != "/opt/cni/bin:/usr/lib/cni" ||
		*f.DefaultNetwork != "none" || f.InsecureRegistries[0] != "registry.lan:5000" ||
		f.HostsDir[0] != "/etc/lumper/certs.d" || !*f.Debug || f.LogOpts["max-size"] != "10m" || f.LogOpts["max-file"] != "3" {
		t.Fatalf("parsed %+v", f)
	}
	if f.Path() != "/etc/lumper/lumper.toml" {
		t.Fatalf("path %q", f.Path())
	}
	if err := f.Errorf("log_opts", "bad"); err.Error() != "/etc/lumper/lumper.toml:11: bad" {
		t.Fatalf("Errorf: %v", err)
	}
}

func TestParseEmpty(t *testing.T) {
	f, err := Parse("x.toml", []byte("# nothing\n"))
	if err != nil || f.Address != nil || f.Debug != nil || f.HostsDir != nil {
		t.Fatalf("empty file: %+v, %v", f, err)
	}
}

func TestParseErrors(t *testing.T) {
	const path = "/etc/lumper/lumper.toml"
	for _, tc := range []struct{ src, want string }{
		{"namespace = \"x\"\n\n\n\n\n\nadress = \"/run/c.sock\"\n", path + `:7: unknown key "adress" (did you mean "address"?)`},
		{"debug = true\n[log_opts]\nmax-size = \"1m\"\n[registry]\nmirror = 1\n", path + `:4: unknown key "registry"`},
		{"debug = \"yes\"\n", path + ":1: debug must be a boolean, not a TOML string"},
		{"namespace = 3\n", path + ":1: namespace must be a string, not a TOML integer"},
		{"hosts_dir = \"/etc/x\"\n", path + ":1: hosts_dir must be a list of strings, not a TOML string"},
		{"address = \n", path + ":1: "},
		{"address = \"relative.sock\"\n", path + `:1: address "relative.sock" is not an absolute socket path`},
		{"\nnamespace = \"bad name\"\n", path + `:2: namespace "bad name" is not a valid containerd namespace`},
		{"data_root = \"var/lib\"\n", path + `:1: data_root "var/lib" is not an absolute path`},
		{"snapshotter = \"\"\n", path + ":1: snapshotter is empty"},
		{"# c\nhosts_dir = [\"/etc/x\", \"certs.d\"]\n", path + `:2: hosts_dir: "certs.d" is not an absolute path`},
		{"cni_path = [\"bin\"]\n", path + `:1: cni_path: "bin" is not an absolute path`},
		{"insecure_registries = [\"a b\"]\n", path + `:1: insecure_registries: "a b" is not a registry HOST[:PORT]`},
		{"\nshim = \"shared\"\n", path + `:2: shim "shared" is not group or isolated`},
	} {
		_, err := Parse(path, []byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want one line starting %q", tc.src, err, tc.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.toml")
	if f, err := Load(missing, true); err != nil || f.Path() != "" {
		t.Fatalf("optional missing file: %+v, %v", f, err)
	}
	if _, err := Load(missing, false); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("named missing file: %v", err)
	}
	p := filepath.Join(dir, "l.toml")
	if err := os.WriteFile(p, []byte("namespace = \"n\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p, false)
	if err != nil || *f.Namespace != "n" || f.Path() != p {
		t.Fatalf("Load: %+v, %v", f, err)
	}
}
