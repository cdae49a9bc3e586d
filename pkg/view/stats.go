package view

import (
	"fmt"

	"github.com/lumper/lumper/pkg/api"
)

// StatsRow is one row of stats, with Docker's field names and renderings.
type StatsRow struct {
	BlockIO   string `json:"BlockIO"`
	CPUPerc   string `json:"CPUPerc"`
	Container string `json:"Container"`
	ID        string `json:"ID"`
	MemPerc   string `json:"MemPerc"`
	MemUsage  string `json:"MemUsage"`
	Name      string `json:"Name"`
	NetIO     string `json:"NetIO"`
	PIDs      string `json:"PIDs"`
}

// StatsHeader is the header row of stats' table.
var StatsHeader = StatsRow{
	BlockIO: "BLOCK I/O", CPUPerc: "CPU %", Container: "CONTAINER", ID: "CONTAINER ID", MemPerc: "MEM %",
	MemUsage: "MEM USAGE / LIMIT", Name: "NAME", NetIO: "NET I/O", PIDs: "PIDS",
}

// StatsTable is stats' default table.
const StatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// NewStatsRow renders a sample; container is the container as the user
// named it (its short ID when listing every running container); trunc
// shows the 12-character ID.
func NewStatsRow(s api.Stats, container string, trunc bool) StatsRow {
	r := StatsRow{
		BlockIO:   HumanSize(int64(s.BlockRead)) + " / " + HumanSize(int64(s.BlockWrite)),
		CPUPerc:   fmt.Sprintf("%.2f%%", s.CPUPercent),
		Container: container,
		ID:        s.ID,
		MemPerc:   fmt.Sprintf("%.2f%%", s.MemPercent),
		MemUsage:  BytesSize(s.MemUsage) + " / " + BytesSize(s.MemLimit),
		Name:      s.Name,
		NetIO:     HumanSize(int64(s.NetRx)) + " / " + HumanSize(int64(s.NetTx)),
		PIDs:      fmt.Sprint(s.Pids),
	}
	if trunc {
		r.ID = ShortID(s.ID)
	}
	if r.Container == "" {
		r.Container = ShortID(s.ID)
	}
	return r
}
