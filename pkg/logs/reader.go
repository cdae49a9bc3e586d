package logs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ReadOptions select what Read prints.
type ReadOptions struct {
	// Follow keeps reading new records after the end of the log, across
	// rotations, until the context is cancelled or Done is closed.
	Follow bool
	// Tail limits the output to the last Tail lines; -1 prints all lines.
	Tail int
	// Since and Until, when not zero, drop records timestamped before Since
	// or after Until.
	Since, Until time.Time
	// Timestamps prefixes each line with its RFC 3339 timestamp and a space.
	Timestamps bool
	// Done, when closed during Follow, makes Read print what is left in the
	// log and return nil.
	Done <-chan struct{}
	// Following, if set, is called once when Follow starts waiting for new
	// records: anything written from then on will be read (attach sends
	// input only then, so the reply is not missed).
	Following func()
}

const (
	readBufSize   = 128 * 1024
	outBufSize    = 64 * 1024
	tailChunkSize = 64 * 1024
	// tailPrefixWindow bounds how far the tail computation looks back for
	// the P records that start the oldest printed lines.
	tailPrefixWindow = 256 * 1024
	// pollInterval is how often a follower checks the file when it gets no
	// inotify events (or inotify is not available).
	pollInterval = 250 * time.Millisecond
	// maxLineBuf bounds the memory used for one line: longer lines cannot
	// be records (whose content is at most MaxLineSize) and are skipped.
	maxLineBuf = 1 << 20
	// maxRotated bounds the search for rotated files.
	maxRotated = 1000
)

// Read prints the records of the log at path (and of its rotated files,
// oldest first): the content of stdout records to stdout, of stderr records
// to stderr (a nil writer drops its stream; the same writer for both keeps
// their order). Lines that do not parse, such as a last line truncated by a
// crash, are skipped. A missing log is empty. Read returns ctx.Err() when
// ctx is cancelled.
//
// With Follow, Read waits for new records (woken by inotify, or polling),
// finishes a file that was rotated before going on with the new one, and
// rewinds a file truncated in place (max-file 1); with max-file 1 the
// records written between two checks of a file that is truncated and grows
// back past the reader's offset are missed.
func Read(ctx context.Context, path string, opts ReadOptions, stdout, stderr io.Writer) (retErr error) {
	r := &reader{ctx: ctx, path: path, opts: opts, buf: make([]byte, readBufSize)}
	if !opts.Since.IsZero() {
		r.hasSince, r.since = true, opts.Since.UnixNano()
	}
	if !opts.Until.IsZero() {
		r.hasUntil, r.until = true, opts.Until.UnixNano()
	}
	r.setOutputs(stdout, stderr)
	defer func() {
		if err := r.flushOutputs(); err != nil && retErr == nil {
			retErr = err
		}
	}()

	var w *watcher
	if opts.Follow {
		// Watch before listing the files so that no change is missed.
		w = newWatcher(filepath.Dir(path))
		defer w.close()
	}

	files, err := openLogFiles(path)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	if err := r.readInitial(files); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	if opts.Following != nil {
		opts.Following()
	}
	// Keep only the current file open: a rotated file that the writer
	// deletes must not stay allocated while following.
	var cur *os.File
	if n := len(files); n > 0 && files[n-1].Name() == path {
		cur, files[n-1] = files[n-1], nil
	}
	for i, f := range files {
		if f != nil {
			f.Close()
			files[i] = nil
		}
	}
	return r.follow(cur, w)
}

type reader struct {
	ctx  context.Context
	path string
	opts ReadOptions

	hasSince, hasUntil bool
	since, until       int64

	// Cache of parseTimestamp: the second of the last timestamp parsed.
	sec      [19]byte
	secVal   int64
	secValid bool

	out      [2]*outBuf
	shared   bool // both streams go to the same writer
	last     int  // stream of the last record printed
	mid      [2]bool
	buf      []byte
	lo, hi   int  // unprocessed bytes of the current file in buf
	junk     bool // skipping an overlong line up to its newline
	fileOff  int64
	fileBase int64 // position of the current file in the virtual log

	// Tail: records before scanEnd of stream s are printed only from
	// position skip[s] on.
	skipping bool
	scanEnd  int64
	skip     [2]int64
}

