package logs

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const benchLines = 200000

// writeBenchLog writes n short stdout records.
func writeBenchLog(tb testing.TB, path string, n int) {
	tb.Helper()
	writeBenchLogOf(tb, path, n, func(b []byte, i int) []byte {
		b = append(b, "line "...)
		b = strconv.AppendInt(b, int64(i), 10)
		return append(b, " of the benchmark log"...)
	})
}

// writeBenchLogOf writes n stdout records whose content line(b, i) appends.
func writeBenchLogOf(tb testing.TB, path string, n int, line func(b []byte, i int) []byte) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	ts := appendTimestamp(nil, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b[:0], ts...)
		b = append(b, " stdout F "...)
		b = append(line(b, i), '\n')
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func benchLog(b *testing.B) (string, int64) {
	path := filepath.Join(b.TempDir(), "bench.log")
	writeBenchLog(b, path, benchLines)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

func devNull(b *testing.B) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkRead reads 200000 short lines to /dev/null; compare with
// BenchmarkCat.
func BenchmarkRead(b *testing.B) {
	path, size := benchLog(b)
	null := devNull(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Read(context.Background(), path, ReadOptions{Tail: -1}, null, null); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSeq reads the log of `seq 1 1000000` (lines of 1 to 7
// bytes, as bench/beforeafter.sh's rotated case) to /dev/null.
func BenchmarkReadSeq(b *testing.B) {
	path := filepath.Join(b.TempDir(), "seq.log")
	writeBenchLogOf(b, path, 1000000, func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(i+1), 10) })
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	null := devNull(b)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Read(context.Background(), path, ReadOptions{Tail: -1}, null, null); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTimestamps is BenchmarkRead with -t and a since filter, which
// parse every timestamp.
func BenchmarkReadTimestamps(b *testing.B) {
	path, size := benchLog(b)
	null := devNull(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opts := ReadOptions{Tail: -1, Timestamps: true, Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := Read(context.Background(), path, opts, null, null); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTail2 prints the last 2 of 200000 lines.
func BenchmarkReadTail2(b *testing.B) {
	path, _ := benchLog(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Read(context.Background(), path, ReadOptions{Tail: 2}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCat runs cat(1) on the same file, to /dev/null: the baseline of
// BenchmarkRead (it includes starting the process).
func BenchmarkCat(b *testing.B) {
	path, size := benchLog(b)
	catPath, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	null := devNull(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(catPath, path)
		cmd.Stdout = null
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawCopy copies the file to /dev/null in-process with 128 KiB
// reads, as cat does, without starting a process.
func BenchmarkRawCopy(b *testing.B) {
	path, size := benchLog(b)
	null := devNull(b)
	buf := make([]byte, 128<<10)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := f.Read(buf)
			if n > 0 {
				null.Write(buf[:n])
			}
			if err != nil {
				break
			}
		}
		f.Close()
	}
}

// BenchmarkWrite appends short lines through a stream.
func BenchmarkWrite(b *testing.B) {
	w, err := NewWriter(filepath.Join(b.TempDir(), "w.log"), DefaultMaxSize, DefaultMaxFiles)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	s := w.Stream(Stdout)
	chunk := []byte{}
	for len(chunk) < 4096-40 {
		chunk = append(chunk, "a short line of container output\n"...)
	}
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadSpeedVsCat logs how long Read takes for 200000 short lines
// compared with cat(1) of the same file (best of 5 runs each).
func TestReadSpeedVsCat(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	catPath, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat")
	}
	path := filepath.Join(t.TempDir(), "speed.log")
	writeBenchLog(t, path, benchLines)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	best := func(f func() error) time.Duration {
		var min time.Duration
		for i := 0; i < 5; i++ {
			start := time.Now()
			if err := f(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); i == 0 || d < min {
				min = d
			}
		}
		return min
	}
	read := best(func() error { return Read(context.Background(), path, ReadOptions{Tail: -1}, null, null) })
	cat := best(func() error {
		cmd := exec.Command(catPath, path)
		cmd.Stdout = null
		return cmd.Run()
	})
	t.Logf("200000 lines: Read %v, cat %v (%.2fx)", read, cat, float64(read)/float64(cat))
}
