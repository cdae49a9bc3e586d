package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"

	"github.com/lumper/lumper/pkg/api"
)

// Login checks credentials against a registry ("" is Docker Hub) and, when
// the registry accepts them, stores them where Docker would: in the
// credential helper config.json names for that registry, else in
// config.json. It returns the key they are stored under.
func Login(ctx context.Context, o Options, server string, cr Credentials) (string, error) {
	if cr.Empty() {
		return "", api.Invalidf("logging in: a username and a password are needed")
	}
	key := ServerKey(server)
	host := hostOfKey(key)
	if key == hubConfigKey {
		host = "docker.io"
	}
	if err := ping(ctx, o, host, cr); err != nil {
		return key, err
	}
	cfg, err := LoadConfig(o.ConfigDir)
	if err != nil {
		return key, err
	}
	if err := cfg.Set(ctx, key, cr); err != nil {
		return key, fmt.Errorf("storing credentials for %s: %w", key, err)
	}
	if err := cfg.Save(); err != nil {
		return key, fmt.Errorf("storing credentials for %s: %w", key, err)
	}
	return key, nil
}

// Logout forgets a registry's credentials. It reports the key and whether
// there were any.
func Logout(ctx context.Context, o Options, server string) (string, bool, error) {
	key := ServerKey(server)
	cfg, err := LoadConfig(o.ConfigDir)
	if err != nil {
		return key, false, err
	}
	found, err := cfg.Erase(ctx, key)
	if err != nil {
		return key, found, fmt.Errorf("removing credentials for %s: %w", key, err)
	}
	if !found {
		return key, false, nil
	}
	if err := cfg.Save(); err != nil {
		return key, true, fmt.Errorf("removing credentials for %s: %w", key, err)
	}
	return key, true, nil
}

// ping asks the registry's API root with the credentials, answering its
// authentication challenge the way a pull would.
func ping(ctx context.Context, o Options, host string, cr Credentials) error {
	hs, err := o.hosts(ctx, func(string) (string, string, error) {
		if cr.IdentityToken != "" {
			return "", cr.IdentityToken, nil
		}
		return cr.Username, cr.Secret, nil
	})(host)
	if err != nil {
		return fmt.Errorf("configuring registry %s: %w", host, err)
	}
	if len(hs) == 0 {
		return api.Invalidf("logging in to %s: its hosts.toml configures no endpoint", host)
	}
	// The registry itself, not a mirror: the last endpoint.
	h := hs[len(hs)-1]
	authorizer := h.Authorizer
	url := h.Scheme + "://" + h.Host + h.Path + "/"
	send := func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		if err := authorizer.Authorize(ctx, req); err != nil {
			return nil, err
		}
		resp, err := h.Client.Do(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return resp, nil
	}
	resp, err := send()
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if err = authorizer.AddResponses(ctx, []*http.Response{resp}); err == nil {
			resp, err = send()
		}
	}
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		err = ErrUnauthorized
	}
	if err != nil {
		return loginError(o, host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return api.Invalidf("logging in to %s: the registry answered %s at %s", host, resp.Status, url)
	}
	return nil
}

func loginError(o Options, host string, err error) error {
	var status remoteerrors.ErrUnexpectedStatus
	switch {
	case errors.Is(err, ErrUnauthorized), errors.Is(err, docker.ErrInvalidAuthorization),
		errors.As(err, &status) && status.StatusCode == http.StatusUnauthorized:
		return api.Invalidf("logging in to %s: %v", host, ErrUnauthorized)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	if cause, ok := netCause(err); ok {
		return api.Invalidf("logging in to %s: cannot reach registry %s: %s", host, host, cause)
	}
	if hint, ok := tlsHint(err, host, o.CertsHint(host)); ok {
		return api.Invalidf("logging in to %s: %s", host, hint)
	}
	return fmt.Errorf("logging in to %s: %w", host, err)
}
