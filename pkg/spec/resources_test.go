package spec

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
)

// checkInvalid asserts that err is a one-line *api.InvalidArgument whose
// message contains every one of want.
func checkInvalid(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	var ia *api.InvalidArgument
	if !errors.As(err, &ia) {
		t.Errorf("error %q is %T, want *api.InvalidArgument", err, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

func TestParseMemory(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"6m", 6 << 20},
		{"64m", 64 << 20},
		{"64M", 64 << 20},
		{"64mb", 64 << 20},
		{"64MiB", 64 << 20},
		{"1g", 1 << 30},
		{"1.5g", 3 << 29},
		{"7340032", 7 << 20},
	}
	for _, tc := range good {
		got, err := ParseMemory(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, want string }{
		{"foo", `invalid --memory "foo": use a size like 64m or 1g`},
		{"", `invalid --memory "": use a size`},
		{"-1", "use a size like 64m"},
		{"64x", "use a size like 64m"},
		{"1k", `invalid --memory "1k": minimum memory limit allowed is 6MB`},
		{"5m", "minimum memory limit allowed is 6MB"},
		{"100000000000p", "use a size like 64m"}, // overflows int64
	}
	for _, tc := range bad {
		_, err := ParseMemory(tc.in)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseMemorySwap(t *testing.T) {
	good := []struct {
		in     string
		memory int64
		want   int64
	}{
		{"", 64 << 20, 0},
		{"0", 64 << 20, 0},
		{"-1", 64 << 20, -1},
		{"-1", 0, -1},
		{"128m", 64 << 20, 128 << 20},
		{"64m", 64 << 20, 64 << 20},
		{"1g", 64 << 20, 1 << 30},
	}
	for _, tc := range good {
		got, err := ParseMemorySwap(tc.in, tc.memory)
		if err != nil || got != tc.want {
			t.Errorf("ParseMemorySwap(%q, %d) = %d, %v; want %d", tc.in, tc.memory, got, err, tc.want)
		}
	}
	bad := []struct {
		in     string
		memory int64
		want   string
	}{
		{"foo", 64 << 20, `invalid --memory-swap "foo": use a size like 1g`},
		{"-2", 64 << 20, "or -1 for unlimited swap"},
		{"128m", 0, "set --memory too"},
		{"32m", 64 << 20, "must be at least --memory (64MiB)"},
	}
	for _, tc := range bad {
		_, err := ParseMemorySwap(tc.in, tc.memory)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseCPUShares(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want uint64
	}{{0, 0}, {2, 2}, {512, 512}, {1024, 1024}, {262144, 262144}} {
		got, err := ParseCPUShares(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCPUShares(%d) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{-5, "invalid --cpu-shares -5: use a relative weight from 2 to 262144"},
		{-1, "from 2 to 262144"},
		{1, "from 2 to 262144"},
		{262145, "from 2 to 262144"},
	} {
		_, err := ParseCPUShares(tc.in)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseCPUs(t *testing.T) {
	for _, tc := range []struct {
		in    string
		host  int
		want  float64
		quota int64
	}{
		{"0", 2, 0, 0},
		{"0.01", 2, 0.01, 1000},
		{"0.5", 2, 0.5, 50000},
		{"1.5", 2, 1.5, 150000},
		{"2", 2, 2, 200000},
		{"64", 0, 64, 6400000}, // unknown host count: no upper bound
	} {
		got, err := ParseCPUs(tc.in, tc.host)
		if err != nil || got != tc.want {
			t.Errorf("ParseCPUs(%q, %d) = %v, %v; want %v", tc.in, tc.host, got, err, tc.want)
		}
		if q := cfsQuota(got); q != tc.quota {
			t.Errorf("quota of %v CPUs = %d, want %d", got, q, tc.quota)
		}
	}
	for _, tc := range []struct {
		in   string
		host int
		want string
	}{
		{"foo", 2, `invalid --cpus "foo": use a number of CPUs like 0.5 or 2`},
		{"", 2, "use a number of CPUs"},
		{"-1", 2, "use a number of CPUs"},
		{"NaN", 2, "use a number of CPUs"},
		{"Inf", 2, "use a number of CPUs"},
		{"0.001", 2, "the minimum is 0.01"},
		{"3", 2, `invalid --cpus "3": this host has 2 CPUs, use a value from 0.01 to 2`},
	} {
		_, err := ParseCPUs(tc.in, tc.host)
		checkInvalid(t, err, tc.want)
	}
}

func TestParseCpuset(t *testing.T) {
	host := []int{0, 1, 2, 3, 4}
	for _, tc := range []struct {
		in   string
		host []int
		want string
	}{
		{"0", host, "0"},
		{"0-1", host, "0-1"},
		{"0,1", host, "0-1"},
		{"0-2,4", host, "0-2,4"},
		{"4,0-2", host, "0-2,4"},
		{"1,1,2", host, "1-2"},
		{"3-3", host, "3"},
		{"0,2,4", host, "0,2,4"},
		{"99", nil, "99"}, // no host list: syntax only
	} {
		got, err := ParseCpuset(tc.in, tc.host)
		if err != nil || got != tc.want {
			t.Errorf("ParseCpuset(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		host []int
		want string
	}{
		{"99", []int{0, 1}, `invalid --cpuset-cpus "99": CPU 99 is not online, the online CPUs are 0-1`},
		{"0-3", []int{0, 1, 3}, "CPU 2 is not online, the online CPUs are 0-1,3"},
		{"1-0", host, `invalid --cpuset-cpus "1-0": range 1-0 is reversed, write it as 0-1`},
		{"", host, "empty CPU list"},
		{"a", host, `"a" is not a CPU number`},
		{"0,", host, `"" is not a CPU number`},
		{"-1", host, `"" is not a CPU number`},
		{"0-", host, `"" is not a CPU number`},
		{"0-1-2", host, `"1-2" is not a CPU number`},
		{" 1", host, `" 1" is not a CPU number`},
		{"+1", host, `"+1" is not a CPU number`},
		{"0-99999999", host, "CPU 99999999 is out of range"},
	} {
		_, err := ParseCpuset(tc.in, tc.host)
		checkInvalid(t, err, tc.want)
	}
}

func TestOnlineCPUs(t *testing.T) {
	if _, err := os.Stat(onlineCPUsPath); err != nil {
		t.Skipf("no %s: %v", onlineCPUsPath, err)
	}
	cpus, err := OnlineCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) == 0 {
		t.Fatal("no online CPUs")
	}
	// Whatever the host has must be accepted as a cpuset.
	if _, err := ParseCpuset(formatCPUList(cpus), cpus); err != nil {
		t.Errorf("online CPUs %v rejected: %v", cpus, err)
	}
}

func TestFormatCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{0}, "0"},
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{3, 1, 0, 7, 8}, "0-1,3,7-8"},
	} {
		if got := formatCPUList(tc.in); got != tc.want {
			t.Errorf("formatCPUList(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
