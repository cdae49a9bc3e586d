//go:build integration

package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA made for one test, a server certificate it signed for
// 127.0.0.1 and localhost, and a client certificate; all PEM files in dir.
type testPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
	pool                                             *x509.CertPool
	client                                           tls.Certificate
}

func makePKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, "PRIVATE KEY", der)
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lumper test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p := &testPKI{ca: write("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	sign := func(serial int64, cn string, usage x509.ExtKeyUsage, k *ecdsa.PrivateKey) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.DNSNames = []string{"localhost"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sk, ck := newKey(), newKey()
	p.serverCert = write("server.crt", "CERTIFICATE", sign(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, sk))
	p.serverKey = writeKey("server.key", sk)
	p.clientCert = write("client.cert", "CERTIFICATE", sign(3, "lumper", x509.ExtKeyUsageClientAuth, ck))
	p.clientKey = writeKey("client.key", ck)
	p.client, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startTLSRegistry serves a registry over HTTPS with the PKI's server
// certificate, asking clients for a certificate the CA signed.
func startTLSRegistry(t *testing.T, p *testPKI) *testRegistry {
	probe := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.client}}}}
	return startRegistryWith(t, regConfig{tls: &regTLS{cert: p.serverCert, key: p.serverKey, clientCA: p.ca, probe: probe}})
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryTLS: a registry with an in-house CA (and client certificates)
// is reached through containerd's hosts configuration: hosts.toml with ca
// and client (hosts_dir from the configuration file), and Docker's
// certs.d/<host>/ca.crt, client.cert, client.key layout. Without the CA it
// fails with one line naming the host and the fix. A loopback registry with
// a directory of its own is spoken to over HTTPS: configuration beats the
// loopback default of plain HTTP.
func TestRegistryTLS(t *testing.T) {
	t.Parallel()
	p := makePKI(t)
	reg := startTLSRegistry(t, p)
	hostsDir := t.TempDir()
	denv := append(regEnv(t), "LUMPER_HOSTS_DIR="+hostsDir)
	ref := reg.host + "/tls/busybox:1"
	tagImage(t, busyboxRef, ref)
	certs := filepath.Join(hostsDir, reg.host)

	// Nothing configured: plain HTTP, which the TLS server refuses.
	failsWith(t, denv, reg.host+" answered plain HTTP with 400", "push", "-q", ref)
	failsWith(t, denv, "trust its CA by putting it in "+filepath.Join(certs, "ca.crt"), "push", "-q", ref)

	// HTTPS configured, the CA not: the certificate cannot be verified.
	writeFile(t, filepath.Join(certs, "hosts.toml"), fmt.Sprintf("server = \"https://%s\"\n", reg.host))
	failsWith(t, denv, "the certificate of "+reg.host+" cannot be verified", "push", "-q", ref)
	failsWith(t, denv, "--insecure-registry "+reg.host, "--namespace", regNS(t, "-no"), "pull", "-q", ref)

	// hosts.toml with the CA and a client certificate, its directory named
	// by hosts_dir in the configuration file.
	writeFile(t, filepath.Join(certs, "hosts.toml"), fmt.Sprintf(`server = "https://%s"
ca = %q
client = [[%q, %q]]
`, reg.host, p.ca, p.clientCert, p.clientKey))
	cfg := filepath.Join(t.TempDir(), "lumper.toml")
	writeFile(t, cfg, fmt.Sprintf("hosts_dir = [%q]\n", hostsDir))
	cenv := append(regEnv(t), "LUMPER_CONFIG="+cfg)
	if r := lumperOK(t, cenv, "push", ref); !strings.HasPrefix(r.stdout, "1: digest: sha256:") {
		t.Fatalf("push over TLS printed %s", r)
	}
	ns := regNS(t, "")
	lumperOK(t, cenv, "--namespace", ns, "pull", "-q", ref)
	if imageID(t, ns, ref) == "" {
		t.Fatalf("%s not listed after a pull over TLS", ref)
	}

	// login checks the credentials over the same configuration.
	if r := lumperEnv(cenv, []byte("pw\n"), "login", "-u", "someone", "--password-stdin", reg.host); r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
		t.Fatalf("login over TLS: %s", r)
	}

	// skip_verify = true: HTTPS without the CA.
	writeFile(t, filepath.Join(certs, "hosts.toml"), fmt.Sprintf(`server = "https://%s"
skip_verify = true
client = [[%q, %q]]
`, reg.host, p.clientCert, p.clientKey))
	lumperOK(t, denv, "--namespace", regNS(t, "-skip"), "pull", "-q", ref)

	// Docker's layout: ca.crt, client.cert and client.key, no hosts.toml.
	if err := os.Remove(filepath.Join(certs, "hosts.toml")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, p.ca, filepath.Join(certs, "ca.crt"))
	copyFile(t, p.clientCert, filepath.Join(certs, "client.cert"))
	copyFile(t, p.clientKey, filepath.Join(certs, "client.key"))
	ns2 := regNS(t, "-docker")
	lumperOK(t, denv, "--namespace", ns2, "pull", "-q", ref)
	if imageID(t, ns2, ref) == "" {
		t.Fatalf("%s not listed after a pull with certs.d/%s/ca.crt", ref, reg.host)
	}
	// Without its client certificate the registry refuses lumper.
	for _, f := range []string{"client.cert", "client.key"} {
		if err := os.Remove(filepath.Join(certs, f)); err != nil {
			t.Fatal(err)
		}
	}
	if r := lumperEnv(denv, nil, "--namespace", regNS(t, "-nocert"), "pull", "-q", ref); r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("pull without a client certificate: %s", r)
	}
}

// TestRegistryMirror: hosts.toml sends pulls of a registry to a mirror
// first; the image, held only by the mirror, is pulled by its upstream
// name and stored under it.
func TestRegistryMirror(t *testing.T) {
	t.Parallel()
	upstream := startRegistry(t, false)
	mirror := startRegistry(t, false)
	denv := regEnv(t)
	tagImage(t, busyboxRef, mirror.host+"/library/busybox:1")
	lumperOK(t, denv, "push", "-q", mirror.host+"/library/busybox:1")
	ref := upstream.host + "/library/busybox:1"

	hostsDir := t.TempDir()
	menv := append(regEnv(t), "LUMPER_HOSTS_DIR="+hostsDir)
	// Without the mirror the upstream registry has no such image.
	failsWith(t, menv, "not found: "+upstream.host+" has no such repository or tag", "--namespace", regNS(t, "-direct"), "pull", "-q", ref)

	// containerd's spelling of host:port for the directory.
	dir := filepath.Join(hostsDir, strings.Replace(upstream.host, ":", "_", 1)+"_")
	writeFile(t, filepath.Join(dir, "hosts.toml"), fmt.Sprintf(`server = "http://%s"

[host."http://%s"]
  capabilities = ["pull", "resolve"]
`, upstream.host, mirror.host))
	ns := regNS(t, "")
	lumperOK(t, menv, "--namespace", ns, "pull", "-q", ref)
	if imageID(t, ns, ref) == "" {
		t.Fatalf("%s not stored under its upstream name", ref)
	}
	if r := lumperOK(t, menv, "--namespace", ns, "run", "--rm", "--network", "none", ref, "echo", "mirrored"); r.stdout != "mirrored\n" {
		t.Fatalf("run of the mirrored image: %s", r)
	}
}
