package volume

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CopyUp fills a new volume with src, a directory of a container's root
// file system (already resolved in that root), as Docker does on a
// volume's first use: files, directories, symlinks (never followed),
// hard links, devices and FIFOs, with their owners, modes, times and
// extended attributes where the file system keeps them. The volume's own
// directory takes src's owner and mode. The caller holds the lock and has
// checked that the volume is empty.
func (s *Store) CopyUp(name, src string) error {
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing there in the image: the volume stays empty
	}
	if err != nil {
		return fmt.Errorf("copying into volume %s: %w", name, err)
	}
	if !fi.IsDir() {
		return nil // Docker copies only a directory's content
	}
	c := copier{links: map[uint64]string{}}
	dst := s.Mountpoint(name)
	if err := c.tree(src, dst); err != nil {
		return fmt.Errorf("copying %s into volume %s: %w", src, name, err)
	}
	if err := c.attrs(src, dst, fi); err != nil {
		return fmt.Errorf("copying into volume %s: %w", name, err)
	}
	return nil
}

type copier struct {
	links map[uint64]string // inode of a multiply-linked file -> its first copy
}

// tree copies the entries of the directory src into the existing dst.
func (c *copier) tree(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := c.entry(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) entry(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st != nil && !fi.IsDir() && st.Nlink > 1 {
		if first, ok := c.links[st.Ino]; ok {
			return os.Link(first, dst)
		}
		c.links[st.Ino] = dst
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
		if err := c.tree(src, dst); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case st != nil && mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
		if mode&fs.ModeSocket != 0 {
			return nil // a socket means nothing without its process
		}
		if err := syscall.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	default:
		return nil
	}
	return c.attrs(src, dst, fi)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// attrs gives dst src's owner, extended attributes, mode and times.
func (c *copier) attrs(src, dst string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	isLink := fi.Mode()&fs.ModeSymlink != 0
	if !isLink {
		copyXattrs(src, dst)
		// After chown, which clears setuid and setgid bits.
		if err := syscall.Chmod(dst, st.Mode&0o7777); err != nil {
			return err
		}
	}
	ts := []syscall.Timespec{st.Atim, st.Mtim}
	return utimesNoFollow(dst, ts)
}

// copyXattrs copies what extended attributes it can; a file system that
// keeps none, or a namespace lumper may not write, is skipped (Docker too
// copies them on a best-effort basis).
func copyXattrs(src, dst string) {
	n, err := syscall.Listxattr(src, nil)
	if err != nil || n <= 0 {
		return
	}
	buf := make([]byte, n)
	n, err = syscall.Listxattr(src, buf)
	if err != nil {
		return
	}
	for _, name := range splitNul(buf[:n]) {
		sz, err := syscall.Getxattr(src, name, nil)
		if err != nil || sz < 0 {
			continue
		}
		val := make([]byte, sz)
		sz, err = syscall.Getxattr(src, name, val)
		if err != nil {
			continue
		}
		_ = syscall.Setxattr(dst, name, val[:sz], 0)
	}
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}

// utimesNoFollow sets a path's times without following a symlink.
func utimesNoFollow(path string, ts []syscall.Timespec) error {
	const atSymlinkNofollow = 0x100
	return utimensat(path, ts, atSymlinkNofollow)
}
