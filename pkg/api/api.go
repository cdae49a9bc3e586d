// Package api holds the plain option and result types shared between lumper's
// command layer and its packages. It imports only the standard library.
package api

import (
	"fmt"
	"strings"
	"time"
)

// ContainerInfo is one row of `lumper list`.
type ContainerInfo struct {
	ID       string            `json:"ID"`
	Name     string            `json:"Name"`
	Image    string            `json:"Image"`
	Command  string            `json:"Command"`
	Created  time.Time         `json:"Created"`
	Status   string            `json:"Status"` // created, running, paused, exited, unknown
	PID      uint32            `json:"Pid"`
	ExitCode int               `json:"ExitCode"`
	Ports    []Port            `json:"Ports,omitempty"` // published while the container runs
	Labels   map[string]string `json:"Labels,omitempty"`

	// RestartPolicy is the --restart policy ("no" when none); RestartCount
	// is how many times containerd's restart monitor restarted the
	// container since lumper last started it.
	RestartPolicy string `json:"RestartPolicy"`
	RestartCount  int    `json:"RestartCount"`
}

// Port is a published port: HostIP:HostPort on the host forwards to
// ContainerPort in the container. An empty HostIP means every address.
type Port struct {
	HostIP        string `json:"HostIp,omitempty"`
	HostPort      uint16 `json:"HostPort"`
	ContainerPort uint16 `json:"ContainerPort"`
	Protocol      string `json:"Protocol"` // tcp or udp
}

// String renders a port as Docker's ps does: 127.0.0.1:8080->80/tcp.
func (p Port) String() string {
	host := p.HostIP
	if host == "" {
		host = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", host, p.HostPort, p.ContainerPort, p.Protocol)
}

// NetworkInfo describes a container network (`lumper network ls/inspect`).
type NetworkInfo struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"` // bridge, or host/none for the built-in modes
	Bridge     string            `json:"Bridge,omitempty"`
	Subnet     string            `json:"Subnet,omitempty"`
	Gateway    string            `json:"Gateway,omitempty"`
	Default    bool              `json:"Default"`
	Created    time.Time         `json:"Created"`
	ConfigFile string            `json:"ConfigFile,omitempty"`
	Containers []NetworkEndpoint `json:"Containers,omitempty"` // inspect only
}

// NetworkEndpoint is a container attached to a network.
type NetworkEndpoint struct {
	ID         string `json:"ID"`
	Name       string `json:"Name"`
	IPAddress  string `json:"IPAddress,omitempty"`
	MacAddress string `json:"MacAddress,omitempty"`
}

// NetworkSettings are a container's network as inspect shows it; the
// addresses are set while the container runs.
type NetworkSettings struct {
	Network    string `json:"Network"`
	IPAddress  string `json:"IPAddress"`
	Gateway    string `json:"Gateway"`
	MacAddress string `json:"MacAddress"`
	Ports      []Port `json:"Ports"`
	SandboxKey string `json:"SandboxKey"` // the network namespace's path
}

// ImageInfo is one row of `lumper images`.
type ImageInfo struct {
	Repository string    `json:"Repository"`
	Tag        string    `json:"Tag"`
	Name       string    `json:"Name"`   // full normalised reference
	ID         string    `json:"ID"`     // config digest, "sha256:..."
	Digest     string    `json:"Digest"` // manifest (or index) digest
	Created    time.Time `json:"Created"`
	Size       int64     `json:"Size"` // unpacked size on the snapshotter when known, else content size
}

// StatusError carries a process exit status that lumper must exit with
// (the container's status, or 126/127 for commands that cannot be run).
type StatusError struct {
	Code int
	Err  error // optional message; nil when the status speaks for itself
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *StatusError) Unwrap() error { return e.Err }

// InvalidArgument marks an error caused by the user's input (exit code 125
// with a one-line message, never a stack of wrapped RPC errors).
type InvalidArgument struct{ Msg string }

func (e *InvalidArgument) Error() string { return e.Msg }

// Invalidf builds an InvalidArgument error. The message is kept on one line
// even when it quotes user input raw: line breaks are shown escaped.
func Invalidf(format string, args ...any) error {
	return &InvalidArgument{Msg: oneLine.Replace(fmt.Sprintf(format, args...))}
}

var oneLine = strings.NewReplacer("\n", "\\n", "\r", "\\r")

// Stats are one sample of a container's cgroup counters.
type Stats struct {
	ID         string    `json:"ID"`
	Name       string    `json:"Name"`
	Read       time.Time `json:"Read"`
	CPUNanos   uint64    `json:"CPUNanos"` // total CPU time used
	CPUPercent float64   `json:"CPUPercent"`
	MemUsage   uint64    `json:"MemUsage"` // bytes, page cache excluded as Docker does
	MemLimit   uint64    `json:"MemLimit"` // bytes; the host's memory when unlimited
	MemPercent float64   `json:"MemPercent"`
	Pids       uint64    `json:"Pids"`
	BlockRead  uint64    `json:"BlockRead"`
	BlockWrite uint64    `json:"BlockWrite"`
	OOMKills   uint64    `json:"OOMKills"`
}

// ContainerDetail is what `lumper inspect` shows of a container.
type ContainerDetail struct {
	ID       string            `json:"Id"`
	Name     string            `json:"Name"`
	Created  time.Time         `json:"Created"`
	Image    string            `json:"Image"`
	ImageID  string            `json:"ImageRef"` // the containerd image name
	Path     string            `json:"Path"`
	Args     []string          `json:"Args"`
	State    ContainerState    `json:"State"`
	Config   ContainerConfig   `json:"Config"`
	Mounts   []Mount           `json:"Mounts"`
	Limits   Limits            `json:"HostConfig"`
	LogPath  string            `json:"LogPath"`
	Labels   map[string]string `json:"Labels"`
	Runtime  string            `json:"Runtime"`
	Snapshot string            `json:"Snapshot"`
	Network  NetworkSettings   `json:"NetworkSettings"`
}

// ContainerState is the runtime state part of ContainerDetail.
type ContainerState struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	OOMKilled  bool      `json:"OOMKilled"`
	Pid        uint32    `json:"Pid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
}

// ContainerConfig is the process part of ContainerDetail.
type ContainerConfig struct {
	Hostname   string   `json:"Hostname"`
	User       string   `json:"User"`
	Env        []string `json:"Env"`
	Cmd        []string `json:"Cmd"`
	WorkingDir string   `json:"WorkingDir"`
	Tty        bool     `json:"Tty"`
}

// Mount is one mount of a container, as inspect shows it.
type Mount struct {
	Type        string   `json:"Type"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	RW          bool     `json:"RW"`
	Options     []string `json:"Options,omitempty"`
}

// Limits are the cgroup limits in a container's spec (Docker's HostConfig names).
type Limits struct {
	Memory         int64    `json:"Memory"`
	MemorySwap     int64    `json:"MemorySwap"`
	CPUShares      uint64   `json:"CpuShares"`
	CPUQuota       int64    `json:"CpuQuota"`
	CPUPeriod      uint64   `json:"CpuPeriod"`
	CpusetCpus     string   `json:"CpusetCpus"`
	PidsLimit      int64    `json:"PidsLimit"`
	Privileged     bool     `json:"Privileged"`
	ReadonlyRootfs bool     `json:"ReadonlyRootfs"`
	CapAdd         []string `json:"Capabilities,omitempty"`
	NetworkMode    string   `json:"NetworkMode"`
}
