package api

// Docker's inspect documents. `lumper inspect` prints these as JSON and a
// --format template walks the same values, so the keys are Docker's
// (`docker inspect` of a container, an image, a network). Times are RFC 3339
// strings with nanoseconds, as Docker writes them; a time that never
// happened is Docker's zero time, 0001-01-01T00:00:00Z.

// ZeroTime is how Docker shows a time that never happened.
const ZeroTime = "0001-01-01T00:00:00Z"

// ContainerJSON is `docker container inspect`'s document.
type ContainerJSON struct {
	ID              string          `json:"Id"`
	Created         string          `json:"Created"`
	Path            string          `json:"Path"`
	Args            []string        `json:"Args"`
	State           ContainerState  `json:"State"`
	Image           string          `json:"Image"` // the image ID (sha256:… of its config)
	ResolvConfPath  string          `json:"ResolvConfPath"`
	HostnamePath    string          `json:"HostnamePath"`
	HostsPath       string          `json:"HostsPath"`
	LogPath         string          `json:"LogPath"`
	Name            string          `json:"Name"` // "/" + the name, as Docker
	RestartCount    int             `json:"RestartCount"`
	Driver          string          `json:"Driver"` // the snapshotter
	Platform        string          `json:"Platform"`
	MountLabel      string          `json:"MountLabel"`
	ProcessLabel    string          `json:"ProcessLabel"`
	AppArmorProfile string          `json:"AppArmorProfile"`
	ExecIDs         []string        `json:"ExecIDs"`
	HostConfig      HostConfig      `json:"HostConfig"`
	GraphDriver     GraphDriver     `json:"GraphDriver"`
	Mounts          []MountPoint    `json:"Mounts"`
	Config          ContainerConfig `json:"Config"`
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	Runtime         string          `json:"Runtime,omitempty"` // lumper's: containerd's runtime
}

// ContainerState is the State of a container.
type ContainerState struct {
	Status     string  `json:"Status"` // created, running, paused, restarting, exited
	Running    bool    `json:"Running"`
	Paused     bool    `json:"Paused"`
	Restarting bool    `json:"Restarting"`
	OOMKilled  bool    `json:"OOMKilled"`
	Dead       bool    `json:"Dead"`
	Pid        uint32  `json:"Pid"`
	ExitCode   int     `json:"ExitCode"`
	Error      string  `json:"Error"`
	StartedAt  string  `json:"StartedAt"`
	FinishedAt string  `json:"FinishedAt"`
	Health     *Health `json:"Health,omitempty"` // nil: no health check
}

// Health is a container's health check state (Docker's State.Health).
type Health struct {
	Status        string      `json:"Status"` // starting, healthy, unhealthy
	FailingStreak int         `json:"FailingStreak"`
	Log           []HealthLog `json:"Log"` // the last results, oldest first
}

// HealthLog is the result of one health probe.
type HealthLog struct {
	Start    string `json:"Start"` // RFC 3339
	End      string `json:"End"`
	ExitCode int    `json:"ExitCode"` // 0 healthy, 1 unhealthy, -1 not run or timed out
	Output   string `json:"Output"`
}

// HealthConfig is a health check (Docker's Config.Healthcheck, also the
// image config's): durations in nanoseconds, as Docker's JSON has them.
type HealthConfig struct {
	Test        []string `json:"Test,omitempty"` // ["CMD", args...], ["CMD-SHELL", cmd] or ["NONE"]
	Interval    int64    `json:"Interval,omitempty"`
	Timeout     int64    `json:"Timeout,omitempty"`
	StartPeriod int64    `json:"StartPeriod,omitempty"`
	Retries     int      `json:"Retries,omitempty"`
}

// ContainerConfig is a container's Config (also an image's, where the
// container-only fields are empty).
type ContainerConfig struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Image        string              `json:"Image"`
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	OnBuild      []string            `json:"OnBuild"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"`
	Healthcheck  *HealthConfig       `json:"Healthcheck,omitempty"`
}

