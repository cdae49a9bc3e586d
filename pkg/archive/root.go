// Package archive copies file trees as tar streams in and out of a directory
// that is treated as a root file system (a container's): every path is
// resolved inside the root, as the container would resolve it (".." stops at
// the root, symlinks, absolute ones included, point inside it), with
// openat2(RESOLVE_IN_ROOT) through github.com/cyphar/filepath-securejoin, and
// nothing is ever created through a symlink. What it writes stays inside the
// root even if the container's processes change the tree meanwhile.
package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// ErrEscape reports a path that climbs above the root with "..".
var ErrEscape = errors.New("path leaves the root")

// Root is a directory in which paths are resolved as in a root file system.
type Root struct {
	f    *os.File // O_PATH handle
	path string
}

// OpenRoot opens the directory dir as a root.
func OpenRoot(dir string) (*Root, error) {
	f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	return &Root{f: f, path: dir}, nil
}

// Close releases the root's handle.
func (r *Root) Close() error { return r.f.Close() }

// Clean makes p an absolute path in a root and refuses one that climbs above
// it (such as ../../etc/passwd): a user who writes that means a place the
// root does not contain. A relative p is taken from the root.
func Clean(p string) (string, error) {
	depth := 0
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth == 0 {
				return "", fmt.Errorf("%q: %w", p, ErrEscape)
			}
			depth--
		default:
			depth++
		}
	}
	return path.Clean("/" + p), nil
}

// split returns the parent directory of a clean absolute path and its last
// component ("." for the root itself).
func split(p string) (string, string) {
	if p == "/" {
		return "/", "."
	}
	return path.Dir(p), path.Base(p)
}

// openDir opens the directory p (symlinks resolved in the root) for reading.
func (r *Root) openDir(p string) (*os.File, error) {
	h, err := pathrs.OpenatInRoot(r.f, p)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY)
}

// mkdirAll creates the directory p and its missing parents (mode 0755) and
// opens it for reading.
func (r *Root) mkdirAll(p string) (*os.File, error) {
	h, err := pathrs.MkdirAllHandle(r.f, p, 0o755)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY)
}

// Lstat returns the type and permission bits of p, without following p
// itself if it is a symlink (its parents are resolved in the root).
func (r *Root) Lstat(p string) (fs.FileMode, error) {
	dir, leaf := split(p)
	d, err := r.openDir(dir)
	if err != nil {
		return 0, &fs.PathError{Op: "lstat", Path: p, Err: unwrapErrno(err)}
	}
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), leaf, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, &fs.PathError{Op: "lstat", Path: p, Err: err}
	}
	return fileMode(st.Mode), nil
}

// Stat returns the type and permission bits of p, following symlinks inside
// the root.
func (r *Root) Stat(p string) (fs.FileMode, error) {
	h, err := pathrs.OpenatInRoot(r.f, p)
	if err != nil {
		return 0, &fs.PathError{Op: "stat", Path: p, Err: unwrapErrno(err)}
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: p, Err: err}
	}
	return fileMode(st.Mode), nil
}

// unwrapErrno keeps the errno of a resolution error, so that callers can
// test it with errors.Is(err, fs.ErrNotExist).
func unwrapErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// maxLinks bounds the symlinks EscapingLink follows, as the kernel's ELOOP.
const maxLinks = 40

// EscapingLink walks the clean absolute path p in the root and returns the
// first symlink on the way whose target climbs above the root with ".."
// (such as ../../../../etc), or "" if there is none. Resolution in the root
// would keep such a link inside the root anyway; callers use this to refuse
// it with a clear message, since a link that points out of the root is a
// trap rather than a path a user means. Absolute targets are paths in the
// root and are not escapes. A missing component ends the walk.
func (r *Root) EscapingLink(p string) (string, error) {
	type comp struct {
		name string
		link string // the symlink whose target this component comes from
	}
	var todo []comp
	for _, c := range strings.Split(p, "/") {
		todo = append(todo, comp{name: c})
	}
	cur, links := "/", 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c.name {
		case "", ".":
			continue
		case "..":
			if cur == "/" && c.link != "" {
				return c.link, nil
			}
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c.name)
		mode, err := r.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if mode&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", nil // the copy itself reports the loop
		}
		target, err := r.readlink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		var expanded []comp
		for _, t := range strings.Split(target, "/") {
			expanded = append(expanded, comp{name: t, link: next})
		}
		todo = append(expanded, todo...)
	}
	return "", nil
}

// readlink returns the target of the symlink p (its parents resolved in the
// root).
func (r *Root) readlink(p string) (string, error) {
	dir, leaf := split(p)
	d, err := r.openDir(dir)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: unwrapErrno(err)}
	}
	defer d.Close()
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(d.Fd()), leaf, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: err}
	}
	return string(buf[:n]), nil
}
