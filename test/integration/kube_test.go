//go:build integration

package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lumper/lumper/pkg/kube/manifest"
)

// kubeCleanup removes the containers (with their anonymous volumes) and
// the named volumes when the test ends.
func kubeCleanup(t *testing.T, containers, volumes []string) {
	t.Cleanup(func() {
		for _, c := range containers {
			lumperRun("rm", "-f", "-v", c)
		}
		for _, v := range volumes {
			lumperRun("volume", "rm", "-f", v)
		}
	})
}

// decodeKube decodes generated YAML strictly into the Kubernetes types and
// checks that each object marshals back to the same text.
func decodeKube(t *testing.T, y []byte) []any {
	t.Helper()
	objs, err := manifest.Decode(y)
	if err != nil {
		t.Fatalf("strict decode: %v\n%s", err, y)
	}
	texts := manifest.SplitDocuments(y)
	if len(texts) != len(objs) {
		t.Fatalf("%d documents, %d objects", len(texts), len(objs))
	}
	for i, obj := range objs {
		again, err := manifest.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, texts[i]) {
			t.Errorf("document %d does not round-trip:\n%s\n---- again:\n%s", i+1, texts[i], again)
		}
	}
	return objs
}

// hexID is a container ID, full or short, in generated YAML.
var hexID = regexp.MustCompile(`\b[0-9a-f]{12}([0-9a-f]{52})?\b`)

// golden compares got, with container IDs replaced by <id>, with
// testdata/kube/NAME (LUMPER_UPDATE_GOLDEN=1 rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = hexID.ReplaceAll(got, []byte("<id>"))
	path := filepath.Join("testdata", "kube", name)
	if os.Getenv("LUMPER_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (LUMPER_UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated YAML (LUMPER_UPDATE_GOLDEN=1 rewrites it):\n%s", path, got)
	}
}

