package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Reading through mappings prints exactly what reading prints, whatever
// the options, over rotated files larger than a mapping window, with lines
// that cross windows, partial records, both streams, a damaged line and an
// overlong junk line.
func TestMappedReadMatchesRead(t *testing.T) {
	defer func(w int64) { mapWindow = w }(mapWindow)
	mapWindow = 256 << 10
	w, path := newTestWriter(t, 1<<20, 3)
	out, errs := w.Stream(Stdout), w.Stream(Stderr)
	long := strings.Repeat("L", MaxLineSize+100)
	for i := 0; i < 60000; i++ {
		switch {
		case i%5000 == 7:
			mustWrite(t, out, long+fmt.Sprint(i)+"\n")
		case i%7 == 0:
			mustWrite(t, errs, fmt.Sprintf("err %d\n", i))
		default:
			mustWrite(t, out, fmt.Sprintf("line %d with some text\n", i))
		}
	}
	mustWrite(t, out, "unterminated")
	out.Close()
	errs.Close()
	w.Close()
	files, _ := filepath.Glob(path + "*")
	if len(files) != 3 {
		t.Fatalf("want 3 rotated files, have %v", files)
	}
	// Damage in the oldest file, and a junk line longer than a window.
	f, err := os.OpenFile(path+".2", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("garbage line\n" + strings.Repeat("j", int(mapWindow+mapWindow/2)) + "\n")
	f.Close()

	since := time.Now().Add(-time.Hour)
	for _, opts := range []ReadOptions{
		{Tail: -1},
		{Tail: 0},
		{Tail: 1},
		{Tail: 1000},
		{Tail: 25000},
		{Tail: 10000000},
		{Tail: -1, Timestamps: true, Since: since},
		{Tail: 5000, Until: time.Now().Add(time.Hour)},
	} {
		mapLogs = true
		mo, me := readAll(t, path, opts)
		mc := readCombined(t, path, opts)
		mapLogs = false
		ro, re := readAll(t, path, opts)
		rc := readCombined(t, path, opts)
		mapLogs = true
		if mo != ro || me != re || mc != rc {
			t.Fatalf("%+v: mapped read printed %d+%d (%d combined) bytes, read %d+%d (%d)", opts, len(mo), len(me), len(mc), len(ro), len(re), len(rc))
		}
		if opts.Tail == -1 && !strings.HasSuffix(mo, "unterminated") {
			t.Fatalf("%+v: the log's end is missing: %q", opts, mo[max(0, len(mo)-40):])
		}
	}
}
