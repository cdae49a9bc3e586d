//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// load, save, tag, rmi, commit and history as Docker's reference documents
// them: Docker's familiar names, "No such image", untagged images by ID.

var sha256ID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// compatImage is an image name of the case's own (a reference path
// component cannot hold everything uniqueName can).
func compatImage(t *testing.T, registry string) string {
	sum := sha256.Sum256([]byte(t.Name()))
	return registry + "compat/img" + hex.EncodeToString(sum[:6]) + ":1"
}

// wantNoSuchImage checks Docker's error for a missing IMAGE.
func wantNoSuchImage(t *testing.T, r result) {
	t.Helper()
	wantExit(t, r, 1)
	if !strings.Contains(r.stderr, "No such image: nosuch") {
		t.Fatalf("stderr %q, want Docker's 'No such image: nosuch'", r.stderr)
	}
}

// committed makes an exited container with a change and returns its name.
func committed(t *testing.T) string {
	t.Helper()
	name := uniqueName(t)
	rmOnCleanup(t, name)
	// Content of the case's own: identical changes committed by parallel
	// cases would share one layer blob (commit's layers are reproducible),
	// and an rmi's garbage collection racing another case's commit of the
	// same blob is a known containerd-level race (docs/ARCHITECTURE.md).
	dockerOK(t, "run", "--name", name, "busybox", "sh", "-c", "echo "+name+" > /changed")
	return name
}

