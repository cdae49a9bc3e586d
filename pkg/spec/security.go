package spec

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/pkg/cap"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
)

// Network modes.
const (
	NetworkDefault = ""     // the default bridge network (pkg/network)
	NetworkNone    = "none" // a new network namespace with only loopback
	NetworkHost    = "host" // the host's network namespace, /etc/hosts and /etc/resolv.conf
)

// Seccomp settings besides a profile path.
const (
	SeccompDefault    = ""           // containerd's default profile (none when privileged)
	SeccompUnconfined = "unconfined" // no seccomp filter
)

// AllCaps is the --cap-add/--cap-drop value that stands for every capability.
const AllCaps = "ALL"

// Security are the privilege and isolation settings of a container.
type Security struct {
	Privileged bool
	ReadOnly   bool // read-only root filesystem
	// NoNewPrivileges: nil keeps containerd's default spec, which sets
	// no_new_privs (unlike Docker, whose default is off), except with
	// Privileged, which turns it off as Docker does; a value is what the
	// user asked for with --security-opt no-new-privileges[=true|false].
	NoNewPrivileges *bool
	CapAdd          []string // normalised by NormalizeCaps; may hold AllCaps
	CapDrop         []string // normalised by NormalizeCaps; may hold AllCaps
	User            string   // UID[:GID] or NAME[:GROUP], "" keeps the image's
	Network         string   // NetworkDefault, NetworkNone, NetworkHost or a network's name
	Seccomp         string   // SeccompDefault, SeccompUnconfined or a profile path
	// Isolation: --pid, --ipc, --shm-size, --ulimit, --device, --sysctl.
	Isolation Isolation
}

// ParseSecurityOpts parses --security-opt values: no-new-privileges,
// no-new-privileges=true|false (":" also accepted as the separator) and
// seccomp=unconfined|PROFILE.json. A later value of the same option wins.
// noNewPrivs is nil when the user did not mention no-new-privileges.
// A profile must be a JSON OCI runtime-spec linux.seccomp object; its path
// is checked here and returned absolute.
func ParseSecurityOpts(opts []string) (noNewPrivs *bool, seccomp string, err error) {
	for _, o := range opts {
		key, val, hasVal := strings.Cut(o, "=")
		if !hasVal {
			key, val, hasVal = strings.Cut(o, ":")
		}
		switch key {
		case "no-new-privileges":
			b := true
			if hasVal {
				if b, err = strconv.ParseBool(val); err != nil {
					return nil, "", api.Invalidf("invalid --security-opt %q: use no-new-privileges, no-new-privileges=true or no-new-privileges=false", o)
				}
			}
			noNewPrivs = &b
		case "seccomp":
			switch val {
			case "":
				return nil, "", api.Invalidf("invalid --security-opt %q: use seccomp=unconfined or seccomp=/path/to/profile.json", o)
			case SeccompUnconfined:
				seccomp = SeccompUnconfined
			default:
				if seccomp, err = checkSeccompProfile(val); err != nil {
					return nil, "", err
				}
			}
		default:
			return nil, "", api.Invalidf("unsupported --security-opt %q: lumper supports no-new-privileges[=true|false] and seccomp=unconfined|PROFILE.json", o)
		}
	}
	return noNewPrivs, seccomp, nil
}

// checkSeccompProfile reads a seccomp profile now, so that a bad one is
// reported as a flag error rather than when the container is created.
func checkSeccompProfile(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", api.Invalidf("invalid seccomp profile %q: %v", p, err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", api.Invalidf("cannot read seccomp profile %q: %v", p, err)
	}
	var sc specs.LinuxSeccomp
	if err := json.Unmarshal(b, &sc); err != nil {
		return "", api.Invalidf("invalid seccomp profile %q: %v", p, err)
	}
	if sc.DefaultAction == "" {
		return "", api.Invalidf("invalid seccomp profile %q: no defaultAction, it must be an OCI runtime-spec linux.seccomp object", p)
	}
	return abs, nil
}

// ParseUser checks the syntax of a --user value: UID[:GID] or
// NAME[:GROUP] (IDs and names may be mixed). Names are resolved later,
// against the container's /etc/passwd and /etc/group.
func ParseUser(s string) error {
	user, group, hasGroup := strings.Cut(s, ":")
	if err := checkUserPart(user); err != nil {
		return api.Invalidf("invalid --user %q: %v, use UID[:GID] or NAME[:GROUP]", s, err)
	}
	if hasGroup {
		if err := checkUserPart(group); err != nil {
			return api.Invalidf("invalid --user %q: %v, use UID[:GID] or NAME[:GROUP]", s, err)
		}
	}
	return nil
}

// checkUserPart checks one side of a --user value: a number up to
// math.MaxInt32 (runc's limit) or a user/group name.
func checkUserPart(p string) error {
	if p == "" {
		return errors.New("empty user or group")
	}
	if strings.Trim(p, "0123456789") == "" {
		if n, err := strconv.ParseUint(p, 10, 64); err != nil || n > math.MaxInt32 {
			return errors.New("ID " + p + " is out of range")
		}
		return nil
	}
	name := strings.TrimSuffix(p, "$") // Samba machine accounts end in $
	if name == "" || name[0] == '-' || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "" {
		return errors.New(strconv.Quote(p) + " is not a valid name")
	}
	return nil
}

// numericUser splits a numeric UID:GID; ok is false for any other form.
func numericUser(s string) (uid, gid uint32, ok bool) {
	u, g, hasGroup := strings.Cut(s, ":")
	if !hasGroup {
		return 0, 0, false
	}
	un, err1 := strconv.ParseUint(u, 10, 31)
	gn, err2 := strconv.ParseUint(g, 10, 31)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(un), uint32(gn), true
}

// NormalizeCaps turns --cap-add/--cap-drop values into the kernel's names:
// "net_admin" and "CAP_NET_ADMIN" become "CAP_NET_ADMIN", "all" becomes
// AllCaps. Duplicates are dropped; unknown names are an error.
func NormalizeCaps(caps []string) ([]string, error) {
	known := cap.Known()
	var out []string
	for _, c := range caps {
		n := strings.ToUpper(strings.TrimSpace(c))
		if n != AllCaps && !strings.HasPrefix(n, "CAP_") {
			n = "CAP_" + n
		}
		if n != AllCaps && !slices.Contains(known, n) {
			return nil, api.Invalidf("unknown capability %q: use a name from capabilities(7) like NET_ADMIN or SYS_PTRACE, or ALL", c)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
