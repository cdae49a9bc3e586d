package commit

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A parallel gzip writer: the input is cut into fixed blocks, each block is
// deflated on its own goroutine (primed with the last 32 KiB of the block
// before it, so that matches cross block boundaries) and ended with a sync
// flush, and the blocks are written out in order as one deflate stream in
// one gzip member. Any gzip reader reads it (Go's compress/gzip, zlib,
// containerd, Docker); it is what pigz and pgzip write.
//
// The output depends only on the input, the level and the block size, never
// on the number of goroutines or their timing, and the header has no name
// and a zero mtime: the same layer gives the same digest.

const (
	gzipBlockSize = 1 << 20
	gzipDictSize  = 32 << 10
	// gzipLevel: klauspost's level 1 is faster than, and compresses like,
	// `gzip -1`; containerd's differ used the standard library's default
	// level (6), which is what made commit slower than `tar | gzip -1`.
	gzipLevel = flate.BestSpeed
)

var flatePool sync.Pool // *flate.Writer at gzipLevel

// Input blocks and compressed outputs are recycled: a commit goes through
// 100 of each per 100 MB, and fresh megabytes cost the garbage collector,
// zeroing and page faults.
var (
	inPool  = sync.Pool{New: func() any { return &inBlock{buf: make([]byte, 0, gzipBlockSize)} }}
	outPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// inBlock is one block of input. It is shared by its own compression, the
// next block's (whose dictionary is its tail) and the tee's reader; the
// last of them to release it returns it to inPool.
type inBlock struct {
	buf  []byte
	refs atomic.Int32
}

func newInBlock() *inBlock {
	b := inPool.Get().(*inBlock)
	b.buf = b.buf[:0]
	return b
}

func (b *inBlock) release() {
	if b.refs.Add(-1) == 0 {
		inPool.Put(b)
	}
}

type gzipBlock struct {
	out  *bytes.Buffer
	err  error
	done chan struct{}
}

type parallelGzip struct {
	dst      io.Writer
	level    int
	buf      *inBlock // the block being filled
	prev     *inBlock // the previous block, whose tail primes the next one
	crc      uint32
	size     uint32 // input length mod 2^32, as gzip's trailer has it
	sem      chan struct{}
	pending  chan *gzipBlock
	finished chan struct{}
	mu       sync.Mutex
	err      error // the first error of the output goroutine
	closed   bool
	// tee, when set, receives every block of input, in order, after it is
	// handed to the compressor; the blocks are never written to again, and
	// the receiver releases each once it has read it.
	tee chan<- *inBlock
}

// newParallelGzip returns a gzip writer to dst that compresses with all
// cores. Close writes the trailer; it does not close dst.
func newParallelGzip(dst io.Writer, level int) (*parallelGzip, error) {
	if _, err := flate.NewWriter(io.Discard, level); err != nil {
		return nil, err
	}
	n := runtime.GOMAXPROCS(0)
	w := &parallelGzip{
		dst:      dst,
		level:    level,
		buf:      newInBlock(),
		sem:      make(chan struct{}, n),
		pending:  make(chan *gzipBlock, n+1),
		finished: make(chan struct{}),
	}
	// ID1 ID2 CM FLG, MTIME 0, XFL, OS 255 (unknown), as Go's gzip writes it
	// without a name or time.
	hdr := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	if level == flate.BestSpeed {
		hdr[8] = 4
	}
	if _, err := dst.Write(hdr); err != nil {
		return nil, err
	}
	go w.output()
	return w, nil
}

// output writes the compressed blocks to dst in order.
func (w *parallelGzip) output() {
	defer close(w.finished)
	for b := range w.pending {
		<-b.done
		if w.failed() != nil {
			continue
		}
		err := b.err
		if err == nil {
			_, err = w.dst.Write(b.out.Bytes())
		}
		b.out.Reset()
		outPool.Put(b.out)
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
		}
	}
}

