package spec

import (
	"strings"
	"testing"
)

// FuzzParsers feeds arbitrary flag values to the run option parsers: they
// must never panic, and every rejection must be one line.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"/a:/b", "/a:/b:ro", "relative:/x", "type=bind,src=/a,dst=/b,readonly", "/tmp:size=1m", "64m", "0-1", "=x", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(what string, err error) {
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s(%q): multi-line error %q", what, s, err)
			}
		}
		_, err := ParseVolume(s)
		check("ParseVolume", err)
		_, err = ParseMount(s)
		check("ParseMount", err)
		_, err = ParseTmpfs(s)
		check("ParseTmpfs", err)
		_, err = ParseMemory(s)
		check("ParseMemory", err)
		_, err = ParseCpuset(s, []int{0, 1})
		check("ParseCpuset", err)
		_, err = ParseEnv([]string{s}, nil, func(string) (string, bool) { return "", false })
		check("ParseEnv", err)
		_, _, err = ParseSecurityOpts([]string{s})
		check("ParseSecurityOpts", err)
		_, err = NormalizeCaps([]string{s})
		check("NormalizeCaps", err)
	})
}
