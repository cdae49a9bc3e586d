package commands

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/view"
)

// TestListingErrorsBeforeDialing: bad filters and formats of ps, images and
// stats are one-line errors (exit 1) found before lumper dials containerd.
func TestListingErrorsBeforeDialing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"ps", "--filter", "bogus=1"}, "invalid filter 'bogus'"},
		{[]string{"ps", "-f", "status"}, "bad format of filter"},
		{[]string{"ps", "-f", "status=bogus"}, "invalid filter 'status=bogus'"},
		{[]string{"ps", "-f", "exited=x"}, "invalid filter 'exited=x'"},
		{[]string{"ps", "-f", "health=fine"}, "invalid filter 'health=fine'"},
		{[]string{"ps", "--format", "{{"}, "invalid --format template"},
		{[]string{"container", "ls", "-f", "bogus=1"}, "invalid filter 'bogus'"},
		{[]string{"images", "-f", "dangling=maybe"}, "invalid filter 'dangling=maybe'"},
		{[]string{"images", "-f", "status=running"}, "invalid filter 'status'"},
		{[]string{"images", "--format", "table {{.ID"}, "invalid --format template"},
		{[]string{"image", "ls", "-f", "reference=["}, "invalid filter 'reference=['"},
		{[]string{"stats", "--format", "{{nosuchfunc .}}"}, "invalid --format template"},
		{[]string{"list", "--format", "{{"}, "invalid --format template"},
	} {
		_, stderr, code := runCmd(t, "", tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.msg) || strings.Contains(stderr, "containerd") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("lumper %v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.msg)
		}
	}
	if _, _, code := runCmd(t, "", "images", "a", "b"); code != 1 {
		t.Errorf("images with two references: exit %d", code)
	}
	if _, _, code := runCmd(t, "", "ps", "--bogus"); code != 125 {
		t.Errorf("ps --bogus: exit %d, want 125", code)
	}
}

// TestHelpSaysWhichIsDockers: ps is Docker's listing, list lumper's own.
func TestHelpSaysWhichIsDockers(t *testing.T) {
	out, _, _ := runCmd(t, "", "ps", "--help")
	if !strings.Contains(out, "Docker's ps") || !strings.Contains(out, "'lumper list'") {
		t.Errorf("ps --help: %q", out)
	}
	out, _, _ = runCmd(t, "", "list", "--help")
	if !strings.Contains(out, "lumper's own format") || !strings.Contains(out, "'lumper ps'") {
		t.Errorf("list --help: %q", out)
	}
}

func TestPrintPs(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cs := []view.Container{{
		ID: "24115e90b4343b9b1ce0e5b9fd4af8a6c3ed3fd1e4f69c0cd6e1e2dae4e5f0aa", Name: "web", Image: "busybox",
		Command: "httpd -f -p 80", Created: now.Add(-2 * time.Minute), State: view.StateRunning, StartedAt: now.Add(-3 * time.Second),
		Ports: []api.Port{{HostIP: "127.0.0.1", HostPort: 32768, ContainerPort: 80, Protocol: "tcp"}},
	}}
	var b bytes.Buffer
	if err := printPs(&b, &PsOptions{}, cs, now); err != nil {
		t.Fatal(err)
	}
	want := "CONTAINER ID   IMAGE     COMMAND            CREATED         STATUS         PORTS                     NAMES\n" +
		"24115e90b434   busybox   \"httpd -f -p 80\"   2 minutes ago   Up 3 seconds   127.0.0.1:32768->80/tcp   web\n"
	if b.String() != want {
		t.Errorf("ps table:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	cs[0].SizeRw, cs[0].SizeRootFs = 2, 1_200_002
	if err := printPs(&b, &PsOptions{Size: true, NoTrunc: true}, cs, now); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(b.String(), "\n"); !strings.HasSuffix(lines[0], "SIZE") || !strings.HasSuffix(lines[1], "2B (virtual 1.2MB)") || !strings.HasPrefix(lines[1], cs[0].ID) {
		t.Errorf("ps -s --no-trunc:\n%s", b.String())
	}
}

func TestPrintImages(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	is := []api.ImageInfo{{Repository: "busybox", Tag: "latest", ID: "sha256:1bda78eac25976f73a0bcb3f7861514319ad0a2db592bdfe8bf1a801fbf538af",
		Digest: "sha256:6023ab6c983d93e931285644d6d4f335638b783076fba8f49b7a8e4a56350851", Created: now.Add(-3 * time.Hour), Size: 2_130_000}}
	var b bytes.Buffer
	if err := printImages(&b, &ImagesOptions{}, is, now); err != nil {
		t.Fatal(err)
	}
	want := "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    1bda78eac259   3 hours ago   2.13MB\n"
	if b.String() != want {
		t.Errorf("images:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	if err := printImages(&b, &ImagesOptions{Digests: true}, is, now); err != nil {
		t.Fatal(err)
	}
	if h := strings.Fields(strings.Split(b.String(), "\n")[0]); strings.Join(h, " ") != "REPOSITORY TAG DIGEST IMAGE ID CREATED SIZE" {
		t.Errorf("images --digests header %q", h)
	}
}
