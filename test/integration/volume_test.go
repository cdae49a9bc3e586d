//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// volumeDir is where a volume's data lives under the test data root.
func volumeDir(name string) string { return filepath.Join(env.dataRoot, "volumes", name, "_data") }

// rmVolumeOnCleanup removes a volume when the test ends (after the
// containers the test removes on cleanup, which run first).
func rmVolumeOnCleanup(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() { lumperRun("volume", "rm", "-f", name) })
}

// volumeExists reports whether `volume inspect` finds name.
func volumeExists(name string) bool { return lumperRun("volume", "inspect", name).code == 0 }

// srcImage commits a container that lays out /data with owners, modes, a
// setuid file, a symlink, a hard link and a FIFO, and returns the image.
func srcImage(t *testing.T) string {
	t.Helper()
	name := uniqueName(t) + "-src"
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "busybox", "sh", "-c", `set -e
mkdir -p /data/sub
echo hello > /data/f
chown 1234:5678 /data/f
chmod 4750 /data/f
ln -s f /data/link
ln /data/f /data/hard
mkfifo /data/fifo
echo deep > /data/sub/g
chown 7:8 /data/sub
chmod 0701 /data/sub
chown 42:43 /data
chmod 0710 /data`)
	img := "lumper-test/" + name + ":latest"
	lumper(t, "commit", name, img)
	t.Cleanup(func() { lumperRun("rmi", "-f", img) })
	return img
}

