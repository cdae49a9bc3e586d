//go:build release

// Package release checks the artefacts of `make release`: one tarball per
// platform with static binaries of the right machine, the man pages, the
// shell completions and the licence, and SHA256SUMS over them; the amd64
// binaries run the demo (needs `make containerd-up`).
package release

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var machines = map[string]elf.Machine{
	"linux-amd64": elf.EM_X86_64,
	"linux-arm64": elf.EM_AARCH64,
	"linux-armv7": elf.EM_ARM,
}

func releaseDir(t *testing.T) string {
	dir := os.Getenv("LUMPER_RELEASE_DIR")
	if dir == "" {
		t.Fatal("LUMPER_RELEASE_DIR is not set: run 'make test-release'")
	}
	return dir
}

// unpack extracts a tarball into a temporary directory and returns the
// directory of its single top-level folder.
func unpack(t *testing.T, tarball string) string {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	tr := tar.NewReader(zr)
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %s owned by %d:%d, want root", tarball, h.Name, h.Uid, h.Gid)
		}
		top, _, _ = strings.Cut(h.Name, "/")
		p := filepath.Join(dst, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			out.Close()
		}
	}
	return filepath.Join(dst, top)
}

// static reports whether an ELF file asks for no program interpreter and
// no shared library.
func static(t *testing.T, f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	return len(libs) == 0
}

func TestReleaseArtefacts(t *testing.T) {
	dir := releaseDir(t)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA256SUMS says %s, the file is %x", name, sum, got)
		}
		platform := ""
		for p := range machines {
			if strings.HasSuffix(name, "-"+p+".tar.gz") {
				platform = p
			}
		}
		if platform == "" {
			t.Errorf("%s: not a platform this release builds", name)
			continue
		}
		seen++
		root := unpack(t, filepath.Join(dir, name))
		for _, bin := range []string{"lumper", "lumper-logger", "lumper-init", "lumper-kube", "lumper-compose"} {
			f, err := elf.Open(filepath.Join(root, "bin", bin))
			if err != nil {
				t.Fatalf("%s: %s: %v", name, bin, err)
			}
			if f.Machine != machines[platform] {
				t.Errorf("%s: %s is for %v, want %v", name, bin, f.Machine, machines[platform])
			}
			if !static(t, f) {
				t.Errorf("%s: %s is not statically linked", name, bin)
			}
			f.Close()
		}
		for _, want := range []string{
			"LICENSE", "README.md", "CHANGELOG.md",
			"share/man/man1/lumper.1", "share/man/man1/lumper-run.1", "share/man/man1/lumper-ps.1",
			"share/bash-completion/completions/lumper", "share/zsh/site-functions/_lumper",
			"share/fish/vendor_completions.d/lumper.fish",
		} {
			if _, err := os.Stat(filepath.Join(root, want)); err != nil {
				t.Errorf("%s: missing %s", name, want)
			}
		}
	}
	if seen != len(machines) {
		t.Errorf("SHA256SUMS lists %d platforms' tarballs, want %d", seen, len(machines))
	}
}

// TestReleaseRunsDemo: the amd64 artefact, unpacked anywhere, runs the
// README's demo against the private containerd of `make containerd-up`.
func TestReleaseRunsDemo(t *testing.T) {
	dir := releaseDir(t)
	matches, _ := filepath.Glob(filepath.Join(dir, "*-linux-amd64.tar.gz"))
	if len(matches) != 1 {
		t.Fatalf("want one amd64 tarball, found %v", matches)
	}
	root := unpack(t, matches[0])
	cmd := exec.Command("../../hack/demo.sh")
	cmd.Env = append(os.Environ(), "LUMPER_BIN="+filepath.Join(root, "bin", "lumper"), "LUMPER_NAMESPACE=lumper-release-test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo with the release binaries: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "hello from a lumper container") {
		t.Fatalf("demo output lacks its first container's greeting:\n%s", out)
	}
}
