package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseHealthArgs(t *testing.T) {
	cfg, err := parseArgs([]string{"--log-path", "/x.log", "--health-interval", "1.5s", "--on-health-args", "--a\x1finternal-health"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.healthInterval != 1500*time.Millisecond || strings.Join(cfg.healthArgs, " ") != "--a internal-health" {
		t.Errorf("health config %v %q", cfg.healthInterval, cfg.healthArgs)
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		if _, err := parseArgs([]string{"--log-path", "/x.log", "--health-interval", bad}); err == nil {
			t.Errorf("--health-interval %s accepted", bad)
		}
	}
}

// TestLoggerHealthProbes: with --health-interval the logger runs the hook
// with --on-health-args every interval while the container's init runs,
// and stops once it has exited.
func TestLoggerHealthProbes(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	hook := filepath.Join(dir, "hook.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho \"$CONTAINER_ID [$*]\" >> "+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	count := func(what string) int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), what)
	}
	s := startLogger(t, "--on-exit", hook, "--on-exit-args", "reap", "--health-interval", "100ms", "--on-health-args", "probe\x1fx")
	c := s.startContainer(`while [ ! -e ` + filepath.Join(dir, "stop") + ` ]; do sleep 0.05; done`)
	deadline := time.Now().Add(10 * time.Second)
	for count("ctr1 [probe x]") < 3 {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(calls)
			t.Fatalf("fewer than 3 probes after 10 s: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644)
	if err := c.Wait(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for count("[reap]") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("exit program not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A probe started just before the exit may still land; none after it.
	time.Sleep(150 * time.Millisecond)
	n := count("[probe")
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if count("[probe") != n {
			t.Fatal("probes go on after the container's exit")
		}
	}
}
