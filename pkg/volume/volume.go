// Package volume keeps lumper's named and anonymous volumes under the data
// root, in Docker's layout: <data-root>/volumes/<name>/_data is what a
// container mounts, <name>/meta.json its labels, creation time and whether
// it is anonymous. Which containers use a volume is not recorded here: the
// containers' labels say it (pkg/container). Create, remove and copy-up run
// under a flock on <data-root>/volumes/.lock.
package volume

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/flock"
)

// Driver and Scope are what Docker shows for a local volume.
const (
	Driver = "local"
	Scope  = "local"
)

// Volume is one volume.
type Volume struct {
	Name       string
	Labels     map[string]string
	CreatedAt  time.Time
	Anonymous  bool
	Mountpoint string // the directory containers mount
}

type meta struct {
	Labels    map[string]string `json:"labels,omitempty"`
	CreatedAt time.Time         `json:"created"`
	Anonymous bool              `json:"anonymous,omitempty"`
}

// NotFoundError is a name that names no volume.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return "No such volume: " + e.Name }

// IsNotFound reports whether err is (or wraps) a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// ValidateName checks a volume name with Docker's rule.
func ValidateName(name string) error {
	if !nameRE().MatchString(name) {
		return api.Invalidf("invalid volume name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters", name)
	}
	return nil
}

// NewAnonymousName is a fresh 64-hex name, as Docker gives anonymous volumes.
func NewAnonymousName() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Store is the volumes of one data root.
type Store struct {
	Dir string // <data-root>/volumes
}

// NewStore is the volume store of a data root.
func NewStore(dataRoot string) *Store {
	return &Store{Dir: filepath.Join(dataRoot, "volumes")}
}

// Lock takes the store's exclusive lock; call the returned function to
// release it. The kernel drops it if the holder dies.
func (s *Store) Lock() (func(), error) {
	unlock, err := flock.Lock(filepath.Join(s.Dir, ".lock"), 0o701)
	if err != nil {
		return nil, fmt.Errorf("locking the volumes: %w", err)
	}
	return unlock, nil
}

func (s *Store) dir(name string) string { return filepath.Join(s.Dir, name) }

// Mountpoint is where a volume's data lives.
func (s *Store) Mountpoint(name string) string { return filepath.Join(s.dir(name), "_data") }

// Create creates a volume (the caller holds the lock). An existing volume
// of that name is returned as it is, with created false, as Docker's
// `volume create` of an existing name succeeds.
func (s *Store) Create(name string, labels map[string]string, anonymous bool) (v *Volume, created bool, err error) {
	if err := ValidateName(name); err != nil {
		return nil, false, err
	}
	if v, err := s.Get(name); err == nil {
		return v, false, nil
	} else if !IsNotFound(err) {
		return nil, false, err
	}
	if err := os.MkdirAll(s.Dir, 0o701); err != nil {
		return nil, false, fmt.Errorf("creating %s: %w", s.Dir, err)
	}
	// Build it aside and rename it in, so that a half-made volume is
	// never listed.
	tmp, err := os.MkdirTemp(s.Dir, ".new-")
	if err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o701); err != nil {
		return nil, false, err
	}
	if err := os.Mkdir(filepath.Join(tmp, "_data"), 0o755); err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", name, err)
	}
	m := meta{Labels: labels, CreatedAt: time.Now().UTC().Truncate(time.Second), Anonymous: anonymous}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), b, 0o600); err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", name, err)
	}
	if err := os.Rename(tmp, s.dir(name)); err != nil {
		return nil, false, fmt.Errorf("creating volume %s: %w", name, err)
	}
	return s.volume(name, m), true, nil
}

func (s *Store) volume(name string, m meta) *Volume {
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	return &Volume{Name: name, Labels: m.Labels, CreatedAt: m.CreatedAt, Anonymous: m.Anonymous, Mountpoint: s.Mountpoint(name)}
}

// Get reads one volume.
func (s *Store) Get(name string) (*Volume, error) {
	if !nameRE().MatchString(name) {
		return nil, &NotFoundError{Name: name}
	}
	b, err := os.ReadFile(filepath.Join(s.dir(name), "meta.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotFoundError{Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("reading volume %s: %w", name, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading volume %s: %w", name, err)
	}
	return s.volume(name, m), nil
}

// List returns every volume, sorted by name.
func (s *Store) List() ([]*Volume, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing volumes: %w", err)
	}
	var out []*Volume
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		v, err := s.Get(e.Name())
		if IsNotFound(err) {
			continue // removed meanwhile, or not a volume
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Remove deletes a volume and its data (the caller holds the lock and has
// checked that no container uses it).
func (s *Store) Remove(name string) error {
	if _, err := s.Get(name); err != nil {
		return err
	}
	// Rename first so that a crash halfway leaves no half-volume listed.
	tmp := filepath.Join(s.Dir, ".rm-"+name)
	if err := os.Rename(s.dir(name), tmp); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	return nil
}

// Size is the bytes a volume's files hold.
func (s *Store) Size(name string) int64 {
	var n int64
	_ = filepath.WalkDir(s.Mountpoint(name), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// IsEmpty reports whether a volume holds no file (Docker copies an image's
// content only into an empty volume).
func (s *Store) IsEmpty(name string) (bool, error) {
	f, err := os.Open(s.Mountpoint(name))
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if len(names) == 0 && (err == nil || errors.Is(err, io.EOF)) {
		return true, nil
	}
	return false, nil
}
