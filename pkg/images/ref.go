// Package images loads, imports, lists and removes images in lumper's
// containerd namespace.
package images

import (
	"strings"

	"github.com/distribution/reference"

	"github.com/lumper/lumper/pkg/api"
)

// Normalize turns a user's reference into containerd's full form, the way
// Docker does: "busybox" is "docker.io/library/busybox:latest".
func Normalize(ref string) (string, error) {
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		// The library's message may quote the input raw; keep it one line.
		msg := strings.Join(strings.Fields(err.Error()), " ")
		return "", api.Invalidf("invalid reference %q: %s", ref, msg)
	}
	return named.String(), nil
}

// Familiar returns the short form of a normalized reference and splits it
// into repository and tag ("<none>" when there is none).
func Familiar(name string) (repo, tag string) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		if i := strings.LastIndex(name, "@"); i > 0 {
			return name[:i], "<none>"
		}
		return name, "<none>"
	}
	repo = reference.FamiliarName(named)
	if t, ok := named.(reference.Tagged); ok {
		return repo, t.Tag()
	}
	return repo, "<none>"
}

// looksLikeID reports whether s could be an image ID or ID prefix.
func looksLikeID(s string) (string, bool) {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) == 0 || len(s) > 64 {
		return "", false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return "", false
		}
	}
	return s, true
}
