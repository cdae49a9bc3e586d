package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseEnv(t *testing.T) {
	host := map[string]string{"HOSTVAR": "from-host", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := host[k]; return v, ok }

	file1 := writeFile(t, "one.env", "\xef\xbb\xbf# comment\n\nA=file1\n  B=spaced value  \r\nHOSTVAR\nMISSING\nQ=\"quoted\"\nEQ=a=b\n")
	file2 := writeFile(t, "two.env", "A=file2\nC=file2\n")

	for _, tc := range []struct {
		name  string
		kvs   []string
		files []string
		want  []string
	}{
		{"none", nil, nil, []string{}},
		{"flags", []string{"A=1", "B=", "C=x=y"}, nil, []string{"A=1", "B=", "C=x=y"}},
		{"later flag wins", []string{"A=1", "B=2", "A=3"}, nil, []string{"A=3", "B=2"}},
		{"host value", []string{"HOSTVAR", "EMPTY"}, nil, []string{"HOSTVAR=from-host", "EMPTY="}},
		{"unset host value omitted", []string{"MISSING", "A=1"}, nil, []string{"A=1"}},
		{"env file", nil, []string{file1},
			[]string{"A=file1", "B=spaced value  ", "HOSTVAR=from-host", `Q="quoted"`, "EQ=a=b"}},
		{"later file wins", nil, []string{file1, file2},
			[]string{"A=file2", "B=spaced value  ", "HOSTVAR=from-host", `Q="quoted"`, "EQ=a=b", "C=file2"}},
		{"flags over files", []string{"C=flag", "D=flag"}, []string{file2},
			[]string{"A=file2", "C=flag", "D=flag"}},
		{"unset host value keeps file value", []string{"MISSING"}, []string{writeFile(t, "m.env", "MISSING=file\n")},
			[]string{"MISSING=file"}},
	} {
		got, err := ParseEnv(tc.kvs, tc.files, lookup)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ParseEnv = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}

	// nil lookup: KEY alone is simply unset.
	if got, err := ParseEnv([]string{"HOME"}, nil, nil); err != nil || len(got) != 0 {
		t.Errorf("ParseEnv with nil lookup = %q, %v; want nothing", got, err)
	}

	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		kvs   []string
		files []string
		want  []string
	}{
		{"empty key", []string{"=x"}, nil, []string{`invalid -e "=x": the variable name before "=" is empty, use KEY=VALUE`}},
		{"empty", []string{""}, nil, []string{`invalid -e ""`}},
		{"space in key", []string{"A B=1"}, nil, []string{`variable name "A B" contains whitespace`}},
		{"nul", []string{"A=\x00"}, nil, []string{"NUL byte"}},
		{"missing file", nil, []string{filepath.Join(dir, "nope.env")},
			[]string{`cannot read --env-file "` + filepath.Join(dir, "nope.env") + `": no such file or directory`}},
		{"directory", nil, []string{dir}, []string{`cannot read --env-file "` + dir + `": is a directory`}},
		{"bad line", nil, []string{writeFile(t, "bad.env", "A=1\n# c\n=x\n")},
			[]string{`--env-file "`, `bad.env" line 3: the variable name before "=" is empty`}},
		{"bad utf8", nil, []string{writeFile(t, "utf.env", "A=\xff\n")}, []string{"line 1: it is not valid UTF-8"}},
		{"space in file key", nil, []string{writeFile(t, "sp.env", "MY VAR=1\n")}, []string{`variable name "MY VAR" contains whitespace`}},
	} {
		_, err := ParseEnv(tc.kvs, tc.files, lookup)
		checkInvalid(t, err, tc.want...)
	}
}

func TestParseEnvUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files regardless of their mode")
	}
	p := writeFile(t, "secret.env", "A=1\n")
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err := ParseEnv(nil, []string{p}, nil)
	checkInvalid(t, err, `cannot read --env-file "`+p+`": permission denied`)
}

func TestMergeEnv(t *testing.T) {
	for _, tc := range []struct {
		name           string
		base, override []string
		want           []string
	}{
		{"empty", nil, nil, []string{}},
		{"no override", []string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{"override keeps position", []string{"A=1", "B=2", "C=3"}, []string{"B=x"}, []string{"A=1", "B=x", "C=3"}},
		{"new keys appended in order", []string{"A=1"}, []string{"Z=1", "Y=2"}, []string{"A=1", "Z=1", "Y=2"}},
		{"later override wins", []string{"A=1"}, []string{"A=2", "A=3"}, []string{"A=3"}},
		{"duplicate in base", []string{"A=1", "A=2"}, nil, []string{"A=2"}},
		{"prefix is not the same key", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"empty value overrides", []string{"A=1"}, []string{"A="}, []string{"A="}},
	} {
		base := append([]string(nil), tc.base...)
		got := MergeEnv(tc.base, tc.override)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: MergeEnv(%q, %q) = %q, want %q", tc.name, tc.base, tc.override, got, tc.want)
		}
		if !reflect.DeepEqual(base, tc.base) {
			t.Errorf("%s: MergeEnv modified base", tc.name)
		}
	}
}

// TestEnvPrecedence checks the whole chain run uses: image < --env-file < -e.
func TestEnvPrecedence(t *testing.T) {
	image := []string{"PATH=/usr/bin:/bin", "LANG=C", "FROM_IMAGE=image", "OVER=image"}
	file := writeFile(t, "p.env", "OVER=file\nFROM_FILE=file\nBOTH=file\n")
	user, err := ParseEnv([]string{"BOTH=flag", "FROM_FLAG=flag"}, []string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := MergeEnv(image, user)
	want := []string{
		"PATH=/usr/bin:/bin", "LANG=C", "FROM_IMAGE=image", "OVER=file",
		"FROM_FILE=file", "BOTH=flag", "FROM_FLAG=flag",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged env = %q, want %q", got, want)
	}
}
