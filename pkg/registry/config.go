// Package registry talks to image registries for lumper: it pulls and pushes
// images with containerd's registry client (core/remotes/docker) running in
// lumper's own process, logs in and out, and keeps credentials where Docker
// keeps them: ~/.docker/config.json (or $DOCKER_CONFIG/config.json) and the
// credential helpers that file names.
package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Docker Hub's credentials live under this key, as Docker writes them.
const hubConfigKey = "https://index.docker.io/v1/"

// hubHosts are the names under which Docker Hub answers.
var hubHosts = map[string]bool{
	"docker.io":               true,
	"index.docker.io":         true,
	"registry-1.docker.io":    true,
	"registry.hub.docker.com": true,
}

// ConfigDir is Docker's client configuration directory: $DOCKER_CONFIG, or
// ~/.docker.
func ConfigDir() (string, error) {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory for .docker/config.json: %w", err)
	}
	return filepath.Join(home, ".docker"), nil
}

// Credentials are what a registry is told to authenticate.
type Credentials struct {
	Username string
	Secret   string
	// IdentityToken is a long-lived token that replaces username and secret.
	IdentityToken string
}

// Empty reports whether there is nothing to authenticate with.
func (c Credentials) Empty() bool {
	return c.IdentityToken == "" && (c.Username == "" || c.Secret == "")
}

// Config is the credential part of Docker's config.json. Keys lumper does not
// know are written back unchanged.
type Config struct {
	path        string
	raw         map[string]json.RawMessage
	auths       map[string]json.RawMessage
	CredsStore  string
	CredHelpers map[string]string
}

// authEntry is one entry of "auths".
type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

// LoadConfig reads dir/config.json (dir "" means ConfigDir()). A missing
// file is an empty configuration.
func LoadConfig(dir string) (*Config, error) {
	if dir == "" {
		d, err := ConfigDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	c := &Config{path: filepath.Join(dir, "config.json"), raw: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.path, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c.raw); err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.path, err)
	}
	for key, dst := range map[string]any{"auths": &c.auths, "credsStore": &c.CredsStore, "credHelpers": &c.CredHelpers} {
		if v, ok := c.raw[key]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return nil, fmt.Errorf("reading %q in %s: %w", key, c.path, err)
			}
		}
	}
	if c.auths == nil {
		c.auths = map[string]json.RawMessage{}
	}
	return c, nil
}

// Path is the file the configuration is read from and written to.
func (c *Config) Path() string { return c.path }

// Save writes the configuration back (mode 0600, replaced atomically).
func (c *Config) Save() error {
	auths, err := json.Marshal(c.auths)
	if err != nil {
		return fmt.Errorf("encoding auths: %w", err)
	}
	c.raw["auths"] = auths
	b, err := json.MarshalIndent(c.raw, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", c.path, err)
	}
	path := c.path
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p // keep a symlinked config.json a symlink
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config.json-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// helperFor names the credential helper for a configuration key, if any.
func (c *Config) helperFor(key string) string {
	if h := c.CredHelpers[key]; h != "" {
		return h
	}
	if h := c.CredHelpers[hostOfKey(key)]; h != "" {
		return h
	}
	return c.CredsStore
}

// findAuth returns the "auths" key that holds a server's entry: the key
// itself, or one that names the same host with a scheme or path.
func (c *Config) findAuth(key string) (string, bool) {
	if _, ok := c.auths[key]; ok {
		return key, true
	}
	host := hostOfKey(key)
	for k := range c.auths {
		if hostOfKey(k) == host {
			return k, true
		}
	}
	return "", false
}

// Get returns the credentials stored for a configuration key (see ServerKey):
// from its credential helper when one is configured and knows the server,
// else from the file. No credentials is not an error.
func (c *Config) Get(ctx context.Context, key string) (Credentials, error) {
	if h := c.helperFor(key); h != "" {
		cr, err := helperGet(ctx, h, key)
		if err == nil {
			return cr, nil
		}
		if !errors.Is(err, errHelperNotFound) {
			return Credentials{}, err
		}
	}
	k, ok := c.findAuth(key)
	if !ok {
		return Credentials{}, nil
	}
	var e authEntry
	if err := json.Unmarshal(c.auths[k], &e); err != nil {
		return Credentials{}, fmt.Errorf("reading credentials for %s in %s: %w", k, c.path, err)
	}
	cr := Credentials{Username: e.Username, Secret: e.Password, IdentityToken: e.IdentityToken}
	if e.Auth != "" {
		dec, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return Credentials{}, fmt.Errorf("reading credentials for %s in %s: invalid base64 in \"auth\": %w", k, c.path, err)
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return Credentials{}, fmt.Errorf("reading credentials for %s in %s: \"auth\" is not base64(user:password)", k, c.path)
		}
		cr.Username, cr.Secret = user, pass
	}
	return cr, nil
}

// Set stores credentials for a key: in the credential helper when one is
// configured (the file then keeps an empty entry, as Docker does), else
// base64-encoded in the file. It does not Save.
func (c *Config) Set(ctx context.Context, key string, cr Credentials) error {
	if k, ok := c.findAuth(key); ok {
		delete(c.auths, k)
	}
	if h := c.helperFor(key); h != "" {
		if err := helperStore(ctx, h, key, cr); err != nil {
			return err
		}
		c.auths[key] = json.RawMessage(`{}`)
		return nil
	}
	e := authEntry{IdentityToken: cr.IdentityToken}
	if cr.Username != "" || cr.Secret != "" {
		e.Auth = base64.StdEncoding.EncodeToString([]byte(cr.Username + ":" + cr.Secret))
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding credentials: %w", err)
	}
	c.auths[key] = b
	return nil
}

// Erase removes a key's credentials from its helper and from the file, and
// reports whether there were any. It does not Save.
func (c *Config) Erase(ctx context.Context, key string) (bool, error) {
	found := false
	if h := c.helperFor(key); h != "" {
		if _, err := helperGet(ctx, h, key); err == nil {
			found = true
			if err := helperErase(ctx, h, key); err != nil {
				return found, err
			}
		} else if !errors.Is(err, errHelperNotFound) {
			return false, err
		}
	}
	for k := range c.auths {
		if k == key || hostOfKey(k) == hostOfKey(key) {
			delete(c.auths, k)
			found = true
		}
	}
	return found, nil
}

// ServerKey turns what a user calls a registry ("localhost:5000",
// "https://ghcr.io/", "docker.io", "") into the key Docker stores its
// credentials under: the host[:port], or Docker Hub's legacy URL.
func ServerKey(server string) string {
	host := hostOfKey(server)
	if host == "" || hubHosts[host] {
		return hubConfigKey
	}
	return host
}

// hostOfKey strips a scheme and a path: "https://index.docker.io/v1/" is
// "index.docker.io".
func hostOfKey(key string) string {
	key = strings.TrimPrefix(key, "https://")
	key = strings.TrimPrefix(key, "http://")
	host, _, _ := strings.Cut(key, "/")
	return strings.ToLower(host)
}
