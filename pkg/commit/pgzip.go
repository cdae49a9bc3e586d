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

type gzipBlock struct {
	out  bytes.Buffer
	err  error
	done chan struct{}
}

type parallelGzip struct {
	dst      io.Writer
	level    int
	buf      []byte // the block being filled
	prev     []byte // the previous block, whose tail primes the next one
	crc      uint32
	size     uint32 // input length mod 2^32, as gzip's trailer has it
	sem      chan struct{}
	pending  chan *gzipBlock
	finished chan struct{}
	mu       sync.Mutex
	err      error // the first error of the output goroutine
	closed   bool
	// tee, when set, receives every block of input, in order, after it is
	// handed to the compressor; the blocks are never written to again.
	tee chan<- []byte
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
		buf:      make([]byte, 0, gzipBlockSize),
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
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			w.dispatch(false)
		}
	}
	return n, nil
}

// dispatch hands the current block to a compressing goroutine.
func (w *parallelGzip) dispatch(last bool) {
	data := w.buf
	var dict []byte
	if len(w.prev) > 0 {
		dict = w.prev[max(0, len(w.prev)-gzipDictSize):]
	}
	if w.tee != nil && len(data) > 0 {
		w.tee <- data
	}
	b := &gzipBlock{done: make(chan struct{})}
	w.pending <- b // bounds the blocks in memory
	w.sem <- struct{}{}
	go func() {
		defer func() { <-w.sem }()
		defer close(b.done)
		b.out.Grow(len(data) + len(data)/64 + 64)
		b.err = deflateBlock(&b.out, w.level, dict, data, last)
	}()
	w.prev = data
	w.buf = make([]byte, 0, gzipBlockSize)
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
func compressLayer(tee chan<- []byte) func(dest io.Writer, mediaType string) (io.WriteCloser, error) {
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
