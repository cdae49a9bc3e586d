package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// Mount types lumper supports.
const (
	TypeBind   = "bind"
	TypeTmpfs  = "tmpfs"
	TypeVolume = "volume"
)

// Mount is a bind mount of a host path, a volume or a tmpfs, as given by
// -v, --mount or --tmpfs.
//
// For a volume, Source is the volume's name, "" for a new anonymous one;
// pkg/container creates it and mounts its directory (VolumeOCI).
//
// For a bind, Options holds at most a propagation mode (default rprivate);
// for a tmpfs it holds the tmpfs options other than ro/rw, with Docker's
// defaults (nosuid, nodev, noexec) merged in. ReadOnly chooses ro or rw.
type Mount struct {
	Source      string // host path (bind), volume name (volume) or "tmpfs"
	Destination string // absolute, cleaned path in the container
	Type        string // TypeBind, TypeVolume or TypeTmpfs
	Options     []string
	ReadOnly    bool
	// NoCopy (volume-nocopy) leaves a new volume empty instead of filling
	// it from the image; VolumeLabels label a volume the mount creates.
	NoCopy       bool
	VolumeLabels map[string]string
}

// VolumeOCI renders a volume mount as the OCI bind mount of the volume's
// directory dir.
func VolumeOCI(m Mount, dir string) specs.Mount {
	mode := "rw"
	if m.ReadOnly {
		mode = "ro"
	}
	return specs.Mount{Destination: m.Destination, Type: TypeBind, Source: dir, Options: []string{"rbind", "rprivate", mode}}
}

// toOCI renders m as an OCI mount.
func (m Mount) toOCI() specs.Mount {
	mode := "rw"
	if m.ReadOnly {
		mode = "ro"
	}
	switch m.Type {
	case TypeBind:
		propagation := "rprivate"
		if len(m.Options) > 0 {
			propagation = m.Options[0]
		}
		return specs.Mount{
			Destination: m.Destination,
			Type:        TypeBind,
			Source:      m.Source,
			Options:     []string{"rbind", propagation, mode},
		}
	default:
		return specs.Mount{
			Destination: m.Destination,
			Type:        TypeTmpfs,
			Source:      "tmpfs",
			Options:     append([]string{mode}, m.Options...),
		}
	}
}

// ParseVolume parses -v: HOST:CONTAINER[:ro|rw] (a bind mount; the host
// path absolute), NAME:CONTAINER[:ro|rw|nocopy] (a named volume, created on
// first use) or CONTAINER alone (a new anonymous volume).
func ParseVolume(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	if len(parts) == 1 {
		dst, err := containerPath(s)
		if err != nil {
			return Mount{}, api.Invalidf("invalid -v %q: %v", s, err)
		}
		return Mount{Destination: dst, Type: TypeVolume}, nil
	}
	if len(parts) > 3 {
		return Mount{}, api.Invalidf("invalid -v %q: too many \":\", use HOST-PATH:CONTAINER-PATH[:ro|rw] or NAME:CONTAINER-PATH[:ro|rw]", s)
	}
	host, ctr := parts[0], parts[1]
	if host == "" || ctr == "" {
		return Mount{}, api.Invalidf("invalid -v %q: use HOST-PATH:CONTAINER-PATH[:ro|rw] or NAME:CONTAINER-PATH[:ro|rw]", s)
	}
	dst, err := containerPath(ctr)
	if err != nil {
		return Mount{}, api.Invalidf("invalid -v %q: %v", s, err)
	}
	var m Mount
	switch {
	case filepath.IsAbs(host):
		m = Mount{Source: filepath.Clean(host), Destination: dst, Type: TypeBind}
	case strings.HasPrefix(host, "."):
		return Mount{}, api.Invalidf("relative host path %q in -v: host paths must be absolute", host)
	default:
		if !volumeNameRE().MatchString(host) {
			return Mount{}, api.Invalidf("invalid -v %q: %q is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed) nor an absolute host path", s, host)
		}
		m = Mount{Source: host, Destination: dst, Type: TypeVolume}
	}
	if len(parts) == 3 {
		for opt := range strings.SplitSeq(parts[2], ",") {
			switch {
			case opt == "ro":
				m.ReadOnly = true
			case opt == "rw":
				m.ReadOnly = false
			case opt == "nocopy" && m.Type == TypeVolume:
				m.NoCopy = true
			default:
				return Mount{}, api.Invalidf("invalid -v %q: unknown option %q, use ro or rw", s, opt)
			}
		}
	}
	return m, nil
}

