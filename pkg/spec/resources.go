// Package spec turns the values of `lumper run`'s resource, mount, env and
// security flags into containerd OCI spec options. It is pure: nothing here
// talks to containerd, and the only host access is reading
// /sys/devices/system/cpu/online, --env-file and seccomp profile files, and
// creating missing bind-mount sources (PrepareHostPaths).
//
// Every rejection of user input is a one-line *api.InvalidArgument that says
// what was wrong and what to write instead.
package spec

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/lumper/lumper/pkg/api"
)

// Resources are the cgroup limits of a container.
type Resources struct {
	Memory     int64   // bytes, 0 = unlimited
	MemorySwap int64   // Docker semantics: 0 = unset (2×Memory when Memory is set), -1 = unlimited swap, else memory+swap total (≥ Memory)
	CPUShares  uint64  // -c/--cpu-shares, 0 = unset
	CPUs       float64 // --cpus, converted to a CFS quota over a 100ms period; 0 = unset
	CpusetCpus string  // --cpuset-cpus, as returned by ParseCpuset; "" = unset
	PidsLimit  int64   // 0 = unset, -1 = unlimited
	// MemoryReservation is --memory-reservation, the soft limit (cgroup v1
	// memory.soft_limit_in_bytes); 0 = unset.
	MemoryReservation int64
	// OOMKillDisable is --oom-kill-disable (cgroup v1 memory.oom_control).
	OOMKillDisable bool
}

const (
	// minMemory is Docker's lower bound for --memory: below it the
	// container's own runtime overhead does not fit and it is OOM-killed.
	minMemory = 6 * 1024 * 1024
	// minCPUShares and maxCPUShares are the kernel's bounds for cgroup v1
	// cpu.shares (Docker's too).
	minCPUShares = 2
	maxCPUShares = 262144
	// cfsPeriod is the CFS period --cpus is expressed over, in microseconds.
	cfsPeriod = 100000
	// minCPUs is the smallest --cpus: a 1ms quota, the kernel's minimum.
	minCPUs = 0.01
)

// onlineCPUsPath lists the CPUs the kernel can schedule on.
const onlineCPUsPath = "/sys/devices/system/cpu/online"

// parseSize is go-units' RAMInBytes (binary units, case-insensitive, "b"
// optional) with a guard against overflowing int64.
func parseSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("size %q is out of range", s)
	}
	return n, nil
}

// ParseMemory parses a --memory value such as "64m" or "1g" into bytes.
// "0" means no limit.
func ParseMemory(s string) (int64, error) {
	n, err := parseSize(s)
	if err != nil {
		return 0, api.Invalidf("invalid --memory %q: use a size like 64m or 1g", s)
	}
	if n > 0 && n < minMemory {
		return 0, api.Invalidf("invalid --memory %q: minimum memory limit allowed is 6MB", s)
	}
	return n, nil
}

// ParseMemorySwap parses a --memory-swap value with Docker's meaning: the
// total of memory and swap. "-1" is unlimited swap; "" and "0" leave it unset
// (the runtime then allows as much swap as memory). memory is the parsed
// --memory value, which a positive total requires and must not exceed.
func ParseMemorySwap(s string, memory int64) (int64, error) {
	switch s {
	case "", "0":
		return 0, nil
	case "-1":
		return -1, nil
	}
	n, err := parseSize(s)
	if err != nil {
		return 0, api.Invalidf("invalid --memory-swap %q: use a size like 1g (memory plus swap), or -1 for unlimited swap", s)
	}
	if n == 0 {
		return 0, nil
	}
	if memory <= 0 {
		return 0, api.Invalidf("invalid --memory-swap %q: it is the total of memory and swap, so set --memory too", s)
	}
	if n < memory {
		return 0, api.Invalidf("invalid --memory-swap %q: it is memory plus swap, so it must be at least --memory (%s)", s, units.BytesSize(float64(memory)))
	}
	return n, nil
}

