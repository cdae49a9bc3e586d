package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lumper/lumper/pkg/api"
)

// ParseEnv builds the environment given by --env-file FILE and -e flags.
//
// Env files are read first, in order, then the -e values, and a later value
// of a variable replaces an earlier one; the result has each variable once,
// at the position where it first appeared. The caller merges it over the
// image's environment (MergeEnv), so precedence is image < env file < -e.
//
// -e KEY=VALUE sets a variable; -e KEY copies the host's value through
// lookup and is dropped when the host has none (as Docker does). Env files
// hold KEY=VALUE lines taken verbatim (no quoting or expansion), KEY lines
// that copy the host's value, blank lines and # comments.
func ParseEnv(kvs []string, envFiles []string, lookup func(string) (string, bool)) ([]string, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	var env []string
	for _, f := range envFiles {
		vars, err := readEnvFile(f, lookup)
		if err != nil {
			return nil, err
		}
		env = MergeEnv(env, vars)
	}
	var flags []string
	for _, kv := range kvs {
		v, ok, err := envEntry(kv, lookup)
		if err != nil {
			return nil, api.Invalidf("invalid -e %q: %v", kv, err)
		}
		if ok {
			flags = append(flags, v)
		}
	}
	return MergeEnv(env, flags), nil
}

// envEntry checks one KEY=VALUE or KEY entry and resolves KEY through
// lookup; ok is false when KEY is unset on the host.
func envEntry(kv string, lookup func(string) (string, bool)) (entry string, ok bool, err error) {
	key, _, hasVal := strings.Cut(kv, "=")
	switch {
	case key == "":
		return "", false, errors.New(`the variable name before "=" is empty, use KEY=VALUE`)
	case strings.ContainsFunc(key, unicode.IsSpace):
		return "", false, fmt.Errorf("variable name %q contains whitespace", key)
	case strings.ContainsRune(kv, 0):
		return "", false, errors.New("it contains a NUL byte")
	}
	if hasVal {
		return kv, true, nil
	}
	v, found := lookup(key)
	if !found {
		return "", false, nil
	}
	return key + "=" + v, true, nil
}

// readEnvFile reads one --env-file.
func readEnvFile(name string, lookup func(string) (string, bool)) ([]string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		// The path is already in the message; keep only the reason.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, api.Invalidf("cannot read --env-file %q: %v", name, err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	var env []string
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		line = strings.TrimLeftFunc(line, unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, api.Invalidf("invalid --env-file %q line %d: it is not valid UTF-8", name, i+1)
		}
		if !strings.Contains(line, "=") {
			line = strings.TrimRightFunc(line, unicode.IsSpace)
		}
		v, ok, err := envEntry(line, lookup)
		if err != nil {
			return nil, api.Invalidf("invalid --env-file %q line %d: %v", name, i+1, err)
		}
		if ok {
			env = append(env, v)
		}
	}
	return env, nil
}

// envKey is the variable name of a KEY=VALUE (or bare KEY) entry.
func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

// MergeEnv returns base with override laid over it by variable name: an
// overridden variable keeps its place in base with the new value, new
// variables follow in override's order, and within each list a later entry
// wins. Neither input is modified.
func MergeEnv(base, override []string) []string {
	out := make([]string, 0, len(base)+len(override))
	index := make(map[string]int, len(base)+len(override))
	for _, list := range [][]string{base, override} {
		for _, kv := range list {
			k := envKey(kv)
			if i, ok := index[k]; ok {
				out[i] = kv
				continue
			}
			index[k] = len(out)
			out = append(out, kv)
		}
	}
	return out
}