// volumeNameRE is Docker's rule for volume names.
var volumeNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// containerPath checks and cleans a mount destination.
func containerPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("container path %q must be absolute", p)
	}
	p = filepath.Clean(p)
	if p == "/" {
		return "", errors.New("the container path cannot be /")
	}
	return p, nil
}

// bindPropagations are the propagation modes --mount bind-propagation takes.
var bindPropagations = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}

// ParseMount parses a --mount value: comma-separated key=value fields.
//
//	type=bind,src|source=/host,dst|destination|target=/ctr[,readonly|ro[=true|false]][,bind-propagation=rprivate]
//	type=volume[,src=NAME],dst=/ctr[,readonly][,volume-nocopy][,volume-label=K=V]
//	type=tmpfs,dst=/ctr[,tmpfs-size=64m][,tmpfs-mode=1777][,readonly]
func ParseMount(s string) (Mount, error) {
	var (
		typ, src, dst, propagation, size, mode string
		readOnly, noCopy                       bool
		volLabels                              map[string]string
		seen                                   = map[string]bool{}
	)
	for field := range strings.SplitSeq(s, ",") {
		key, val, hasVal := strings.Cut(field, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		canon := key
		switch key {
		case "src":
			canon = "source"
		case "dst", "target":
			canon = "destination"
		case "ro":
			canon = "readonly"
		}
		if seen[canon] && canon != "volume-label" {
			return Mount{}, api.Invalidf("invalid --mount %q: %s is given twice", s, canon)
		}
		seen[canon] = true
		if !hasVal && canon != "readonly" && canon != "volume-nocopy" {
			if key == "" {
				return Mount{}, api.Invalidf("invalid --mount %q: empty field, use type=bind,src=/host,dst=/ctr", s)
			}
			return Mount{}, api.Invalidf("invalid --mount %q: %s needs a value (%s=...)", s, key, key)
		}
		switch canon {
		case "type":
			typ = val
		case "source":
			src = val
		case "destination":
			dst = val
		case "readonly":
			readOnly = true
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return Mount{}, api.Invalidf("invalid --mount %q: %s=%s, use %s, %s=true or %s=false", s, key, val, key, key, key)
				}
				readOnly = b
			}
		case "bind-propagation":
			propagation = val
		case "tmpfs-size":
			size = val
		case "tmpfs-mode":
			mode = val
		case "volume-nocopy":
			noCopy = true
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return Mount{}, api.Invalidf("invalid --mount %q: volume-nocopy=%s, use volume-nocopy=true or false", s, val)
				}
				noCopy = b
			}
		case "volume-label":
			k, v, _ := strings.Cut(val, "=")
			if k == "" {
				return Mount{}, api.Invalidf("invalid --mount %q: volume-label=%s, use volume-label=KEY=VALUE", s, val)
			}
			if volLabels == nil {
				volLabels = map[string]string{}
			}
			volLabels[k] = v
		default:
			return Mount{}, api.Invalidf("invalid --mount %q: unknown field %q, use type, src, dst, readonly, bind-propagation, volume-nocopy, volume-label, tmpfs-size or tmpfs-mode", s, key)
		}
	}
	if dst == "" {
		return Mount{}, api.Invalidf("invalid --mount %q: dst= is required (the path in the container)", s)
	}
	d, err := containerPath(dst)
	if err != nil {
		return Mount{}, api.Invalidf("invalid --mount %q: %v", s, err)
	}
	if typ != TypeVolume && (noCopy || volLabels != nil) {
		return Mount{}, api.Invalidf("invalid --mount %q: volume-nocopy and volume-label only apply to type=volume", s)
	}
	switch typ {
	case TypeVolume:
		if size != "" || mode != "" || propagation != "" {
			return Mount{}, api.Invalidf("invalid --mount %q: type=volume takes no tmpfs- or bind- options", s)
		}
		if src != "" && !volumeNameRE().MatchString(src) {
			return Mount{}, api.Invalidf("invalid --mount %q: %q is not a valid volume name (only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed)", s, src)
		}
		return Mount{Source: src, Destination: d, Type: TypeVolume, ReadOnly: readOnly, NoCopy: noCopy, VolumeLabels: volLabels}, nil
	case TypeBind:
		if size != "" || mode != "" {
			return Mount{}, api.Invalidf("invalid --mount %q: tmpfs-size and tmpfs-mode only apply to type=tmpfs", s)
		}
		if src == "" {
			return Mount{}, api.Invalidf("invalid --mount %q: type=bind needs src=/host/path", s)
		}
		if !filepath.IsAbs(src) {
			return Mount{}, api.Invalidf("invalid --mount %q: relative host path %q, host paths must be absolute", s, src)
		}
		m := Mount{Source: filepath.Clean(src), Destination: d, Type: TypeBind, ReadOnly: readOnly}
		if propagation != "" {
			if !slices.Contains(bindPropagations, propagation) {
				return Mount{}, api.Invalidf("invalid --mount %q: bind-propagation=%s, use one of %s", s, propagation, strings.Join(bindPropagations, ", "))
			}
			m.Options = []string{propagation}
		}
		return m, nil
	case TypeTmpfs:
		if src != "" {
			return Mount{}, api.Invalidf("invalid --mount %q: type=tmpfs takes no src", s)
		}
		if propagation != "" {
			return Mount{}, api.Invalidf("invalid --mount %q: bind-propagation only applies to type=bind", s)
		}
		var opts []string
		if size != "" {
			opt, err := tmpfsOption("size=" + size)
			if err != nil {
				return Mount{}, api.Invalidf("invalid --mount %q: tmpfs-size: %v", s, err)
			}
			opts = append(opts, opt)
		}
		if mode != "" {
			opt, err := tmpfsOption("mode=" + mode)
			if err != nil {
				return Mount{}, api.Invalidf("invalid --mount %q: tmpfs-mode: %v", s, err)
			}
			opts = append(opts, opt)
		}
		m := Mount{Source: "tmpfs", Destination: d, Type: TypeTmpfs}
		m.Options, m.ReadOnly = mergeTmpfsOptions(opts, readOnly)
		return m, nil
	case "":
		return Mount{}, api.Invalidf("invalid --mount %q: type= is required, use type=bind, type=volume or type=tmpfs", s)
	default:
		return Mount{}, api.Invalidf("invalid --mount %q: unsupported type %q, use type=bind, type=volume or type=tmpfs", s, typ)
	}
}

