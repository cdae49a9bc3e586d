package container

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/client"
)

// Process is one process of a container, as `lumper top` shows it.
type Process struct {
	PID     uint32 `json:"PID"` // on the host
	PPID    uint32 `json:"PPID"`
	UID     string `json:"UID"`
	State   string `json:"State"`
	RSS     string `json:"RSS"`
	Command string `json:"Command"`
}

// Top lists the processes of a running container (from its task, read from
// the host's /proc).
func Top(ctx context.Context, c *client.Client, ref string) ([]Process, error) {
	_, ctr, err := load(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	task, _, err := runningTask(ctx, ctr, ref)
	if err != nil {
		return nil, err
	}
	pids, err := task.Pids(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing processes of %s: %w", ref, err)
	}
	out := make([]Process, 0, len(pids))
	for _, p := range pids {
		if proc, ok := readProc(p.Pid); ok {
			out = append(out, proc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// readProc reads what top shows of one host process; false if it is gone.
func readProc(pid uint32) (Process, bool) {
	dir := "/proc/" + strconv.FormatUint(uint64(pid), 10)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return Process{}, false
	}
	p := Process{PID: pid}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "PPid":
			n, _ := strconv.ParseUint(v, 10, 32)
			p.PPID = uint32(n)
		case "Uid":
			p.UID, _, _ = strings.Cut(v, "\t")
		case "State":
			p.State, _, _ = strings.Cut(v, " ")
		case "VmRSS":
			p.RSS = strings.ReplaceAll(v, " ", "")
		}
	}
	cmdline, _ := os.ReadFile(dir + "/cmdline")
	p.Command = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	return p, true
}
