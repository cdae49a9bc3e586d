package logs

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// readAll reads the log at path with opts into two buffers.
func readAll(t *testing.T, path string, opts ReadOptions) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := Read(context.Background(), path, opts, &out, &errb); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return out.String(), errb.String()
}

// readCombined reads the log at path with both streams into one buffer.
func readCombined(t *testing.T, path string, opts ReadOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Read(context.Background(), path, opts, &b, &b); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return b.String()
}

func newTestWriter(t *testing.T, maxSize int64, maxFiles int) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "ctr.log")
	w, err := NewWriter(path, maxSize, maxFiles)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

func mustWrite(t *testing.T, w interface{ Write([]byte) (int, error) }, s string) {
	t.Helper()
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func TestWriterFileModes(t *testing.T) {
	_, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, want 0640", st.Mode().Perm())
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", dst.Mode().Perm())
	}
}

func TestRoundTripInterleaved(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	out, errs := w.Stream(Stdout), w.Stream(Stderr)
	mustWrite(t, out, "out 1\n")
	mustWrite(t, errs, "err 1\n")
	mustWrite(t, out, "out 2\nout ")
	mustWrite(t, errs, "err 2\n")
	mustWrite(t, out, "3\n")

	if got, want := readCombined(t, path, ReadOptions{Tail: -1}), "out 1\nerr 1\nout 2\nerr 2\nout 3\n"; got != want {
		t.Errorf("combined output %q, want %q", got, want)
	}
	so, se := readAll(t, path, ReadOptions{Tail: -1})
	if so != "out 1\nout 2\nout 3\n" || se != "err 1\nerr 2\n" {
		t.Errorf("stdout %q stderr %q", so, se)
	}
	// Records are well formed.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d records, want 5:\n%s", len(lines), data)
	}
	for _, l := range lines {
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 || len(f[0]) != tsLen || (f[1] != "stdout" && f[1] != "stderr") || f[2] != "F" {
			t.Errorf("bad record %q", l)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
			t.Errorf("bad timestamp in %q: %v", l, err)
		}
	}
	// Only stdout, only stderr.
	var b bytes.Buffer
	if err := Read(context.Background(), path, ReadOptions{Tail: -1}, nil, &b); err != nil || b.String() != "err 1\nerr 2\n" {
		t.Errorf("stderr only: %q, %v", b.String(), err)
	}
}