// ParseTmpfs parses --tmpfs /path[:opts], opts being comma-separated tmpfs
// mount options (e.g. size=64m,mode=1777,exec). Docker's defaults nosuid,
// nodev and noexec apply unless overridden (suid, dev, exec).
func ParseTmpfs(s string) (Mount, error) {
	p, optStr, hasOpts := strings.Cut(s, ":")
	d, err := containerPath(p)
	if err != nil {
		return Mount{}, api.Invalidf("invalid --tmpfs %q: %v", s, err)
	}
	var opts []string
	if hasOpts {
		for o := range strings.SplitSeq(optStr, ",") {
			opt, err := tmpfsOption(o)
			if err != nil {
				return Mount{}, api.Invalidf("invalid --tmpfs %q: %v", s, err)
			}
			opts = append(opts, opt)
		}
	}
	m := Mount{Source: "tmpfs", Destination: d, Type: TypeTmpfs}
	m.Options, m.ReadOnly = mergeTmpfsOptions(opts, false)
	return m, nil
}

// tmpfsFlags are the flag options a tmpfs takes, each with its opposite.
var tmpfsFlags = map[string]string{
	"rw": "ro", "ro": "rw",
	"exec": "noexec", "noexec": "exec",
	"suid": "nosuid", "nosuid": "suid",
	"dev": "nodev", "nodev": "dev",
	"atime": "noatime", "noatime": "atime",
	"diratime": "nodiratime", "nodiratime": "diratime",
	"relatime": "norelatime", "norelatime": "relatime",
	"strictatime": "nostrictatime", "nostrictatime": "strictatime",
	"sync": "async", "async": "sync",
}

