package view

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lumper/lumper/pkg/api"
)

// Docker's container states (.State, --filter status=).
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StatePaused     = "paused"
	StateRestarting = "restarting"
	StateExited     = "exited"
	StateRemoving   = "removing"
	StateDead       = "dead"
	// StateUnknown is lumper's for a task whose shim does not answer.
	StateUnknown = "unknown"
)

// States are the values --filter status= accepts (Docker's).
var States = []string{StateCreated, StateRestarting, StateRunning, StateRemoving, StatePaused, StateExited, StateDead}

// Container is what ps knows of a container, before rendering.
type Container struct {
	ID          string
	Name        string
	Image       string // as the user gave it ("busybox")
	ImageName   string // the containerd image name ("docker.io/library/busybox:latest")
	Command     string // the command line, arguments joined by spaces
	Created     time.Time
	State       string // one of the State constants
	ExitCode    int
	StartedAt   time.Time // zero when never started
	FinishedAt  time.Time // zero when not known
	Ports       []api.Port
	Labels      map[string]string // the user's labels only
	Networks    []string
	Mounts      []string // volume names, or the sources of bind mounts
	MountPoints []string // where Mounts are mounted in the container
	Volumes     int      // named volumes among Mounts
	SizeRw      int64    // bytes in the writable layer (ps -s)
	SizeRootFs  int64    // the writable layer and the image's (ps -s)
	Health      string   // starting, healthy, unhealthy; "" without a health check
}

// HealthState is the container's health as --filter health= matches it:
// "none" without a health check (or when it is not running).
func (c Container) HealthState() string {
	if c.Health == "" || !c.Running() {
		return "none"
	}
	return c.Health
}

// healthSuffix is Docker's health note after "Up ...".
func healthSuffix(h string) string {
	switch h {
	case "":
		return ""
	case "starting":
		return " (health: starting)"
	}
	return " (" + h + ")"
}

// Running reports whether Docker counts the container as running (ps
// without -a lists it): running, paused or restarting.
func (c Container) Running() bool {
	return c.State == StateRunning || c.State == StatePaused || c.State == StateRestarting
}

// StatusText is Docker's STATUS column: "Up 3 seconds", "Up 2 minutes
// (Paused)", "Exited (0) 5 seconds ago", "Restarting (1) 2 seconds ago",
// "Created".
func StatusText(c Container, now time.Time) string {
	switch c.State {
	case StateRunning:
		return "Up " + HumanDuration(now.Sub(c.StartedAt)) + healthSuffix(c.Health)
	case StatePaused:
		return "Up " + HumanDuration(now.Sub(c.StartedAt)) + " (Paused)"
	case StateRestarting:
		if c.FinishedAt.IsZero() {
			return fmt.Sprintf("Restarting (%d)", c.ExitCode)
		}
		return fmt.Sprintf("Restarting (%d) %s", c.ExitCode, Ago(c.FinishedAt, now))
	case StateExited:
		if c.StartedAt.IsZero() && c.FinishedAt.IsZero() && c.ExitCode == 0 {
			return "Created"
		}
		if c.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", c.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s", c.ExitCode, Ago(c.FinishedAt, now))
	case StateCreated:
		return "Created"
	case StateRemoving:
		return "Removal In Progress"
	case StateDead:
		return "Dead"
	default:
		return "Unknown"
	}
}

// PortsText renders published ports as Docker's PORTS column: sorted, runs
// of consecutive ports published on the same numbers grouped
// ("0.0.0.0:8000-8001->8000-8001/tcp"), the others one by one
// ("127.0.0.1:32768->80/tcp"), comma-separated.
func PortsText(ports []api.Port) string {
	ps := slices.Clone(ports)
	ip := func(p api.Port) string {
		if p.HostIP == "" {
			return "0.0.0.0"
		}
		return p.HostIP
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.ContainerPort != b.ContainerPort {
			return a.ContainerPort < b.ContainerPort
		}
		if ip(a) != ip(b) {
			return ip(a) < ip(b)
		}
		if a.HostPort != b.HostPort {
			return a.HostPort < b.HostPort
		}
		return a.Protocol < b.Protocol
	})
	type group struct{ first, last uint16 }
	groups := map[string]*group{}
	var keys, result, mappings []string
	form := func(key string, g *group) string {
		addr, proto, _ := strings.Cut(key, "/")
		r := strconv.Itoa(int(g.first))
		if g.first != g.last {
			r += "-" + strconv.Itoa(int(g.last))
		}
		return fmt.Sprintf("%s->%s/%s", net.JoinHostPort(addr, r), r, proto)
	}
	for _, p := range ps {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if p.HostPort != p.ContainerPort {
			mappings = append(mappings, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(ip(p), strconv.Itoa(int(p.HostPort))), p.ContainerPort, proto))
			continue
		}
		key := ip(p) + "/" + proto
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &group{p.ContainerPort, p.ContainerPort}
			keys = append(keys, key)
		case p.ContainerPort == g.last+1:
			g.last = p.ContainerPort
		default:
			result = append(result, form(key, g))
			groups[key] = &group{p.ContainerPort, p.ContainerPort}
		}
	}
	for _, k := range keys {
		result = append(result, form(k, groups[k]))
	}
	return strings.Join(append(result, mappings...), ", ")
}