// TestVolumeCopyUp: a new named volume is filled from the image's content
// at its path, with owners, modes (setuid too), symlinks, hard links and
// FIFOs; the volume's own directory takes the image directory's owner and
// mode; a volume that holds something is not filled again.
func TestVolumeCopyUp(t *testing.T) {
	img := srcImage(t)
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, vol)
	out := lumper(t, "run", "--rm", "-v", vol+":/data", img, "sh", "-c",
		"stat -c '%u:%g %a %F %n' /data /data/f /data/sub /data/sub/g; readlink /data/link; cat /data/hard")
	want := []string{"42:43 710 directory /data", "1234:5678 4750 regular file /data/f", "7:8 701 directory /data/sub",
		"0:0 644 regular file /data/sub/g", "f", "hello"}
	if got := lines(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("in the container:\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
	// On the host, in <data-root>/volumes/NAME/_data.
	dir := volumeDir(vol)
	for path, w := range map[string]struct {
		uid, gid uint32
		mode     os.FileMode
	}{
		"":      {42, 43, os.ModeDir | 0o710},
		"f":     {1234, 5678, os.ModeSetuid | 0o750},
		"sub":   {7, 8, os.ModeDir | 0o701},
		"link":  {0, 0, os.ModeSymlink | 0o777},
		"fifo":  {0, 0, os.ModeNamedPipe | 0o644},
		"sub/g": {0, 0, 0o644},
	} {
		fi, err := os.Lstat(filepath.Join(dir, path))
		if err != nil {
			t.Fatalf("volume lacks %q: %v", path, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != w.uid || st.Gid != w.gid || fi.Mode() != w.mode {
			t.Errorf("%q in the volume: %d:%d %v, want %d:%d %v", path, st.Uid, st.Gid, fi.Mode(), w.uid, w.gid, w.mode)
		}
	}
	f, _ := os.Stat(filepath.Join(dir, "f"))
	h, _ := os.Stat(filepath.Join(dir, "hard"))
	if f == nil || h == nil || !os.SameFile(f, h) {
		t.Errorf("hard link not kept: f %v, hard %v", f, h)
	}
	// Not empty any more: a second use keeps what the volume holds.
	lumper(t, "run", "--rm", "-v", vol+":/data", img, "sh", "-c", "rm /data/f && echo mine > /data/new")
	out = lumper(t, "run", "--rm", "-v", vol+":/data", img, "sh", "-c", "ls /data")
	if got := strings.Fields(out); strings.Join(got, " ") != "fifo hard link new sub" {
		t.Fatalf("second use: ls /data = %q, want the volume's own files (no copy again)", out)
	}
	// nocopy leaves a new volume empty.
	empty := uniqueName(t) + "-nocopy"
	rmVolumeOnCleanup(t, empty)
	if out := lumper(t, "run", "--rm", "--mount", "type=volume,src="+empty+",dst=/data,volume-nocopy", img, "ls", "-A", "/data"); out != "" {
		t.Fatalf("volume-nocopy: /data holds %q", out)
	}
}

// TestVolumeAnonymous: -v /path makes a new 64-hex volume per container,
// filled from the image, shown in inspect's .Mounts; rm -v removes it,
// rm keeps it (dangling) for volume prune; run --rm removes it.
func TestVolumeAnonymous(t *testing.T) {
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "-d", "--name", name, "-v", "/etc", "busybox", "sleep", "60")
	var mounts []struct {
		Type, Name, Source, Destination, Driver string
		RW                                      bool
	}
	if err := json.Unmarshal([]byte(lumper(t, "inspect", "-f", "{{json .Mounts}}", name)), &mounts); err != nil {
		t.Fatal(err)
	}
	if len(mounts) != 1 || mounts[0].Type != "volume" || !hex64RE.MatchString(mounts[0].Name) || mounts[0].Destination != "/etc" ||
		mounts[0].Source != volumeDir(mounts[0].Name) || mounts[0].Driver != "local" || !mounts[0].RW {
		t.Fatalf("Mounts = %+v, want one local volume with a 64-hex name at /etc", mounts)
	}
	anon := mounts[0].Name
	rmVolumeOnCleanup(t, anon)
	if _, err := os.Stat(filepath.Join(volumeDir(anon), "passwd")); err != nil {
		t.Fatalf("anonymous volume not filled from the image's /etc: %v", err)
	}
	if out := lumper(t, "ps", "-q", "--filter", "volume="+anon); len(lines(out)) != 1 {
		t.Fatalf("ps --filter volume=%s: %q", anon, out)
	}
	r := mustFail(t, 1, "volume", "rm", anon)
	if !strings.Contains(r.stderr, "volume is in use") || !strings.Contains(r.stderr, name) {
		t.Fatalf("volume rm of a volume in use: %s", r)
	}
	lumper(t, "rm", "-f", "-v", name)
	eventually(t, 5*time.Second, "rm -v to remove the anonymous volume", func() bool { return !volumeExists(anon) })
	if _, err := os.Stat(filepath.Join(env.dataRoot, "volumes", anon)); !os.IsNotExist(err) {
		t.Fatalf("volume directory still there: %v", err)
	}

	// rm without -v leaves it; prune removes it, not a named one.
	lumper(t, "run", "--name", name, "-v", "/data", "busybox", "true")
	id := strings.TrimSpace(lumper(t, "inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", name))
	rmVolumeOnCleanup(t, id)
	named := uniqueName(t) + "-named"
	rmVolumeOnCleanup(t, named)
	lumper(t, "volume", "create", named)
	lumper(t, "rm", name)
	if !volumeExists(id) {
		t.Fatal("rm without -v removed the anonymous volume")
	}
	if out := lumper(t, "volume", "ls", "-q", "--filter", "dangling=true"); !strings.Contains(out, id) || !strings.Contains(out, named) {
		t.Fatalf("volume ls -q --filter dangling=true: %q, want %s and %s", out, id, named)
	}
	out := lumper(t, "volume", "prune", "-f")
	if !strings.Contains(out, "Deleted Volumes:\n") || !strings.Contains(out, id) || strings.Contains(out, named) || volumeExists(id) || !volumeExists(named) {
		t.Fatalf("volume prune -f:\n%s\nwant %s removed and %s kept", out, id, named)
	}
	// run --rm removes its anonymous volumes, as Docker.
	before := lumper(t, "volume", "ls", "-q")
	lumper(t, "run", "--rm", "-v", "/x", "busybox", "true")
	if after := lumper(t, "volume", "ls", "-q"); after != before {
		t.Fatalf("run --rm -v /x left a volume: before %q, after %q", before, after)
	}
}

// TestVolumeFailedCreateLeavesNoVolume: a create that fails after the
// volumes were made removes the anonymous ones it made.
func TestVolumeFailedCreateLeavesNoVolume(t *testing.T) {
	before := lumper(t, "volume", "ls", "-q")
	mustFail(t, 125, "create", "-v", "/x", "--user", "nosuchuser", "busybox", "true")
	mustFail(t, 127, "run", "-v", "/y", "busybox", "/nonexistent")
	if after := lumper(t, "volume", "ls", "-q"); after != before {
		t.Fatalf("failed create/run left volumes: before %q, after %q", before, after)
	}
}

// TestVolumeInUseAcrossNamespaces: volumes belong to the data root, so a
// container of another namespace keeps one from being removed.
func TestVolumeInUseAcrossNamespaces(t *testing.T) {
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, vol)
	ns := "lumper-test-vol-other"
	name := uniqueName(t)
	t.Cleanup(func() { lumperRun("--namespace", ns, "rm", "-f", name) })
	if r := lumperRun("--namespace", ns, "load", "-i", env.images.docker); r.code != 0 {
		t.Fatalf("load: %s", r)
	}
	t.Cleanup(func() { lumperRun("--namespace", ns, "rmi", "-f", "busybox") })
	lumper(t, "--namespace", ns, "create", "--name", name, "-v", vol+":/d", "busybox", "true")
	r := mustFail(t, 1, "volume", "rm", "-f", vol)
	if !strings.Contains(r.stderr, "volume is in use") || !strings.Contains(r.stderr, ns) {
		t.Fatalf("volume rm of a volume used in namespace %s: %s", ns, r)
	}
	if out := lumper(t, "volume", "ls", "-q", "--filter", "dangling=false", "--filter", "name="+vol); strings.TrimSpace(out) != vol {
		t.Fatalf("volume ls --filter dangling=false: %q", out)
	}
	lumper(t, "--namespace", ns, "rm", name)
	lumper(t, "volume", "rm", vol)
	if volumeExists(vol) {
		t.Fatal("volume still there after volume rm")
	}
}

// TestVolumeReadOnlyAndCommit: readonly volume mounts refuse writes, and
// commit leaves a volume's content out of the image.
func TestVolumeReadOnlyAndCommit(t *testing.T) {
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, vol)
	lumper(t, "run", "--rm", "-v", vol+":/data", "busybox", "sh", "-c", "echo x > /data/inside")
	r := lumperRun("run", "--rm", "--mount", "type=volume,src="+vol+",dst=/data,readonly", "busybox", "sh", "-c", "cat /data/inside && touch /data/no")
	if r.code == 0 || !strings.Contains(r.stdout, "x") || !strings.Contains(r.stderr, "Read-only") {
		t.Fatalf("write to a readonly volume: %s", r)
	}
	if r := lumperRun("run", "--rm", "-v", vol+":/data:ro", "busybox", "touch", "/data/no"); r.code == 0 {
		t.Fatalf("-v NAME:/data:ro allowed a write: %s", r)
	}
	name := uniqueName(t)
	rmOnCleanup(t, name)
	lumper(t, "run", "--name", name, "-v", vol+":/data", "busybox", "sh", "-c", "echo y > /data/more && echo z > /outside")
	img := "lumper-test/" + name + ":latest"
	lumper(t, "commit", name, img)
	t.Cleanup(func() { lumperRun("rmi", "-f", img) })
	out := lumper(t, "run", "--rm", img, "sh", "-c", "cat /outside; ls -A /data 2>/dev/null | wc -l")
	if got := strings.Fields(out); len(got) != 2 || got[0] != "z" || got[1] != "0" {
		t.Fatalf("committed image: %q, want /outside kept and /data empty", out)
	}
}