var _ = registerCompat("images",
	compatCase{"commit CONTAINER: an untagged image, its ID printed", func(t *testing.T) {
		name := committed(t)
		id := strings.TrimSpace(dockerOK(t, "commit", name))
		if !sha256ID.MatchString(id) {
			t.Fatalf("commit printed %q, want sha256:<64 hex>", id)
		}
		rmiOnCleanup(t, id)
		if got := imageIDOf(t, id); got != id {
			t.Fatalf("the committed image's ID is %q, commit printed %q", got, id)
		}
		if out := dockerOK(t, "run", "--rm", strings.TrimPrefix(id, "sha256:")[:12], "cat", "/changed"); out != name+"\n" {
			t.Fatalf("the untagged image lacks the change: %q", out)
		}
	}},
	compatCase{"commit CONTAINER repo:tag prints the image ID", func(t *testing.T) {
		name := committed(t)
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		id := strings.TrimSpace(dockerOK(t, "commit", name, img))
		if !sha256ID.MatchString(id) || imageIDOf(t, img) != id {
			t.Fatalf("commit printed %q, image %s is %q", id, img, imageIDOf(t, img))
		}
	}},
	compatCase{"commit -c 'CMD [\"cat\",\"/changed\"]' CONTAINER img; run img", func(t *testing.T) {
		name := committed(t)
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		dockerOK(t, "commit", "-c", `CMD ["cat","/changed"]`, name, img)
		if out := dockerOK(t, "run", "--rm", img); out != name+"\n" {
			t.Fatalf("run of the committed image: %q", out)
		}
	}},
	compatCase{"commit nosuch: No such container (1)", func(t *testing.T) {
		wantNoSuchContainer(t, docker("commit", "nosuch"))
	}},
	compatCase{"tag nosuch x: No such image (1)", func(t *testing.T) { wantNoSuchImage(t, docker("tag", "nosuch", "x")) }},
	compatCase{"rmi nosuch: No such image (1)", func(t *testing.T) { wantNoSuchImage(t, docker("rmi", "nosuch")) }},
	compatCase{"history nosuch: No such image (1)", func(t *testing.T) { wantNoSuchImage(t, docker("history", "nosuch")) }},
	compatCase{"save -o f nosuch: No such image (1), no file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "x.tar")
		wantNoSuchImage(t, docker("save", "-o", f, "nosuch"))
		if _, err := os.Stat(f); err == nil {
			t.Fatal("a failed save left a file")
		}
	}},
	compatCase{"tag busybox x:1: the same image ID, nothing printed", func(t *testing.T) {
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		if out := dockerOK(t, "tag", "busybox", img); out != "" {
			t.Fatalf("tag printed %q", out)
		}
		if imageIDOf(t, img) != imageIDOf(t, "busybox") {
			t.Fatal("the tag names another image")
		}
	}},
	compatCase{"rmi x:1 prints Untagged: x:1; busybox stays", func(t *testing.T) {
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		dockerOK(t, "tag", "busybox", img)
		if out := dockerOK(t, "rmi", img); !strings.HasPrefix(out, "Untagged: "+img+"\n") {
			t.Fatalf("rmi printed %q", out)
		}
		wantExit(t, docker("inspect", "--type", "image", img), 1)
		dockerOK(t, "inspect", "--type", "image", "busybox")
	}},
	compatCase{"rmi of the last name: Untagged: x:1 then Deleted: sha256:ID", func(t *testing.T) {
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		id := strings.TrimSpace(dockerOK(t, "commit", committed(t), img))
		if out := dockerOK(t, "rmi", img); out != "Untagged: "+img+"\nDeleted: "+id+"\n" {
			t.Fatalf("rmi printed %q", out)
		}
	}},
	compatCase{"rmi sha256:ID of an untagged image: Deleted: sha256:ID", func(t *testing.T) {
		id := strings.TrimSpace(dockerOK(t, "commit", committed(t)))
		rmiOnCleanup(t, id)
		if out := dockerOK(t, "rmi", id); out != "Deleted: "+id+"\n" {
			t.Fatalf("rmi printed %q", out)
		}
	}},
	compatCase{"rmi of a 64-hex ID that does not exist: No such image (1)", func(t *testing.T) {
		r := docker("rmi", strings.Repeat("0f", 32))
		wantExit(t, r, 1)
		if !strings.Contains(r.stderr, "No such image: "+strings.Repeat("0f", 32)) {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"load -i busybox.tar: Loaded image: busybox:latest", func(t *testing.T) {
		if out := dockerOK(t, "load", "-q", "-i", env.images.docker); out != "Loaded image: busybox:latest\n" {
			t.Fatalf("load printed %q", out)
		}
	}},
	compatCase{"save -o f localhost:5000/x:1; rmi; load -i f: Loaded image: localhost:5000/x:1", func(t *testing.T) {
		img := compatImage(t, "localhost:5000/")
		rmiOnCleanup(t, img)
		dockerOK(t, "tag", "busybox", img)
		f := filepath.Join(t.TempDir(), "img.tar")
		dockerOK(t, "save", "-o", f, img)
		dockerOK(t, "rmi", img)
		if out := dockerOK(t, "load", "-i", f); out != "Loaded image: "+img+"\n" {
			t.Fatalf("load printed %q", out)
		}
	}},
	compatCase{"save img | load: from stdin", func(t *testing.T) {
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		dockerOK(t, "tag", "busybox", img)
		archive := docker("save", img)
		wantExit(t, archive, 0)
		dockerOK(t, "rmi", img)
		r := lumperStdin([]byte(archive.stdout), "load")
		wantExit(t, r, 0)
		if r.stdout != "Loaded image: "+img+"\n" {
			t.Fatalf("load printed %q", r.stdout)
		}
	}},
	compatCase{"save of an untagged image; load: Loaded image ID: sha256:...", func(t *testing.T) {
		id := strings.TrimSpace(dockerOK(t, "commit", committed(t)))
		rmiOnCleanup(t, id)
		f := filepath.Join(t.TempDir(), "untagged.tar")
		dockerOK(t, "save", "-o", f, id)
		dockerOK(t, "rmi", id)
		if out := dockerOK(t, "load", "-i", f); out != "Loaded image ID: "+id+"\n" {
			t.Fatalf("load printed %q, want the ID %s", out, id)
		}
	}},
	compatCase{"save -o f busybox: a docker-save archive with an OCI layout", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "busybox.tar")
		dockerOK(t, "save", "-o", f, "busybox")
		members := tarMembers(t, f)
		for _, m := range []string{"manifest.json", "index.json", "oci-layout"} {
			if !regexp.MustCompile(`(?m)^` + m + `$`).MatchString(members) {
				t.Fatalf("archive lacks %s:\n%s", m, members)
			}
		}
	}},
	compatCase{"history busybox: Docker's columns", func(t *testing.T) {
		out := lines(dockerOK(t, "history", "busybox"))
		if len(out) < 2 || !regexp.MustCompile(`^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$`).MatchString(out[0]) {
			t.Fatalf("history: %q", out)
		}
	}},
	compatCase{"history -q busybox: IDs only", func(t *testing.T) {
		for _, l := range lines(dockerOK(t, "history", "-q", "busybox")) {
			if !regexp.MustCompile(`^([0-9a-f]{12}|<missing>)$`).MatchString(l) {
				t.Fatalf("history -q line %q", l)
			}
		}
	}},
	compatCase{"commit -m msg CONTAINER img; history shows the comment", func(t *testing.T) {
		img := compatImage(t, "")
		rmiOnCleanup(t, img)
		dockerOK(t, "commit", "-m", "compat-comment", committed(t), img)
		out := dockerOK(t, "history", "--format", "{{.Comment}}", img)
		if lines(out)[0] != "compat-comment" {
			t.Fatalf("history comments %q", out)
		}
	}},
)