// commandWidth is how much of COMMAND Docker shows unless --no-trunc.
const commandWidth = 20

// ContainerRow is one row of ps, with Docker's field names and renderings;
// it is what --format templates and --format json see. Labels renders as
// "k=v,k2=v2"; {{.Label "k"}} is one label's value.
type ContainerRow struct {
	Command      string `json:"Command"`
	CreatedAt    string `json:"CreatedAt"`
	ID           string `json:"ID"`
	Image        string `json:"Image"`
	Labels       string `json:"Labels"`
	LocalVolumes string `json:"LocalVolumes"`
	Mounts       string `json:"Mounts"`
	Names        string `json:"Names"`
	Networks     string `json:"Networks"`
	Ports        string `json:"Ports"`
	RunningFor   string `json:"RunningFor"`
	Size         string `json:"Size"`
	State        string `json:"State"`
	Status       string `json:"Status"`

	labels map[string]string
	header bool
}

// Label is the value of the container's label k ("" when it has none); in
// the header row, "LABEL".
func (r ContainerRow) Label(k string) string {
	if r.header {
		return "LABEL"
	}
	return r.labels[k]
}

// ContainerHeader is the header row of ps's table: each field holds its
// column's title.
var ContainerHeader = ContainerRow{
	Command: "COMMAND", CreatedAt: "CREATED AT", ID: "CONTAINER ID", Image: "IMAGE", Labels: "LABELS",
	LocalVolumes: "LOCAL VOLUMES", Mounts: "MOUNTS", Names: "NAMES", Networks: "NETWORKS", Ports: "PORTS",
	RunningFor: "CREATED", Size: "SIZE", State: "STATE", Status: "STATUS",
	header: true,
}

// ContainerTable is ps's default table (-s adds ContainerSizeColumn).
const (
	ContainerTable      = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	ContainerSizeColumn = "\t{{.Size}}"
)

// NewContainerRow renders c as seen at now; trunc shortens the ID, the
// command and mount names as Docker does without --no-trunc.
func NewContainerRow(c Container, now time.Time, trunc bool) ContainerRow {
	r := ContainerRow{
		Command:      c.Command,
		CreatedAt:    CreatedAt(c.Created),
		ID:           c.ID,
		Image:        c.Image,
		Names:        c.Name,
		Networks:     strings.Join(c.Networks, ","),
		Ports:        PortsText(c.Ports),
		RunningFor:   Ago(c.Created, now),
		State:        c.State,
		Status:       StatusText(c, now),
		LocalVolumes: strconv.Itoa(c.Volumes),
		labels:       c.Labels,
	}
	if trunc {
		r.ID = ShortID(c.ID)
		r.Command = Ellipsis(c.Command, commandWidth)
		if isImageID(c.Image) {
			r.Image = ShortID(c.Image)
		}
	}
	r.Command = strconv.Quote(r.Command)
	keys := make([]string, 0, len(c.Labels))
	for k := range c.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + c.Labels[k]
	}
	r.Labels = strings.Join(keys, ",")
	mounts := make([]string, len(c.Mounts))
	for i, m := range c.Mounts {
		if trunc {
			m = Ellipsis(m, 15)
		}
		mounts[i] = m
	}
	r.Mounts = strings.Join(mounts, ",")
	r.Size = HumanSize(c.SizeRw)
	if c.SizeRootFs > 0 {
		r.Size += " (virtual " + HumanSize(c.SizeRootFs) + ")"
	}
	return r
}

// isImageID reports whether an image as given is an image ID
// ("sha256:" and 64 hex digits), which Docker shortens without --no-trunc.
func isImageID(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	return strings.Trim(h, "0123456789abcdef") == ""
}