// kubeBindDir is a bind source at a fixed path, so that the golden files
// hold no random name.
func kubeBindDir(t *testing.T, name string) string {
	dir := filepath.Join(os.TempDir(), "lumper-kube-it-"+name)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

// TestGenerateKube: the YAML of real containers, created with many of
// run's flags, is what the golden files say, decodes strictly into the
// Kubernetes types and round-trips; what Kubernetes cannot express is on
// stderr, one line each.
func TestGenerateKube(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	web, db, vol := name+"-web", name+"-db", name+"-cache"
	kubeCleanup(t, []string{web, db}, []string{vol})
	bind := kubeBindDir(t, name)
	lumper(t, "create", "--name", web,
		"-e", "GREETING=hello world", "-e", "MODE=test",
		"-p", "127.0.0.1:38471:80", "-p", "38472:53/udp",
		"-v", bind+":/data:ro", "-v", vol+":/cache", "-v", "/anon",
		"--tmpfs", "/run/scratch",
		"-m", "64m", "--cpus", "0.5", "--cpu-shares", "512",
		"--health-cmd", "test -f /tmp/ready", "--health-interval", "5s", "--health-timeout", "2s",
		"--health-retries", "4", "--health-start-period", "3s",
		"--restart", "on-failure:2",
		"--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD", "--read-only",
		"-w", "/srv", "-u", "1000:1000", "--hostname", "webhost",
		"--add-host", "db.internal:10.1.2.3", "--add-host", "cache.internal:10.1.2.3",
		"-l", "tier=frontend", "-l", "com.example/owner=CI team",
		"--device", "/dev/null:/dev/xnull", "--ulimit", "nofile=1024:2048",
		"busybox", "httpd", "-f", "-p", "80")
	lumper(t, "run", "-d", "--name", db, "--health-cmd", "true", "--health-interval", "1s",
		"--entrypoint", "sh", "-v", vol+":/var/lib/db", "busybox", "-c", "sleep 600")

	// inspect, which generate reads, now shows capabilities and devices.
	if got := lumper(t, "inspect", "-f", "{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{json .HostConfig.Devices}}", web); strings.TrimSpace(got) !=
		`["CAP_NET_ADMIN"] ["CAP_MKNOD"] [{"PathOnHost":"","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}]` {
		t.Errorf("inspect caps and devices: %s", got)
	}

	r := lumperRun("generate", "kube", web)
	if r.code != 0 {
		t.Fatalf("generate kube: %s", r)
	}
	objs := decodeKube(t, []byte(r.stdout))
	golden(t, "web.yaml", []byte(r.stdout))
	pod := objs[0].(*corev1.Pod)
	c := pod.Spec.Containers[0]
	if c.Name != web || len(c.Ports) != 2 || c.Ports[1].ContainerPort != 80 || c.Ports[1].HostPort != 38471 || c.Ports[1].HostIP != "127.0.0.1" {
		t.Errorf("container: %+v", c)
	}
	var claims []string
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if len(pod.Spec.Volumes) != 4 || strings.Join(claims, ",") != vol {
		t.Errorf("volumes: %+v", pod.Spec.Volumes)
	}
	for _, want := range []string{
		"lumper-kube: warning: container " + web + ": --device /dev/xnull: Kubernetes gives pods host devices only through device plugins\n",
		"lumper-kube: warning: container " + web + ": --ulimit nofile=1024:2048: Kubernetes sets no rlimits\n",
		"lumper-kube: warning: container " + web + ": --restart on-failure:2: Kubernetes has no retry limit (OnFailure retries with back-off)\n",
	} {
		if strings.Count(r.stderr, want) != 1 {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "\n"); n != 3 {
		t.Errorf("%d warning lines, want 3:\n%s", n, r.stderr)
	}

	// Two containers: one Deployment's pod with both, sharing the named
	// volume, and a Service (--service; web publishes ports anyway), to a file.
	out := filepath.Join(t.TempDir(), "stack.yaml")
	r = lumperRun("generate", "kube", "--type", "deployment", "--replicas", "2", "--service", "-f", out, web, db)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("generate kube -f: %s", r)
	}
	y, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	objs = decodeKube(t, y)
	golden(t, "stack.yaml", y)
	dep, ok := objs[0].(*appsv1.Deployment)
	if !ok || len(objs) != 2 || *dep.Spec.Replicas != 2 || len(dep.Spec.Template.Spec.Containers) != 2 ||
		dep.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || len(dep.Spec.Template.Spec.Volumes) != 4 {
		t.Fatalf("deployment: %s", y)
	}
	// inspect shows no Entrypoint for an --entrypoint the image lacks: the
	// whole process is the command.
	if c := dep.Spec.Template.Spec.Containers[1]; strings.Join(c.Command, " ") != "sh -c sleep 600" || len(c.Args) != 0 ||
		c.LivenessProbe == nil || c.LivenessProbe.PeriodSeconds != 1 {
		t.Errorf("db container: %+v", c)
	}
	for _, want := range []string{
		"container " + db + ": restart policy Never: a pod has one, the first container's (OnFailure)",
		"restart policy OnFailure: a Deployment's pods always restart (Always)",
		"deployment " + web + ": 2 replicas with host ports: at most one of them runs on each node",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// A missing container is one line and exit 1, and so is a missing
// lumper-kube (looked for beside lumper, then in PATH).
func TestGenerateKubeErrors(t *testing.T) {
	t.Parallel()
	r := mustFail(t, 1, "generate", "kube", "nosuch-kube-container")
	if !strings.Contains(r.stderr, "nosuch-kube-container") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
		t.Errorf("missing container: %s", r)
	}

	name := uniqueName(t)
	kubeCleanup(t, []string{name}, nil)
	lumper(t, "create", "--name", name, "busybox", "true")
	dir := t.TempDir()
	self, err := os.ReadFile(filepath.Join(env.binDir, "lumper"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lumper"), self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := lumperCmd("generate", "kube", name)
	cmd.Path = filepath.Join(dir, "lumper")
	cmd.Env = append(cmd.Env, "PATH="+dir) // the last PATH wins
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || stdout.Len() != 0 ||
		strings.TrimSpace(stderr.String()) != "lumper: generating kube YAML: lumper-kube not found next to lumper or in PATH: `generate kube` needs it, install it with 'make install'" {
		t.Errorf("without lumper-kube: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
	// Beside lumper, it is found without PATH.
	kb, err := os.ReadFile(filepath.Join(env.binDir, "lumper-kube"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lumper-kube"), kb, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = lumperCmd("generate", "kube", name)
	cmd.Path = filepath.Join(dir, "lumper")
	cmd.Env = append(cmd.Env, "PATH=/nonexistent")
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "kind: Pod") {
		t.Errorf("lumper-kube beside lumper: %v, %s", err, out)
	}
}

// Compose's containers (label com.docker.compose.service) become one
// Deployment per service, its containers the replicas: what `compose
// convert --format kube` builds on (inspect's JSON piped to lumper-kube).
func TestGenerateKubeComposeServices(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	ctrs := []string{name + "-web-1", name + "-web-2", name + "-db-1"}
	kubeCleanup(t, ctrs, nil)
	for _, c := range ctrs {
		svc := strings.Split(strings.TrimPrefix(c, name+"-"), "-")[0]
		args := []string{"create", "--name", c, "-l", "com.docker.compose.project=" + name, "-l", "com.docker.compose.service=" + svc,
			"-l", "com.docker.compose.project.working_dir=/srv/" + name, "--restart", "always"}
		if svc == "web" {
			args = append(args, "--expose", "80")
		}
		lumper(t, append(args, "busybox", "sleep", "600")...)
	}
	docs := lumper(t, append([]string{"inspect"}, ctrs...)...)
	cmd := exec.Command(filepath.Join(env.binDir, "lumper-kube"), "--by-service")
	cmd.Stdin = strings.NewReader(docs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	y, err := cmd.Output()
	if err != nil {
		t.Fatalf("lumper-kube --by-service: %v: %s", err, stderr.String())
	}
	objs := decodeKube(t, y)
	var got []string
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			got = append(got, "Deployment "+o.Name+" "+strings.Repeat("x", int(*o.Spec.Replicas)))
			if o.Spec.Template.Annotations["com.docker.compose.project.working_dir"] != "/srv/"+name {
				t.Errorf("the compose label that is no label value is not an annotation: %+v", o.Spec.Template.ObjectMeta)
			}
		case *corev1.Service:
			got = append(got, "Service "+o.Name)
		}
	}
	if strings.Join(got, ", ") != "Deployment web xx, Service web, Deployment db x" {
		t.Errorf("objects: %q\n%s", got, y)
	}
	if strings.TrimSpace(stderr.String()) != "lumper-kube: warning: service web: 2 containers become 2 replicas of the first one's pod spec" {
		t.Errorf("warnings: %q", stderr.String())
	}
}
