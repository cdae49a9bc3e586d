package view

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Filters are parsed --filter flags: each key's values. Docker's rules: the
// values of one key are alternatives (status=running --filter
// status=paused: either), different keys must all match, and label filters
// must all match (label=a --filter label=b: both labels).
type Filters map[string][]string

// ParseFilters parses --filter KEY=VALUE flags, refusing a key not in keys.
func ParseFilters(args []string, keys ...string) (Filters, error) {
	f := Filters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter %q (expected name=value)", a)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if !slices.Contains(keys, k) {
			return nil, fmt.Errorf("invalid filter '%s'", k)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// Has reports whether key was given.
func (f Filters) Has(key string) bool { return len(f[key]) > 0 }

// match is Docker's Filters.Match: a value equal to s, or a regular
// expression found in s.
func (f Filters) match(key, s string) bool {
	vs := f[key]
	if len(vs) == 0 {
		return true
	}
	for _, v := range vs {
		if v == s {
			return true
		}
		if re, err := regexp.Compile(v); err == nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

// oneOf reports whether s is one of key's values (true when none given).
func (f Filters) oneOf(key, s string) bool {
	return len(f[key]) == 0 || slices.Contains(f[key], s)
}

// MatchLabels is Docker's label filter: every value "k" needs label k,
// every "k=v" needs label k with value v.
func (f Filters) MatchLabels(labels map[string]string) bool {
	for _, v := range f["label"] {
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != want {
			return false
		}
	}
	return true
}

// ContainerFilterKeys are the keys ps --filter accepts.
var ContainerFilterKeys = []string{"status", "name", "id", "label", "ancestor", "exited", "before", "since", "network", "health", "publish", "volume"}

// HealthStates are the values --filter health= accepts.
var HealthStates = []string{"starting", "healthy", "unhealthy", "none"}

// ContainerQuery is what ps selects: all containers or the running ones,
// the filters, and the newest Limit (<= 0: no limit; a limit lists
// containers in every state, as -n and -l do).
type ContainerQuery struct {
	All     bool
	Limit   int
	Filters Filters
	// Ancestor reports whether a container's image is the image a
	// --filter ancestor= value names (nil: compared as given).
	Ancestor func(value string, c Container) bool
}

// SelectContainers applies q to cs (newest first) and returns the rows ps
// shows. It fails on a filter value Docker refuses.
func SelectContainers(cs []Container, q ContainerQuery) ([]Container, error) {
	f := q.Filters
	codes, err := CheckContainerFilters(f)
	if err != nil {
		return nil, err
	}
	before, err := boundary(cs, f, "before")
	if err != nil {
		return nil, err
	}
	since, err := boundary(cs, f, "since")
	if err != nil {
		return nil, err
	}
	all := q.All || q.Limit > 0 || f.Has("status")
	var out []Container
	for _, c := range cs {
		if !all && !c.Running() {
			continue
		}
		if !f.oneOf("status", c.State) ||
			!f.match("id", c.ID) ||
			!(f.match("name", c.Name) || f.match("name", "/"+c.Name)) ||
			!f.MatchLabels(c.Labels) ||
			!f.oneOf("health", c.HealthState()) {
			continue
		}
		if len(codes) > 0 && (c.State != StateExited || !slices.Contains(codes, c.ExitCode)) {
			continue
		}
		if before != nil && !c.Created.Before(before.Created) || since != nil && !c.Created.After(since.Created) {
			continue
		}
		if f.Has("network") && !slices.ContainsFunc(f["network"], func(n string) bool { return slices.Contains(c.Networks, n) }) {
			continue
		}
		if f.Has("publish") && !slices.ContainsFunc(f["publish"], func(p string) bool { return publishes(c, p) }) {
			continue
		}
		if f.Has("volume") && !slices.ContainsFunc(f["volume"], func(v string) bool {
			return slices.Contains(c.Mounts, v) || slices.Contains(c.MountPoints, v)
		}) {
			continue
		}
		if f.Has("ancestor") && !slices.ContainsFunc(f["ancestor"], func(a string) bool {
			if q.Ancestor != nil {
				return q.Ancestor(a, c)
			}
			return a == c.Image || a == c.ImageName
		}) {
			continue
		}
		out = append(out, c)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// CheckContainerFilters refuses the filter values Docker refuses (a status
// or health it does not know, an exit code that is not a number) and
// returns the exit codes of exited= filters.
func CheckContainerFilters(f Filters) ([]int, error) {
	for _, s := range f["status"] {
		if !slices.Contains(States, s) {
			return nil, fmt.Errorf("invalid filter 'status=%s'", s)
		}
	}
	for _, h := range f["health"] {
		if !slices.Contains(HealthStates, h) {
			return nil, fmt.Errorf("invalid filter 'health=%s'", h)
		}
	}
	for _, p := range f["publish"] {
		if _, _, _, err := portRange(p); err != nil {
			return nil, err
		}
	}
	var codes []int
	for _, e := range f["exited"] {
		n, err := strconv.Atoi(e)
		if err != nil {
			return nil, fmt.Errorf("invalid filter 'exited=%s'", e)
		}
		codes = append(codes, n)
	}
	return codes, nil
}

// boundary finds the container a before= or since= filter names (a name, an
// ID or a unique ID prefix).
func boundary(cs []Container, f Filters, key string) (*Container, error) {
	vs := f[key]
	if len(vs) == 0 {
		return nil, nil
	}
	ref := vs[len(vs)-1]
	var prefixed []int
	for i, c := range cs {
		if c.Name == ref || c.ID == ref {
			return &cs[i], nil
		}
		if ref != "" && strings.HasPrefix(c.ID, ref) {
			prefixed = append(prefixed, i)
		}
	}
	if len(prefixed) == 1 {
		return &cs[prefixed[0]], nil
	}
	return nil, fmt.Errorf("no such container: %s", ref)
}

// portRange parses a publish= value: PORT[/PROTO] or FIRST-LAST[/PROTO].
func portRange(v string) (first, last int, proto string, err error) {
	ports, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	a, b, isRange := strings.Cut(ports, "-")
	first, err1 := strconv.Atoi(a)
	last = first
	var err2 error
	if isRange {
		last, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || first < 1 || last < first || last > 65535 || proto != "tcp" && proto != "udp" && proto != "sctp" {
		return 0, 0, "", fmt.Errorf("invalid filter 'publish=%s'", v)
	}
	return first, last, proto, nil
}

// publishes reports whether c publishes a container port in the publish=
// value's range (Docker's publish filter).
func publishes(c Container, v string) bool {
	first, last, proto, err := portRange(v)
	if err != nil {
		return false
	}
	for _, p := range c.Ports {
		pp := p.Protocol
		if pp == "" {
			pp = "tcp"
		}
		if pp == proto && int(p.ContainerPort) >= first && int(p.ContainerPort) <= last {
			return true
		}
	}
	return false
}
