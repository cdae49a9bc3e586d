package registry

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/transfer"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say how to reach registries.
type Options struct {
	// Insecure are registries (host or host:port) reached over HTTPS without
	// certificate verification, falling back to plain HTTP. Registries on
	// the loopback interface (localhost, 127.0.0.1, ::1) always speak plain
	// HTTP.
	Insecure []string
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

// hosts says how to reach each registry: the scheme, the HTTP client and the
// authorizer (which asks creds for credentials on a 401 challenge only).
func (o Options) hosts(authorizer docker.Authorizer) docker.RegistryHosts {
	plain := &http.Client{Transport: docker.DefaultHTTPTransport(nil)}
	fallback := &http.Client{Transport: docker.NewHTTPFallback(docker.DefaultHTTPTransport(&tls.Config{InsecureSkipVerify: true}))}
	secure := &http.Client{Transport: docker.DefaultHTTPTransport(nil)}
	return func(host string) ([]docker.RegistryHost, error) {
		h := docker.RegistryHost{
			Client:       secure,
			Authorizer:   authorizer,
			Host:         host,
			Scheme:       "https",
			Path:         "/v2",
			Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve | docker.HostCapabilityPush,
		}
		switch {
		case docker.IsLocalhost(host):
			h.Scheme, h.Client = "http", plain
		case o.insecure(host):
			h.Client = fallback
		}
		if host == "docker.io" {
			h.Host = "registry-1.docker.io"
		}
		return []docker.RegistryHost{h}, nil
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
	authorizer := docker.NewDockerAuthorizer(docker.WithAuthCreds(cs.get))
	r := docker.NewResolver(docker.ResolverOptions{Hosts: o.hosts(authorizer), Tracker: tracker})
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