func (w *parallelGzip) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *parallelGzip) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("gzip: write after close")
	}
	if err := w.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	w.size += uint32(n)
	for len(p) > 0 {
		b := w.buf
		k := min(len(p), gzipBlockSize-len(b.buf))
		b.buf = append(b.buf, p[:k]...)
		p = p[k:]
		if len(b.buf) == gzipBlockSize {
			w.dispatch(false)
		}
	}
	return n, nil
}

// dispatch hands the current block to a compressing goroutine.
func (w *parallelGzip) dispatch(last bool) {
	in, prev := w.buf, w.prev
	in.refs.Store(2) // its compression, and the next block's dictionary
	if w.tee != nil && len(in.buf) > 0 {
		in.refs.Add(1)
		w.tee <- in
	}
	b := &gzipBlock{out: outPool.Get().(*bytes.Buffer), done: make(chan struct{})}
	w.pending <- b // bounds the blocks in memory
	w.sem <- struct{}{}
	go func() {
		defer func() { <-w.sem }()
		defer close(b.done)
		var dict []byte
		if prev != nil {
			dict = prev.buf[max(0, len(prev.buf)-gzipDictSize):]
		}
		b.out.Grow(len(in.buf) + len(in.buf)/64 + 64)
		b.err = deflateBlock(b.out, w.level, dict, in.buf, last)
		if prev != nil {
			prev.release()
		}
		in.release()
	}()
	w.prev = in
	if last {
		w.buf = nil
	} else {
		w.buf = newInBlock()
	}
}

func deflateBlock(out *bytes.Buffer, level int, dict, data []byte, last bool) error {
	var fw *flate.Writer
	if level == gzipLevel {
		fw, _ = flatePool.Get().(*flate.Writer)
	}
	if fw == nil {
		var err error
		if fw, err = flate.NewWriter(nil, level); err != nil {
			return err
		}
	}
	fw.ResetDict(out, dict)
	defer func() {
		fw.ResetDict(nil, nil) // drop the references to this block
		if level == gzipLevel {
			flatePool.Put(fw)
		}
	}()
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if last {
		return fw.Close()
	}
	return fw.Flush()
}

// Close compresses what is left, waits for every block to be written and
// writes the gzip trailer.
func (w *parallelGzip) Close() error {
	if w.closed {
		return w.failed()
	}
	w.closed = true
	w.dispatch(true)
	close(w.pending)
	<-w.finished
	w.prev.release() // no block follows it
	w.prev = nil
	if err := w.failed(); err != nil {
		return err
	}
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:4], w.crc)
	binary.LittleEndian.PutUint32(tr[4:], w.size)
	_, err := w.dst.Write(tr[:])
	return err
}

// layerWriteBuf is the size of the requests that write a layer to
// containerd's content store (one RPC per write).
const layerWriteBuf = 1 << 20

// compressLayer returns the local differ's compressor: parallel gzip,
// writing to the content store in large requests, and sending the
// uncompressed blocks to tee when it is not nil.
func compressLayer(tee chan<- *inBlock) func(dest io.Writer, mediaType string) (io.WriteCloser, error) {
	return func(dest io.Writer, mediaType string) (io.WriteCloser, error) {
		if mediaType != ocispec.MediaTypeImageLayerGzip {
			return nil, fmt.Errorf("unsupported layer media type %s", mediaType)
		}
		bw := bufio.NewWriterSize(dest, layerWriteBuf)
		zw, err := newParallelGzip(bw, gzipLevel)
		if err != nil {
			return nil, err
		}
		zw.tee = tee
		return &flushCloser{parallelGzip: zw, bw: bw}, nil
	}
}

// flushCloser closes the compressor, then flushes the buffer under it.
type flushCloser struct {
	*parallelGzip
	bw *bufio.Writer
}

func (f *flushCloser) Close() error {
	if err := f.parallelGzip.Close(); err != nil {
		return err
	}
	return f.bw.Flush()
}
