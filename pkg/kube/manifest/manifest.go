// Package manifest turns containers' inspect documents (api.ContainerJSON,
// what `lumper inspect` prints) into Kubernetes YAML: a Pod or a Deployment
// with one container per lumper container, and a Service for their
// published ports. It is pure (no containerd) and linked only into
// lumper-kube, which keeps the Kubernetes types out of lumper's binary
// (docs/ARCHITECTURE.md).
//
// What Kubernetes cannot express is named in Result.Warnings, one line
// each, never dropped silently.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/lumper/lumper/pkg/api"
)

// Kinds of workload.
const (
	TypePod        = "pod"
	TypeDeployment = "deployment"
)

// ComposeServiceLabel is the label Docker Compose (and lumper compose)
// puts on a service's containers.
const ComposeServiceLabel = "com.docker.compose.service"

// AppLabel is the label that ties a workload's pods to its Service.
const AppLabel = "app"

// Options choose what to generate.
type Options struct {
	Type     string // TypePod (default) or TypeDeployment
	Service  bool   // a Service even when no port is published
	Name     string // the workload's base name; "" takes the first container's
	Replicas int32  // a Deployment's replicas (0: 1, or the containers of a compose service)
	// ByService makes one Deployment (and Service) per value of
	// ComposeServiceLabel, the service's containers being its replicas;
	// containers without the label get one workload each.
	ByService bool
}

// Result is the generated YAML and what it could not express.
type Result struct {
	YAML     []byte
	Warnings []string
}

// Generate builds the objects for the containers and marshals them as one
// multi-document YAML stream.
func Generate(docs []api.ContainerJSON, o Options) (Result, error) {
	objs, warns, err := Objects(docs, o)
	if err != nil {
		return Result{}, err
	}
	var buf bytes.Buffer
	for i, obj := range objs {
		b, err := Marshal(obj)
		if err != nil {
			return Result{}, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return Result{YAML: buf.Bytes(), Warnings: warns}, nil
}

// Objects builds the Kubernetes objects (Pods, Deployments, Services) for
// the containers, and the lines naming what they cannot express.
func Objects(docs []api.ContainerJSON, o Options) ([]any, []string, error) {
	w := warnings{list: new([]string)}
	objs, err := objects(docs, o, w)
	return objs, *w.list, err
}

func objects(docs []api.ContainerJSON, o Options, w warnings) ([]any, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("no container to generate from")
	}
	switch o.Type {
	case "":
		o.Type = TypePod
		if o.ByService {
			o.Type = TypeDeployment
		}
	case TypePod, TypeDeployment:
	default:
		return nil, fmt.Errorf("invalid type %q: use pod or deployment", o.Type)
	}
	if o.Replicas < 0 {
		return nil, fmt.Errorf("invalid replicas %d: must not be negative", o.Replicas)
	}
	if o.Replicas > 1 && o.Type != TypeDeployment {
		return nil, fmt.Errorf("replicas need type deployment")
	}
	if !o.ByService {
		return workload(docs, o, 0, w), nil
	}
	// One workload per compose service, in the order services first appear.
	var order []string
	groups := map[string][]api.ContainerJSON{}
	for _, d := range docs {
		svc := d.Config.Labels[ComposeServiceLabel]
		if svc == "" {
			svc = "\x00" + d.ID // its own workload
		}
		if _, ok := groups[svc]; !ok {
			order = append(order, svc)
		}
		groups[svc] = append(groups[svc], d)
	}
	var out []any
	for _, svc := range order {
		g, so := groups[svc], o
		so.Name = ""
		first := g[0]
		if !strings.HasPrefix(svc, "\x00") {
			// The service's container is named after it, as its workload.
			so.Name, first.Name = svc, "/"+svc
			switch {
			case len(g) > 1 && o.Type == TypeDeployment:
				w.addf("service %s: %d containers become %d replicas of the first one's pod spec", svc, len(g), len(g))
			case len(g) > 1:
				w.addf("service %s: %d containers, the Pod is the first one's (type deployment makes them replicas)", svc, len(g))
			}
		}
		out = append(out, workload([]api.ContainerJSON{first}, so, int32(len(g)), w)...)
	}
	return out, nil
}

// workload is the Pod or Deployment of docs (and its Service).
func workload(docs []api.ContainerJSON, o Options, replicas int32, w warnings) []any {
	base := o.Name
	if base == "" {
		base = strings.TrimPrefix(docs[0].Name, "/")
	}
	base = dnsLabel(base, "lumper")
	meta, spec := podSpec(docs, base, w)
	var out []any
	switch o.Type {
	case TypeDeployment:
		if spec.RestartPolicy != corev1.RestartPolicyAlways {
			w.addf("restart policy %s: a Deployment's pods always restart (Always)", spec.RestartPolicy)
			spec.RestartPolicy = corev1.RestartPolicyAlways
		}
		if o.Replicas > 0 {
			replicas = o.Replicas
		}
		if replicas == 0 {
			replicas = 1
		}
		if replicas > 1 && slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool {
			return slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.HostPort != 0 })
		}) {
			w.addf("deployment %s: %d replicas with host ports: at most one of them runs on each node", base, replicas)
		}
		out = append(out, &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: base, Labels: meta.Labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{AppLabel: base}},
				Template: corev1.PodTemplateSpec{ObjectMeta: meta, Spec: spec},
			},
		})
	default:
		meta.Name = base
		out = append(out, &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: meta,
			Spec:       spec,
		})
	}
	if svc := service(base, spec, o.Service); svc != nil {
		out = append(out, svc)
	}
	return out
}

