package manifest

import (
	"cmp"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/lumper/lumper/pkg/api"
)

// Docker's health check defaults, for the fields a container leaves at 0.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthRetries  = 3
)

// defaultShmSize is /dev/shm's size when --shm-size is not given.
const defaultShmSize = 64 << 20

// defaultNofile is RLIMIT_NOFILE in containerd's default spec (soft and hard).
const defaultNofile = 1024

// container is one lumper container as a pod's container.
func container(d api.ContainerJSON, name string, vols *podVolumes, w warnings) corev1.Container {
	cfg, h := d.Config, d.HostConfig
	c := corev1.Container{
		Name:       name,
		Image:      cfg.Image,
		WorkingDir: cfg.WorkingDir,
		TTY:        cfg.Tty,
		Stdin:      cfg.OpenStdin,
	}
	// Kubernetes' command replaces the image's ENTRYPOINT and args its CMD.
	// Without an ENTRYPOINT of the image in front, the process is exactly
	// Cmd: as command, it also holds when the user replaced the image's
	// ENTRYPOINT (inspect then shows none).
	if len(cfg.Entrypoint) > 0 {
		c.Command, c.Args = cfg.Entrypoint, cfg.Cmd
	} else {
		c.Command = cfg.Cmd
	}
	for _, e := range cfg.Env {
		k, v, _ := strings.Cut(e, "=")
		if k == "HOSTNAME" && v == cfg.Hostname {
			continue // lumper's, as the kubelet sets its own
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: v})
	}
	c.Ports = ports(d, w)
	c.Resources = resources(h, w)
	c.SecurityContext = securityContext(cfg.User, h, w)
	c.VolumeMounts = vols.mounts(d.Mounts, w)
	if p := probe(cfg.Healthcheck); p != nil {
		c.LivenessProbe, c.ReadinessProbe = p, p.DeepCopy()
	}
	notExpressible(d, w)
	return c
}

// ports are the container's published and exposed ports.
func ports(d api.ContainerJSON, w warnings) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	done := map[string]bool{}
	add := func(key string, bindings []api.PortBinding) {
		num, proto, _ := strings.Cut(key, "/")
		n, err := strconv.ParseInt(num, 10, 32)
		if err != nil || n <= 0 || n > 65535 {
			w.addf("port %s: not a port number", key)
			return
		}
		p := corev1.ContainerPort{ContainerPort: int32(n), Protocol: protocol(proto)}
		if len(bindings) == 0 {
			out = append(out, p)
			return
		}
		for _, b := range bindings {
			bp := p
			if hp, err := strconv.ParseInt(b.HostPort, 10, 32); err == nil && hp > 0 {
				bp.HostPort = int32(hp)
			} else if b.HostPort != "" {
				w.addf("port %s: host port %q is not a number", key, b.HostPort)
			}
			if b.HostIP != "" && b.HostIP != "0.0.0.0" && b.HostIP != "::" {
				bp.HostIP = b.HostIP
			}
			out = append(out, bp)
		}
	}
	for _, k := range sortedPortKeys(d.HostConfig.PortBindings) {
		done[k] = true
		add(k, d.HostConfig.PortBindings[k])
	}
	exposed := make(map[string][]api.PortBinding, len(d.Config.ExposedPorts))
	for k := range d.Config.ExposedPorts {
		if !strings.Contains(k, "/") {
			k += "/tcp"
		}
		if !done[k] {
			exposed[k] = nil
		}
	}
	for _, k := range sortedPortKeys(exposed) {
		add(k, nil)
	}
	return out
}

