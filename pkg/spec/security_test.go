package spec

import (
	"path/filepath"
	"reflect"
	"testing"
)

const testProfile = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`

func TestParseSecurityOpts(t *testing.T) {
	profile := writeFile(t, "profile.json", testProfile)
	yes, no := true, false
	for _, tc := range []struct {
		name    string
		in      []string
		nnp     *bool
		seccomp string
	}{
		{"none", nil, nil, ""},
		{"nnp", []string{"no-new-privileges"}, &yes, ""},
		{"nnp=true", []string{"no-new-privileges=true"}, &yes, ""},
		{"nnp:true", []string{"no-new-privileges:true"}, &yes, ""},
		{"nnp=false", []string{"no-new-privileges=false"}, &no, ""},
		{"nnp:false", []string{"no-new-privileges:false"}, &no, ""},
		{"later wins", []string{"no-new-privileges", "no-new-privileges=false"}, &no, ""},
		{"unconfined", []string{"seccomp=unconfined"}, nil, SeccompUnconfined},
		{"unconfined colon", []string{"seccomp:unconfined"}, nil, SeccompUnconfined},
		{"profile", []string{"seccomp=" + profile}, nil, profile},
		{"both", []string{"seccomp=unconfined", "no-new-privileges"}, &yes, SeccompUnconfined},
	} {
		nnp, sc, err := ParseSecurityOpts(tc.in)
		if err != nil || !reflect.DeepEqual(nnp, tc.nnp) || sc != tc.seccomp {
			t.Errorf("%s: ParseSecurityOpts(%q) = %v, %q, %v; want %v, %q", tc.name, tc.in, nnp, sc, err, tc.nnp, tc.seccomp)
		}
	}

	// A relative profile path comes back absolute.
	t.Chdir(filepath.Dir(profile))
	if _, sc, err := ParseSecurityOpts([]string{"seccomp=profile.json"}); err != nil || sc != profile {
		t.Errorf("relative profile: got %q, %v; want %q", sc, err, profile)
	}

	dir := t.TempDir()
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"no-new-privileges=maybe", `invalid --security-opt "no-new-privileges=maybe": use no-new-privileges, no-new-privileges=true or no-new-privileges=false`},
		{"seccomp=", "use seccomp=unconfined or seccomp=/path/to/profile.json"},
		{"seccomp", "use seccomp=unconfined"},
		{"apparmor=unconfined", `unsupported --security-opt "apparmor=unconfined": lumper supports no-new-privileges`},
		{"label=disable", "unsupported --security-opt"},
		{"seccomp=" + filepath.Join(dir, "missing.json"), `cannot read seccomp profile "` + filepath.Join(dir, "missing.json") + `": no such file or directory`},
		{"seccomp=" + writeFile(t, "bad.json", "{not json"), "invalid seccomp profile"},
		{"seccomp=" + writeFile(t, "empty.json", "{}"), "no defaultAction, it must be an OCI runtime-spec linux.seccomp object"},
	} {
		_, _, err := ParseSecurityOpts([]string{tc.in})
		checkInvalid(t, err, tc.want)
	}
}

func TestParseUser(t *testing.T) {
	for _, s := range []string{
		"0", "1000", "1000:1000", "2147483647", "nobody", "www-data", "user:group",
		"user:100", "100:group", "_apt", "a.b", "machine$",
	} {
		if err := ParseUser(s); err != nil {
			t.Errorf("ParseUser(%q) = %v", s, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", `invalid --user "": empty user or group, use UID[:GID] or NAME[:GROUP]`},
		{":", "empty user or group"},
		{"1000:", "empty user or group"},
		{":1000", "empty user or group"},
		{"a:b:c", `"b:c" is not a valid name`},
		{"2147483648", "ID 2147483648 is out of range"},
		{"1:99999999999999999999", "is out of range"},
		{"-1", `"-1" is not a valid name`},
		{"bad user", `"bad user" is not a valid name`},
		{"a/b", `"a/b" is not a valid name`},
	} {
		checkInvalid(t, ParseUser(tc.in), tc.want)
	}
}

func TestNormalizeCaps(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{"net_admin"}, []string{"CAP_NET_ADMIN"}},
		{[]string{"CAP_NET_ADMIN", "NET_ADMIN", "sys_ptrace"}, []string{"CAP_NET_ADMIN", "CAP_SYS_PTRACE"}},
		{[]string{"all"}, []string{AllCaps}},
		{[]string{"ALL", "chown"}, []string{AllCaps, "CAP_CHOWN"}},
		{[]string{"Cap_Sys_Admin"}, []string{"CAP_SYS_ADMIN"}},
	} {
		got, err := NormalizeCaps(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("NormalizeCaps(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"bogus"}, `unknown capability "bogus": use a name from capabilities(7) like NET_ADMIN or SYS_PTRACE, or ALL`},
		{[]string{"chown", "CAP_NOPE"}, `unknown capability "CAP_NOPE"`},
		{[]string{""}, `unknown capability ""`},
		{[]string{"CAP_ALL"}, `unknown capability "CAP_ALL"`},
	} {
		_, err := NormalizeCaps(tc.in)
		checkInvalid(t, err, tc.want)
	}
}
