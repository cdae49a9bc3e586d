package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/containerd/containerd/v2/core/mount"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/client"
)

// Change is one line of `lumper diff`: Kind is A (added), C (changed) or D
// (deleted), Path absolute in the container.
type Change struct {
	Kind string `json:"Kind"`
	Path string `json:"Path"`
}

// Diff lists what container ref changed in its file system against its
// image, as `docker diff` does: it reads the upper directory of the
// container's overlayfs snapshot (the changes alone, whether the container
// runs or not). Paths lumper mounts over (/etc/hosts, /etc/hostname,
// /etc/resolv.conf, /dev, /proc, /sys) are left out, as Docker leaves out its
// own mount points.
func Diff(ctx context.Context, c *client.Client, ref string) ([]Change, error) {
	rec, ctr, err := load(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	if rec.SnapshotKey == "" {
		return nil, fmt.Errorf("container %s has no snapshot", ref)
	}
	mounts, err := c.SnapshotService(rec.Snapshotter).Mounts(ctx, rec.SnapshotKey)
	if err != nil {
		return nil, fmt.Errorf("reading the mounts of %s's snapshot: %w", ref, err)
	}
	upper, lowers, ok := overlayDirs(mounts)
	if !ok {
		return nil, fmt.Errorf("diff of %s: its snapshot is not an overlay mount (snapshotter %s): lumper's diff needs the overlayfs snapshotter", ref, rec.Snapshotter)
	}
	skip := map[string]bool{}
	if spec, err := ctr.Spec(ctx); err == nil {
		for _, m := range spec.Mounts {
			skip[path.Clean(m.Destination)] = true
		}
	}
	changes, err := UpperChanges(upper, lowers)
	if err != nil {
		return nil, fmt.Errorf("reading the changes of %s: %w", ref, err)
	}
	return withoutMounts(changes, skip), nil
}

// withoutMounts drops the changes at or below the mount destinations, and
// then the directories changed (C) only because a mount point was made in
// them (runc creates /etc/hosts in the container's upper directory, which
// copies /etc up): Docker keeps those in a layer of its own, below the
// container's.
func withoutMounts(changes []Change, dests map[string]bool) []Change {
	var out, dropped []Change
	for _, ch := range changes {
		if underMount(ch.Path, dests) {
			dropped = append(dropped, ch)
		} else {
			out = append(out, ch)
		}
	}
	below := func(list []Change, dir string) bool {
		return slices.ContainsFunc(list, func(c Change) bool { return strings.HasPrefix(c.Path, dir+"/") })
	}
	for changed := true; changed; {
		changed = false
		for i, ch := range out {
			if ch.Kind == "C" && !below(out, ch.Path) && below(dropped, ch.Path) {
				dropped = append(dropped, ch)
				out = slices.Delete(out, i, i+1)
				changed = true
				break
			}
		}
	}
	return out
}

// underMount reports whether p is a mount destination or lies below one.
func underMount(p string, dests map[string]bool) bool {
	for q := p; q != "/" && q != "."; q = path.Dir(q) {
		if dests[q] {
			return true
		}
	}
	return false
}

// overlayDirs returns the upper directory of a snapshot's mounts and its
// lower directories, top first: an overlay mount, or a bind mount of a
// snapshot without parents (everything in it was added).
func overlayDirs(mounts []mount.Mount) (string, []string, bool) {
	if len(mounts) != 1 {
		return "", nil, false
	}
	m := mounts[0]
	if m.Type == "bind" || m.Type == "rbind" {
		return m.Source, nil, true
	}
	if m.Type != "overlay" {
		return "", nil, false
	}
	var upper string
	var lowers []string
	for _, o := range m.Options {
		if v, ok := strings.CutPrefix(o, "upperdir="); ok {
			upper = v
		}
		if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lowers = strings.Split(v, ":")
		}
	}
	return upper, lowers, upper != ""
}

// UpperChanges lists the changes an overlayfs upper directory holds over
// its lower directories (top first), sorted by path: an entry that exists
// below is changed (C), one that does not is added (A), a whiteout
// (character device 0/0) is a deletion (D), and the entries of an opaque
// directory that exist below and not above are deleted too.
func UpperChanges(upper string, lowers []string) ([]Change, error) {
	inLower := func(rel string) (string, bool) {
		for _, l := range lowers {
			if _, err := os.Lstat(filepath.Join(l, rel)); err == nil {
				return l, true
			}
		}
		return "", false
	}
	var out []Change
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		name := "/" + filepath.ToSlash(rel)
		if d.Type()&fs.ModeCharDevice != 0 && isWhiteout(p) {
			out = append(out, Change{Kind: "D", Path: name})
			return nil
		}
		_, below := inLower(rel)
		kind := "A"
		if below {
			kind = "C"
		}
		out = append(out, Change{Kind: kind, Path: name})
		if d.IsDir() && below && isOpaque(p) {
			// Everything of the lower directories' is hidden.
			for _, l := range lowers {
				ents, _ := os.ReadDir(filepath.Join(l, rel))
				for _, e := range ents {
					if _, err := os.Lstat(filepath.Join(p, e.Name())); errors.Is(err, fs.ErrNotExist) {
						out = append(out, Change{Kind: "D", Path: path.Join(name, e.Name())})
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	// An opaque directory's deletions may repeat across lower directories.
	uniq := out[:0]
	for i, ch := range out {
		if i == 0 || ch.Path != out[i-1].Path {
			uniq = append(uniq, ch)
		}
	}
	return uniq, nil
}

// isWhiteout reports whether p is an overlayfs whiteout (char device 0/0).
func isWhiteout(p string) bool {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return false
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFCHR && st.Rdev == 0
}

// isOpaque reports whether the directory p hides the lower ones' entries.
func isOpaque(p string) bool {
	buf := make([]byte, 1)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Lgetxattr(p, attr, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}
