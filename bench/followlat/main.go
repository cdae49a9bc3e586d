// Command followlat measures follow latency: how long after the logger
// stamped a line (the record's own timestamp) a follower prints it. It runs
// `lumper logs -f -t --tail 0 NAME` and `tail -n 0 -F RAW` (the raw log file,
// as a reader of ctr's log file would) side by side while the container
// writes lines, and prints one Markdown table row in timeit's format
// (median, min and max in ms, and the ratio of the medians).
//
//	followlat -n 50 -lumper lumper -name NAME -raw /path/container.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 50, "lines to measure")
	lumper := flag.String("lumper", "lumper", "lumper binary")
	name := flag.String("name", "", "container whose log to follow (writing lines)")
	raw := flag.String("raw", "", "the container's raw log file")
	label := flag.String("label", "follow latency (vs tail -F of the raw log)", "row name")
	flag.Parse()
	if *name == "" || *raw == "" {
		fmt.Fprintln(os.Stderr, "followlat: -name and -raw are required")
		os.Exit(2)
	}
	var wg sync.WaitGroup
	var a, b []time.Duration
	var errA, errB error
	wg.Add(2)
	go func() {
		defer wg.Done()
		// logs -t prints "TIMESTAMP LINE".
		a, errA = follow(*n, *lumper, "logs", "-f", "-t", "--tail", "0", *name)
	}()
	go func() {
		defer wg.Done()
		// A raw record is "TIMESTAMP STREAM TAG LINE".
		b, errB = follow(*n, "tail", "-n", "0", "-F", *raw)
	}()
	wg.Wait()
	for _, err := range []error{errA, errB} {
		if err != nil {
			fmt.Fprintln(os.Stderr, "followlat:", err)
			os.Exit(1)
		}
	}
	ma, loA, hiA := stats(a)
	mb, loB, hiB := stats(b)
	fmt.Printf("| %s | %s (%s–%s) | %s (%s–%s) | %.2f× | – |\n", *label, ms(ma), ms(loA), ms(hiA), ms(mb), ms(loB), ms(hiB),
		float64(ma)/float64(max(mb, time.Microsecond)))
}

// follow runs the command and returns, for its first n lines, the time from
// the line's leading RFC 3339 timestamp to the moment it was read.
func follow(n int, name string, args ...string) ([]time.Duration, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	var lat []time.Duration
	timeout := time.After(time.Duration(n)*time.Second + 10*time.Second)
	for len(lat) < n {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil, fmt.Errorf("%s ended after %d lines", name, len(lat))
			}
			now := time.Now()
			stamp, _, _ := strings.Cut(line, " ")
			ts, err := time.Parse(time.RFC3339Nano, stamp)
			if err != nil {
				return nil, fmt.Errorf("%s: line without a timestamp: %q", name, line)
			}
			lat = append(lat, now.Sub(ts))
		case <-timeout:
			return nil, fmt.Errorf("%s: only %d lines in time", name, len(lat))
		}
	}
	return lat, nil
}

func stats(d []time.Duration) (median, lo, hi time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[0], d[len(d)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
