package client

import (
	"encoding/json"
	"slices"
	"strings"
)

// Label keys under which lumper keeps its state on containerd objects. There
// is no second database: a container's name, command and last exit live here.
const (
	labelPrefix = "lumper.io/"
	// LabelName is the container's unique (per namespace) name.
	LabelName = labelPrefix + "name"
	// LabelCommand is the container's command line, for `list`.
	LabelCommand = labelPrefix + "command"
	// LabelImage is the image reference the user asked for.
	LabelImage = labelPrefix + "image"
	// LabelExitCode is the exit status of the last task, once it is deleted.
	LabelExitCode = labelPrefix + "exit-code"
	// LabelFinishedAt is when the last task exited (RFC 3339, UTC).
	LabelFinishedAt = labelPrefix + "finished-at"
	// LabelOOMKilled is "true" when the kernel OOM-killed the last task.
	LabelOOMKilled = labelPrefix + "oom-killed"
	// LabelStartedAt is when the last task was started (RFC 3339, UTC).
	LabelStartedAt = labelPrefix + "started-at"
	// LabelLogPath is the container's log file.
	LabelLogPath = labelPrefix + "log-path"
	// LabelLogsLostSince is set when lumper finds that the container's
	// lumper-logger died: the time of the last output it captured (RFC 3339,
	// UTC); nothing written after it is in the log. Cleared by a new start.
	LabelLogsLostSince = labelPrefix + "logs-lost-since"
	// LabelPrivileged is "true" for a container run with --privileged.
	LabelPrivileged = labelPrefix + "privileged"
	// LabelAutoRemove is "true" for a container run with --rm -d: the
	// reaper removes it once its exit is recorded.
	LabelAutoRemove = labelPrefix + "auto-remove"
	// LabelHealthcheck is the container's health check (JSON of
	// api.HealthConfig, the image's merged with run's flags); absent: none.
	LabelHealthcheck = labelPrefix + "healthcheck"
	// LabelInit is "true" for a container run with --init.
	LabelInit = labelPrefix + "init"
	// LabelTTY is "true" when the container has a terminal.
	LabelTTY = labelPrefix + "tty"
	// LabelOpenStdin is "true" for a container created with -i: a detached
	// start gives it a stdin FIFO that `attach` writes to.
	LabelOpenStdin = labelPrefix + "open-stdin"
	// LabelLogMaxSize and LabelLogMaxFiles are the --log-opt rotation
	// settings, for starts after the first (`start`, the restart monitor).
	LabelLogMaxSize  = labelPrefix + "log-max-size"
	LabelLogMaxFiles = labelPrefix + "log-max-file"
	// LabelLogDriver is "none" for --log-driver none: no log is kept.
	LabelLogDriver = labelPrefix + "log-driver"
	// LabelStopTimeout is --stop-timeout: stop's grace period in seconds
	// when -t is not given.
	LabelStopTimeout = labelPrefix + "stop-timeout"
	// LabelPIDMode and LabelIPCMode are --pid and --ipc as given (when not
	// the default), LabelGroupAdd the --group-add values (comma-separated),
	// LabelSysctls the --sysctl ones (KEY=VALUE, newline-separated), for
	// inspect.
	LabelPIDMode  = labelPrefix + "pid-mode"
	LabelIPCMode  = labelPrefix + "ipc-mode"
	LabelGroupAdd = labelPrefix + "group-add"
	LabelSysctls  = labelPrefix + "sysctls"
	// LabelCIDFile is --cidfile, for inspect's HostConfig.ContainerIDFile.
	LabelCIDFile = labelPrefix + "cidfile"
	// LabelExpose are the --expose ports ("80/tcp", comma-separated).
	LabelExpose = labelPrefix + "expose"
	// LabelShimGroup is the shim group a container's tasks run in (the
	// spec's io.containerd.runc.v2.group annotation); absent: a shim of its
	// own (--shim isolated).
	LabelShimGroup = labelPrefix + "shim-group"
	// LabelExitReason says why the last task ended when the container did
	// not exit by itself (its shim died); cleared by a new start.
	LabelExitReason = labelPrefix + "exit-reason"

	// Network configuration, set when the container is created.

	// LabelNetwork is the network the container joins: "bridge" (the
	// default), "none", "host" or a user network's name.
	LabelNetwork = labelPrefix + "network"
	// LabelPublish are the ports the user asked to publish
	// ([IP:]HOSTPORT:CONTAINERPORT/PROTO, comma-separated; host port 0 means
	// one is chosen when the container starts).
	LabelPublish = labelPrefix + "publish"
	// LabelDNS are the --dns name servers, comma-separated.
	LabelDNS = labelPrefix + "dns"
	// LabelAddHost are the --add-host entries (HOST:IP, comma-separated).
	LabelAddHost = labelPrefix + "add-host"

	// Network state, set while the container's task runs and cleared when
	// its network is released.

	// LabelNetNS is the path of the container's network namespace.
	LabelNetNS = labelPrefix + "netns"
	// LabelIP, LabelGateway and LabelMAC are the container's address, its
	// gateway and its interface's hardware address.
	LabelIP      = labelPrefix + "ip"
	LabelGateway = labelPrefix + "gateway"
	LabelMAC     = labelPrefix + "mac"
	// LabelPorts are the published ports (HOSTIP:HOSTPORT:CONTAINERPORT/PROTO).
	LabelPorts = labelPrefix + "ports"
	// LabelCNIConf and LabelCNIPath are the network configuration file and
	// the CNI plugin directories the network was set up with: releasing it
	// needs exactly those, whatever flags the releasing process got.
	LabelCNIConf = labelPrefix + "cni-conf"
	LabelCNIPath = labelPrefix + "cni-path"

	// LabelVolumes are the container's volumes: a JSON list of
	// {Name, Destination, Anonymous, RW}. Which containers use a volume is
	// read from here (pkg/container/volumes.go); there is no other record.
	LabelVolumes = labelPrefix + "volumes"

	// LabelLeaseOperation names the operation an operation lease is for.
	LabelLeaseOperation = labelPrefix + "operation"
	// LabelLeaseContainer links a name lease to its container ID.
	LabelLeaseContainer = labelPrefix + "container"
	// LabelLeaseOwner records the process that reserved a name
	// ("<pid>:<start time in clock ticks>"), to tell a live reservation from a
	// crashed one.
	LabelLeaseOwner = labelPrefix + "owner"
)

// LabelEmptyLabels lists (JSON) the user's labels whose value is empty:
// containerd drops a label with an empty value, Docker keeps it.
const LabelEmptyLabels = labelPrefix + "empty-labels"

// SetUserLabels adds the user's labels (run --label) to a container's
// labels, recording the empty ones under LabelEmptyLabels.
func SetUserLabels(labels, user map[string]string) {
	var empty []string
	for k, v := range user {
		if v == "" {
			empty = append(empty, k)
			continue
		}
		labels[k] = v
	}
	if len(empty) > 0 {
		slices.Sort(empty)
		b, _ := json.Marshal(empty)
		labels[LabelEmptyLabels] = string(b)
	}
}

// UserLabels are the labels a user gave (run --label): all but lumper's and
// containerd's own (lumper.io/, containerd.io/, io.containerd.).
func UserLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if !strings.HasPrefix(k, labelPrefix) && !strings.HasPrefix(k, "containerd.io/") && !strings.HasPrefix(k, "io.containerd.") {
			out[k] = v
		}
	}
	var empty []string
	if json.Unmarshal([]byte(labels[LabelEmptyLabels]), &empty) == nil {
		for _, k := range empty {
			out[k] = ""
		}
	}
	return out
}