// sortedPortKeys orders "PORT/PROTO" keys by number, then protocol.
func sortedPortKeys(m map[string][]api.PortBinding) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(strings.SplitN(k, "/", 2)[0])
		return n
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (num(keys[j]) < num(keys[j-1]) || num(keys[j]) == num(keys[j-1]) && keys[j] < keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func protocol(p string) corev1.Protocol {
	switch strings.ToLower(p) {
	case "udp":
		return corev1.ProtocolUDP
	case "sctp":
		return corev1.ProtocolSCTP
	}
	return corev1.ProtocolTCP
}

// resources: --memory and --cpus are limits; --memory-reservation and
// --cpu-shares (1024 a CPU, as the kubelet turns a CPU request into
// cpu.shares) are requests, at most the limits.
func resources(h api.HostConfig, w warnings) corev1.ResourceRequirements {
	var r corev1.ResourceRequirements
	set := func(l *corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[name] = q
	}
	if h.Memory > 0 {
		set(&r.Limits, corev1.ResourceMemory, quantity(h.Memory))
	}
	if h.NanoCPUs > 0 {
		set(&r.Limits, corev1.ResourceCPU, *resource.NewMilliQuantity(h.NanoCPUs/1e6, resource.DecimalSI))
	} else if h.CPUQuota > 0 && h.CPUPeriod > 0 {
		set(&r.Limits, corev1.ResourceCPU, *resource.NewMilliQuantity(h.CPUQuota*1000/h.CPUPeriod, resource.DecimalSI))
	}
	if h.MemoryReservation > 0 {
		m := h.MemoryReservation
		if h.Memory > 0 && m > h.Memory {
			m = h.Memory
		}
		set(&r.Requests, corev1.ResourceMemory, quantity(m))
	}
	// 1024 shares is Docker's (and cgroup v1's) default: no request.
	if h.CPUShares > 0 && h.CPUShares != 1024 {
		milli := max(h.CPUShares*1000/1024, 1)
		if h.NanoCPUs > 0 && milli > h.NanoCPUs/1e6 {
			milli = h.NanoCPUs / 1e6
		}
		set(&r.Requests, corev1.ResourceCPU, *resource.NewMilliQuantity(milli, resource.DecimalSI))
	}
	if h.MemorySwap > 0 && h.MemorySwap != h.Memory && h.MemorySwap != 2*h.Memory {
		w.addf("--memory-swap %d: Kubernetes sets no swap limit per container", h.MemorySwap)
	}
	if h.CpusetCpus != "" || h.CpusetMems != "" {
		w.addf("--cpuset-cpus/--cpuset-mems %s%s: Kubernetes pins CPUs through the kubelet's CPU manager, not per pod", h.CpusetCpus, h.CpusetMems)
	}
	if h.PidsLimit != nil && *h.PidsLimit > 0 {
		w.addf("--pids-limit %d: Kubernetes sets the PID limit per node (kubelet podPidsLimit)", *h.PidsLimit)
	}
	if h.OomKillDisable {
		w.addf("--oom-kill-disable: Kubernetes cannot disable the OOM killer")
	}
	return r
}

// securityContext: the user (when numeric), capabilities, privileged and
// the read-only root.
func securityContext(user string, h api.HostConfig, w warnings) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{}
	empty := true
	if user != "" {
		u, g, hasGroup := strings.Cut(user, ":")
		uid, err := strconv.ParseInt(u, 10, 64)
		if err == nil {
			sc.RunAsUser, empty = &uid, false
		} else {
			w.addf("--user %s: Kubernetes takes numeric user IDs only (runAsUser)", user)
		}
		if hasGroup {
			if gid, err := strconv.ParseInt(g, 10, 64); err == nil {
				sc.RunAsGroup, empty = &gid, false
			} else {
				w.addf("--user %s: Kubernetes takes numeric group IDs only (runAsGroup)", user)
			}
		}
	}
	if h.Privileged {
		t := true
		sc.Privileged, empty = &t, false
	}
	if h.ReadonlyRootfs {
		t := true
		sc.ReadOnlyRootFilesystem, empty = &t, false
	}
	caps := func(in []string) []corev1.Capability {
		var out []corev1.Capability
		for _, c := range in {
			out = append(out, corev1.Capability(strings.TrimPrefix(strings.ToUpper(c), "CAP_")))
		}
		return out
	}
	if len(h.CapAdd) > 0 || len(h.CapDrop) > 0 {
		sc.Capabilities, empty = &corev1.Capabilities{Add: caps(h.CapAdd), Drop: caps(h.CapDrop)}, false
	}
	if empty {
		return nil
	}
	return sc
}

// probe is the health check as an exec probe: CMD-SHELL through /bin/sh
// -c, as Docker runs it; the start period as the initial delay.
func probe(hc *api.HealthConfig) *corev1.Probe {
	if hc == nil || len(hc.Test) == 0 {
		return nil
	}
	var cmd []string
	switch hc.Test[0] {
	case "CMD":
		cmd = hc.Test[1:]
	case "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", strings.Join(hc.Test[1:], " ")}
	default: // NONE
		return nil
	}
	if len(cmd) == 0 {
		return nil
	}
	interval, timeout, retries := time.Duration(hc.Interval), time.Duration(hc.Timeout), hc.Retries
	if interval <= 0 {
		interval = defaultHealthInterval
	}
	if timeout <= 0 {
		timeout = defaultHealthTimeout
	}
	if retries <= 0 {
		retries = defaultHealthRetries
	}
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		InitialDelaySeconds: seconds(time.Duration(hc.StartPeriod)),
		PeriodSeconds:       max(seconds(interval), 1),
		TimeoutSeconds:      max(seconds(timeout), 1),
		FailureThreshold:    int32(retries),
	}
}

