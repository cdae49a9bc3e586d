package images

import (
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestNormalizeAndFamiliar(t *testing.T) {
	tests := []struct{ in, full, repo, tag string }{
		{"busybox", "docker.io/library/busybox:latest", "busybox", "latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox", "1.36"},
		{"me/app:v1", "docker.io/me/app:v1", "me/app", "v1"},
		{"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app", "latest"},
	}
	for _, tt := range tests {
		full, err := Normalize(tt.in)
		if err != nil || full != tt.full {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, full, err, tt.full)
			continue
		}
		if repo, tag := Familiar(full); repo != tt.repo || tag != tt.tag {
			t.Errorf("Familiar(%q) = %q %q", full, repo, tag)
		}
	}
	for _, bad := range []string{"UPPER:case", "a::b", "", "-x"} {
		if _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) accepted", bad)
		}
	}
}

func TestApplyChanges(t *testing.T) {
	var cfg ocispec.ImageConfig
	err := ApplyChanges(&cfg, []string{
		`CMD ["echo", "hi"]`,
		`ENTRYPOINT /bin/app --flag`,
		`ENV A=1 B=two`,
		`ENV A=3`,
		`WORKDIR /srv`,
		`USER 1000:1000`,
		`LABEL org.x=y`,
		`EXPOSE 80 53/udp`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ocispec.ImageConfig{
		Cmd:          []string{"echo", "hi"},
		Entrypoint:   []string{"/bin/sh", "-c", "/bin/app --flag"},
		Env:          []string{"A=3", "B=two"},
		WorkingDir:   "/srv",
		User:         "1000:1000",
		Labels:       map[string]string{"org.x": "y"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
	for _, bad := range []string{"FROB x", "CMD", "WORKDIR relative", "ENV =x"} {
		if err := ApplyChanges(&ocispec.ImageConfig{}, []string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestOCIRefName(t *testing.T) {
	for in, want := range map[string]string{
		"latest":          "",
		"busybox:latest":  "docker.io/library/busybox:latest",
		"example.com/a:b": "example.com/a:b",
		"UPPER:x":         "",
	} {
		if got := ociRefName(in); got != want {
			t.Errorf("ociRefName(%q) = %q, want %q", in, got, want)
		}
	}
}
