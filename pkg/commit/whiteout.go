package commit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/containerd/containerd/v2/core/mount"

	"github.com/lumper/lumper/pkg/api"
)

// whiteoutPrefix marks a deleted file in an image layer (OCI image spec,
// "Representing Changes", whiteouts): an entry ".wh.passwd" in a layer deletes
// "passwd" from the layers below, and ".wh..wh..opq" hides a whole directory.
const whiteoutPrefix = ".wh."

// maxReported bounds how many offending paths an error lists.
const maxReported = 3

// checkWhiteoutNames refuses a commit when the container created a file
// whose name starts with ".wh.".
//
// Such a file cannot be told apart from a deletion marker once it is in the
// layer: a file the user created as /etc/.wh.passwd would delete /etc/passwd
// from the committed image. The tar stream alone cannot settle it either (the
// differ writes deletions as empty regular files, which a user can mimic), so
// the check looks at the file system instead, where the two differ:
//
//   - overlayfs (lumper's snapshotter): the snapshot's upper directory holds
//     exactly what the container changed. overlayfs marks deletions with
//     character devices 0/0 named after the deleted file, never with ".wh."
//     names, so every other entry named ".wh.*" there is one the container
//     created. Only the changes are walked, so this is cheap.
//   - other snapshotters (or an upper directory lumper cannot see): the
//     container's file system is mounted read-only and walked whole. A
//     deletion is then simply absent, so every ".wh.*" entry found is a real
//     file. (No image can hold such a file: applying a layer turns the name
//     into a deletion.)
//
// It runs while the container is paused, before the diff, so that a commit
// that must fail fails fast.
func checkWhiteoutNames(ctx context.Context, ref string, mounts []mount.Mount) error {
	var found []string
	var err error
	if upper, ok := upperDir(mounts); ok && isDir(upper) {
		found, err = findWhiteoutNames(upper)
	} else {
		err = mount.WithReadonlyTempMount(ctx, mounts, func(root string) error {
			var werr error
			found, werr = findWhiteoutNames(root)
			return werr
		})
	}
	if err != nil {
		return fmt.Errorf("checking container %s for file names starting with %q: %w", ref, whiteoutPrefix, err)
	}
	if len(found) == 0 {
		return nil
	}
	return whiteoutError(ref, found)
}

func whiteoutError(ref string, found []string) error {
	first := found[0]
	target := path.Join(path.Dir(first), strings.TrimPrefix(path.Base(first), whiteoutPrefix))
	effect := "delete " + target
	if strings.HasPrefix(path.Base(first), whiteoutPrefix+whiteoutPrefix) {
		effect = "hide the contents of " + path.Dir(first)
	}
	more := ""
	if len(found) > 1 {
		more = fmt.Sprintf(" (and %s)", strings.Join(found[1:], ", "))
		if len(found) > maxReported {
			more = fmt.Sprintf(" (and %s, and more)", strings.Join(found[1:maxReported], ", "))
		}
	}
	return api.Invalidf("cannot commit container %s: it has a file named %s%s; image layers use the %q prefix to mark deleted files, so the image would %s: rename or remove it first",
		ref, first, more, whiteoutPrefix, effect)
}

// upperDir returns the upper directory of an overlay mount.
func upperDir(mounts []mount.Mount) (string, bool) {
	if len(mounts) != 1 || mounts[0].Type != "overlay" {
		return "", false
	}
	for _, o := range mounts[0].Options {
		if dir, ok := strings.CutPrefix(o, "upperdir="); ok {
			return dir, true
		}
	}
	return "", false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// errEnough stops a walk once enough paths are found.
var errEnough = errors.New("enough")

// findWhiteoutNames walks root and returns the paths (absolute in the
// container, at most maxReported+1) of entries whose name starts with ".wh.",
// overlayfs deletion markers (character devices 0/0) excepted.
func findWhiteoutNames(root string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !strings.HasPrefix(d.Name(), whiteoutPrefix) || p == root {
			return nil
		}
		if d.Type()&fs.ModeCharDevice != 0 && isOverlayWhiteout(p) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		found = append(found, "/"+filepath.ToSlash(rel))
		if len(found) > maxReported {
			return errEnough
		}
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return found, nil
}

// isOverlayWhiteout reports whether p is a character device 0/0.
func isOverlayWhiteout(p string) bool {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return false
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFCHR && st.Rdev == 0
}
