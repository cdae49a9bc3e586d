package proc

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestIdentity(t *testing.T) {
	self := Self()
	if alive, ok := Alive(self); !alive || !ok {
		t.Fatalf("Alive(Self() = %q) = %v, %v", self, alive, ok)
	}
	// A dead process, and a live PID with another start time.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if alive, ok := Alive(strconv.Itoa(cmd.Process.Pid) + ":1"); alive || !ok {
		t.Errorf("a finished process is alive: %v, %v", alive, ok)
	}
	if alive, _ := Alive(strconv.Itoa(os.Getpid()) + ":1"); alive {
		t.Error("a reused PID (other start time) counts as alive")
	}
	for _, bad := range []string{"", "x", "0:5", "-1:5", "abc:5"} {
		if _, ok := Alive(bad); ok {
			t.Errorf("Alive(%q) took it for an identity", bad)
		}
	}
}
