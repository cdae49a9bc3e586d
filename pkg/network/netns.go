package network

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// NetNSDir holds the named network namespaces, where `ip netns` finds them.
const NetNSDir = "/run/netns"

// NetNSPath is where container id's network namespace is mounted while the
// container runs. It is fixed so that the container's spec can name it
// before the namespace exists.
func NetNSPath(id string) string {
	return filepath.Join(NetNSDir, "lumper-"+id)
}

// createNetNS creates a network namespace and keeps it alive by bind-mounting
// it at path, so that it exists before the task starts and outlives lumper.
func createNetNS(path string) (retErr error) {
	if err := ensureNetNSDir(); err != nil {
		return err
	}
	if !IsNetNS(path) {
		// An empty mount point left by a namespace created halfway.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing stale network namespace file: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("creating network namespace file: %w", err)
	}
	f.Close()
	defer func() {
		if retErr != nil {
			_ = os.Remove(path)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		// The thread moves to the new namespace and is never unlocked: Go
		// ends it with the goroutine instead of reusing it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unsharing network namespace: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("mounting network namespace at %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// removeNetNS unmounts and removes a namespace made by createNetNS; one that
// is already gone is not an error.
func removeNetNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting network namespace %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network namespace %s: %w", path, err)
	}
	return nil
}

// IsNetNS reports whether path is a mounted network namespace.
func IsNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// ensureNetNSDir makes NetNSDir a shared mount point, as iproute2 does, so
// that unmounting a namespace also unmounts its copies in mount namespaces
// created meanwhile (which would otherwise keep the namespace alive).
func ensureNetNSDir() error {
	if err := os.MkdirAll(NetNSDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", NetNSDir, err)
	}
	if shared, mounted := mountState(NetNSDir); shared {
		return nil
	} else if !mounted {
		if err := unix.Mount(NetNSDir, NetNSDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mounting %s: %w", NetNSDir, err)
		}
	}
	if err := unix.Mount("", NetNSDir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making %s a shared mount: %w", NetNSDir, err)
	}
	return nil
}

// mountState reads /proc/self/mountinfo: whether dir is a mount point, and
// whether that mount is shared.
func mountState(dir string) (shared, mounted bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 || fields[4] != dir {
			continue
		}
		mounted = true
		shared = false // the last mount on dir is the visible one
		for _, opt := range fields[6:] {
			if opt == "-" {
				break
			}
			if strings.HasPrefix(opt, "shared:") {
				shared = true
			}
		}
	}
	return shared, mounted
}