// service is the Service in front of the pod's ports: ClusterIP, each
// port the host port it was published on (the container port when none),
// to the container port. Without ports and without force, nil.
func service(base string, spec corev1.PodSpec, force bool) *corev1.Service {
	var ports []corev1.ServicePort
	names := uniqueNames{}
	seen := map[string]bool{}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			port := p.ContainerPort
			if p.HostPort != 0 {
				port = p.HostPort
			}
			key := fmt.Sprintf("%d/%s", port, p.Protocol)
			if seen[key] {
				continue
			}
			seen[key] = true
			ports = append(ports, corev1.ServicePort{
				Name:       names.take(fmt.Sprintf("%d-%s", port, strings.ToLower(string(p.Protocol)))),
				Protocol:   p.Protocol,
				Port:       port,
				TargetPort: intstr.FromInt32(p.ContainerPort),
			})
		}
	}
	if len(ports) == 0 && !force {
		return nil
	}
	name := base
	if name[0] < 'a' || name[0] > 'z' {
		// A Service's name is a DNS-1035 label: it starts with a letter.
		name = trimLabel("svc-"+name, 63, "-")
	}
	s := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{AppLabel: base}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{AppLabel: base},
			Ports:    ports,
		},
	}
	if len(ports) == 0 {
		// A headless Service: a DNS name for the pods, no ports to balance.
		s.Spec.ClusterIP = corev1.ClusterIPNone
	}
	return s
}

// podSpec is the pod of the containers: their containers, the volumes they
// mount, and the pod-wide settings (restart policy, host aliases, host
// namespaces...) taken from the first container that has them.
func podSpec(docs []api.ContainerJSON, base string, w warnings) (metav1.ObjectMeta, corev1.PodSpec) {
	meta := metav1.ObjectMeta{Labels: map[string]string{AppLabel: base}}
	var spec corev1.PodSpec
	vols := &podVolumes{names: uniqueNames{}, byKey: map[string]string{}}
	cnames := uniqueNames{}
	aliases := map[string][]string{}
	var aliasIPs []string
	for i, d := range docs {
		ctrName := strings.TrimPrefix(d.Name, "/")
		wc := w.of(ctrName)
		c := container(d, cnames.take(dnsLabel(ctrName, "container")), vols, wc)
		spec.Containers = append(spec.Containers, c)
		addLabels(&meta, d.Config.Labels, wc)

		policy, max := restartPolicy(d.HostConfig.RestartPolicy)
		if max > 0 {
			wc.addf("--restart on-failure:%d: Kubernetes has no retry limit (OnFailure retries with back-off)", max)
		}
		if i == 0 {
			spec.RestartPolicy = policy
		} else if policy != spec.RestartPolicy {
			wc.addf("restart policy %s: a pod has one, the first container's (%s)", policy, spec.RestartPolicy)
		}
		if h := d.Config.Hostname; h != "" && !strings.HasPrefix(d.ID, h) && spec.Hostname == "" {
			spec.Hostname = dnsLabel(h, "")
			if spec.Hostname != h {
				wc.addf("--hostname %s: Kubernetes wants a DNS-1123 label, %q", h, spec.Hostname)
			}
		}
		for _, e := range d.HostConfig.ExtraHosts {
			host, ip, ok := strings.Cut(e, "=")
			if !ok {
				host, ip, ok = strings.Cut(e, ":")
			}
			if !ok || ip == "host-gateway" {
				wc.addf("--add-host %s: the host's gateway has no address in a cluster", e)
				continue
			}
			ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
			if _, ok := aliases[ip]; !ok {
				aliasIPs = append(aliasIPs, ip)
			}
			if !slices.Contains(aliases[ip], host) {
				aliases[ip] = append(aliases[ip], host)
			}
		}
		podWide(&spec, d, wc)
	}
	for _, ip := range aliasIPs {
		spec.HostAliases = append(spec.HostAliases, corev1.HostAlias{IP: ip, Hostnames: aliases[ip]})
	}
	spec.Volumes = vols.list
	return meta, spec
}