// openLogFiles opens the rotated files, oldest first, then the current one.
func openLogFiles(path string) ([]*os.File, error) {
	n := 0
	for n < maxRotated {
		if _, err := os.Lstat(rotatedName(path, n+1)); err != nil {
			break
		}
		n++
	}
	var files []*os.File
	for i := n; i >= 0; i-- {
		f, err := os.Open(rotatedName(path, i))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // rotated away in the meantime
			}
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("opening log: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// readInitial prints what the files hold now, applying Tail.
func (r *reader) readInitial(files []*os.File) error {
	if len(files) == 0 {
		return nil
	}
	v := &vlog{files: files}
	for _, f := range files {
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
		v.bases = append(v.bases, v.size)
		v.size += st.Size()
	}
	var start int64
	if r.opts.Tail >= 0 {
		var err error
		if start, err = r.tailStart(v); err != nil {
			return err
		}
	}
	// Find the file holding start; start == v.size selects the last file.
	k := len(files) - 1
	for i := range files {
		if start < v.bases[i]+fileSize(v, i) {
			k = i
			break
		}
	}
	for i := k; i < len(files); i++ {
		off := int64(0)
		if i == k {
			off = start - v.bases[i]
		}
		if _, err := files[i].Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
		r.startFile(v.bases[i], off)
		if !r.opts.Follow && mapLogs {
			// Read what the file held when it was listed, mapped rather
			// than copied (a follower reads on from the end of the file).
			done, err := r.drainMapped(files[i], off, fileSize(v, i))
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := r.drain(files[i]); err != nil {
			return err
		}
	}
	// What follows (in this file or after a rotation) is new.
	r.skipping = false
	return nil
}

func fileSize(v *vlog, i int) int64 {
	if i+1 < len(v.bases) {
		return v.bases[i+1] - v.bases[i]
	}
	return v.size - v.bases[i]
}

// startFile resets the read buffer for a file read from offset off.
func (r *reader) startFile(base, off int64) {
	r.lo, r.hi, r.junk = 0, 0, false
	r.fileBase, r.fileOff = base, off
}

// drain prints the complete records of f from its current offset to its end.
// An incomplete last line stays in the buffer, to be completed by the next
// drain of the same file.
func (r *reader) drain(f *os.File) error {
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if r.lo == r.hi {
			r.lo, r.hi = 0, 0
		} else if r.hi == len(r.buf) {
			switch {
			case r.lo > 0:
				r.hi = copy(r.buf, r.buf[r.lo:r.hi])
				r.lo = 0
			case len(r.buf) < maxLineBuf:
				// A line longer than the buffer.
				nb := make([]byte, 2*len(r.buf))
				copy(nb, r.buf[:r.hi])
				r.buf = nb
			default:
				// Too long to be a record: drop it up to its newline.
				r.lo, r.hi, r.junk = 0, 0, true
			}
		}
		n, err := f.Read(r.buf[r.hi:])
		r.hi += n
		r.fileOff += int64(n)
		if n > 0 {
			if perr := r.process(); perr != nil {
				return perr
			}
		}
		if err == io.EOF || (err == nil && n == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
	}
}

// mapWindow is how much of a log file drainMapped maps at a time: large
// enough that the mappings cost nothing, small enough that the pages of a
// large log never all count in the reader's memory.
// mapLogs turns drainMapped on; tests compare it with reading, with a
// smaller window.
var (
	mapWindow int64 = 2 << 20
	mapLogs         = true
)

// drainMapped prints the complete records of f from off to size through
// memory mappings of the file, which spares the copy of every byte that
// read(2) makes: reading a long log costs little more than cat's reads. It
// reports false, having printed nothing, when f cannot be mapped; the
// caller then reads it. A file truncated under the mapping (max-file 1)
// ends the read where it was cut instead of crashing on SIGBUS.
func (r *reader) drainMapped(f *os.File, off, size int64) (bool, error) {
	if size-off < readBufSize {
		return false, nil // not worth a mapping
	}
	page := int64(os.Getpagesize())
	saved := r.buf
	defer func() { r.buf, r.lo, r.hi = saved, 0, 0 }()
	for off < size {
		if err := r.ctx.Err(); err != nil {
			return true, err
		}
		ws := off &^ (page - 1)
		we := min(ws+mapWindow, size)
		m, err := unix.Mmap(int(f.Fd()), ws, int(we-ws), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			if ws == off && off == r.fileOff {
				return false, nil // nothing printed yet from this file
			}
			return true, fmt.Errorf("reading log: %w", err)
		}
		_ = unix.Madvise(m, unix.MADV_SEQUENTIAL)
		r.buf, r.lo, r.hi = m, int(off-ws), len(m)
		r.fileOff = we
		faulted, perr := r.processMapped()
		next := ws + int64(r.lo)
		_ = unix.Munmap(m)
		if perr != nil {
			return true, perr
		}
		if faulted {
			return true, nil // truncated meanwhile: the rest is gone
		}
		if next == off {
			// No complete line in the window: an incomplete last line,
			// or a line too long to be a record.
			if we == size {
				break
			}
			r.junk, next = true, we
		}
		off = next
	}
	r.fileOff = size
	return true, nil
}

// processMapped is process over a mapping, with a fault (the file was
// truncated under it) reported instead of crashing the program.
func (r *reader) processMapped() (faulted bool, err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if e := recover(); e != nil {
			if re, ok := e.(runtime.Error); ok && strings.Contains(re.Error(), "fault") {
				faulted = true
				return
			}
			panic(e)
		}
	}()
	return false, r.process()
}

// process prints the complete lines in buf[lo:hi].
func (r *reader) process() error {
	buf := r.buf[:r.hi]
	lo := r.lo
	if r.junk {
		nl := bytes.IndexByte(buf[lo:], '\n')
		if nl < 0 {
			r.lo = r.hi
			return nil
		}
		lo += nl + 1
		r.junk = false
	}
	if plainCopy && r.plain() {
		lo = r.copyPlain(buf, lo)
	}
	var rec record
	for lo < len(buf) {
		rest := buf[lo:]
		var line []byte
		if parseHeaderFast(rest, &rec) {
			// The newline can only be in the content.
			nl := bytes.IndexByte(rest[headerLen:], '\n')
			if nl < 0 {
				break
			}
			line = rest[:headerLen+nl]
			rec.content = line[headerLen:]
		} else {
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 {
				break
			}
			line = rest[:nl]
			if !parseRecord(line, &rec) {
				lo += nl + 1
				continue
			}
		}
		pos := lo
		lo += len(line) + 1
		if r.skipping {
			gpos := r.fileBase + r.fileOff - int64(r.hi-pos)
			if gpos >= r.scanEnd {
				r.skipping = false
			} else if gpos < r.skip[rec.stream] {
				continue
			}
		}
		if r.hasSince || r.hasUntil {
			ts, ok := r.parseTimestamp(rec.ts)
			if !ok || (r.hasSince && ts < r.since) || (r.hasUntil && ts > r.until) {
				continue
			}
		}
		r.emit(&rec)
	}
	r.lo = lo
	for _, o := range r.out {
		if o != nil && o.err != nil {
			return o.err
		}
	}
	return nil
}

// plainCopy turns copyPlain on; tests compare it with the record path.
var plainCopy = true

// plain reports whether every record is printed as it is: no tail being
// skipped, no time filter, no timestamps.
func (r *reader) plain() bool {
	return !r.skipping && !r.hasSince && !r.hasUntil && !r.opts.Timestamps
}

// copyPlain prints the records of buf from lo on, as long as they have the
// writer's fixed-width header, and returns where it stopped: at the first
// incomplete line, or at a line process must look at (another header, an
// overlong line). A record's content is followed by its newline in the log,
// so a full line is copied with its newline in one piece.
func (r *reader) copyPlain(buf []byte, lo int) int {
	for len(buf)-lo > headerLen {
		rest := buf[lo:]
		var stream int
		switch binary.LittleEndian.Uint64(rest[tsLen : tsLen+8]) {
		case hdrStdout:
			stream = idxStdout
		case hdrStderr:
			stream = idxStderr
		default:
			return lo
		}
		tag := rest[headerLen-2]
		if rest[tsLen-1] != 'Z' || rest[10] != 'T' || rest[headerLen-1] != ' ' || (tag != TagFull && tag != TagPartial) {
			return lo
		}
		content := rest[headerLen:]
		if o := r.out[stream]; len(content) >= 8 && tag == TagFull && stream == r.last && o != nil && cap(o.buf)-len(o.buf) >= 8 {
			// The common case, a short full line of the stream printed
			// last: its first 8 bytes hold the newline, stored as one
			// word (what follows the newline is overwritten next).
			x := binary.LittleEndian.Uint64(content)
			if n := shortWordLineEnd(x); n >= 0 {
				l := len(o.buf)
				binary.LittleEndian.PutUint64(o.buf[l:l+8], x)
				o.buf = o.buf[:l+n+1]
				r.mid[stream] = false
				lo += headerLen + n + 1
				continue
			}
		}
		nl := shortLineEnd(content)
		if nl < 0 {
			if nl = bytes.IndexByte(content, '\n'); nl < 0 {
				return lo
			}
		}
		lo += headerLen + nl + 1
		o := r.out[stream]
		if o == nil {
			continue
		}
		if stream != r.last {
			if !r.shared {
				// Keep the order of the two streams on a shared terminal.
				r.out[r.last].flush()
			}
			r.last = stream
		}
		r.mid[stream] = tag == TagPartial
		seg := content[:nl+1] // with the newline
		if tag == TagPartial {
			seg = content[:nl]
		}
		if len(o.buf)+len(seg) <= cap(o.buf) {
			o.buf = append(o.buf, seg...)
		} else {
			o.write(seg)
			if o.err != nil {
				return lo
			}
		}
	}
	return lo
}

// shortLineEnd returns the index of the first newline in the first 8 bytes
// of b, or -1: one word tested at once (the zero-byte trick on b XOR
// "\n\n\n\n\n\n\n\n"), cheaper than IndexByte for the short lines many
// programs print.
func shortLineEnd(b []byte) int {
	if len(b) < 8 {
		return -1
	}
	return shortWordLineEnd(binary.LittleEndian.Uint64(b))
}

// shortWordLineEnd is shortLineEnd of the 8 bytes of w, little-endian.
func shortWordLineEnd(w uint64) int {
	x := w ^ 0x0a0a0a0a0a0a0a0a
	t := (x - 0x0101010101010101) &^ x & 0x8080808080808080
	if t == 0 {
		return -1
	}
	return bits.TrailingZeros64(t) / 8
}

// parseTimestamp is parseTimestamp with a cache of the last second seen:
// consecutive records mostly share it.
func (r *reader) parseTimestamp(ts []byte) (int64, bool) {
	if len(ts) == tsLen && ts[19] == '.' && ts[tsLen-1] == 'Z' && r.secValid && string(ts[:19]) == string(r.sec[:]) {
		var n int64
		for _, c := range ts[20 : tsLen-1] {
			if c < '0' || c > '9' {
				return parseTimestamp(ts)
			}
			n = n*10 + int64(c-'0')
		}
		return r.secVal + n, true
	}
	v, ok := parseTimestamp(ts)
	if ok && len(ts) == tsLen && ts[19] == '.' && ts[tsLen-1] == 'Z' {
		if sec, ok := parseUTCFast(append(ts[:19:19], 'Z')); ok {
			copy(r.sec[:], ts[:19])
			r.secVal, r.secValid = sec, true
		}
	}
	return v, ok
}

func (r *reader) emit(rec *record) {
	s := rec.stream
	o := r.out[s]
	if o == nil {
		return
	}
	if s != r.last {
		if !r.shared {
			// Keep the order of the two streams on a shared terminal.
			r.out[r.last].flush()
		}
		r.last = s
	}
	if r.opts.Timestamps && !r.mid[s] {
		o.write(rec.ts)
		o.writeByte(' ')
	}
	r.mid[s] = rec.partial
	if !rec.partial && len(o.buf)+len(rec.content) < cap(o.buf) {
		// Fast path: the whole line fits in the buffer.
		o.buf = append(o.buf, rec.content...)
		o.buf = append(o.buf, '\n')
		return
	}
	o.write(rec.content)
	if !rec.partial {
		o.writeByte('\n')
	}
}

func (r *reader) setOutputs(stdout, stderr io.Writer) {
	if stdout != nil {
		r.out[idxStdout] = &outBuf{w: stdout, buf: make([]byte, 0, outBufSize)}
	}
	switch {
	case stderr == nil:
	case stdout != nil && sameWriter(stdout, stderr):
		r.out[idxStderr] = r.out[idxStdout]
		r.shared = true
	default:
		r.out[idxStderr] = &outBuf{w: stderr, buf: make([]byte, 0, outBufSize)}
	}
	if r.out[idxStdout] == nil || r.out[idxStderr] == nil {
		r.shared = true // at most one output: nothing to order
	}
}

// sameWriter reports whether a and b are the same writer, without panicking
// on uncomparable dynamic types.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func (r *reader) flushOutputs() error {
	var errs []error
	for i, o := range r.out {
		if o == nil || (i == idxStderr && r.shared && o == r.out[idxStdout]) {
			continue
		}
		errs = append(errs, o.flush())
	}
	return errors.Join(errs...)
}

// outBuf is a minimal buffered writer with a sticky error.
type outBuf struct {
	w   io.Writer
	buf []byte
	err error
}

func (o *outBuf) write(b []byte) {
	if len(o.buf)+len(b) > cap(o.buf) {
		o.flush()
		if len(b) > cap(o.buf) {
			if o.err == nil {
				if _, err := o.w.Write(b); err != nil {
					o.err = fmt.Errorf("writing logs: %w", err)
				}
			}
			return
		}
	}
	o.buf = append(o.buf, b...)
}

func (o *outBuf) writeByte(c byte) {
	if len(o.buf) == cap(o.buf) {
		o.flush()
	}
	o.buf = append(o.buf, c)
}

func (o *outBuf) flush() error {
	if o == nil {
		return nil
	}
	if len(o.buf) > 0 && o.err == nil {
		if _, err := o.w.Write(o.buf); err != nil {
			o.err = fmt.Errorf("writing logs: %w", err)
		}
	}
	o.buf = o.buf[:0]
	return o.err
}

// vlog is the concatenation of the log files, oldest first.
type vlog struct {
	files []*os.File
	bases []int64
	size  int64
}

// readAt fills p from position off of the virtual log.
func (v *vlog) readAt(p []byte, off int64) error {
	for len(p) > 0 {
		i := len(v.bases) - 1
		for i > 0 && v.bases[i] > off {
			i--
		}
		end := v.bases[i] + fileSize(v, i)
		n := int64(len(p))
		if off+n > end {
			n = end - off
		}
		if n <= 0 {
			return io.ErrUnexpectedEOF
		}
		if _, err := v.files[i].ReadAt(p[:n], off-v.bases[i]); err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
		p, off = p[n:], off+n
	}
	return nil
}

// tailStart computes where printing starts for opts.Tail by scanning the log
// backwards, and sets up the skipping of records that precede the printed
// lines in the file but belong to other lines. A line is complete at its F
// record (or at the last P record of its stream); the P records before it are
// printed with it.
func (r *reader) tailStart(v *vlog) (int64, error) {
	b := &backScanner{v: v, bs: v.size}
	scanEnd, err := b.init()
	if err != nil {
		return 0, err
	}
	r.skipping, r.scanEnd = true, scanEnd
	r.skip = [2]int64{scanEnd, scanEnd}
	start := scanEnd
	if r.opts.Tail == 0 {
		return start, nil
	}
	var (
		rec          record
		count        int
		seen         [2]bool
		counting     = true
		pending      [2]bool
		lastProgress int64
	)
	for {
		line, pos, ok, err := b.prev()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		if !parseRecord(line, &rec) {
			continue
		}
		s := rec.stream
		if counting {
			if r.hasSince || r.hasUntil {
				ts, ok := parseTimestamp(rec.ts)
				if !ok || (r.hasUntil && ts > r.until) {
					continue
				}
				if r.hasSince && ts < r.since {
					break
				}
			}
			start, r.skip[s] = pos, pos
			if !rec.partial || !seen[s] {
				count++
			}
			seen[s] = true
			if count >= r.opts.Tail {
				counting, pending, lastProgress = false, seen, pos
			}
			continue
		}
		if (!pending[0] && !pending[1]) || lastProgress-pos > tailPrefixWindow {
			break
		}
		if !pending[s] {
			continue
		}
		if rec.partial {
			start, r.skip[s], lastProgress = pos, pos, pos
		} else {
			pending[s] = false
		}
	}
	return start, nil
}

// backScanner yields the lines of a vlog from the last to the first.
type backScanner struct {
	v    *vlog
	buf  []byte // v[bs:bs+len(buf)]
	bs   int64
	end  int64 // end of the next line to yield (the position of its newline)
	done bool
}

// init positions the scanner on the last complete line and returns the
// position after it.
func (b *backScanner) init() (int64, error) {
	b.end = b.bs
	for {
		if i := bytes.LastIndexByte(b.buf, '\n'); i >= 0 {
			b.end = b.bs + int64(i)
			return b.end + 1, nil
		}
		if b.bs == 0 {
			b.done = true
			return 0, nil
		}
		b.end = b.bs // keep nothing of an unterminated last line
		if err := b.load(); err != nil {
			return 0, err
		}
	}
}

// load prepends a chunk to buf, dropping what follows end.
func (b *backScanner) load() error {
	keep := b.buf[:b.end-b.bs]
	n := min(int64(tailChunkSize), b.bs)
	nb := make([]byte, int(n)+len(keep))
	if err := b.v.readAt(nb[:n], b.bs-n); err != nil {
		return err
	}
	copy(nb[n:], keep)
	b.buf, b.bs = nb, b.bs-n
	return nil
}

// prev returns the previous line (without its newline) and its position.
func (b *backScanner) prev() ([]byte, int64, bool, error) {
	for !b.done {
		rel := b.end - b.bs
		if i := bytes.LastIndexByte(b.buf[:rel], '\n'); i >= 0 {
			b.end = b.bs + int64(i)
			return b.buf[i+1 : rel], b.bs + int64(i) + 1, true, nil
		}
		if b.bs == 0 || rel > maxLineBuf {
			// The first line, or an overlong one that cannot be a record:
			// yield what is loaded of it rather than the whole of it.
			line, pos := b.buf[:rel], b.bs
			b.end, b.done = b.bs, b.bs == 0
			return line, pos, true, nil
		}
		if err := b.load(); err != nil {
			return nil, 0, false, err
		}
	}
	return nil, 0, false, nil
}

// follow prints the records appended to cur (the file at path, or nil when
// it did not exist yet) and to the files that replace it on rotation.
func (r *reader) follow(cur *os.File, w *watcher) error {
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	var curStat os.FileInfo
	if cur != nil {
		var err error
		if curStat, err = cur.Stat(); err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
	}
	finishing := false
	for {
		if cur != nil {
			if err := r.drain(cur); err != nil {
				return err
			}
			if err := r.checkTruncated(cur); err != nil {
				return err
			}
		}
		// Rotation: finish the old file, then the files rotated after it,
		// then continue with the new one.
		next, nextStat, err := r.checkRotated(cur, curStat)
		if err != nil {
			return err
		}
		if next != nil || (cur != nil && nextStat == nil) {
			if cur != nil {
				cur.Close()
			}
			cur, curStat = next, nextStat
			if cur != nil {
				r.startFile(0, 0)
			}
			continue
		}
		if err := r.flushOutputs(); err != nil {
			return err
		}
		if finishing {
			return nil
		}
		if r.hasUntil && time.Now().UnixNano() > r.until {
			finishing = true
			continue
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-r.opts.Done:
			finishing = true
		case <-w.c:
		case <-time.After(w.interval()):
		}
	}
}

// checkTruncated rewinds f when it was truncated in place (max-file 1).
func (r *reader) checkTruncated(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading log: %w", err)
	}
	if st.Size() >= r.fileOff {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reading log: %w", err)
	}
	r.startFile(0, 0)
	return r.drain(f)
}