// ParseCPUShares checks a -c/--cpu-shares value: 0 leaves the default
// (1024), otherwise 2 to 262144. On cgroup v2 hosts runc converts shares to
// cpu.weight itself, so the value is the same on both cgroup versions.
func ParseCPUShares(v int64) (uint64, error) {
	if v == 0 {
		return 0, nil
	}
	if v < minCPUShares || v > maxCPUShares {
		return 0, api.Invalidf("invalid --cpu-shares %d: use a relative weight from %d to %d (the default is 1024)", v, minCPUShares, maxCPUShares)
	}
	return uint64(v), nil
}

// ParseCPUs parses a --cpus value (a number of CPUs, fractions allowed) and
// checks it against the host's CPU count (hostCount ≤ 0: not checked).
// "0" leaves it unset.
func ParseCPUs(s string, hostCount int) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, api.Invalidf("invalid --cpus %q: use a number of CPUs like 0.5 or 2", s)
	}
	if v == 0 {
		return 0, nil
	}
	if v < minCPUs {
		return 0, api.Invalidf("invalid --cpus %q: the minimum is %.2f", s, minCPUs)
	}
	if hostCount > 0 && v > float64(hostCount) {
		return 0, api.Invalidf("invalid --cpus %q: this host has %d CPUs, use a value from %.2f to %d", s, hostCount, minCPUs, hostCount)
	}
	return v, nil
}

// cfsQuota converts --cpus into a CFS quota over cfsPeriod.
func cfsQuota(cpus float64) int64 {
	return int64(math.Round(cpus * cfsPeriod))
}

// ParseCpuset checks a --cpuset-cpus list ("0", "0-1", "0,1", "0-2,4")
// against the host's online CPUs and returns it in canonical form (sorted,
// consecutive CPUs as ranges, e.g. "0,1" → "0-1"). An empty hostCPUs skips
// the online check.
func ParseCpuset(s string, hostCPUs []int) (string, error) {
	cpus, err := parseCPUList(s)
	if err != nil {
		return "", api.Invalidf("invalid --cpuset-cpus %q: %v", s, err)
	}
	if len(hostCPUs) > 0 {
		for _, c := range cpus {
			if !slices.Contains(hostCPUs, c) {
				return "", api.Invalidf("invalid --cpuset-cpus %q: CPU %d is not online, the online CPUs are %s", s, c, formatCPUList(hostCPUs))
			}
		}
	}
	return formatCPUList(cpus), nil
}

// OnlineCPUs returns the host's online CPUs, from /sys/devices/system/cpu/online.
func OnlineCPUs() ([]int, error) {
	b, err := os.ReadFile(onlineCPUsPath)
	if err != nil {
		return nil, fmt.Errorf("reading online CPUs: %w", err)
	}
	cpus, err := parseCPUList(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", onlineCPUsPath, err)
	}
	return cpus, nil
}

// maxCPU bounds CPU numbers so that a typo like 0-99999999 cannot make the
// parser allocate gigabytes (Linux's NR_CPUS is at most 8192).
const maxCPU = 8191

// parseCPUList parses the kernel's CPU list format into sorted, distinct CPU
// numbers.
func parseCPUList(s string) ([]int, error) {
	if s == "" {
		return nil, fmt.Errorf("empty CPU list, use CPU numbers like 0-2,4")
	}
	seen := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseCPUNumber(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseCPUNumber(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("range %d-%d is reversed, write it as %d-%d", a, b, b, a)
			}
		}
		for c := a; c <= b; c++ {
			seen[c] = true
		}
	}
	cpus := make([]int, 0, len(seen))
	for c := range seen {
		cpus = append(cpus, c)
	}
	slices.Sort(cpus)
	return cpus, nil
}

func parseCPUNumber(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a CPU number, use a list like 0-2,4", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxCPU {
		return 0, fmt.Errorf("CPU %s is out of range", s)
	}
	return n, nil
}

// formatCPUList writes CPU numbers in the kernel's list format, merging
// consecutive numbers into ranges.
func formatCPUList(cpus []int) string {
	sorted := slices.Clone(cpus)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(sorted[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(sorted[j]))
		}
		i = j + 1
	}
	return b.String()
}
