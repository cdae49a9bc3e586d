package commands

import (
	"runtime/debug"
	"testing"
	"time"
)

// The collector is off for a command's first moments and back afterwards;
// GOGC in the environment leaves it alone.
func TestDeferGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	deferGC()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Fatalf("with GOGC=150 set, deferGC changed the GC percent to %d", p)
	}

	t.Setenv("GOGC", "")
	deferGC()
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("GC percent right after deferGC = %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != gcOffLimit {
		t.Fatalf("memory limit right after deferGC = %d, want %d", l, gcOffLimit)
	}
	deadline := time.Now().Add(gcOffFor + 5*time.Second)
	for debug.SetGCPercent(-1) != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("the GC is still off %v after deferGC", gcOffFor+5*time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
