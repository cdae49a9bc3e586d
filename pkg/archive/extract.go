package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Extract creates the entries of tr under the directory dst of the root.
// Entry names are relative to dst and may not climb above it; the entry "."
// (dst itself) is skipped. Existing files are replaced, existing directories
// kept (a directory never replaces a file or the reverse). Ownership,
// permissions and modification times are those of the entries; directories
// get theirs last, so that a read-only directory can be filled first.
func Extract(tr *tar.Reader, r *Root, dst string) error {
	return ExtractWith(tr, r, dst, ExtractOptions{})
}

// ExtractOptions change what Extract keeps of the entries.
type ExtractOptions struct {
	// Owner, when set, owns every entry instead of the archive's UID:GID.
	// Docker's `cp` out of a container creates files owned by the user
	// who runs it (the CLI untars without chown), and so does lumper's.
	Owner *Owner
}

// Owner is a UID:GID pair.
type Owner struct{ UID, GID int }

// Caller is the user and primary group of this process.
func Caller() *Owner { return &Owner{UID: os.Getuid(), GID: os.Getgid()} }

// ExtractWith is Extract with options.
func ExtractWith(tr *tar.Reader, r *Root, dst string, o ExtractOptions) error {
	e := &extractor{root: r}
	defer e.closeDir()
	type dirMeta struct {
		path string
		hdr  *tar.Header
	}
	var dirs []dirMeta
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading archive: %w", err)
		}
		if o.Owner != nil {
			hdr.Uid, hdr.Gid = o.Owner.UID, o.Owner.GID
		}
		rel, err := Clean(hdr.Name)
		if err != nil {
			return fmt.Errorf("archive entry %q leaves the destination: %w", hdr.Name, ErrEscape)
		}
		if rel == "/" {
			continue
		}
		full := path.Join(dst, rel)
		dir, leaf := split(full)
		d, err := e.dir(dir)
		if err != nil {
			return fmt.Errorf("opening directory %s: %w", dir, unwrapErrno(err))
		}
		if err := e.entry(tr, hdr, d, leaf, dst, full); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirMeta{full, hdr})
		}
	}
	e.closeDir()
	for i := len(dirs) - 1; i >= 0; i-- {
		dir, leaf := split(dirs[i].path)
		d, err := e.root.openDir(dir)
		if err != nil {
			return fmt.Errorf("opening directory %s: %w", dir, unwrapErrno(err))
		}
		err = setMeta(int(d.Fd()), leaf, dirs[i].hdr, unix.S_IFDIR)
		d.Close()
		if err != nil {
			return fmt.Errorf("setting attributes of %s: %w", dirs[i].path, err)
		}
	}
	return nil
}

type extractor struct {
	root    *Root
	lastDir string
	last    *os.File // open directory lastDir: entries come grouped by directory
}

func (e *extractor) dir(p string) (*os.File, error) {
	if e.last != nil && e.lastDir == p {
		return e.last, nil
	}
	e.closeDir()
	d, err := e.root.mkdirAll(p)
	if err != nil {
		return nil, err
	}
	e.last, e.lastDir = d, p
	return d, nil
}

func (e *extractor) closeDir() {
	if e.last != nil {
		e.last.Close()
		e.last = nil
	}
}

