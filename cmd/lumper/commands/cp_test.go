package commands

import "testing"

func TestSplitCpArg(t *testing.T) {
	tests := []struct{ in, ctr, path string }{
		{"web:/etc/hosts", "web", "/etc/hosts"},
		{"web:rel/path", "web", "rel/path"},
		{"0123abcd:/", "0123abcd", "/"},
		{"/host/path", "", "/host/path"},
		{"./a:b", "", "./a:b"},
		{"/a:b", "", "/a:b"},
		{"file", "", "file"},
		{":x", "", ":x"},
		{"-", "", "-"},
	}
	for _, tt := range tests {
		ctr, p := splitCpArg(tt.in)
		if ctr != tt.ctr || p != tt.path {
			t.Errorf("splitCpArg(%q) = %q, %q; want %q, %q", tt.in, ctr, p, tt.ctr, tt.path)
		}
	}
}
