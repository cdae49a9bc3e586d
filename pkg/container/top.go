package container

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/api"
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
	pids, err := TopPIDs(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	out := make([]Process, 0, len(pids))
	for _, pid := range pids {
		if proc, ok := readProc(pid); ok {
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

// TopPIDs lists the host PIDs of the processes of the running container
// ref, for `top CONTAINER [ps OPTIONS]`, which runs the host's ps.
func TopPIDs(ctx context.Context, c *client.Client, ref string) ([]uint32, error) {
	_, ctr, err := load(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	task, _, err := runningTask(ctx, ctr, ref)
	if err != nil {
		return nil, err
	}
	infos, err := task.Pids(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing processes of %s: %w", ref, err)
	}
	pids := make([]uint32, len(infos))
	for i, p := range infos {
		pids[i] = p.Pid
	}
	return pids, nil
}

// FilterPS keeps, of the output of the host's ps, the header and the rows
// of the processes pids, as Docker's top does: the PID column is found by
// its header.
func FilterPS(out string, pids []uint32) ([]string, error) {
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(rows) == 0 || strings.TrimSpace(rows[0]) == "" {
		return nil, fmt.Errorf("ps printed nothing")
	}
	col := -1
	for i, h := range strings.Fields(rows[0]) {
		if h == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return nil, api.Invalidf("the ps options give no PID column: add -o pid (e.g. top CONTAINER -o pid,comm)")
	}
	keep := map[string]bool{}
	for _, p := range pids {
		keep[strconv.FormatUint(uint64(p), 10)] = true
	}
	lines := []string{rows[0]}
	for _, r := range rows[1:] {
		f := strings.Fields(r)
		if len(f) > col && keep[f[col]] {
			lines = append(lines, r)
		}
	}
	return lines, nil
}
