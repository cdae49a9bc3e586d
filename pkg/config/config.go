// Package config reads lumper's configuration file, /etc/lumper/lumper.toml
// (or the file --config or $LUMPER_CONFIG names), strictly: a key lumper does
// not know and a value it cannot use are errors that name the file and the
// line. It knows nothing of flags or containerd; the command layer decides
// precedence (flag > environment > file > built-in default).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
)

// DefaultPath is read when neither --config nor $LUMPER_CONFIG names a file;
// it may be missing.
const DefaultPath = "/etc/lumper/lumper.toml"

// DefaultHostsDirs are where registry host configuration is looked up, in
// order (containerd's certs.d layout: <dir>/<host>/hosts.toml, or Docker's
// <dir>/<host>/ca.crt, client.cert, client.key).
var DefaultHostsDirs = []string{"/etc/containerd/certs.d", "/etc/lumper/certs.d"}

// File is the content of a configuration file. A key that is absent is nil
// (or empty), so that the built-in default or the environment applies.
type File struct {
	// Address is containerd's socket.
	Address *string `toml:"address"`
	// Namespace is the containerd namespace of lumper's containers and images.
	Namespace *string `toml:"namespace"`
	// DataRoot holds lumper's own files (container logs, networks).
	DataRoot *string `toml:"data_root"`
	// Snapshotter is the containerd snapshotter images are unpacked into.
	Snapshotter *string `toml:"snapshotter"`
	// CNIPath are the directories of the CNI plugins.
	CNIPath []string `toml:"cni_path"`
	// DefaultNetwork is the network of a container run without --network.
	DefaultNetwork *string `toml:"default_network"`
	// InsecureRegistries are reached without TLS verification, as
	// --insecure-registry (the flag replaces the list).
	InsecureRegistries []string `toml:"insecure_registries"`
	// HostsDir are the registry host configuration directories.
	HostsDir []string `toml:"hosts_dir"`
	// Debug turns debug logging on.
	Debug *bool `toml:"debug"`
	// LogOpts are the default --log-opt of new containers (max-size,
	// max-file).
	LogOpts map[string]string `toml:"log_opts"`
	// Shim is how new containers get their containerd shim: "group" (share
	// one with up to 31 others, the default) or "isolated" (one each), as
	// run/create's --shim.
	Shim *string `toml:"shim"`

	path  string
	lines map[string]int // key → line it is set on
}

// Error is a mistake in a configuration file: its path, the line (0 when
// unknown) and what is wrong.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Path is the file the configuration was read from ("" when none was).
func (f *File) Path() string { return f.path }

// Errorf is an error about key's value, naming the file and the key's line.
func (f *File) Errorf(key, format string, args ...any) error {
	return &Error{Path: f.path, Line: f.lines[key], Msg: fmt.Sprintf(format, args...)}
}

// Load reads the configuration at path. A missing file is an empty
// configuration when optional is set (the default path), an error otherwise
// (a file the user named).
func Load(path string, optional bool) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && optional {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading configuration file: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and checks a configuration; path only names it in errors.
func Parse(path string, b []byte) (*File, error) {
	f := &File{path: path, lines: keyLines(b)}
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return nil, decodeError(path, err)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeError turns go-toml's errors into one line with the file and line.
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		e := strict.Errors[0]
		line, _ := e.Position()
		key := strings.Join(e.Key(), ".")
		msg := fmt.Sprintf("unknown key %q", key)
		if s := suggest(key); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return &Error{Path: path, Line: line, Msg: msg}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := de.Key(); len(k) > 0 {
			if m := typeMismatch().FindStringSubmatch(msg); m != nil {
				msg = fmt.Sprintf("%s must be a %s, not a TOML %s", strings.Join(k, "."), tomlType(m[2]), m[1])
			} else {
				msg = fmt.Sprintf("%s: %s", strings.Join(k, "."), msg)
			}
		}
		return &Error{Path: path, Line: line, Msg: msg}
	}
	return &Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

var typeMismatch = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)`) })

// tomlType names a Go field type as the TOML value it wants.
func tomlType(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "bool":
		return "boolean"
	case "[]string":
		return "list of strings"
	case "map[string]string":
		return "table of strings"
	}
	return "string"
}

// Keys are the keys a configuration file may set, in the order the
// documentation lists them.
var Keys = []string{"address", "namespace", "data_root", "snapshotter", "cni_path", "default_network",
	"insecure_registries", "hosts_dir", "debug", "log_opts", "shim"}

// suggest names the known key closest to a misspelt one.
func suggest(key string) string {
	best, bestD := "", 3
	for _, k := range Keys {
		if d := distance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance of two strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var keyLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*["']?([A-Za-z0-9_-]+)["']?\s*=`) })

// keyLines maps each top-level key to the line that sets it (lumper's file
// has no tables of its own but log_opts, usually inline).
func keyLines(b []byte) map[string]int {
	m := map[string]int{}
	table := ""
	for i, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			table = strings.Trim(t, "[] ")
			if _, ok := m[table]; !ok {
				m[table] = i + 1
			}
			continue
		}
		if sm := keyLine().FindStringSubmatch(l); sm != nil {
			k := sm[1]
			if table != "" {
				k = table + "." + k
			}
			if _, ok := m[k]; !ok {
				m[k] = i + 1
			}
		}
	}
	return m
}

var (
	namespaceRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$`) })
	hostRE      = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$`)
	})
)

// check refuses values lumper cannot use.
func (f *File) check() error {
	for _, kv := range []struct {
		key string
		v   *string
	}{{"address", f.Address}, {"snapshotter", f.Snapshotter}, {"default_network", f.DefaultNetwork}} {
		if kv.v != nil && strings.TrimSpace(*kv.v) == "" {
			return f.Errorf(kv.key, "%s is empty", kv.key)
		}
	}
	if f.Address != nil && !filepath.IsAbs(strings.TrimPrefix(*f.Address, "unix://")) {
		return f.Errorf("address", "address %q is not an absolute socket path", *f.Address)
	}
	if f.Namespace != nil && (len(*f.Namespace) > 76 || !namespaceRE().MatchString(*f.Namespace)) {
		return f.Errorf("namespace", "namespace %q is not a valid containerd namespace (letters, digits, and . _ - between them)", *f.Namespace)
	}
	if f.DataRoot != nil && !filepath.IsAbs(*f.DataRoot) {
		return f.Errorf("data_root", "data_root %q is not an absolute path", *f.DataRoot)
	}
	for _, kd := range []struct {
		key  string
		dirs []string
	}{{"cni_path", f.CNIPath}, {"hosts_dir", f.HostsDir}} {
		for _, d := range kd.dirs {
			if !filepath.IsAbs(d) {
				return f.Errorf(kd.key, "%s: %q is not an absolute path", kd.key, d)
			}
		}
	}
	if f.Shim != nil && *f.Shim != "group" && *f.Shim != "isolated" {
		return f.Errorf("shim", "shim %q is not group or isolated", *f.Shim)
	}
	for _, r := range f.InsecureRegistries {
		h := strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://")
		if !hostRE().MatchString(strings.TrimSuffix(h, "/")) {
			return f.Errorf("insecure_registries", "insecure_registries: %q is not a registry HOST[:PORT]", r)
		}
	}
	return nil
}
