package logs

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// orderLog records the writes of both streams in order, merging
// consecutive writes to one stream: what a terminal showing both sees.
type orderLog struct{ parts []string }

type orderWriter struct {
	l    *orderLog
	name string
}

func (w orderWriter) Write(p []byte) (int, error) {
	n := len(w.l.parts)
	if n > 0 && strings.HasPrefix(w.l.parts[n-1], w.name+":") {
		w.l.parts[n-1] += string(p)
	} else {
		w.l.parts = append(w.l.parts, w.name+":"+string(p))
	}
	return len(p), nil
}

// writeMixedLog writes a log rotated into path.2, path.1 and path: stdout
// and stderr records, full and partial (long lines split), short and long
// lines, records with a short timestamp (not the writer's fixed width),
// junk lines (one longer than 64 KiB) and an unterminated last line.
func writeMixedLog(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "container.log")
	rng := rand.New(rand.NewSource(1))
	ts := appendTimestamp(nil, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	for f, name := range []string{path + ".2", path + ".1", path} {
		var b bytes.Buffer
		for i := 0; b.Len() < 600<<10; i++ {
			stream := "stdout"
			if rng.Intn(5) == 0 {
				stream = "stderr"
			}
			switch k := rng.Intn(100); {
			case k < 70:
				fmt.Fprintf(&b, "%s %s F %d\n", ts, stream, i)
			case k < 85:
				fmt.Fprintf(&b, "%s %s F line %d of file %d, %s\n", ts, stream, i, f, strings.Repeat("x", rng.Intn(300)))
			case k < 92:
				fmt.Fprintf(&b, "%s %s P %s\n%s %s F end of long line %d\n", ts, stream, strings.Repeat("p", MaxLineSize), ts, stream, i)
			case k < 96:
				fmt.Fprintf(&b, "2024-05-01T10:00:01Z %s F short timestamp %d\n", stream, i)
			case k < 99:
				b.WriteString("garbage that is no record\n")
			default:
				b.WriteString(strings.Repeat("j", 65<<10) + "\n")
			}
		}
		if name == path {
			fmt.Fprintf(&b, "%s stdout F unterminated", ts)
		}
		if err := os.WriteFile(name, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// copyPlain prints the same bytes, in the same order across the two
// streams, as the record-by-record path, to two writers, to one, and to
// stdout alone, whatever the mapping window (records cut at its end).
func TestPlainCopyMatchesRecordPath(t *testing.T) {
	path := writeMixedLog(t, t.TempDir())
	defer func(w int64) { mapWindow, plainCopy = w, true }(mapWindow)
	read := func(plain bool, mode string) []string {
		t.Helper()
		plainCopy = plain
		l := &orderLog{}
		stdout, stderr := orderWriter{l, "1"}, orderWriter{l, "2"}
		var err error
		switch mode {
		case "two writers":
			err = Read(context.Background(), path, ReadOptions{Tail: -1}, stdout, stderr)
		case "one writer":
			var buf bytes.Buffer
			err = Read(context.Background(), path, ReadOptions{Tail: -1}, &buf, &buf)
			l.parts = []string{buf.String()}
		case "stdout only":
			err = Read(context.Background(), path, ReadOptions{Tail: -1}, stdout, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		return l.parts
	}
	for _, window := range []int64{2 << 20, 256 << 10} {
		mapWindow = window
		for _, mode := range []string{"two writers", "one writer", "stdout only"} {
			want := read(false, mode)
			if len(strings.Join(want, "")) < 512<<10 {
				t.Fatalf("%s: the record path printed only %d bytes", mode, len(strings.Join(want, "")))
			}
			got := read(true, mode)
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("%s, %d-byte window: copyPlain gives %d parts (%d bytes), the record path %d parts (%d bytes)",
					mode, window, len(got), len(strings.Join(got, "")), len(want), len(strings.Join(want, "")))
			}
		}
	}
}

// shortLineEnd finds the newline IndexByte finds, when it is in the first 8
// bytes.
func TestShortLineEnd(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 100000; i++ {
		b := make([]byte, rng.Intn(12))
		for j := range b {
			b[j] = "\n\x0a\x0b\x09a\x00\xff\x8a"[rng.Intn(8)]
		}
		want := bytes.IndexByte(b, '\n')
		if len(b) < 8 || want >= 8 {
			want = -1
		}
		if got := shortLineEnd(b); got != want {
			t.Fatalf("shortLineEnd(%q) = %d, want %d", b, got, want)
		}
	}
}