// entry creates one entry, leaf in the directory d.
func (e *extractor) entry(tr *tar.Reader, hdr *tar.Header, d *os.File, leaf, dst, full string) error {
	dirfd := int(d.Fd())
	isDir := hdr.Typeflag == tar.TypeDir
	if err := clearPlace(dirfd, leaf, isDir, full); err != nil {
		return err
	}
	var err error
	switch hdr.Typeflag {
	case tar.TypeDir:
		// Writable until its own attributes are set, at the end.
		if err = unix.Mkdirat(dirfd, leaf, 0o700); errors.Is(err, unix.EEXIST) {
			err = nil
		}
	case tar.TypeReg, tar.TypeRegA:
		return writeFile(tr, hdr, dirfd, leaf, full)
	case tar.TypeSymlink:
		if err = unix.Symlinkat(hdr.Linkname, dirfd, leaf); err == nil {
			if err = unix.Fchownat(dirfd, leaf, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err == nil {
				err = unix.UtimesNanoAt(dirfd, leaf, times(hdr.ModTime), unix.AT_SYMLINK_NOFOLLOW)
			}
		}
	case tar.TypeLink:
		err = e.link(hdr, dirfd, leaf, dst)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		typ := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err = unix.Mknodat(dirfd, leaf, typ|0o600, dev); err == nil {
			err = setMeta(dirfd, leaf, hdr, typ)
		}
	default:
		return nil // extended headers are read by tar.Reader; other types are not kept
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", full, err)
	}
	return nil
}

// link creates a hard link to an entry extracted before.
func (e *extractor) link(hdr *tar.Header, dirfd int, leaf, dst string) error {
	rel, err := Clean(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link target %q leaves the destination: %w", hdr.Linkname, ErrEscape)
	}
	tdir, tleaf := split(path.Join(dst, rel))
	td, err := e.root.openDir(tdir)
	if err != nil {
		return unwrapErrno(err)
	}
	defer td.Close()
	// No AT_SYMLINK_FOLLOW: a symlink is linked, never its target.
	return unix.Linkat(int(td.Fd()), tleaf, dirfd, leaf, 0)
}

// clearPlace removes what is in the way of a new entry: a file, symlink or
// device is replaced; a directory only by a directory (which is kept).
func clearPlace(dirfd int, leaf string, isDir bool, full string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, leaf, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", full, err)
	}
	existingDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case existingDir && isDir:
		return nil
	case existingDir:
		return fmt.Errorf("cannot overwrite directory %s with a non-directory", full)
	case isDir:
		return fmt.Errorf("cannot overwrite non-directory %s with a directory", full)
	}
	if err := unix.Unlinkat(dirfd, leaf, 0); err != nil {
		return fmt.Errorf("replacing %s: %w", full, err)
	}
	return nil
}

func writeFile(tr *tar.Reader, hdr *tar.Header, dirfd int, leaf, full string) error {
	fd, err := unix.Openat(dirfd, leaf, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", full, err)
	}
	f := os.NewFile(uintptr(fd), full)
	defer f.Close()
	if _, err := io.Copy(f, tr); err != nil {
		return fmt.Errorf("writing %s: %w", full, err)
	}
	// chown before chmod: chown clears the set-user-ID bit.
	if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("setting owner of %s: %w", full, err)
	}
	if err := unix.Fchmod(fd, uint32(hdr.Mode&0o7777)); err != nil {
		return fmt.Errorf("setting mode of %s: %w", full, err)
	}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, fdPath(fd), times(hdr.ModTime), 0); err != nil {
		return fmt.Errorf("setting times of %s: %w", full, err)
	}
	return f.Close()
}

// setMeta sets owner, mode and times of leaf in dirfd, which must be of
// type typ: it is opened without following a symlink and changed through
// its descriptor, so that a symlink swapped in meanwhile is never followed.
func setMeta(dirfd int, leaf string, hdr *tar.Header, typ uint32) error {
	fd, err := unix.Openat(dirfd, leaf, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != typ {
		return fmt.Errorf("%s was replaced while being copied", leaf)
	}
	if err := unix.Fchownat(fd, "", hdr.Uid, hdr.Gid, unix.AT_EMPTY_PATH); err != nil {
		return err
	}
	p := fdPath(fd)
	if err := unix.Fchmodat(unix.AT_FDCWD, p, uint32(hdr.Mode&0o7777), 0); err != nil {
		return err
	}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, times(hdr.ModTime), 0)
}

func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func times(mtime time.Time) []unix.Timespec {
	ts := unix.NsecToTimespec(mtime.UnixNano())
	return []unix.Timespec{ts, ts}
}
