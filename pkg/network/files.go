package network

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// The files lumper prepares for a container, in its data directory, and
// where they are mounted.
var containerFiles = []struct{ name, dst string }{
	{"hosts", "/etc/hosts"},
	{"hostname", "/etc/hostname"},
	{"resolv.conf", "/etc/resolv.conf"},
}

// HostGateway is the --add-host address that stands for the container's
// gateway (the host, on the network's bridge).
const HostGateway = "host-gateway"

// fallbackDNS is used, as in Docker, when the host has no name server a
// container can reach (only loopback ones).
var fallbackDNS = []string{"8.8.8.8", "8.8.4.4"}

// Files is what goes into a container's /etc/hosts, /etc/hostname and
// /etc/resolv.conf.
type Files struct {
	Hostname string
	IP       string   // the container's address on its network; "" without one
	Gateway  string   // what host-gateway stands for
	AddHosts []string // HOST:IP entries (checked by ParseAddHost)
	DNS      []string // name servers replacing the host's
	Network  string   // the user network Peers are on
	Peers    []Peer   // the containers of a user network, by name
}

// FileMounts bind-mounts the files in dir (WriteFiles writes them when the
// container starts) over the container's own.
func FileMounts(dir string) []specs.Mount {
	ms := make([]specs.Mount, 0, len(containerFiles))
	for _, f := range containerFiles {
		ms = append(ms, specs.Mount{
			Destination: f.dst,
			Type:        "bind",
			Source:      filepath.Join(dir, f.name),
			Options:     []string{"rbind", "rprivate", "rw"},
		})
	}
	return ms
}

// WriteFiles writes a container's hosts, hostname and resolv.conf into dir.
// Each file is replaced whole, so a running container never sees half of
// one.
func WriteFiles(dir string, f Files) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating container directory: %w", err)
	}
	hostResolv, err := readHostResolvConf()
	if err != nil {
		return err
	}
	hosts, err := hostsFile(f)
	if err != nil {
		return err
	}
	contents := map[string][]byte{
		"hosts":       hosts,
		"hostname":    []byte(f.Hostname + "\n"),
		"resolv.conf": resolvConf(hostResolv, f.DNS),
	}
	for _, cf := range containerFiles {
		if err := writeFile(filepath.Join(dir, cf.name), contents[cf.name]); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}

func hostsFile(f Files) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	for _, e := range f.AddHosts {
		host, ip, err := ParseAddHost(e)
		if err != nil {
			return nil, err
		}
		if ip == HostGateway {
			if f.Gateway == "" {
				continue // no network, no gateway
			}
			ip = f.Gateway
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, host)
	}
	if f.IP != "" {
		fmt.Fprintf(&b, "%s\t%s\n", f.IP, f.Hostname)
	}
	b.Write(peersSection(f.Network, f.Peers))
	return b.Bytes(), nil
}

var hostnameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$`) })

// ParseAddHost checks an --add-host value, HOST:IP (or HOST=IP), where IP
// may be host-gateway. It returns the host name and the address.
func ParseAddHost(s string) (host, ip string, err error) {
	host, ip, ok := strings.Cut(s, "=")
	if !ok {
		host, ip, ok = strings.Cut(s, ":")
	}
	if !ok || host == "" || ip == "" {
		return "", "", api.Invalidf("invalid --add-host %q: use HOST:IP", s)
	}
	if len(host) > 253 || !hostnameRE().MatchString(host) {
		return "", "", api.Invalidf("invalid --add-host %q: %q is not a host name", s, host)
	}
	if ip == HostGateway {
		return host, ip, nil
	}
	ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	addr := net.ParseIP(ip)
	if addr == nil {
		return "", "", api.Invalidf("invalid --add-host %q: %q is not an IP address (or host-gateway)", s, ip)
	}
	return host, addr.String(), nil
}

// ParseDNS checks a --dns value, which must be an IP address.
func ParseDNS(s string) (string, error) {
	addr := net.ParseIP(s)
	if addr == nil {
		return "", api.Invalidf("invalid --dns %q: give a name server's IP address", s)
	}
	return addr.String(), nil
}

// readHostResolvConf reads the host's resolv.conf. When it only names the
// systemd-resolved stub (a loopback address a container cannot reach), the
// file with the real upstream servers is used instead, as Docker does.
func readHostResolvConf() ([]byte, error) {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the host's resolv.conf: %w", err)
	}
	if len(nameservers(b)) == 0 || !slicesAll(nameservers(b), isLoopback) {
		return b, nil
	}
	if up, err := os.ReadFile("/run/systemd/resolve/resolv.conf"); err == nil {
		return up, nil
	}
	return b, nil
}

func slicesAll(s []string, f func(string) bool) bool {
	for _, v := range s {
		if !f(v) {
			return false
		}
	}
	return true
}

func nameservers(resolv []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(resolv))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "nameserver" {
			out = append(out, f[1])
		}
	}
	return out
}

func isLoopback(s string) bool {
	ip := net.ParseIP(strings.SplitN(s, "%", 2)[0])
	return ip != nil && ip.IsLoopback()
}

// resolvConf derives a container's resolv.conf from the host's: loopback
// name servers are dropped (they would be the container's own loopback), and
// so are IPv6 ones (lumper's networks are IPv4); --dns servers replace the
// host's; search and options lines are kept. With no server left, Docker's
// fallback (8.8.8.8, 8.8.4.4) is used.
func resolvConf(host []byte, dns []string) []byte {
	var b bytes.Buffer
	var servers []string
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		if f[0] == "nameserver" {
			if len(f) >= 2 && !isLoopback(f[1]) {
				if ip := net.ParseIP(f[1]); ip != nil && ip.To4() != nil {
					servers = append(servers, f[1])
				}
			}
			continue
		}
		b.WriteString(line + "\n")
	}
	if len(dns) > 0 {
		servers = dns
	}
	if len(servers) == 0 {
		servers = fallbackDNS
	}
	var out bytes.Buffer
	for _, s := range servers {
		fmt.Fprintf(&out, "nameserver %s\n", s)
	}
	out.Write(b.Bytes())
	return out.Bytes()
}
