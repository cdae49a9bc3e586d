package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// A whole log printed as it is (no --tail, --since, --until or -t, not
// followed) is cut into chunks that end on record boundaries, and the
// chunks are read on all cores, each into buffers of its own, then written
// out in order. Each chunk is read exactly as the serial reader would read
// it (drainMapped, process), so the output is the same bytes in the same
// order, and a chunk's writes to stdout and stderr keep their order too.

// boundaryScan bounds the search for a chunk's first line end; a chunk
// whose boundary falls in a longer (junk) line is joined to the next.
const boundaryScan = 64 << 10

// parallelChunk is the nominal size of a chunk, and parallelMin the
// smallest log read in parallel; parallelRead turns it on. Tests change
// them.
var (
	parallelChunk int64 = 4 << 20
	parallelMin         = 2 * parallelChunk
	parallelRead        = true
)

// chunk is a part of one log file, from a line start to a line end.
type chunk struct {
	f          *os.File
	start, end int64
	segs       []segment
	err        error
	done       chan struct{}
}

// segment is output of one stream, in the order it was printed.
type segment struct {
	stream int
	b      []byte
}

// segBufSize is the size of a chunk's output buffers, recycled through
// segBufs once written: a read allocates a few, not one per chunk.
const segBufSize = 256 << 10

var segBufs = sync.Pool{New: func() any { b := make([]byte, 0, segBufSize); return &b }}

func getSegBuf() []byte { return (*segBufs.Get().(*[]byte))[:0] }

func putSegBuf(b []byte) {
	if cap(b) == segBufSize {
		segBufs.Put(&b)
	}
}

// segSink collects a chunk's output for one stream.
type segSink struct {
	c      *chunk
	stream int
}

func (s segSink) Write(p []byte) (int, error) {
	s.c.segs = append(s.c.segs, segment{s.stream, append([]byte(nil), p...)})
	return len(p), nil
}

// readParallel prints the files of v from their start, as readInitial
// would. It reports false, having printed nothing, when v is too small or
// the machine has one core.
func (r *reader) readParallel(v *vlog) (bool, error) {
	workers := runtime.GOMAXPROCS(0)
	if !parallelRead || workers < 2 || v.size < parallelMin || !r.plain() {
		return false, nil
	}
	chunks, err := splitChunks(v)
	if err != nil {
		return false, nil // the serial reader reports it
	}
	ctx, cancel := context.WithCancel(r.ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait() // no worker left using the files
	}()
	// At most 2×workers chunks are read ahead of the writer (a chunk's
	// output is at most its size), and workers at once.
	ahead := make(chan struct{}, 2*workers)
	sem := make(chan struct{}, workers)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, c := range chunks {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(c *chunk) {
				defer wg.Done()
				defer func() { <-sem }()
				defer close(c.done)
				c.err = r.readChunk(ctx, c)
			}(c)
		}
	}()
	for _, c := range chunks {
		select {
		case <-c.done:
		case <-r.ctx.Done():
			return true, r.ctx.Err()
		}
		if c.err != nil {
			return true, c.err
		}
		for _, s := range c.segs {
			o := r.out[s.stream]
			if o == nil || o.err != nil {
				continue
			}
			if _, err := o.w.Write(s.b); err != nil {
				o.err = fmt.Errorf("writing logs: %w", err)
				return true, o.err
			}
			putSegBuf(s.b)
		}
		c.segs = nil
		<-ahead
	}
	return true, nil
}

// readChunk prints c's records into c's segments, with a reader of its own.
func (r *reader) readChunk(ctx context.Context, c *chunk) error {
	sub := &reader{ctx: ctx, path: r.path, opts: r.opts, shared: r.shared}
	size := c.end - c.start
	for s := range sub.out {
		if r.out[s] == nil {
			continue
		}
		if s == idxStderr && r.shared && r.out[idxStderr] == r.out[idxStdout] {
			sub.out[s] = sub.out[idxStdout]
			continue
		}
		stream := s
		sub.out[s] = &outBuf{w: segSink{c: c, stream: s}, buf: getSegBuf(), handoff: func(b []byte) []byte {
			c.segs = append(c.segs, segment{stream, b})
			return getSegBuf()
		}}
	}
	sub.startFile(0, c.start)
	done, err := sub.drainMapped(c.f, c.start, c.end)
	if err != nil {
		return err
	}
	if !done {
		// Not mappable: read it.
		sub.buf = make([]byte, readBufSize)
		sr := io.NewSectionReader(c.f, c.start, size)
		if err := sub.drainReader(sr); err != nil {
			return err
		}
	}
	err = sub.flushOutputs()
	for _, o := range sub.out {
		if o != nil && o.buf != nil {
			putSegBuf(o.buf)
			o.buf = nil
		}
	}
	return err
}

// drainReader is drain over any reader (a section of a file).
func (r *reader) drainReader(rd io.Reader) error {
	for {
		if r.hi == len(r.buf) {
			if r.lo == 0 {
				return errors.New("reading log: line too long") // cannot happen: chunks hold records
			}
			r.hi = copy(r.buf, r.buf[r.lo:r.hi])
			r.lo = 0
		}
		n, err := rd.Read(r.buf[r.hi:])
		r.hi += n
		if n > 0 {
			if perr := r.process(); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// splitChunks cuts each file of v into chunks of about parallelChunk bytes
// that start after a newline.
func splitChunks(v *vlog) ([]*chunk, error) {
	var chunks []*chunk
	probe := make([]byte, boundaryScan)
	for i, f := range v.files {
		size := fileSize(v, i)
		start := int64(0)
		for next := parallelChunk; next < size; next += parallelChunk {
			if next <= start {
				continue
			}
			n, err := f.ReadAt(probe[:min(int64(len(probe)), size-next)], next)
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			nl := bytes.IndexByte(probe[:n], '\n')
			if nl < 0 {
				continue // a junk line: the chunk goes on
			}
			end := next + int64(nl) + 1
			chunks = append(chunks, &chunk{f: f, start: start, end: end, done: make(chan struct{})})
			start = end
		}
		if start < size {
			chunks = append(chunks, &chunk{f: f, start: start, end: size, done: make(chan struct{})})
		}
	}
	return chunks, nil
}