// HostConfig is how a container was set up on the host (run's flags).
type HostConfig struct {
	Binds           []string                 `json:"Binds"`
	ContainerIDFile string                   `json:"ContainerIDFile"`
	LogConfig       LogConfig                `json:"LogConfig"`
	NetworkMode     string                   `json:"NetworkMode"`
	PortBindings    map[string][]PortBinding `json:"PortBindings"`
	RestartPolicy   RestartPolicy            `json:"RestartPolicy"`
	AutoRemove      bool                     `json:"AutoRemove"`
	CapAdd          []string                 `json:"CapAdd"`
	CapDrop         []string                 `json:"CapDrop"`
	DNS             []string                 `json:"Dns"`
	ExtraHosts      []string                 `json:"ExtraHosts"`
	Privileged      bool                     `json:"Privileged"`
	ReadonlyRootfs  bool                     `json:"ReadonlyRootfs"`
	Runtime         string                   `json:"Runtime"`
	Memory          int64                    `json:"Memory"`
	MemorySwap      int64                    `json:"MemorySwap"`
	NanoCPUs        int64                    `json:"NanoCpus"`
	CPUShares       int64                    `json:"CpuShares"`
	CPUPeriod       int64                    `json:"CpuPeriod"`
	CPUQuota        int64                    `json:"CpuQuota"`
	CpusetCpus      string                   `json:"CpusetCpus"`
	CpusetMems      string                   `json:"CpusetMems"`
	PidsLimit       *int64                   `json:"PidsLimit"`
	// issue 16's run flags
	PidMode           string            `json:"PidMode"`
	IpcMode           string            `json:"IpcMode"`
	ShmSize           int64             `json:"ShmSize"`
	MemoryReservation int64             `json:"MemoryReservation"`
	OomKillDisable    bool              `json:"OomKillDisable"`
	GroupAdd          []string          `json:"GroupAdd"`
	Sysctls           map[string]string `json:"Sysctls,omitempty"`
	Ulimits           []Ulimit          `json:"Ulimits"`
	Init              *bool             `json:"Init"` // true with --init, else null (Docker's)
	Devices           []DeviceMapping   `json:"Devices"`
}

// DeviceMapping is one --device (PathOnHost "" when no host device at the
// container's path has the node's numbers).
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// Ulimit is one --ulimit (-1: unlimited).
type Ulimit struct {
	Name string `json:"Name"`
	Hard int64  `json:"Hard"`
	Soft int64  `json:"Soft"`
}

