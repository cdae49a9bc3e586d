// Command timeit runs two commands (lumper's and ctr's) alternately, N times
// each, and prints one Markdown table row: median, min and max wall time of
// each, the ratio of the medians, and the peak RSS of each.
//
//	timeit -n 15 -name 'run --rm' -a 'lumper run --rm busybox true' -b 'ctr run --rm ... t{i} true'
//
// "{i}" in a command is replaced by the iteration number. -pre-a/-pre-b run
// (untimed) before each timed command, -post-a/-post-b after it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type sample struct {
	wall time.Duration
	rss  int64 // KiB
}

func run(cmd string, i int) (sample, error) {
	if cmd == "" {
		return sample{}, nil
	}
	cmd = strings.ReplaceAll(cmd, "{i}", strconv.Itoa(i))
	c := exec.Command("/bin/sh", "-c", "exec "+cmd)
	c.Stderr = os.Stderr
	start := time.Now()
	out, err := c.Output()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %v: %s", cmd, err, out)
	}
	var rss int64
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) // int32 on 32-bit platforms
	}
	return sample{wall: wall, rss: rss}, nil
}

func stats(s []sample) (median, lo, hi time.Duration, rss int64) {
	w := make([]time.Duration, len(s))
	for i, x := range s {
		w[i] = x.wall
		rss = max(rss, x.rss)
	}
	slices.Sort(w)
	return w[len(w)/2], w[0], w[len(w)-1], rss
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func main() {
	n := flag.Int("n", 15, "runs of each command")
	name := flag.String("name", "", "case name")
	a := flag.String("a", "", "lumper's command")
	b := flag.String("b", "", "the reference command (ctr, cat, ...)")
	preA := flag.String("pre-a", "", "untimed command before each run of -a")
	preB := flag.String("pre-b", "", "untimed command before each run of -b")
	postA := flag.String("post-a", "", "untimed command after each run of -a")
	postB := flag.String("post-b", "", "untimed command after each run of -b")
	flag.Parse()
	var sa, sb []sample
	for i := 0; i < *n; i++ {
		for _, side := range []struct {
			pre, cmd, post string
			into           *[]sample
		}{{*preA, *a, *postA, &sa}, {*preB, *b, *postB, &sb}} {
			if side.cmd == "" {
				continue
			}
			if _, err := run(side.pre, i); err != nil {
				fail(err)
			}
			s, err := run(side.cmd, i)
			if err != nil {
				fail(err)
			}
			*side.into = append(*side.into, s)
			if _, err := run(side.post, i); err != nil {
				fail(err)
			}
		}
	}
	ma, loA, hiA, rssA := stats(sa)
	if len(sb) == 0 {
		fmt.Printf("| %s | %s (%s–%s) | – | – | %d |\n", *name, ms(ma), ms(loA), ms(hiA), rssA/1024)
		return
	}
	mb, loB, hiB, rssB := stats(sb)
	fmt.Printf("| %s | %s (%s–%s) | %s (%s–%s) | %.2f× | %d / %d |\n", *name, ms(ma), ms(loA), ms(hiA), ms(mb), ms(loB), ms(hiB),
		float64(ma)/float64(mb), rssA/1024, rssB/1024)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "timeit:", err)
	os.Exit(1)
}
