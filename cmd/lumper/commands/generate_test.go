package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/kube"
)

func TestGenerateKubeFlags(t *testing.T) {
	o := parsed(t, "generate", "kube", "-t", "deployment", "-r", "3", "-s", "-f", "out.yaml", "web", "db").(*GenerateKubeOptions)
	want := kube.Options{Type: kube.TypeDeployment, Replicas: 3, Service: true}
	if o.Kube != want || o.Filename != "out.yaml" || !slices.Equal(o.Refs, []string{"web", "db"}) {
		t.Errorf("generate kube options: %+v", o)
	}
	if o := parsed(t, "generate", "kube", "web").(*GenerateKubeOptions); o.Kube != (kube.Options{Type: kube.TypePod}) {
		t.Errorf("generate kube defaults: %+v", o.Kube)
	}
	// Mistakes are one line before lumper dials containerd.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate", "kube"}, 1, "requires at least 1 arg"},
		{[]string{"generate", "kube", "--type", "job", "web"}, 1, `invalid --type "job"`},
		{[]string{"generate", "kube", "--replicas", "2", "web"}, 1, "--replicas needs --type deployment"},
		{[]string{"generate", "kube", "-t", "deployment", "--replicas", "-1", "web"}, 1, "must not be negative"},
		{[]string{"generate", "nosuch"}, 1, "nosuch"},
	} {
		_, stderr, code := runCmd(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, "containerd") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
