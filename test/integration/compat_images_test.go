//go:build integration

package integration

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Docker's images (docs.docker.com/reference/cli/docker/image/ls).

// imagesRefs runs images with args and returns "REPOSITORY:TAG" per row.
func imagesRefs(t *testing.T, args ...string) []string {
	t.Helper()
	return lines(dockerOK(t, append(append([]string{"images"}, args...), "--format", "{{.Repository}}:{{.Tag}}")...))
}

// wantImages checks which references images lists with args.
func wantImages(t *testing.T, args []string, in, out []string) {
	t.Helper()
	got := imagesRefs(t, args...)
	for _, r := range in {
		if !slices.Contains(got, r) {
			t.Errorf("images %s does not list %s: %q", strings.Join(args, " "), r, got)
		}
	}
	for _, r := range out {
		if slices.Contains(got, r) {
			t.Errorf("images %s lists %s: %q", strings.Join(args, " "), r, got)
		}
	}
}

// labelledImage imports an image of the test's own with config labels
// (import -c 'LABEL k=v'), removed when the test ends; it returns
// "repository:tag".
func labelledImage(t *testing.T, labels ...string) string {
	t.Helper()
	ref := shortName(t, "compat-img/i") + ":1"
	args := []string{"import"}
	for _, l := range labels {
		args = append(args, "-c", "LABEL "+l)
	}
	dockerOK(t, append(args, env.images.rootfs, ref)...)
	rmiOnCleanup(t, ref)
	return ref
}