// podWide maps the host namespaces, DNS servers, sysctls and stop timeout
// of one container onto the pod.
func podWide(spec *corev1.PodSpec, d api.ContainerJSON, w warnings) {
	h := d.HostConfig
	switch h.NetworkMode {
	case "", "default", "bridge", "none":
		if h.NetworkMode == "none" {
			w.addf("--network none: a pod always has the cluster's network")
		}
	case "host":
		spec.HostNetwork = true
	default:
		if strings.HasPrefix(h.NetworkMode, "container:") {
			w.addf("--network %s: containers share a network only within one pod (generate them together)", h.NetworkMode)
		} else {
			w.addf("--network %s: pods are on the cluster's network (Services give names, not networks)", h.NetworkMode)
		}
	}
	switch h.PidMode {
	case "":
	case "host":
		spec.HostPID = true
	default:
		w.addf("--pid %s: Kubernetes shares process namespaces only within a pod (shareProcessNamespace)", h.PidMode)
	}
	switch h.IpcMode {
	case "", "private", "shareable":
	case "host":
		spec.HostIPC = true
	default:
		w.addf("--ipc %s: containers of a pod share one IPC namespace, other pods' cannot be joined", h.IpcMode)
	}
	if len(h.DNS) > 0 {
		if spec.DNSConfig == nil {
			spec.DNSConfig = &corev1.PodDNSConfig{}
		}
		for _, s := range h.DNS {
			if !slices.Contains(spec.DNSConfig.Nameservers, s) {
				spec.DNSConfig.Nameservers = append(spec.DNSConfig.Nameservers, s)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(h.Sysctls)) {
		if spec.SecurityContext == nil {
			spec.SecurityContext = &corev1.PodSecurityContext{}
		}
		if !slices.ContainsFunc(spec.SecurityContext.Sysctls, func(s corev1.Sysctl) bool { return s.Name == k }) {
			spec.SecurityContext.Sysctls = append(spec.SecurityContext.Sysctls, corev1.Sysctl{Name: k, Value: h.Sysctls[k]})
		}
	}
	for _, g := range h.GroupAdd {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			w.addf("--group-add %s: Kubernetes takes numeric groups only (supplementalGroups)", g)
			continue
		}
		if spec.SecurityContext == nil {
			spec.SecurityContext = &corev1.PodSecurityContext{}
		}
		if !slices.Contains(spec.SecurityContext.SupplementalGroups, n) {
			spec.SecurityContext.SupplementalGroups = append(spec.SecurityContext.SupplementalGroups, n)
		}
	}
	if t := d.Config.StopTimeout; t != nil {
		s := int64(*t)
		if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < s {
			spec.TerminationGracePeriodSeconds = &s
		}
	}
}

// restartPolicy maps Docker's restart policy; max is on-failure's limit.
func restartPolicy(p api.RestartPolicy) (policy corev1.RestartPolicy, max int) {
	switch p.Name {
	case "always", "unless-stopped":
		return corev1.RestartPolicyAlways, 0
	case "on-failure":
		return corev1.RestartPolicyOnFailure, p.MaximumRetryCount
	}
	return corev1.RestartPolicyNever, 0
}

// addLabels puts a container's labels on the pod: sanitised to
// Kubernetes' rules; the original of a label that had to change is kept as
// an annotation (whose values are free).
func addLabels(meta *metav1.ObjectMeta, labels map[string]string, w warnings) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		v := labels[k]
		key, val := labelKey(k), labelName(v)
		if key == "" {
			w.addf("label %q: nothing of its key is valid in Kubernetes", k)
			continue
		}
		if old, ok := meta.Labels[key]; ok && old != val {
			// The selector's app label, or a label of another container.
			w.addf("label %s=%s: the pod's label %s is %s, the original is kept as an annotation", k, v, key, old)
			annotate(meta, k, v)
			continue
		}
		meta.Labels[key] = val
		if key != k || val != v {
			annotate(meta, k, v)
		}
	}
}

// annotate keeps a label that does not fit Kubernetes' label rules as an
// annotation (free values; the key sanitised like a label's).
func annotate(meta *metav1.ObjectMeta, k, v string) {
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[labelKey(k)] = v
}

// warnings collect the lines naming what Kubernetes cannot express.
type warnings struct {
	list   *[]string
	prefix string
}

func (w warnings) addf(format string, a ...any) {
	*w.list = append(*w.list, w.prefix+fmt.Sprintf(format, a...))
}

// of is w with the container's name before each line.
func (w warnings) of(name string) warnings {
	return warnings{list: w.list, prefix: "container " + name + ": "}
}

// Marshal is obj as YAML, without the fields Kubernetes fills in itself
// (status, creationTimestamp).
func Marshal(obj any) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshalling %T: %w", obj, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("marshalling %T: %w", obj, err)
	}
	delete(m, "status")
	dropCreationTimestamp(m)
	out, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshalling %T: %w", obj, err)
	}
	return out, nil
}

// dropCreationTimestamp removes the null metadata.creationTimestamp of an
// object and of a Deployment's pod template.
func dropCreationTimestamp(m map[string]any) {
	if md, ok := m["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
		delete(md, "creationTimestamp")
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		if t, ok := spec["template"].(map[string]any); ok {
			dropCreationTimestamp(t)
		}
	}
}

// quantity is n bytes as a binary quantity (512Mi), or plain bytes.
func quantity(n int64) resource.Quantity {
	return *resource.NewQuantity(n, resource.BinarySI)
}
