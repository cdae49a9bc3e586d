package manifest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lumper/lumper/pkg/api"
)

const anonVolume = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"

// webDoc is an inspect document as lumper writes it for
// `run -d --name Web_1 -u 1000:1000 -w /srv -e A='b c' -p 127.0.0.1:8080:80 --expose 53/udp
// --health-cmd 'test -f /tmp/ok' --health-interval 5s --health-retries 2 --health-start-period 1500ms
// --restart on-failure:3 --cap-add NET_ADMIN --cap-drop MKNOD --add-host db:10.0.0.2 --add-host cache=10.0.0.2
// --read-only -m 256m --cpus 1.5 --cpu-shares 512 --memory-reservation 128m --device /dev/fuse --ulimit nofile=10:20
// --hostname web -l com.example/team='core ops' -l app=x -v /tmp/x/data:/data:ro -v cache:/cache -v /anon
// --tmpfs /run/t --sysctl net.ipv4.ip_forward=1 --stop-timeout 20 busybox sleep 1000`.
func webDoc() api.ContainerJSON {
	var d api.ContainerJSON
	d.ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	d.Name = "/Web_1"
	twenty := 20
	d.Config = api.ContainerConfig{
		Hostname: "web", User: "1000:1000", WorkingDir: "/srv",
		Env:          []string{"PATH=/bin", "A=b c"},
		Cmd:          []string{"sleep", "1000"},
		Image:        "docker.io/library/busybox:latest",
		Labels:       map[string]string{"com.example/team": "core ops", "app": "x"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
		Healthcheck:  &api.HealthConfig{Test: []string{"CMD-SHELL", "test -f /tmp/ok"}, Interval: 5e9, Retries: 2, StartPeriod: 15e8},
		StopTimeout:  &twenty,
	}
	d.HostConfig = api.HostConfig{
		PortBindings:      map[string][]api.PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8080"}}},
		RestartPolicy:     api.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3},
		CapAdd:            []string{"CAP_NET_ADMIN"},
		CapDrop:           []string{"CAP_MKNOD"},
		ExtraHosts:        []string{"db:10.0.0.2", "cache=10.0.0.2"},
		ReadonlyRootfs:    true,
		Memory:            256 << 20,
		MemoryReservation: 128 << 20,
		NanoCPUs:          15e8,
		CPUShares:         512,
		NetworkMode:       "bridge",
		ShmSize:           64 << 20,
		Sysctls:           map[string]string{"net.ipv4.ip_forward": "1"},
		Devices:           []api.DeviceMapping{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}},
		Ulimits:           []api.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}},
		LogConfig:         api.LogConfig{Type: "local", Config: map[string]string{}},
	}
	d.Mounts = []api.MountPoint{
		{Type: "bind", Source: "/tmp/x/data", Destination: "/data"},
		{Type: "volume", Name: "cache", Source: "/var/lib/lumper/volumes/cache/_data", Destination: "/cache", RW: true},
		{Type: "volume", Name: anonVolume, Destination: "/anon", RW: true},
		{Type: "tmpfs", Destination: "/run/t", RW: true},
	}
	return d
}

// generate runs Generate and decodes its YAML strictly; every object
// round-trips (decoded and marshalled again, it is the same text), and
// names and labels pass Kubernetes' validation.
func generate(t *testing.T, docs []api.ContainerJSON, o Options) ([]any, []string) {
	t.Helper()
	res, err := Generate(docs, o)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(res.YAML)
	if err != nil {
		t.Fatalf("strict decode: %v\n%s", err, res.YAML)
	}
	texts := SplitDocuments(res.YAML)
	if len(texts) != len(objs) {
		t.Fatalf("%d documents, %d objects", len(texts), len(objs))
	}
	for i, obj := range objs {
		again, err := Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, texts[i]) {
			t.Errorf("document %d does not round-trip:\n%s\n---- again:\n%s", i+1, texts[i], again)
		}
		validate(t, obj)
	}
	return objs, res.Warnings
}