// seconds rounds d up to whole seconds, Kubernetes' unit for probes.
func seconds(d time.Duration) int32 {
	return int32((d + time.Second - 1) / time.Second)
}

// notExpressible names the container's settings that no pod field holds.
func notExpressible(d api.ContainerJSON, w warnings) {
	h := d.HostConfig
	for _, dev := range h.Devices {
		w.addf("--device %s: Kubernetes gives pods host devices only through device plugins", cmp.Or(dev.PathOnHost, dev.PathInContainer))
	}
	for _, u := range h.Ulimits {
		if u.Name == "nofile" && u.Soft == defaultNofile && u.Hard == defaultNofile {
			continue // containerd's default spec's, on every container
		}
		w.addf("--ulimit %s=%d:%d: Kubernetes sets no rlimits", u.Name, u.Soft, u.Hard)
	}
	if h.ShmSize > 0 && h.ShmSize != defaultShmSize {
		w.addf("--shm-size %d: Kubernetes has no /dev/shm size (an emptyDir of medium Memory at /dev/shm would do)", h.ShmSize)
	}
	if h.Init != nil && *h.Init {
		w.addf("--init: Kubernetes has no init process per container")
	}
	if s := d.Config.StopSignal; s != "" && s != "SIGTERM" && s != "15" {
		w.addf("--stop-signal %s: Kubernetes always sends SIGTERM (the image's STOPSIGNAL is used by some runtimes)", s)
	}
	if h.AutoRemove {
		w.addf("--rm: pods are removed by their controller, not when they exit")
	}
	if h.LogConfig.Type == "none" {
		w.addf("--log-driver none: the kubelet always keeps a container's logs")
	}
}

// podVolumes are the pod's volumes, one per bind-mounted host path, named
// volume, anonymous volume or tmpfs (a host path or named volume mounted by
// several containers is one volume).
type podVolumes struct {
	list  []corev1.Volume
	names uniqueNames
	byKey map[string]string // kind + source → volume name
}

// mounts maps a container's mounts onto pod volumes: a bind mount to a
// hostPath, a named volume to a PersistentVolumeClaim of that name, an
// anonymous volume to an emptyDir, a tmpfs to an emptyDir in memory.
func (v *podVolumes) mounts(ms []api.MountPoint, w warnings) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for _, m := range ms {
		var key, name string
		var src corev1.VolumeSource
		switch {
		case m.Type == "bind":
			key, name = "bind\x00"+m.Source, dnsLabel(m.Source, "host")
			src.HostPath = &corev1.HostPathVolumeSource{Path: m.Source}
		case m.Type == "volume" && isAnonymous(m.Name):
			key, name = "anon\x00"+m.Name, dnsLabel(path.Base(m.Destination), "volume")
			src.EmptyDir = &corev1.EmptyDirVolumeSource{}
		case m.Type == "volume":
			claim := dnsSubdomain(m.Name, "volume")
			if claim != m.Name {
				w.addf("volume %s: claimName %s (Kubernetes wants a DNS-1123 subdomain)", m.Name, claim)
			}
			key, name = "volume\x00"+m.Name, dnsLabel(m.Name, "volume")
			src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim, ReadOnly: !m.RW}
		case m.Type == "tmpfs":
			key, name = "tmpfs\x00"+m.Destination+fmt.Sprint(len(v.list)), dnsLabel(path.Base(m.Destination), "tmpfs")
			src.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}
		default:
			w.addf("mount %s on %s: type %q has no Kubernetes volume", m.Source, m.Destination, m.Type)
			continue
		}
		vol, ok := v.byKey[key]
		if !ok {
			vol = v.names.take(name)
			v.byKey[key] = vol
			v.list = append(v.list, corev1.Volume{Name: vol, VolumeSource: src})
		}
		out = append(out, corev1.VolumeMount{Name: vol, MountPath: m.Destination, ReadOnly: !m.RW})
	}
	return out
}

// isAnonymous says whether a volume's name is one lumper (as Docker) makes
// up for an anonymous volume: 64 hexadecimal digits.
func isAnonymous(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, r := range name {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