// TestVolumeSystemDf: system df counts volumes in a Local Volumes row.
func TestVolumeSystemDf(t *testing.T) {
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, vol)
	lumper(t, "run", "--rm", "-v", vol+":/data", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /data/blob")
	out := lumper(t, "system", "df")
	var row string
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "Local Volumes ") {
			row = l
		}
	}
	if row == "" {
		t.Fatalf("system df has no Local Volumes row:\n%s", out)
	}
	f := strings.Fields(row) // Local Volumes TOTAL ACTIVE SIZE RECLAIMABLE
	if len(f) < 6 || f[2] == "0" || f[4] == "0B" || strings.HasSuffix(f[4], "B") && !strings.HasSuffix(f[4], "kB") && !strings.HasSuffix(f[4], "MB") {
		t.Fatalf("Local Volumes row %q: want at least one volume and its bytes", row)
	}
}

// TestVolumeCompletion: volume rm and volume inspect complete volume names.
func TestVolumeCompletion(t *testing.T) {
	vol := uniqueName(t)
	rmVolumeOnCleanup(t, vol)
	lumper(t, "volume", "create", vol)
	for _, args := range [][]string{{"volume", "rm", ""}, {"volume", "inspect", ""}} {
		if words := completions(t, args...); !slices.Contains(words, vol) {
			t.Errorf("lumper __complete %v = %q lacks %s", args, words, vol)
		}
	}
}
