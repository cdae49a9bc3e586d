package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseLabels(t *testing.T) {
	f := filepath.Join(t.TempDir(), "labels")
	if err := os.WriteFile(f, []byte("# comment\n\na=file\nb=1=2\nempty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ParseLabels([]string{"a=flag", "c"}, []string{f})
	want := map[string]string{"a": "flag", "b": "1=2", "empty": "", "c": ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseLabels = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"=x", "lumper.io/name=x", "containerd.io/restart.status=running", "io.containerd.image.config.stop-signal=9"} {
		if _, err := ParseLabels([]string{bad}, nil); err == nil {
			t.Errorf("ParseLabels(%q) should fail", bad)
		}
	}
	if _, err := ParseLabels(nil, []string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing label file should fail")
	}
}