// tmpfsOption checks one tmpfs option and normalises its value: sizes become
// bytes (go-units syntax, or a percentage of RAM), modes octal.
func tmpfsOption(o string) (string, error) {
	key, val, hasVal := strings.Cut(o, "=")
	if !hasVal {
		if _, ok := tmpfsFlags[key]; ok {
			return key, nil
		}
		if key == "" {
			return "", errors.New("empty option")
		}
		return "", fmt.Errorf("unknown option %q, use size=, mode=, uid=, gid=, nr_inodes=, ro, exec, suid, dev", key)
	}
	switch key {
	case "size":
		if pct, ok := strings.CutSuffix(val, "%"); ok {
			if n, err := strconv.ParseUint(pct, 10, 8); err == nil && n > 0 && n <= 100 {
				return o, nil
			}
			return "", fmt.Errorf("size %q: use a size like 64m or a percentage of RAM like 50%%", val)
		}
		n, err := parseSize(val)
		if err != nil || n == 0 {
			return "", fmt.Errorf("size %q: use a size like 64m or 1g", val)
		}
		return "size=" + strconv.FormatInt(n, 10), nil
	case "mode":
		n, err := strconv.ParseUint(val, 8, 32)
		if err != nil || n > 0o7777 {
			return "", fmt.Errorf("mode %q: use octal permissions like 1777 or 755", val)
		}
		return "mode=" + strconv.FormatUint(n, 8), nil
	case "uid", "gid":
		if _, err := strconv.ParseUint(val, 10, 31); err != nil {
			return "", fmt.Errorf("%s %q: use a numeric ID", key, val)
		}
		return o, nil
	case "nr_inodes":
		n, err := parseSize(val)
		if err != nil {
			return "", fmt.Errorf("nr_inodes %q: use a number like 4096 or 1k", val)
		}
		return "nr_inodes=" + strconv.FormatInt(n, 10), nil
	default:
		return "", fmt.Errorf("unknown option %q, use size=, mode=, uid=, gid=, nr_inodes=, ro, exec, suid, dev", key)
	}
}

// mergeTmpfsOptions lays user options over Docker's tmpfs defaults
// (nosuid, nodev, noexec): a later flag replaces its opposite, a later
// key=value replaces the same key. ro/rw are returned as readOnly instead of
// being kept in the list.
func mergeTmpfsOptions(user []string, readOnly bool) ([]string, bool) {
	merged := []string{"nosuid", "nodev", "noexec"}
	for _, o := range user {
		if o == "ro" || o == "rw" {
			readOnly = o == "ro"
			continue
		}
		key, _, hasVal := strings.Cut(o, "=")
		merged = slices.DeleteFunc(merged, func(m string) bool {
			if hasVal {
				k, _, _ := strings.Cut(m, "=")
				return k == key
			}
			return m == o || m == tmpfsFlags[o]
		})
		merged = append(merged, o)
	}
	return merged, readOnly
}

// PrepareHostPaths creates the missing host sources of bind mounts as
// directories (mode 0755), as Docker does for -v. It returns the directories
// it created, deepest first, so that a caller whose run then fails can remove
// them with RemoveCreated. On error it removes what it created itself.
func PrepareHostPaths(ms []Mount) (created []string, err error) {
	defer func() {
		if err != nil {
			_ = RemoveCreated(created)
			created = nil
		}
	}()
	for _, m := range ms {
		if m.Type != TypeBind {
			continue
		}
		if _, err := os.Stat(m.Source); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return created, fmt.Errorf("checking bind mount source %s: %w", m.Source, err)
		}
		// Walk up to the first existing ancestor to learn which
		// directories MkdirAll is about to create.
		var missing []string
		for p := m.Source; ; p = filepath.Dir(p) {
			if _, err := os.Lstat(p); err == nil || p == filepath.Dir(p) {
				break
			}
			missing = append(missing, p)
		}
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			return created, fmt.Errorf("creating bind mount source %s: %w", m.Source, err)
		}
		// missing is deepest first; keep the overall list deepest first too.
		created = append(missing, created...)
	}
	return created, nil
}

// RemoveCreated removes the directories PrepareHostPaths created, in the
// order given (deepest first). A directory that is no longer empty is left
// alone; the first other error is returned.
func RemoveCreated(created []string) error {
	var first error
	for _, p := range created {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) && first == nil {
			first = fmt.Errorf("removing created bind mount source: %w", err)
		}
	}
	return first
}
