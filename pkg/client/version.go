package client

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/api"
)

// MinDaemon is the oldest containerd lumper runs on: its integration suite
// runs against 1.7 and the version go.mod pins (make test-compat).
var MinDaemon = semver{1, 7, 0}

type semver [3]int

func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

func (v semver) less(o semver) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

// parseVersion reads "v1.7.35", "2.4.2+unknown" or "1.6.20~ds1".
func parseVersion(s string) (semver, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "+~-"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return semver{}, false
	}
	var v semver
	for i := 0; i < 3 && i < len(parts); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

// advisory is a containerd vulnerability that lets a container escape or
// reach the host, with the first fixed release of each affected line.
type advisory struct {
	id    string
	fixed []semver
}

var advisories = []advisory{
	// Integer overflow in User ID handling: a container can run as root.
	{"CVE-2024-40635", []semver{{1, 6, 38}, {1, 7, 27}, {2, 0, 4}}},
	// Image unpack follows symlinks it should not (2.1.0 only).
	{"CVE-2025-47290", []semver{{2, 1, 1}}},
}

// CheckDaemon asks containerd for its version. It refuses a containerd older
// than MinDaemon and returns one warning per known container-escape
// vulnerability that the running version has not fixed.
func (c *Client) CheckDaemon(ctx context.Context) (warnings []string, err error) {
	sv, err := c.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking containerd for its version: %w", err)
	}
	return checkVersion(sv.Version)
}

func checkVersion(version string) ([]string, error) {
	v, ok := parseVersion(version)
	if !ok {
		return nil, nil // a development build: nothing to say
	}
	if v.less(MinDaemon) {
		return nil, api.Invalidf("containerd >= %s required, found %s: upgrade containerd (lumper's 'make containerd' builds a supported one)", MinDaemon, version)
	}
	var warnings []string
	for _, a := range advisories {
		for _, f := range a.fixed {
			if v[0] == f[0] && v[1] == f[1] && v.less(f) {
				warnings = append(warnings, fmt.Sprintf("containerd %s is affected by %s (a container escape); upgrade to %s or later", version, a.id, f))
			}
		}
	}
	return warnings, nil
}