func TestPartialFinalLine(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	out := w.Stream(Stdout)
	mustWrite(t, out, "full\nno newline")
	// Not yet flushed: the pending line is not in the file.
	if got := readCombined(t, path, ReadOptions{Tail: -1}); got != "full\n" {
		t.Errorf("before close: %q", got)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readCombined(t, path, ReadOptions{Tail: -1}); got != "full\nno newline" {
		t.Errorf("after close: %q", got)
	}
	if _, err := out.Write([]byte("x")); err == nil {
		t.Error("write after close succeeded")
	}
}

func TestWriterFlushKeepsStreamUsable(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	out := w.Stream(Stdout)
	mustWrite(t, out, "abc")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, out, "def\n")
	if got := readCombined(t, path, ReadOptions{Tail: -1}); got != "abcdef\n" {
		t.Errorf("got %q", got)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestLongLineSplitAndJoined(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	out, errs := w.Stream(Stdout), w.Stream(Stderr)
	long := strings.Repeat("0123456789", 4000) // 40000 bytes
	// Written in small pieces, interleaved with stderr lines.
	for i := 0; i < len(long); i += 7000 {
		mustWrite(t, out, long[i:min(i+7000, len(long))])
		mustWrite(t, errs, "e\n")
	}
	mustWrite(t, out, "\nshort\n")
	exact := strings.Repeat("x", MaxLineSize)
	mustWrite(t, out, exact+"\n")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r record
		if !parseRecord([]byte(l), &r) {
			t.Fatalf("bad record %q", l)
		}
		if len(r.content) > MaxLineSize {
			t.Errorf("record of %d bytes", len(r.content))
		}
		if r.stream == idxStdout {
			tags = append(tags, fmt.Sprintf("%c%d", map[bool]byte{true: 'P', false: 'F'}[r.partial], len(r.content)))
		}
	}
	if got, want := strings.Join(tags, " "), "P16384 P16384 F7232 F5 F16384"; got != want {
		t.Errorf("stdout records %s, want %s", got, want)
	}
	so, se := readAll(t, path, ReadOptions{Tail: -1})
	if so != long+"\nshort\n"+exact+"\n" {
		t.Errorf("stdout not rejoined: %d bytes", len(so))
	}
	if se != strings.Repeat("e\n", 6) {
		t.Errorf("stderr %q", se)
	}
	// With timestamps, only the first record of a line is prefixed.
	so, _ = readAll(t, path, ReadOptions{Tail: -1, Timestamps: true})
	lines := strings.Split(strings.TrimSuffix(so, "\n"), "\n")
	if len(lines) != 3 || lines[0][tsLen:] != " "+long {
		t.Errorf("timestamped long line wrong: %d lines", len(lines))
	}
	// Tail 1 of stdout includes the whole long line when it is the last.
	w2, path2 := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	o2, e2 := w2.Stream(Stdout), w2.Stream(Stderr)
	mustWrite(t, o2, "before\n")
	for i := 0; i < len(long); i += 7000 {
		mustWrite(t, o2, long[i:min(i+7000, len(long))])
		mustWrite(t, e2, "e\n")
	}
	mustWrite(t, o2, "\n")
	so, se = readAll(t, path2, ReadOptions{Tail: 1})
	if so != long+"\n" || se != "" {
		t.Errorf("tail 1: stdout %d bytes (want %d), stderr %q", len(so), len(long)+1, se)
	}
	so, se = readAll(t, path2, ReadOptions{Tail: 2})
	if so != long+"\n" || se != "e\n" {
		t.Errorf("tail 2: stdout %d bytes, stderr %q", len(so), se)
	}
}

// writeRecords writes a log file with the given records ("ts stream tag content").
func writeRecords(t *testing.T, records ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctr.log")
	if err := os.WriteFile(path, []byte(strings.Join(records, "\n")+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTail(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	out, errs := w.Stream(Stdout), w.Stream(Stderr)
	var all []string
	for i := 0; i < 10; i++ {
		s := fmt.Sprintf("line %d\n", i)
		if i%3 == 0 {
			mustWrite(t, errs, s)
		} else {
			mustWrite(t, out, s)
		}
		all = append(all, s)
	}
	for _, n := range []int{0, 1, 3, 10, 50} {
		want := strings.Join(all[max(0, len(all)-n):], "")
		if got := readCombined(t, path, ReadOptions{Tail: n}); got != want {
			t.Errorf("tail %d: %q, want %q", n, got, want)
		}
	}
	// A final partial line counts as a line.
	mustWrite(t, out, "tail")
	out.Close()
	if got := readCombined(t, path, ReadOptions{Tail: 2}); got != "line 9\ntail" {
		t.Errorf("tail 2 with partial: %q", got)
	}
}

func TestTailLargeFileIsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	writeBenchLog(t, path, 200000)
	start := time.Now()
	got := readCombined(t, path, ReadOptions{Tail: 2})
	d := time.Since(start)
	if got != "line 199998 of the benchmark log\nline 199999 of the benchmark log\n" {
		t.Errorf("tail 2: %q", got)
	}
	t.Logf("tail 2 of 200000 lines: %v", d)
}

func TestSinceUntilTimestamps(t *testing.T) {
	path := writeRecords(t,
		"2024-05-01T10:00:00.000000000Z stdout F a",
		"2024-05-01T10:00:01.000000000Z stderr F b",
		"2024-05-01T10:00:02.5Z stdout F c", // other RFC 3339 forms are accepted
		"2024-05-01T12:00:03+02:00 stdout F d",
		"2024-05-01T10:00:04.000000000Z stdout P e",
		"2024-05-01T10:00:04.000000000Z stdout F f",
	)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		opts ReadOptions
		want string
	}{
		{ReadOptions{Tail: -1}, "a\nb\nc\nd\nef\n"},
		{ReadOptions{Tail: -1, Since: at("2024-05-01T10:00:01Z")}, "b\nc\nd\nef\n"},
		{ReadOptions{Tail: -1, Until: at("2024-05-01T10:00:02.5Z")}, "a\nb\nc\n"},
		{ReadOptions{Tail: -1, Since: at("2024-05-01T10:00:01.5Z"), Until: at("2024-05-01T10:00:03Z")}, "c\nd\n"},
		{ReadOptions{Tail: 2, Until: at("2024-05-01T10:00:03Z")}, "c\nd\n"},
		{ReadOptions{Tail: 10, Since: at("2024-05-01T10:00:03Z")}, "d\nef\n"},
		{ReadOptions{Tail: 2, Timestamps: true}, "2024-05-01T12:00:03+02:00 d\n2024-05-01T10:00:04.000000000Z ef\n"},
	}
	for i, c := range cases {
		if got := readCombined(t, path, c.opts); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, s := range []string{
		"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.1Z", "2024-05-01T10:00:00.123456789Z",
		"1970-01-01T00:00:00Z", "2000-02-29T23:59:59.999999999Z", "2100-12-31T00:00:00.5Z",
		"1969-12-31T23:59:59.5Z", "2024-05-01T12:00:00+02:00",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseTimestamp([]byte(s))
		if !ok || got != want.UnixNano() {
			t.Errorf("%s: %d %v, want %d", s, got, ok, want.UnixNano())
		}
	}
	for _, s := range []string{"", "garbage", "2024-13-01T10:00:00Z", "2024-05-01T10:00:00.Z"} {
		if _, ok := parseTimestamp([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

func TestDamagedLines(t *testing.T) {
	w, path := newTestWriter(t, DefaultMaxSize, DefaultMaxFiles)
	mustWrite(t, w.Stream(Stdout), "one\ntwo\n")
	w.Close()
	// A crash left a truncated record, and some junk before it.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("junk line\n2024-05-01T10:00:00.000000000Z stdo")
	f.Close()
	for _, tail := range []int{-1, 1, 5} {
		want := "one\ntwo\n"
		if tail == 1 {
			want = "two\n"
		}
		if got := readCombined(t, path, ReadOptions{Tail: tail}); got != want {
			t.Errorf("tail %d: %q, want %q", tail, got, want)
		}
	}
	// Reopening repairs the tail, so new records are readable.
	w2, err := NewWriter(path, DefaultMaxSize, DefaultMaxFiles)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w2.Stream(Stdout), "three\n")
	w2.Close()
	if got := readCombined(t, path, ReadOptions{Tail: -1}); got != "one\ntwo\nthree\n" {
		t.Errorf("after reopen: %q", got)
	}
	// A file with no newline at all.
	p2 := filepath.Join(t.TempDir(), "x.log")
	os.WriteFile(p2, []byte("2024-05-01T10:00:00Z stdout F no newline"), 0o640)
	if got := readCombined(t, p2, ReadOptions{Tail: 3}); got != "" {
		t.Errorf("unterminated only: %q", got)
	}
	// A missing log is empty.
	if got := readCombined(t, filepath.Join(t.TempDir(), "none.log"), ReadOptions{Tail: -1}); got != "" {
		t.Errorf("missing log: %q", got)
	}
}

func logFiles(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + "*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRotation(t *testing.T) {
	const maxSize, maxFiles = 4096, 3
	w, path := newTestWriter(t, maxSize, maxFiles)
	out, errs := w.Stream(Stdout), w.Stream(Stderr)
	const n = 1000
	var lines []string
	for i := 0; i < n; i++ {
		s := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i%50))
		if i%4 == 0 {
			mustWrite(t, errs, s)
		} else {
			mustWrite(t, out, s)
		}
		lines = append(lines, s)
	}
	files := logFiles(t, path)
	if len(files) != maxFiles {
		t.Errorf("files %v, want %d", files, maxFiles)
	}
	var total int64
	records := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		records += bytes.Count(data, []byte("\n"))
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > maxSize {
			t.Errorf("%s has %d bytes > %d", f, st.Size(), maxSize)
		}
		total += st.Size()
	}
	if total > maxSize*maxFiles {
		t.Errorf("total %d > %d", total, maxSize*maxFiles)
	}
	// All the kept lines form the newest, in order.
	all := readCombined(t, path, ReadOptions{Tail: -1})
	if !strings.HasSuffix(strings.Join(lines, ""), all) || !strings.HasPrefix(all, "line ") || strings.Count(all, "\n") != records || total < (maxFiles-1)*maxSize {
		t.Errorf("read all returned %d lines of %d records in %d bytes, not a suffix of the written lines", strings.Count(all, "\n"), records, total)
	}
	for _, k := range []int{1, 5, 40} {
		want := strings.Join(lines[n-k:], "")
		if got := readCombined(t, path, ReadOptions{Tail: k}); got != want {
			t.Errorf("tail %d: %q, want %q", k, got, want)
		}
	}
	// A tail spanning all files.
	kept := strings.Count(all, "\n")
	if got := readCombined(t, path, ReadOptions{Tail: kept - 1}); got != strings.Join(lines[n-kept+1:], "") {
		t.Errorf("tail %d across files wrong", kept-1)
	}
}

func TestRotationSingleFile(t *testing.T) {
	w, path := newTestWriter(t, 1000, 1)
	out := w.Stream(Stdout)
	for i := 0; i < 100; i++ {
		mustWrite(t, out, fmt.Sprintf("line %d\n", i))
	}
	if files := logFiles(t, path); len(files) != 1 {
		t.Errorf("files %v", files)
	}
	got := readCombined(t, path, ReadOptions{Tail: -1})
	if !strings.HasSuffix(got, "line 99\n") || !strings.HasPrefix(got, "line ") {
		t.Errorf("got %q", got)
	}
}

func TestRecordLargerThanMaxSize(t *testing.T) {
	w, path := newTestWriter(t, 100, 2)
	out := w.Stream(Stdout)
	big := strings.Repeat("b", 500)
	mustWrite(t, out, "a\n"+big+"\nc\n")
	if got := readCombined(t, path, ReadOptions{Tail: -1}); got != big+"\nc\n" {
		t.Errorf("got %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFollowAppendAndRotation(t *testing.T) {
	w, path := newTestWriter(t, 2048, 3)
	out := w.Stream(Stdout)
	mustWrite(t, out, "old 1\nold 2\n")

	var buf syncBuffer
	done := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- Read(context.Background(), path, ReadOptions{Follow: true, Tail: 1, Done: done}, &buf, &buf)
	}()
	waitFor(t, "tail", func() bool { return buf.String() == "old 2\n" })
	mustWrite(t, out, "new 1\n")
	waitFor(t, "appended line", func() bool { return buf.String() == "old 2\nnew 1\n" })

	// Enough to rotate several times, in bursts.
	want := "old 2\nnew 1\n"
	for i := 0; i < 200; i++ {
		s := fmt.Sprintf("rotating line %03d\n", i)
		mustWrite(t, out, s)
		want += s
		if i%50 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(t, "lines after rotation", func() bool { return buf.String() == want })
	mustWrite(t, out, "last")
	out.Close()
	close(done)
	if err := <-res; err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got := buf.String(); got != want+"last" {
		t.Errorf("follow output ends with %q", got[max(0, len(got)-40):])
	}
}

func TestFollowMissingFileAndCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	var buf syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- Read(ctx, path, ReadOptions{Follow: true, Tail: -1}, &buf, &buf) }()
	time.Sleep(50 * time.Millisecond)
	w, err := NewWriter(path, DefaultMaxSize, DefaultMaxFiles)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustWrite(t, w.Stream(Stderr), "hello\n")
	waitFor(t, "line in new file", func() bool { return buf.String() == "hello\n" })
	cancel()
	if err := <-res; err != context.Canceled {
		t.Errorf("Read returned %v, want context.Canceled", err)
	}
}

func TestFollowMaxFileOne(t *testing.T) {
	w, path := newTestWriter(t, 4096, 1)
	out := w.Stream(Stdout)
	var buf syncBuffer
	done := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- Read(context.Background(), path, ReadOptions{Follow: true, Tail: -1, Done: done}, &buf, &buf)
	}()
	for i := 0; i < 20; i++ {
		s := fmt.Sprintf("line %d %s\n", i, strings.Repeat("y", 600))
		mustWrite(t, out, s)
		waitFor(t, "line "+strconv.Itoa(i), func() bool { return strings.HasSuffix(buf.String(), s) })
	}
	close(done)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\n"); got != 20 {
		t.Errorf("%d lines, want 20", got)
	}
}

// Two writers, 200000 lines, many rotations, followed concurrently: every
// line arrives once, in order.
func TestManyLinesFollowedNoneLost(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	w, path := newTestWriter(t, 1<<20, 1000)
	const perStream = 100000
	var outb, errb syncBuffer
	done := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- Read(context.Background(), path, ReadOptions{Follow: true, Tail: -1, Done: done}, &outb, &errb)
	}()

	var wg sync.WaitGroup
	for _, name := range []string{Stdout, Stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := w.Stream(name)
			var b []byte
			for i := 0; i < perStream; i++ {
				b = fmt.Appendf(b, "%s %d\n", name, i)
				if i%7 == 0 || i == perStream-1 {
					if _, err := s.Write(b); err != nil {
						t.Error(err)
						return
					}
					b = b[:0]
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  string
	}{{Stdout, outb.String()}, {Stderr, errb.String()}} {
		lines := strings.Split(strings.TrimSuffix(c.got, "\n"), "\n")
		if len(lines) != perStream {
			t.Errorf("%s: %d lines, want %d", c.name, len(lines), perStream)
		}
		for i, l := range lines {
			if want := c.name + " " + strconv.Itoa(i); l != want {
				t.Fatalf("%s line %d is %q, want %q", c.name, i, l, want)
			}
		}
	}
	// And a plain read of everything agrees.
	so, se := readAll(t, path, ReadOptions{Tail: -1})
	if so != outb.String() || se != errb.String() {
		t.Error("plain read differs from follow")
	}
	if n := len(logFiles(t, path)); n < 5 {
		t.Errorf("only %d files: rotation not exercised", n)
	}
}

func TestParseLogOpts(t *testing.T) {
	size, files, err := ParseLogOpts(nil)
	if err != nil || size != DefaultMaxSize || files != DefaultMaxFiles {
		t.Errorf("defaults: %d %d %v", size, files, err)
	}
	size, files, err = ParseLogOpts([]string{"max-size=10m", "max-file=3"})
	if err != nil || size != 10<<20 || files != 3 {
		t.Errorf("10m/3: %d %d %v", size, files, err)
	}
	size, _, err = ParseLogOpts([]string{"max-size=512k"})
	if err != nil || size != 512<<10 {
		t.Errorf("512k: %d %v", size, err)
	}
	for _, bad := range []string{"max-size=ten", "max-size=0", "max-file=0", "max-file=x", "compress=true", "max-size"} {
		if _, _, err := ParseLogOpts([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		} else {
			t.Logf("%s: %v", bad, err)
		}
	}
}

func TestBinaryURI(t *testing.T) {
	s := BinaryURI("/usr/local/bin/lumper-logger", "/var/lib/lumper/c 1/ctr.log", 1<<20, 2,
		"/usr/local/bin/lumper", []string{"--namespace", "a&b=c", "internal-reap"})
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "binary" || u.Path != "/usr/local/bin/lumper-logger" || u.Host != "" || !strings.HasPrefix(s, "binary:///usr/local/bin/lumper-logger?") {
		t.Errorf("uri %s", s)
	}
	q := u.Query()
	if q.Get("--log-path") != "/var/lib/lumper/c 1/ctr.log" || q.Get("--max-size") != "1048576" || q.Get("--max-file") != "2" ||
		q.Get("--on-exit") != "/usr/local/bin/lumper" ||
		!slices.Equal(strings.Split(q.Get("--on-exit-args"), OnExitArgsSep), []string{"--namespace", "a&b=c", "internal-reap"}) {
		t.Errorf("query %v", q)
	}
	if s := BinaryURI("/l", "/x.log", 1, 1, "", nil); strings.Contains(s, "on-exit") {
		t.Errorf("uri without exit program: %s", s)
	}
	u, err = url.Parse(BinaryURIWithNetNS("/l", "/x.log", 1, 1, "/lumper", []string{"reap"}, "/run/netns/n 1", []string{"--a", "netns"}))
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("--netns") != "/run/netns/n 1" || q.Get("--on-netns-args") != "--a"+OnExitArgsSep+"netns" || q.Get("--on-exit-args") != "reap" {
		t.Errorf("query with network namespace %v", q)
	}
	if s := BinaryURIWithNetNS("/l", "/x.log", 1, 1, "/lumper", nil, "", []string{"netns"}); strings.Contains(s, "netns") {
		t.Errorf("uri without network namespace: %s", s)
	}
}

// A rotation right after the tail was computed: the new file's records are
// not mistaken for records before the tail.
func TestFollowTailThenRotation(t *testing.T) {
	w, path := newTestWriter(t, 200, 3)
	out := w.Stream(Stdout)
	for i := 0; i < 4; i++ {
		mustWrite(t, out, fmt.Sprintf("l%d\n", i))
	}
	var buf syncBuffer
	done := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- Read(context.Background(), path, ReadOptions{Follow: true, Tail: 1, Done: done}, &buf, &buf)
	}()
	waitFor(t, "tail", func() bool { return buf.String() == "l3\n" })
	mustWrite(t, out, "l4\n") // does not fit: rotates first
	if files := logFiles(t, path); len(files) != 2 {
		t.Fatalf("files %v: no rotation", files)
	}
	waitFor(t, "line after rotation", func() bool { return buf.String() == "l3\nl4\n" })
	close(done)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// Overlong junk lines (not records) are skipped without holding them in
// memory, reading forwards and backwards.
func TestOverlongJunkLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.log")
	rec := func(s string) string { return "2024-05-01T10:00:00.000000000Z stdout F " + s + "\n" }
	junk := strings.Repeat("j", 3<<20)
	data := rec("a") + junk + "\n" + rec("b") + junk + "\n" + rec("c") + junk
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tail := range []int{-1, 1, 2, 3, 10} {
		want := map[int]string{-1: "a\nb\nc\n", 1: "c\n", 2: "b\nc\n", 3: "a\nb\nc\n", 10: "a\nb\nc\n"}[tail]
		if got := readCombined(t, path, ReadOptions{Tail: tail}); got != want {
			t.Errorf("tail %d: %q, want %q", tail, got, want)
		}
	}
}
