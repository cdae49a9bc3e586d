package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a self-signed CA certificate, PEM-encoded.
func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func mkfile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostsDirs: a host's own directory (hosts.toml, or Docker's ca.crt
// layout) configures it, loopback included; the first directory that has
// one wins; _default never turns a loopback registry to HTTPS.
func TestHostsDirs(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	// Docker's layout, host:port spelt as is.
	mkfile(t, filepath.Join(second, "127.0.0.1:5000", "ca.crt"), testCA(t))
	// containerd's spelling of a port, and a mirror before the registry.
	mkfile(t, filepath.Join(first, "upstream.example_5000_", "hosts.toml"), `server = "https://upstream.example:5000"
[host."http://127.0.0.1:6000"]
  capabilities = ["pull", "resolve"]
`)
	mkfile(t, filepath.Join(second, "upstream.example:5000", "hosts.toml"), `server = "https://never.example"`)
	mkfile(t, filepath.Join(second, "_default", "hosts.toml"), "")
	o := Options{HostsDirs: []string{first, second}}
	hosts := o.hosts(context.Background(), nil)

	type ep struct{ scheme, host string }
	for host, want := range map[string][]ep{
		"127.0.0.1:5000":        {{"https", "127.0.0.1:5000"}},
		"127.0.0.1:5001":        {{"http", "127.0.0.1:5001"}}, // only _default: loopback stays HTTP
		"upstream.example:5000": {{"http", "127.0.0.1:6000"}, {"https", "upstream.example:5000"}},
		"other.example":         {{"https", "other.example"}},
	} {
		hs, err := hosts(host)
		if err != nil {
			t.Fatalf("hosts(%q): %v", host, err)
		}
		if len(hs) != len(want) {
			t.Fatalf("hosts(%q) = %d endpoints, want %d", host, len(hs), len(want))
		}
		for i, w := range want {
			if hs[i].Scheme != w.scheme || hs[i].Host != w.host || hs[i].Authorizer == nil {
				t.Errorf("hosts(%q)[%d] = %s://%s, want %s://%s", host, i, hs[i].Scheme, hs[i].Host, w.scheme, w.host)
			}
		}
	}
	if dir, specific, _ := o.hostDir("127.0.0.1:5001"); !specific && dir != filepath.Join(second, "_default") {
		t.Errorf("_default not found: %q", dir)
	}
	if got := o.CertsHint("reg.lan:5000"); got != filepath.Join(first, "reg.lan:5000", "ca.crt") {
		t.Errorf("CertsHint = %q", got)
	}
	// A CA file that is not PEM is an error naming it.
	mkfile(t, filepath.Join(first, "bad.example", "ca.crt"), "not a certificate")
	if _, err := hosts("bad.example"); err == nil {
		t.Error("a CA that is not PEM was accepted")
	}
}
