package commit

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/log"
)

// tarBlock is the unit of a tar archive: headers and padded contents.
const tarBlock = 512

// ustarNameSize is the longest name a tar header holds without an extra
// (PAX) header.
const ustarNameSize = 100

// estimateChanges estimates the size of the uncompressed layer the differ
// will write for the snapshot key, or returns -1 when it cannot tell
// cheaply. Only an overlay upper directory lumper can read holds the changes
// alone; other snapshotters would need the whole diff computed (their
// snapshotter usage is that of the whole file system).
func estimateChanges(ctx context.Context, sn snapshots.Snapshotter, key string) int64 {
	mounts, err := sn.Mounts(ctx, key)
	if err != nil {
		return -1
	}
	upper, ok := upperDir(mounts)
	if !ok || !isDir(upper) {
		return -1
	}
	n, err := tarSize(upper)
	if err != nil {
		log.G(ctx).WithError(err).Debug("estimating the size of the changes")
		return -1
	}
	return n
}

// tarSize estimates the size of a tar archive of the directory tree root (its
// entries, not root itself), as containerd's differ writes it: a header block
// per entry, two more blocks (a PAX header) for a name too long for the
// header, the contents of regular files padded to whole blocks (once per
// inode: the other links are headers only) and two closing blocks. overlayfs
// deletion markers become header-only whiteout entries, so they count as
// headers too. Entries that disappear during the walk (a running container)
// are skipped.
func tarSize(root string) (int64, error) {
	size := int64(2 * tarBlock)
	inodes := map[uint64]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if p == root {
			return nil
		}
		size += tarBlock
		name := len(p) - len(root) - 1 // relative, as in the archive
		if d.IsDir() {
			name++ // with a trailing slash
		}
		if name > ustarNameSize {
			size += 2 * tarBlock
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if inodes[st.Ino] {
				return nil
			}
			inodes[st.Ino] = true
		}
		size += (fi.Size() + tarBlock - 1) / tarBlock * tarBlock
		return nil
	})
	if err != nil {
		return -1, err
	}
	return size, nil
}
