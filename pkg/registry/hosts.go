package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/containerd/v2/core/transfer"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say how to reach registries.
type Options struct {
	// Insecure are registries (host or host:port) reached over HTTPS without
	// certificate verification, falling back to plain HTTP. Registries on
	// the loopback interface (localhost, 127.0.0.1, ::1) speak plain HTTP
	// unless the hosts directories configure them.
	Insecure []string
	// HostsDirs are containerd's registry host directories, searched in
	// order: <dir>/<host>/hosts.toml (server, mirrors, ca, client,
	// skip_verify) or Docker's <dir>/<host>/ca.crt, client.cert and
	// client.key. A host:port is looked up as host_port_ and as host:port.
	HostsDirs []string
	// ConfigDir holds Docker's config.json; "" means $DOCKER_CONFIG or
	// ~/.docker.
	ConfigDir string
}

// insecure reports whether host is in the --insecure-registry list, by
// host:port or by host alone.
func (o Options) insecure(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, i := range o.Insecure {
		i = hostOfKey(i)
		if i == strings.ToLower(host) || i == strings.ToLower(name) {
			return true
		}
	}
	return false
}

// hostDir finds a registry's configuration directory: the first of the
// hosts directories that has one for the host itself, else the first
// "_default" directory. specific says it is the host's own.
func (o Options) hostDir(host string) (dir string, specific bool, err error) {
	names := []string{host}
	if i := strings.LastIndex(host, ":"); i > 0 {
		names = []string{host[:i] + "_" + host[i+1:] + "_", host}
	}
	for _, pass := range [][]string{names, {"_default"}} {
		for _, root := range o.HostsDirs {
			for _, n := range pass {
				p := filepath.Join(root, n)
				fi, err := os.Stat(p)
				switch {
				case err == nil && fi.IsDir():
					return p, n != "_default", nil
				case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
					return "", false, fmt.Errorf("reading registry configuration for %s: %w", host, err)
				}
			}
		}
	}
	return "", false, nil
}

// CertsHint is where a registry's CA certificate would be found first.
func (o Options) CertsHint(host string) string {
	root := "/etc/containerd/certs.d"
	if len(o.HostsDirs) > 0 {
		root = o.HostsDirs[0]
	}
	return filepath.Join(root, host, "ca.crt")
}

// hosts says how to reach each registry, through containerd's host
// configuration (remotes/docker/config.ConfigureHosts): the endpoints
// (mirrors first, then the registry itself), their scheme, TLS settings and
// authorizers (which ask creds for credentials on a 401 challenge only).
//
// lumper's defaults, which a host's own directory overrides: a loopback
// registry speaks plain HTTP (containerd would try HTTPS first); one named
// by --insecure-registry is tried over HTTPS without verification, then
// plain HTTP; any other speaks verified HTTPS. A host with a directory of
// its own speaks HTTPS (with its ca.crt or hosts.toml), loopback too: the
// configuration beats the loopback default.
func (o Options) hosts(ctx context.Context, creds func(string) (string, string, error)) docker.RegistryHosts {
	return func(host string) ([]docker.RegistryHost, error) {
		dir, specific, err := o.hostDir(host)
		if err != nil {
			return nil, err
		}
		ho := config.HostOptions{Credentials: creds, DefaultScheme: "https"}
		insecure := o.insecure(host)
		switch {
		case insecure && (specific || !docker.IsLocalhost(host)):
			// HTTPS without verification first, plain HTTP if the
			// registry does not speak TLS.
			ho.DefaultTLS = &tls.Config{InsecureSkipVerify: true}
			ho.DefaultScheme = "http"
		case docker.IsLocalhost(host) && !specific:
			ho.DefaultScheme = "http"
		}
		if dir != "" {
			ho.HostDir = func(string) (string, error) { return dir, nil }
		}
		return config.ConfigureHosts(ctx, ho)(host)
	}
}

// credStore looks credentials up in Docker's configuration when a registry
// first asks for them, and remembers whether it found any.
type credStore struct {
	o       Options
	ctx     context.Context
	once    sync.Once
	cfg     *Config
	err     error
	offered atomic.Bool // credentials were handed to a registry
}

func (s *credStore) get(host string) (string, string, error) {
	s.once.Do(func() { s.cfg, s.err = LoadConfig(s.o.ConfigDir) })
	if s.err != nil {
		return "", "", s.err
	}
	cr, err := s.cfg.Get(s.ctx, ServerKey(host))
	if err != nil {
		return "", "", fmt.Errorf("reading credentials for %s: %w", host, err)
	}
	if cr.Empty() {
		log.G(s.ctx).WithField("host", host).Debug("no credentials stored")
		return "", "", nil
	}
	s.offered.Store(true)
	if cr.IdentityToken != "" {
		return "", cr.IdentityToken, nil
	}
	return cr.Username, cr.Secret, nil
}

// remote is a resolver for one pull or push, and what it learned.
type remote struct {
	remotes.Resolver
	creds    *credStore
	resolved atomic.Bool // the reference was resolved to a descriptor
}

// newRemote builds containerd's registry resolver with lumper's hosts and
// Docker's credentials. tracker may be nil.
func newRemote(ctx context.Context, o Options, tracker docker.StatusTracker) *remote {
	cs := &credStore{o: o, ctx: ctx}
	r := docker.NewResolver(docker.ResolverOptions{Hosts: o.hosts(ctx, cs.get), Tracker: tracker})
	return &remote{Resolver: r, creds: cs}
}

// Resolve records that the reference resolved, which tells a missing image
// (404 on the manifest) from later failures.
func (r *remote) Resolve(ctx context.Context, ref string) (string, ocispec.Descriptor, error) {
	name, desc, err := r.Resolver.Resolve(ctx, ref)
	if err == nil {
		r.resolved.Store(true)
	}
	return name, desc, err
}

// SetOptions passes containerd's download settings on to the resolver.
func (r *remote) SetOptions(opts ...transfer.ImageResolverOption) {
	if w, ok := r.Resolver.(remotes.ResolverWithOptions); ok {
		w.SetOptions(opts...)
	}
}
