package container

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/shim"

	"github.com/lumper/lumper/pkg/client"
)

// TestShimSocketPathMatchesContainerd: lumper finds a leaked shim by the
// socket containerd's shim derives from the daemon address, namespace and
// container ID; the derivation must stay the shim's own.
func TestShimSocketPathMatchesContainerd(t *testing.T) {
	c := &client.Client{Address: "/run/containerd/containerd.sock", Namespace: "lumper"}
	id := strings.Repeat("ab", 32)
	want, err := shim.SocketAddress(namespaces.WithNamespace(context.Background(), c.Namespace), c.Address, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := "unix://" + shimSocketPath(c, id); got != want {
		t.Fatalf("shimSocketPath = %s, containerd's shim uses %s", got, want)
	}
}

// TestDeleteLockExcludes: a second taker of a task's delete lock waits
// until the first releases it; the lock lives outside the container's
// directory, so removing that directory does not release it.
func TestDeleteLockExcludes(t *testing.T) {
	c := &client.Client{DataRoot: t.TempDir(), Namespace: "ns"}
	id := strings.Repeat("c", 64)
	unlock, err := lockTaskDelete(c, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(deleteLockPath(c, id), ContainerDir(c, id)) {
		t.Fatalf("lock %s is inside the container's directory, which rm deletes", deleteLockPath(c, id))
	}
	got := make(chan struct{})
	go func() {
		u, err := lockTaskDelete(c, id)
		if err != nil {
			t.Error(err)
		}
		close(got)
		u()
	}()
	// The second taker is blocked in flock: /proc/locks lists it waiting.
	var st syscall.Stat_t
	if err := syscall.Stat(deleteLockPath(c, id), &st); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !lockWaited(t, st.Ino); {
		select {
		case <-got:
			t.Fatal("a second taker got the lock while the first held it")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second taker neither waits for the lock nor got it")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-got:
		t.Fatal("a second taker got the lock while the first held it")
	default:
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second taker did not get the lock once it was released")
	}
	removeDeleteLock(c, id)
}

// lockWaited reports whether /proc/locks shows a process waiting for a lock
// on the file with inode ino.
func lockWaited(t *testing.T, ino uint64) bool {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Skipf("no /proc/locks: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "->") && strings.Contains(l, ":"+strconv.FormatUint(ino, 10)+" ") {
			return true
		}
	}
	return false
}