// untaggedArchive is the test busybox OCI archive without the name
// annotations of its index: loading it makes an untagged (dangling) image.
func untaggedArchive(t *testing.T) string {
	t.Helper()
	in, err := os.Open(env.images.oci)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "untagged.tar")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "index.json" {
			var idx map[string]any
			if err := json.Unmarshal(b, &idx); err != nil {
				t.Fatal(err)
			}
			for _, m := range idx["manifests"].([]any) {
				delete(m.(map[string]any), "annotations")
			}
			if b, err = json.Marshal(idx); err != nil {
				t.Fatal(err)
			}
			h.Size = int64(len(b))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	reImageSize = regexp.MustCompile(`^\d+(\.\d+)?[kMGT]?B$`)
	reDigest    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

var _ = registerCompat("images",
	compatCase{"images: Docker's header REPOSITORY TAG IMAGE ID CREATED SIZE", func(t *testing.T) {
		out := dockerOK(t, "images")
		if got := tableCells(lines(out)[0]); !slices.Equal(got, []string{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}) {
			t.Fatalf("header %q", got)
		}
	}},
	compatCase{"images: busybox's row (short ID, CREATED … ago, SIZE in MB)", func(t *testing.T) {
		for _, l := range lines(dockerOK(t, "images")) {
			c := tableCells(l)
			if c[0] == "busybox" && c[1] == "latest" {
				if len(c) != 5 || !reShortID.MatchString(c[2]) || !strings.HasSuffix(c[3], " ago") || !reImageSize.MatchString(c[4]) {
					t.Fatalf("row %q", c)
				}
				return
			}
		}
		t.Fatal("busybox:latest not listed")
	}},
	compatCase{"images -q prints short IDs", func(t *testing.T) {
		id := strings.TrimPrefix(imageIDOf(t, "busybox"), "sha256:")
		ids := lines(dockerOK(t, "images", "-q"))
		for _, l := range ids {
			if !reShortID.MatchString(l) {
				t.Fatalf("line %q", l)
			}
		}
		if !slices.Contains(ids, id[:12]) {
			t.Fatalf("images -q lacks busybox's %s", id[:12])
		}
	}},
	compatCase{"images -q --no-trunc prints sha256: IDs", func(t *testing.T) {
		ids := lines(dockerOK(t, "images", "-q", "--no-trunc"))
		if !slices.Contains(ids, imageIDOf(t, "busybox")) {
			t.Fatalf("got %q", ids)
		}
		for _, l := range ids {
			if !reDigest.MatchString(l) {
				t.Fatalf("line %q", l)
			}
		}
	}},
	compatCase{"images --no-trunc: the IMAGE ID column in full", func(t *testing.T) {
		id := imageIDOf(t, "busybox")
		if !strings.Contains(dockerOK(t, "images", "--no-trunc", "busybox"), id) {
			t.Fatalf("no %s", id)
		}
	}},
	compatCase{"images --digests: a DIGEST column", func(t *testing.T) {
		out := lines(dockerOK(t, "images", "--digests", "busybox"))
		if got := tableCells(out[0]); !slices.Equal(got, []string{"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"}) {
			t.Fatalf("header %q", got)
		}
		if c := tableCells(out[1]); !reDigest.MatchString(c[2]) || !reShortID.MatchString(c[3]) {
			t.Fatalf("row %q", c)
		}
	}},
	compatCase{"images --digests --no-trunc --format '{{.Digest}} {{.ID}}'", func(t *testing.T) {
		out := strings.Fields(dockerOK(t, "images", "--digests", "--no-trunc", "--format", "{{.Digest}} {{.ID}}", "busybox:latest"))
		if len(out) != 2 || !reDigest.MatchString(out[0]) || out[1] != imageIDOf(t, "busybox") {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"images REPOSITORY", func(t *testing.T) {
		ref := labelledImage(t)
		got := imagesRefs(t, "busybox")
		if !slices.Contains(got, "busybox:latest") || slices.Contains(got, ref) {
			t.Fatalf("images busybox: %q (also made %s)", got, ref)
		}
		for _, r := range got {
			if !strings.HasPrefix(r, "busybox:") {
				t.Fatalf("images busybox lists %s", r)
			}
		}
	}},
	compatCase{"images REPOSITORY:TAG", func(t *testing.T) {
		ref := labelledImage(t)
		if got := imagesRefs(t, ref); !slices.Equal(got, []string{ref}) {
			t.Fatalf("images %s: %q", ref, got)
		}
		if got := imagesRefs(t, strings.TrimSuffix(ref, ":1")+":2"); len(got) != 0 {
			t.Fatalf("another tag lists %q", got)
		}
	}},
	compatCase{"images of an unknown repository: the header only, exit 0", func(t *testing.T) {
		if out := lines(dockerOK(t, "images", "no-such-repo-x")); len(out) != 1 || !strings.HasPrefix(out[0], "REPOSITORY") {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"images 'busy*' (a pattern)", func(t *testing.T) {
		wantImages(t, []string{"busy*"}, []string{"busybox:latest"}, nil)
	}},
	compatCase{"images --filter reference=busybox", func(t *testing.T) {
		ref := labelledImage(t)
		wantImages(t, []string{"--filter", "reference=busybox"}, []string{"busybox:latest"}, []string{ref})
	}},
	compatCase{"images --filter reference='*:latest'", func(t *testing.T) {
		ref := labelledImage(t)
		wantImages(t, []string{"--filter", "reference=*:latest"}, []string{"busybox:latest"}, []string{ref})
	}},
	compatCase{"images --filter reference=a --filter reference=b (either)", func(t *testing.T) {
		ref := labelledImage(t)
		wantImages(t, []string{"--filter", "reference=busybox", "--filter", "reference=" + ref}, []string{"busybox:latest", ref}, nil)
	}},
	compatCase{"images --filter dangling=false", func(t *testing.T) {
		wantImages(t, []string{"--filter", "dangling=false"}, []string{"busybox:latest"}, nil)
		for _, r := range imagesRefs(t, "--filter", "dangling=false") {
			if strings.HasSuffix(r, ":<none>") {
				t.Fatalf("dangling=false lists %s", r)
			}
		}
	}},
	compatCase{"images --filter dangling=true", func(t *testing.T) {
		dockerOK(t, "load", "-q", "-i", untaggedArchive(t))
		var dangling string
		for _, n := range lines(dockerOK(t, "images", "--format", "{{.Name}}")) {
			if strings.HasPrefix(n, "lumper.local/untagged@") {
				dangling = n
			}
		}
		if dangling == "" {
			t.Fatal("an archive without a name loaded no untagged image")
		}
		t.Cleanup(func() { lumperRun("rmi", "-f", dangling) })
		got := lines(dockerOK(t, "images", "--filter", "dangling=true", "--format", "{{.Name}} {{.Tag}}"))
		if !slices.Contains(got, dangling+" <none>") {
			t.Fatalf("dangling=true lacks %s: %q", dangling, got)
		}
		for _, l := range got {
			if !strings.HasSuffix(l, " <none>") {
				t.Fatalf("dangling=true lists the tagged %s", l)
			}
		}
		if slices.Contains(lines(dockerOK(t, "images", "--filter", "dangling=false", "--format", "{{.Name}}")), dangling) {
			t.Fatal("dangling=false lists the untagged image")
		}
		// Docker shows an image without a name as <none> <none>.
		if got := lines(dockerOK(t, "images", "--filter", "dangling=true", "--format", "{{.Repository}} {{.Tag}}")); !slices.Contains(got, "<none> <none>") {
			t.Fatalf("an untagged image's REPOSITORY and TAG: %q, want <none> <none>", got)
		}
	}},
	compatCase{"images --filter dangling=maybe fails", func(t *testing.T) {
		wantExit(t, docker("images", "--filter", "dangling=maybe"), 1)
	}},
	compatCase{"images --filter nosuchkey=1 fails", func(t *testing.T) {
		wantExit(t, docker("images", "--filter", "nosuchkey=1"), 1)
	}},
	compatCase{"images --filter label=KEY (the image config's labels)", func(t *testing.T) {
		ref := labelledImage(t, "org.example.team=core")
		wantImages(t, []string{"--filter", "label=org.example.team"}, []string{ref}, []string{"busybox:latest"})
	}},
	compatCase{"images --filter label=KEY=VALUE", func(t *testing.T) {
		ref := labelledImage(t, "org.example.team=core")
		wantImages(t, []string{"--filter", "label=org.example.team=core"}, []string{ref}, nil)
		wantImages(t, []string{"--filter", "label=org.example.team=other"}, nil, []string{ref})
	}},
	compatCase{"images --filter label=a --filter label=b (both)", func(t *testing.T) {
		ref := labelledImage(t, "a=1", "b=2")
		wantImages(t, []string{"--filter", "label=a=1", "--filter", "label=b"}, []string{ref}, nil)
		wantImages(t, []string{"--filter", "label=a=1", "--filter", "label=c"}, nil, []string{ref})
	}},
	compatCase{"images --filter since=busybox", func(t *testing.T) {
		ref := labelledImage(t)
		wantImages(t, []string{"--filter", "since=busybox"}, []string{ref}, []string{"busybox:latest"})
	}},
	compatCase{"images --filter before=IMAGE", func(t *testing.T) {
		ref := labelledImage(t)
		wantImages(t, []string{"--filter", "before=" + ref}, []string{"busybox:latest"}, []string{ref})
	}},
	compatCase{"images --filter before=nosuch fails", func(t *testing.T) {
		wantExit(t, docker("images", "--filter", "before=no-such-image-x:1"), 1)
	}},
	compatCase{"images --format '{{.Repository}}:{{.Tag}}'", func(t *testing.T) {
		wantImages(t, nil, []string{"busybox:latest"}, nil)
	}},
	compatCase{"images --format json: Docker's fields, strings", func(t *testing.T) {
		for _, l := range lines(dockerOK(t, "images", "--format", "json", "busybox")) {
			var r map[string]string
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			for _, k := range []string{"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"} {
				if _, ok := r[k]; !ok {
					t.Errorf("field %s missing: %v", k, r)
				}
			}
			if r["Repository"] != "busybox" || !reShortID.MatchString(r["ID"]) || !reImageSize.MatchString(r["Size"]) || !reDigest.MatchString(r["Digest"]) {
				t.Fatalf("row %v", r)
			}
			return
		}
		t.Fatal("no row")
	}},
	compatCase{`images --format 'table {{.Repository}}\t{{.Size}}'`, func(t *testing.T) {
		out := lines(dockerOK(t, "images", "--format", `table {{.Repository}}\t{{.Size}}`, "busybox"))
		if len(out) != 2 || !slices.Equal(tableCells(out[0]), []string{"REPOSITORY", "SIZE"}) || tableCells(out[1])[0] != "busybox" {
			t.Fatalf("got %q", out)
		}
	}},
	compatCase{"images --format '{{.CreatedSince}}|{{.CreatedAt}}'", func(t *testing.T) {
		ref := labelledImage(t)
		out := strings.TrimSpace(dockerOK(t, "images", "--format", "{{.CreatedSince}}|{{.CreatedAt}}", ref))
		since, at, _ := strings.Cut(out, "|")
		if !reAgo.MatchString(since) || !reCreated.MatchString(at) {
			t.Fatalf("got %q", out)
		}
		created, err := time.Parse("2006-01-02 15:04:05 -0700 MST", at)
		if err != nil || time.Since(created) > time.Hour {
			t.Fatalf("CreatedAt %q of a fresh import: %v", at, err)
		}
	}},
	compatCase{"images --format '{{.ID}}' equals images -q", func(t *testing.T) {
		if a, b := dockerOK(t, "images", "--format", "{{.ID}}", "busybox"), dockerOK(t, "images", "-q", "busybox"); a != b || a == "" {
			t.Fatalf("%q vs %q", a, b)
		}
	}},
	compatCase{"image ls is images", func(t *testing.T) {
		if a, b := dockerOK(t, "image", "ls", "busybox"), dockerOK(t, "images", "busybox"); !strings.HasPrefix(a, "REPOSITORY") || tableCells(lines(a)[1])[2] != tableCells(lines(b)[1])[2] {
			t.Fatalf("image ls:\n%s\nimages:\n%s", a, b)
		}
	}},
	compatCase{"image ls --filter reference=busybox -q", func(t *testing.T) {
		id := strings.TrimPrefix(imageIDOf(t, "busybox"), "sha256:")[:12]
		out := lines(dockerOK(t, "image", "ls", "--filter", "reference=busybox", "-q"))
		if len(out) == 0 || slices.ContainsFunc(out, func(l string) bool { return l != id }) {
			t.Fatalf("got %q, want %s", out, id)
		}
	}},
	compatCase{"images -a", func(t *testing.T) {
		wantImages(t, []string{"-a"}, []string{"busybox:latest"}, nil)
	}},
	compatCase{"images --format '{{.Name}}': lumper's full name", func(t *testing.T) {
		if out := dockerOK(t, "images", "--format", "{{.Name}}", "busybox"); out != "docker.io/library/busybox:latest\n" {
			t.Fatalf("got %q", out)
		}
	}},
)
