package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Write writes the tree at src in the root to tw: src itself (a symlink is
// written as a symlink), then, for a directory, everything under it, without
// following any symlink. The entries are named name, name/child, ...; with
// name "." only the contents of the directory src are written. Ownership,
// permissions, modification times and hard links are kept; sockets are
// skipped.
func Write(tw *tar.Writer, r *Root, src, name string) error {
	dir, leaf := split(src)
	d, err := r.openDir(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, unwrapErrno(err))
	}
	defer d.Close()
	w := &writer{tw: tw, links: map[[2]uint64]string{}}
	return w.walk(d, leaf, path.Clean(name))
}

type writer struct {
	tw    *tar.Writer
	links map[[2]uint64]string // (dev, inode) of files with several links → first name
}

func (w *writer) walk(dir *os.File, leaf, name string) error {
	dirfd := int(dir.Fd())
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, leaf, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	hdr := header(&st, name)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		fd, err := unix.Openat(dirfd, leaf, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening directory %s: %w", name, err)
		}
		sub := os.NewFile(uintptr(fd), name)
		defer sub.Close()
		if name != "." {
			hdr.Typeflag = tar.TypeDir
			hdr.Name = name + "/"
			if err := w.tw.WriteHeader(hdr); err != nil {
				return err
			}
		}
		names, err := sub.Readdirnames(-1)
		if err != nil {
			return fmt.Errorf("reading directory %s: %w", name, err)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := w.walk(sub, n, path.Join(name, n)); err != nil {
				return err
			}
		}
		return nil
	case unix.S_IFREG:
		return w.file(dirfd, leaf, hdr, &st)
	case unix.S_IFLNK:
		target, err := readlinkat(dirfd, leaf)
		if err != nil {
			return fmt.Errorf("reading symlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		hdr.Typeflag = map[uint32]byte{unix.S_IFCHR: tar.TypeChar, unix.S_IFBLK: tar.TypeBlock, unix.S_IFIFO: tar.TypeFifo}[st.Mode&unix.S_IFMT]
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil // a socket: tar cannot hold one
	}
	return w.tw.WriteHeader(hdr)
}

// file writes a regular file, or a hard link to one written before.
func (w *writer) file(dirfd int, leaf string, hdr *tar.Header, st *unix.Stat_t) error {
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := w.links[key]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return w.tw.WriteHeader(hdr)
		}
		w.links[key] = hdr.Name
	}
	// O_NONBLOCK: should the file have turned into a FIFO since it was
	// looked at, opening it must not hang.
	fd, err := unix.Openat(dirfd, leaf, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	var now unix.Stat_t
	if err := unix.Fstat(fd, &now); err != nil {
		return fmt.Errorf("reading %s: %w", hdr.Name, err)
	}
	if now.Mode&unix.S_IFMT != unix.S_IFREG || now.Ino != st.Ino {
		return fmt.Errorf("%s changed while it was being copied", hdr.Name)
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, now.Size
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.CopyN(w.tw, f, now.Size)
	if errors.Is(err, io.EOF) {
		// Truncated meanwhile (a running container): keep the archive
		// well-formed.
		_, err = io.CopyN(w.tw, zeros{}, now.Size-n)
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", hdr.Name, err)
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func header(st *unix.Stat_t, name string) *tar.Header {
	return &tar.Header{
		Name: name,
		Mode: int64(st.Mode & 0o7777),
		Uid:  int(st.Uid),
		Gid:  int(st.Gid),
		// Whole seconds, as tar's basic formats keep them (no rounding up).
		ModTime: time.Unix(int64(st.Mtim.Sec), 0), // int32 on 32-bit ARM
	}
}

func readlinkat(dirfd int, leaf string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, leaf, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