// checkRotated reports whether the file at path is no longer cur. It then
// prints what remains in cur and in the files rotated after it, and returns
// the new file at path (nil with a nil FileInfo when it does not exist yet).
// It returns nil, curStat when nothing changed.
func (r *reader) checkRotated(cur *os.File, curStat os.FileInfo) (*os.File, os.FileInfo, error) {
	st, err := os.Stat(r.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading log: %w", err)
	}
	if cur == nil {
		if err != nil {
			return nil, curStat, nil // still waiting for the log to appear
		}
		return r.openCurrent()
	}
	if err == nil && os.SameFile(st, curStat) {
		return nil, curStat, nil
	}
	// The writer closes a file before renaming it: what is in cur now is
	// all there will be.
	if err := r.drain(cur); err != nil {
		return nil, nil, err
	}
	// Find where cur went; the files between it and path were rotated
	// before we saw them. If cur is no longer among the rotated files it
	// was rotated out, and every rotated file that is left came after it.
	newer := 0
	for k := 1; k <= maxRotated; k++ {
		rst, err := os.Stat(rotatedName(r.path, k))
		if err != nil {
			break
		}
		newer = k
		if os.SameFile(rst, curStat) {
			newer = k - 1
			break
		}
	}
	for j := newer; j >= 1; j-- {
		f, err := os.Open(rotatedName(r.path, j))
		if err != nil {
			continue
		}
		r.startFile(0, 0)
		err = r.drain(f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	r.startFile(0, 0)
	next, nextStat, err := r.openCurrent()
	if err != nil || next != nil {
		return next, nextStat, err
	}
	return nil, nil, nil
}

// openCurrent opens the file at path; it returns nils if there is none.
func (r *reader) openCurrent() (*os.File, os.FileInfo, error) {
	f, err := os.Open(r.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("reading log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading log: %w", err)
	}
	return f, st, nil
}

// watcher wakes a follower when the log's directory changes.
type watcher struct {
	f *os.File
	c chan struct{}
}

func newWatcher(dir string) *watcher {
	w := &watcher{c: make(chan struct{}, 1)}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return w
	}
	const mask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE | unix.IN_DELETE_SELF
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return w
	}
	w.f = os.NewFile(uintptr(fd), "inotify")
	go func() {
		var buf [4096]byte
		for {
			if _, err := w.f.Read(buf[:]); err != nil {
				return
			}
			select {
			case w.c <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// interval is how long to wait for an event before checking anyway.
func (w *watcher) interval() time.Duration {
	if w.f == nil {
		return 50 * time.Millisecond
	}
	return pollInterval
}

func (w *watcher) close() {
	if w.f != nil {
		w.f.Close()
	}
}