// LogConfig is a container's log driver and its options.
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// RestartPolicy is --restart: Name is "no", "always", "unless-stopped" or
// "on-failure", MaximumRetryCount on-failure's limit (0: none).
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// PortBinding is one host end of a port ("" HostPort: chosen at start).
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// GraphDriver names the storage of a container's root file system.
type GraphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// MountPoint is one of the user's mounts (volumes, binds, tmpfs).
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"` // a volume's name
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"` // a volume's driver: local
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// NetworkSettings are a container's network; addresses and ports are set
// while it runs.
type NetworkSettings struct {
	Bridge                 string                       `json:"Bridge"`
	SandboxID              string                       `json:"SandboxID"`
	SandboxKey             string                       `json:"SandboxKey"` // the network namespace's path
	Ports                  map[string][]PortBinding     `json:"Ports"`
	HairpinMode            bool                         `json:"HairpinMode"`
	LinkLocalIPv6Address   string                       `json:"LinkLocalIPv6Address"`
	LinkLocalIPv6PrefixLen int                          `json:"LinkLocalIPv6PrefixLen"`
	SecondaryIPAddresses   []string                     `json:"SecondaryIPAddresses"`
	SecondaryIPv6Addresses []string                     `json:"SecondaryIPv6Addresses"`
	EndpointID             string                       `json:"EndpointID"`
	Gateway                string                       `json:"Gateway"`
	GlobalIPv6Address      string                       `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen    int                          `json:"GlobalIPv6PrefixLen"`
	IPAddress              string                       `json:"IPAddress"`
	IPPrefixLen            int                          `json:"IPPrefixLen"`
	IPv6Gateway            string                       `json:"IPv6Gateway"`
	MacAddress             string                       `json:"MacAddress"`
	Networks               map[string]*EndpointSettings `json:"Networks"`
}

// EndpointSettings are a container's place on one network.
type EndpointSettings struct {
	IPAMConfig          *EndpointIPAMConfig `json:"IPAMConfig"`
	Links               []string            `json:"Links"`
	Aliases             []string            `json:"Aliases"`
	MacAddress          string              `json:"MacAddress"`
	NetworkID           string              `json:"NetworkID"`
	EndpointID          string              `json:"EndpointID"`
	Gateway             string              `json:"Gateway"`
	IPAddress           string              `json:"IPAddress"`
	IPPrefixLen         int                 `json:"IPPrefixLen"`
	IPv6Gateway         string              `json:"IPv6Gateway"`
	GlobalIPv6Address   string              `json:"GlobalIPv6Address"`
	GlobalIPv6PrefixLen int                 `json:"GlobalIPv6PrefixLen"`
	DNSNames            []string            `json:"DNSNames"`
}

// EndpointIPAMConfig is an endpoint's requested addresses.
type EndpointIPAMConfig struct {
	IPv4Address string `json:"IPv4Address,omitempty"`
	IPv6Address string `json:"IPv6Address,omitempty"`
}

// ImageInspect is `docker image inspect`'s document.
type ImageInspect struct {
	ID            string          `json:"Id"` // sha256:… of the config
	RepoTags      []string        `json:"RepoTags"`
	RepoDigests   []string        `json:"RepoDigests"`
	Parent        string          `json:"Parent"`
	Comment       string          `json:"Comment"`
	Created       string          `json:"Created"`
	DockerVersion string          `json:"DockerVersion"`
	Author        string          `json:"Author"`
	Config        ContainerConfig `json:"Config"`
	Architecture  string          `json:"Architecture"`
	Variant       string          `json:"Variant,omitempty"`
	Os            string          `json:"Os"`
	Size          int64           `json:"Size"`
	GraphDriver   GraphDriver     `json:"GraphDriver"`
	RootFS        RootFS          `json:"RootFS"`
	Metadata      ImageMetadata   `json:"Metadata"`
}

// RootFS lists an image's layers (diff IDs).
type RootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// ImageMetadata is Docker's local metadata of an image.
type ImageMetadata struct {
	LastTagTime string `json:"LastTagTime"`
}

// NetworkResource is `docker network inspect`'s document.
type NetworkResource struct {
	Name       string                      `json:"Name"`
	ID         string                      `json:"Id"`
	Created    string                      `json:"Created"`
	Scope      string                      `json:"Scope"`
	Driver     string                      `json:"Driver"`
	EnableIPv4 bool                        `json:"EnableIPv4"`
	EnableIPv6 bool                        `json:"EnableIPv6"`
	IPAM       IPAM                        `json:"IPAM"`
	Internal   bool                        `json:"Internal"`
	Attachable bool                        `json:"Attachable"`
	Ingress    bool                        `json:"Ingress"`
	ConfigFrom ConfigReference             `json:"ConfigFrom"`
	ConfigOnly bool                        `json:"ConfigOnly"`
	Containers map[string]EndpointResource `json:"Containers"`
	Options    map[string]string           `json:"Options"`
	Labels     map[string]string           `json:"Labels"`
}

// IPAM is a network's address management.
type IPAM struct {
	Driver  string            `json:"Driver"`
	Options map[string]string `json:"Options"`
	Config  []IPAMConfig      `json:"Config"`
}

// IPAMConfig is one of a network's subnets.
type IPAMConfig struct {
	Subnet  string `json:"Subnet,omitempty"`
	IPRange string `json:"IPRange,omitempty"`
	Gateway string `json:"Gateway,omitempty"`
}

// ConfigReference names the network a configuration comes from.
type ConfigReference struct {
	Network string `json:"Network"`
}

// EndpointResource is a container on a network (network inspect).
type EndpointResource struct {
	Name        string `json:"Name"`
	EndpointID  string `json:"EndpointID"`
	MacAddress  string `json:"MacAddress"`
	IPv4Address string `json:"IPv4Address"` // CIDR form, 172.30.0.2/16
	IPv6Address string `json:"IPv6Address"`
}

// NetworkSummary is one row of `network ls` (--format .ID .Name .Driver .Scope).
type NetworkSummary struct {
	ID        string            `json:"ID"` // the full ID; the table shows 12 characters
	Name      string            `json:"Name"`
	Driver    string            `json:"Driver"`
	Scope     string            `json:"Scope"`
	IPv6      bool              `json:"IPv6"`
	Internal  bool              `json:"Internal"`
	CreatedAt string            `json:"CreatedAt"`
	Labels    string            `json:"Labels"` // k=v,k=v as Docker's ls
	LabelMap  map[string]string `json:"-"`
}

// Label is one label's value ({{.Label "k"}}).
func (n NetworkSummary) Label(k string) string { return n.LabelMap[k] }