// validate checks what Kubernetes' API server would of names and labels.
func validate(t *testing.T, obj any) {
	t.Helper()
	check := func(what, name string, errs []string) {
		if len(errs) > 0 {
			t.Errorf("%s %q: %v", what, name, errs)
		}
	}
	labels := func(l map[string]string) {
		if errs := metav1validation.ValidateLabels(l, field.NewPath("labels")); len(errs) > 0 {
			t.Errorf("labels %v: %v", l, errs)
		}
	}
	podSpec := func(s corev1.PodSpec) {
		for _, c := range s.Containers {
			check("container", c.Name, validation.IsDNS1123Label(c.Name))
		}
		for _, v := range s.Volumes {
			check("volume", v.Name, validation.IsDNS1123Label(v.Name))
			if v.PersistentVolumeClaim != nil {
				check("claim", v.PersistentVolumeClaim.ClaimName, validation.IsDNS1123Subdomain(v.PersistentVolumeClaim.ClaimName))
			}
		}
		if s.Hostname != "" {
			check("hostname", s.Hostname, validation.IsDNS1123Label(s.Hostname))
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		check("pod", o.Name, validation.IsDNS1123Subdomain(o.Name))
		labels(o.Labels)
		podSpec(o.Spec)
	case *appsv1.Deployment:
		check("deployment", o.Name, validation.IsDNS1123Subdomain(o.Name))
		labels(o.Labels)
		labels(o.Spec.Template.Labels)
		podSpec(o.Spec.Template.Spec)
		for k, v := range o.Spec.Selector.MatchLabels {
			if o.Spec.Template.Labels[k] != v {
				t.Errorf("selector %s=%s does not match the template's labels %v", k, v, o.Spec.Template.Labels)
			}
		}
	case *corev1.Service:
		check("service", o.Name, validation.IsDNS1035Label(o.Name))
		labels(o.Labels)
		for _, p := range o.Spec.Ports {
			check("service port", p.Name, validation.IsValidPortName(p.Name))
		}
	}
}

func TestPodFromInspect(t *testing.T) {
	objs, warns := generate(t, []api.ContainerJSON{webDoc()}, Options{})
	if len(objs) != 2 {
		t.Fatalf("want a Pod and a Service, got %d objects", len(objs))
	}
	pod, svc := objs[0].(*corev1.Pod), objs[1].(*corev1.Service)
	if pod.Name != "web-1" || pod.Labels[AppLabel] != "web-1" || pod.Labels["com.example/team"] != "core-ops" ||
		pod.Annotations["com.example/team"] != "core ops" || pod.Annotations["app"] != "x" {
		t.Errorf("pod metadata: %+v", pod.ObjectMeta)
	}
	s := pod.Spec
	if s.RestartPolicy != corev1.RestartPolicyOnFailure || s.Hostname != "web" || *s.TerminationGracePeriodSeconds != 20 ||
		len(s.HostAliases) != 1 || s.HostAliases[0].IP != "10.0.0.2" || !slices.Equal(s.HostAliases[0].Hostnames, []string{"db", "cache"}) ||
		s.SecurityContext == nil || len(s.SecurityContext.Sysctls) != 1 || s.SecurityContext.Sysctls[0].Name != "net.ipv4.ip_forward" {
		t.Errorf("pod spec: %+v", s)
	}
	c := s.Containers[0]
	if c.Name != "web-1" || c.Image != "docker.io/library/busybox:latest" || c.WorkingDir != "/srv" ||
		!slices.Equal(c.Command, []string{"sleep", "1000"}) || c.Args != nil ||
		len(c.Env) != 2 || c.Env[1] != (corev1.EnvVar{Name: "A", Value: "b c"}) {
		t.Errorf("container: %+v", c)
	}
	// Published ports first, then the exposed ones.
	wantPorts := []corev1.ContainerPort{
		{ContainerPort: 80, HostPort: 8080, HostIP: "127.0.0.1", Protocol: corev1.ProtocolTCP},
		{ContainerPort: 53, Protocol: corev1.ProtocolUDP},
	}
	if !slices.Equal(c.Ports, wantPorts) {
		t.Errorf("ports: %+v, want %+v", c.Ports, wantPorts)
	}
	r := c.Resources
	if r.Limits.Memory().String() != "256Mi" || r.Limits.Cpu().String() != "1500m" ||
		r.Requests.Memory().String() != "128Mi" || r.Requests.Cpu().String() != "500m" {
		t.Errorf("resources: %+v", r)
	}
	sc := c.SecurityContext
	if sc == nil || *sc.RunAsUser != 1000 || *sc.RunAsGroup != 1000 || !*sc.ReadOnlyRootFilesystem || sc.Privileged != nil ||
		!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}) || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"MKNOD"}) {
		t.Errorf("security context: %+v", sc)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if p == nil || !slices.Equal(p.Exec.Command, []string{"/bin/sh", "-c", "test -f /tmp/ok"}) ||
			p.PeriodSeconds != 5 || p.TimeoutSeconds != 30 || p.FailureThreshold != 2 || p.InitialDelaySeconds != 2 {
			t.Errorf("probe: %+v", p)
		}
	}
	wantMounts := []corev1.VolumeMount{
		{Name: "tmp-x-data", MountPath: "/data", ReadOnly: true},
		{Name: "cache", MountPath: "/cache"},
		{Name: "anon", MountPath: "/anon"},
		{Name: "t", MountPath: "/run/t"},
	}
	if !reflect.DeepEqual(c.VolumeMounts, wantMounts) {
		t.Errorf("mounts: %+v", c.VolumeMounts)
	}
	v := s.Volumes
	if len(v) != 4 || v[0].HostPath == nil || v[0].HostPath.Path != "/tmp/x/data" ||
		v[1].PersistentVolumeClaim == nil || v[1].PersistentVolumeClaim.ClaimName != "cache" ||
		v[2].EmptyDir == nil || v[2].EmptyDir.Medium != "" || v[3].EmptyDir == nil || v[3].EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("volumes: %+v", v)
	}
	if svc.Name != "web-1" || svc.Spec.Selector[AppLabel] != "web-1" || len(svc.Spec.Ports) != 2 ||
		svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort.IntValue() != 80 || svc.Spec.Ports[0].Name != "8080-tcp" ||
		svc.Spec.Ports[1].Port != 53 || svc.Spec.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("service: %+v", svc.Spec)
	}
	// What Kubernetes cannot express is named, once each.
	for _, want := range []string{
		"container Web_1: --device /dev/fuse:",
		"container Web_1: --ulimit nofile=10:20:",
		"container Web_1: --restart on-failure:3:",
		"container Web_1: label app=x:",
	} {
		if n := countPrefix(warns, want); n != 1 {
			t.Errorf("%d warnings %q in %q", n, want, warns)
		}
	}
	if len(warns) != 4 {
		t.Errorf("warnings: %q", warns)
	}
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// Several containers are one pod; a volume two of them mount is one pod
// volume; a Deployment's pods always restart; --service with no port is a
// headless Service.
func TestDeploymentOfTwo(t *testing.T) {
	web := webDoc()
	db := api.ContainerJSON{ID: "fedcba", Name: "/db"}
	db.Config = api.ContainerConfig{Image: "busybox", Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve", "-v"}, Hostname: "fedcba"}
	db.HostConfig = api.HostConfig{NetworkMode: "ci-net", Privileged: true, PidMode: "host", CPUShares: 1024}
	db.Mounts = []api.MountPoint{{Type: "volume", Name: "cache", Destination: "/var/cache", RW: false}}
	objs, warns := generate(t, []api.ContainerJSON{web, db}, Options{Type: TypeDeployment, Name: "ci stack", Replicas: 2})
	if len(objs) != 2 {
		t.Fatalf("objects: %d", len(objs))
	}
	dep := objs[0].(*appsv1.Deployment)
	s := dep.Spec.Template.Spec
	if dep.Name != "ci-stack" || *dep.Spec.Replicas != 2 || s.RestartPolicy != corev1.RestartPolicyAlways || !s.HostPID ||
		len(s.Containers) != 2 || s.Hostname != "web" {
		t.Fatalf("deployment: %+v", dep)
	}
	c := s.Containers[1]
	if c.Name != "db" || !slices.Equal(c.Command, []string{"/entry.sh"}) || !slices.Equal(c.Args, []string{"serve", "-v"}) ||
		!*c.SecurityContext.Privileged || c.Resources.Requests != nil {
		t.Errorf("db container: %+v", c)
	}
	if len(s.Volumes) != 4 || c.VolumeMounts[0].Name != "cache" || !c.VolumeMounts[0].ReadOnly {
		t.Errorf("shared volume: %+v / %+v", s.Volumes, c.VolumeMounts)
	}
	for _, want := range []string{
		"container db: restart policy Never: a pod has one, the first container's (OnFailure)",
		"container db: --network ci-net:",
		"restart policy OnFailure: a Deployment's pods always restart (Always)",
		"deployment ci-stack: 2 replicas with host ports: at most one of them runs on each node",
	} {
		if countPrefix(warns, want) != 1 {
			t.Errorf("no warning %q in %q", want, warns)
		}
	}

	db.HostConfig.NetworkMode = "bridge"
	objs, _ = generate(t, []api.ContainerJSON{db}, Options{Service: true})
	if svc := objs[1].(*corev1.Service); svc.Spec.ClusterIP != corev1.ClusterIPNone || len(svc.Spec.Ports) != 0 || svc.Name != "db" {
		t.Errorf("headless service: %+v", svc)
	}
	if objs, _ := generate(t, []api.ContainerJSON{db}, Options{Service: true, Name: "1db"}); objs[1].(*corev1.Service).Name != "svc-1db" {
		t.Errorf("a Service's name starts with a letter: %q", objs[1].(*corev1.Service).Name)
	}
	if objs, _ := generate(t, []api.ContainerJSON{db}, Options{}); len(objs) != 1 {
		t.Errorf("a Service without ports and without --service: %d objects", len(objs))
	}
}

// ByService: one Deployment per compose service, its containers replicas.
func TestByComposeService(t *testing.T) {
	var docs []api.ContainerJSON
	for i, svc := range []string{"web", "db", "web", ""} {
		d := api.ContainerJSON{ID: fmt.Sprint(i), Name: fmt.Sprintf("/proj-%s-%d", svc, i)}
		d.Config = api.ContainerConfig{Image: "busybox", Cmd: []string{"true"}, Labels: map[string]string{
			"com.docker.compose.project": "proj", ComposeServiceLabel: svc,
			"com.docker.compose.project.config_files": "/home/me/proj/compose.yaml",
		}}
		d.HostConfig.RestartPolicy.Name = "always"
		if svc == "web" {
			d.HostConfig.PortBindings = map[string][]api.PortBinding{"80/tcp": {{HostPort: fmt.Sprint(8080 + i)}}}
		}
		docs = append(docs, d)
	}
	objs, warns := generate(t, docs, Options{ByService: true})
	var names []string
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			names = append(names, "deployment/"+o.Name+"="+fmt.Sprint(*o.Spec.Replicas))
		case *corev1.Service:
			names = append(names, "service/"+o.Name)
		default:
			t.Errorf("unexpected %T", o)
		}
	}
	want := []string{"deployment/web=2", "service/web", "deployment/db=1", "deployment/proj-3=1"}
	if !slices.Equal(names, want) {
		t.Errorf("objects %q, want %q", names, want)
	}
	if countPrefix(warns, "service web: 2 containers become 2 replicas") != 1 ||
		countPrefix(warns, "deployment web: 2 replicas with host ports") != 1 || len(warns) != 2 {
		t.Errorf("warnings: %q", warns)
	}
	objs, warns = generate(t, docs, Options{ByService: true, Type: TypePod})
	if len(objs) != 4 || countPrefix(warns, "service web: 2 containers, the Pod is the first one's") != 1 {
		t.Errorf("pods by service: %d objects, warnings %q", len(objs), warns)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		docs []api.ContainerJSON
		o    Options
		want string
	}{
		{nil, Options{}, "no container"},
		{[]api.ContainerJSON{webDoc()}, Options{Type: "job"}, `invalid type "job"`},
		{[]api.ContainerJSON{webDoc()}, Options{Replicas: 2}, "replicas need type deployment"},
	} {
		if _, err := Generate(c.docs, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.o, err, c.want)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	for _, bad := range []string{
		"apiVersion: v1\nkind: Pod\nspec:\n  nosuchfield: 1\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
		"apiVersion: batch/v1\nkind: Job\n",
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode accepted %q", bad)
		}
	}
	objs, err := Decode([]byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n"))
	if err != nil || len(objs) != 2 {
		t.Errorf("Decode: %v, %d objects", err, len(objs))
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"Web_1": "web-1", "--a..b--": "a-b", "": "fb", "___": "fb",
		strings.Repeat("x", 70): strings.Repeat("x", 63), strings.Repeat("x", 62) + "_y": strings.Repeat("x", 62),
	} {
		if got := dnsLabel(in, "fb"); got != want {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"com.example/team": "com.example/team", "a b/c d": "a-b/c-d", "/x": "x", "x/": "", "-x-": "x",
		"Com.Example/Key": "com.example/Key",
	} {
		if got := labelKey(in); got != want {
			t.Errorf("labelKey(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dnsSubdomain("My.Volume_1", "v"); got != "my.volume-1" {
		t.Errorf("dnsSubdomain = %q", got)
	}
	u := uniqueNames{}
	if a, b, c := u.take("x"), u.take("x"), u.take("x"); a != "x" || b != "x-2" || c != "x-3" {
		t.Errorf("take: %s %s %s", a, b, c)
	}
}

func TestProbeForms(t *testing.T) {
	if p := probe(&api.HealthConfig{Test: []string{"CMD", "pg_isready", "-q"}, Timeout: 1500e6}); p == nil ||
		!slices.Equal(p.Exec.Command, []string{"pg_isready", "-q"}) || p.TimeoutSeconds != 2 || p.PeriodSeconds != 30 || p.FailureThreshold != 3 {
		t.Errorf("CMD probe: %+v", p)
	}
	for _, hc := range []*api.HealthConfig{nil, {Test: []string{"NONE"}}, {Test: []string{"CMD"}}} {
		if p := probe(hc); p != nil {
			t.Errorf("probe(%+v) = %+v, want none", hc, p)
		}
	}
}
