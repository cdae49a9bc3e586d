package container

import (
	"context"
	"fmt"
	"math"
	"time"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/typeurl/v2"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/api"
)

// hostMemory is used as the limit of an unlimited container, as Docker does.
func hostMemory() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// Metrics reads one sample of a task's cgroup counters, on cgroup v1 or v2.
func Metrics(ctx context.Context, task containerd.Task) (api.Stats, error) {
	m, err := task.Metrics(ctx)
	if err != nil {
		return api.Stats{}, fmt.Errorf("reading metrics: %w", err)
	}
	v, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return api.Stats{}, fmt.Errorf("decoding metrics: %w", err)
	}
	s := api.Stats{Read: time.Now()}
	if m.Timestamp != nil {
		s.Read = m.Timestamp.AsTime()
	}
	switch v := v.(type) {
	case *v1.Metrics:
		s.CPUNanos = v.GetCPU().GetUsage().GetTotal()
		mem := v.GetMemory()
		s.MemUsage = mem.GetUsage().GetUsage()
		if cache := mem.GetTotalInactiveFile(); cache < s.MemUsage {
			s.MemUsage -= cache
		}
		s.MemLimit = mem.GetUsage().GetLimit()
		s.Pids = v.GetPids().GetCurrent()
		for _, e := range v.GetBlkio().GetIoServiceBytesRecursive() {
			switch e.GetOp() {
			case "Read", "read":
				s.BlockRead += e.GetValue()
			case "Write", "write":
				s.BlockWrite += e.GetValue()
			}
		}
		s.OOMKills = v.GetMemoryOomControl().GetOomKill()
	case *v2.Metrics:
		s.CPUNanos = v.GetCPU().GetUsageUsec() * 1000
		mem := v.GetMemory()
		s.MemUsage = mem.GetUsage()
		if f := mem.GetInactiveFile(); f < s.MemUsage {
			s.MemUsage -= f
		}
		s.MemLimit = mem.GetUsageLimit()
		s.Pids = v.GetPids().GetCurrent()
		for _, e := range v.GetIo().GetUsage() {
			s.BlockRead += e.GetRbytes()
			s.BlockWrite += e.GetWbytes()
		}
		s.OOMKills = v.GetMemoryEvents().GetOomKill()
	default:
		return api.Stats{}, fmt.Errorf("unknown metrics type %T", v)
	}
	if host := hostMemory(); host > 0 && (s.MemLimit == 0 || s.MemLimit > host) {
		s.MemLimit = host
	}
	if s.MemLimit > 0 {
		s.MemPercent = float64(s.MemUsage) / float64(s.MemLimit) * 100
	}
	return s, nil
}

// CPUPercent is the share of one CPU used between two samples, times the
// number of CPUs the host has (Docker's formula: 200% = two full CPUs).
func CPUPercent(prev, cur api.Stats) float64 {
	dt := cur.Read.Sub(prev.Read).Nanoseconds()
	if dt <= 0 || cur.CPUNanos < prev.CPUNanos {
		return 0
	}
	p := float64(cur.CPUNanos-prev.CPUNanos) / float64(dt) * 100
	return math.Round(p*100) / 100
}

// oomKilled reports whether the kernel OOM-killed a process of the task. It
// must be asked before the task (and with it the cgroup) is deleted.
func oomKilled(ctx context.Context, task containerd.Task) bool {
	s, err := Metrics(ctx, task)
	return err == nil && s.OOMKills > 0
}
