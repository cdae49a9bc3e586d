package client

import (
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		version  string
		refused  bool
		warnings []string
	}{
		{"2.4.2+unknown", false, nil},
		{"v1.7.35", false, nil},
		{"1.7.26", false, []string{"CVE-2024-40635"}},
		{"v2.0.3", false, []string{"CVE-2024-40635"}},
		{"2.1.0", false, []string{"CVE-2025-47290"}},
		{"1.6.20~ds1", true, nil},
		{"1.5.9", true, nil},
		{"devel", false, nil},
	}
	for _, tt := range tests {
		w, err := checkVersion(tt.version)
		if (err != nil) != tt.refused {
			t.Errorf("%s: refused=%v, err %v", tt.version, err != nil, err)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "containerd >= 1.7.0 required, found "+tt.version) {
			t.Errorf("%s: message %q", tt.version, err)
		}
		if len(w) != len(tt.warnings) {
			t.Errorf("%s: warnings %q, want %q", tt.version, w, tt.warnings)
			continue
		}
		for i := range w {
			if !strings.Contains(w[i], tt.warnings[i]) {
				t.Errorf("%s: warning %q lacks %s", tt.version, w[i], tt.warnings[i])
			}
		}
	}
}
