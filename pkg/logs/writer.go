package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	units "github.com/docker/go-units"
)

// Defaults for the log-opt values max-size and max-file.
const (
	DefaultMaxSize  int64 = 10 * 1024 * 1024
	DefaultMaxFiles       = 3
)

// batchSize is how many bytes of records a stream accumulates before it
// appends them to the file within one Write call.
const batchSize = 64 * 1024

// ParseLogOpts parses log options in key=value form (Docker's --log-opt):
// max-size (a size such as 10m or 512k, binary units) and max-file (the
// number of files kept, at least 1). Missing options get their defaults.
func ParseLogOpts(opts []string) (maxSize int64, maxFiles int, err error) {
	maxSize, maxFiles = DefaultMaxSize, DefaultMaxFiles
	for _, o := range opts {
		key, val, ok := strings.Cut(o, "=")
		if !ok {
			return 0, 0, fmt.Errorf("invalid log option %q: expected key=value", o)
		}
		switch strings.TrimSpace(key) {
		case "max-size":
			n, err := units.RAMInBytes(strings.TrimSpace(val))
			if err != nil {
				return 0, 0, fmt.Errorf("invalid log option max-size=%q: %w", val, err)
			}
			if n <= 0 {
				return 0, 0, fmt.Errorf("invalid log option max-size=%q: must be greater than 0", val)
			}
			maxSize = n
		case "max-file":
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return 0, 0, fmt.Errorf("invalid log option max-file=%q: %w", val, err)
			}
			if n < 1 {
				return 0, 0, fmt.Errorf("invalid log option max-file=%q: must be at least 1", val)
			}
			maxFiles = n
		default:
			return 0, 0, fmt.Errorf("unknown log option %q: supported options are max-size and max-file", key)
		}
	}
	return maxSize, maxFiles, nil
}

// Writer appends records to a log file and rotates it. It is safe for
// concurrent use: typically one goroutine copies a container's stdout into
// Stream("stdout") while another copies its stderr into Stream("stderr").
type Writer struct {
	path     string
	maxSize  int64 // <= 0: never rotate
	maxFiles int

	mu      sync.Mutex
	f       *os.File
	size    int64
	err     error // sticky error of a failed rotation
	streams [2]*streamWriter

	dropFile *os.File // the drop record (log-dropped.json), see noteDropped
	dropped  Dropped
}

// NewWriter opens (or creates) the log file at path for appending. Parent
// directories are created with mode 0700, the file with mode 0640. The file
// is rotated before it would grow beyond maxSize bytes (maxSize <= 0 disables
// rotation), keeping maxFiles files in total.
func NewWriter(path string, maxSize int64, maxFiles int) (*Writer, error) {
	if maxFiles < 1 {
		return nil, fmt.Errorf("invalid max-file %d: must be at least 1", maxFiles)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	w := &Writer{path: path, maxSize: maxSize, maxFiles: maxFiles}
	if err := w.open(); err != nil {
		return nil, err
	}
	if err := w.repairTail(); err != nil {
		w.f.Close()
		return nil, err
	}
	if err := w.openDropped(); err != nil {
		w.f.Close()
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening log file: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// repairTail terminates a last line left unterminated by a crash, so that the
// next record starts on its own line.
func (w *Writer) repairTail() error {
	if w.size == 0 {
		return nil
	}
	r, err := os.Open(w.path)
	if err != nil {
		return fmt.Errorf("checking log file: %w", err)
	}
	defer r.Close()
	var last [1]byte
	if _, err := r.ReadAt(last[:], w.size-1); err != nil {
		return fmt.Errorf("checking log file: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	n, err := w.f.Write([]byte{'\n'})
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("repairing log file: %w", err)
	}
	return nil
}

// Path returns the path of the current log file.
func (w *Writer) Path() string { return w.path }

// Stream returns the writer for stream name, "stdout" or "stderr". It splits
// what is written into lines, timestamps each line when its first byte
// arrives and appends one record per line (and per MaxLineSize bytes of a
// longer line). Close flushes a pending incomplete line as a P record.
// Stream returns the same writer when called twice with the same name. It
// panics for any other name.
func (w *Writer) Stream(name string) io.WriteCloser {
	var idx int
	switch name {
	case Stdout:
		idx = idxStdout
	case Stderr:
		idx = idxStderr
	default:
		panic("logs: invalid stream name " + strconv.Quote(name))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.streams[idx] == nil {
		w.streams[idx] = &streamWriter{w: w, name: name}
	}
	return w.streams[idx]
}

// Flush writes the pending incomplete line of each stream as a P record. The
// streams stay usable; what they receive next starts a new record.
func (w *Writer) Flush() error {
	w.mu.Lock()
	streams := w.streams
	w.mu.Unlock()
	var errs []error
	for _, s := range streams {
		if s != nil {
			errs = append(errs, s.flush())
		}
	}
	return errors.Join(errs...)
}

// Sync commits the current log file to stable storage.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("log writer is closed")
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("syncing log file: %w", err)
	}
	return nil
}

// Close flushes pending incomplete lines and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropFile != nil {
		w.dropFile.Close()
		w.dropFile = nil
	}
	if w.f == nil {
		return err
	}
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing log file: %w", cerr)
	}
	w.f = nil
	return err
}

// write appends complete records to the file, rotating it between records
// when needed.
func (w *Writer) write(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		if w.err != nil {
			return w.err
		}
		return errors.New("log writer is closed")
	}
	for len(b) > 0 {
		if w.maxSize <= 0 || w.size+int64(len(b)) <= w.maxSize {
			return w.append(b)
		}
		// Write the records that still fit, then rotate.
		room := w.maxSize - w.size
		n := 0
		if room > 0 {
			n = bytes.LastIndexByte(b[:room], '\n') + 1
		}
		if n == 0 && w.size == 0 {
			// A single record larger than maxSize gets a file of its own.
			n = bytes.IndexByte(b, '\n') + 1
			if n == 0 {
				n = len(b)
			}
		}
		if n > 0 {
			if err := w.append(b[:n]); err != nil {
				return err
			}
			b = b[n:]
			if len(b) == 0 {
				return nil
			}
		}
		if err := w.rotate(); err != nil {
			return err
		}
	}
	return nil
}

// append writes whole records. When the file system refuses part of them
// (a full disk), the file is cut back to the last whole record — a log
// never holds a record cut in the middle — and the bytes left out are
// counted in the drop record; the next write tries again, so capture resumes
// when space returns.
func (w *Writer) append(b []byte) error {
	start := w.size
	n, err := w.f.Write(b)
	w.size += int64(n)
	if err != nil {
		keep := int64(bytes.LastIndexByte(b[:n], '\n') + 1)
		if keep < int64(n) {
			if terr := w.f.Truncate(start + keep); terr == nil {
				w.size = start + keep
			} else if m, _ := w.f.Write([]byte{'\n'}); m == 1 {
				// Could not cut it back: at least end the torn record.
				w.size++
			}
		}
		w.noteDropped(int64(len(b))-keep, err)
		return fmt.Errorf("writing log file: %w", err)
	}
	return nil
}

// rotate shifts path.N-1 -> path.N ... path -> path.1 and starts a new file;
// with a single file it truncates the current one.
func (w *Writer) rotate() error {
	if w.maxFiles == 1 {
		if err := w.f.Truncate(0); err != nil {
			return fmt.Errorf("truncating log file: %w", err)
		}
		w.size = 0
		return nil
	}
	if err := w.f.Close(); err != nil {
		w.f = nil
		w.err = fmt.Errorf("rotating log file: %w", err)
		return w.err
	}
	w.f = nil
	for i := w.maxFiles - 1; i > 1; i-- {
		err := os.Rename(rotatedName(w.path, i-1), rotatedName(w.path, i))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			w.err = fmt.Errorf("rotating log file: %w", err)
			return w.err
		}
	}
	if err := os.Rename(w.path, rotatedName(w.path, 1)); err != nil {
		w.err = fmt.Errorf("rotating log file: %w", err)
		return w.err
	}
	if err := w.open(); err != nil {
		w.err = fmt.Errorf("rotating log file: %w", err)
		return w.err
	}
	return nil
}

// rotatedName returns the name of the n-th rotated file (0: the current one).
func rotatedName(path string, n int) string {
	if n == 0 {
		return path
	}
	return path + "." + strconv.Itoa(n)
}

// streamWriter turns the bytes of one stream into records.
type streamWriter struct {
	w    *Writer
	name string

	mu      sync.Mutex
	pending []byte          // start of the current line, shorter than MaxLineSize
	pendTS  [tsLen + 8]byte // timestamp of the first byte of the current line
	tsLen   int             // length of pendTS; 0 when no line is started
	out     []byte          // records not yet appended to the file
	closed  bool
}

// Write implements io.Writer.
func (s *streamWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("log stream is closed")
	}
	total := len(p)
	// All lines starting in this call arrived now: one timestamp for them.
	var now [tsLen + 8]byte
	nowLen := 0
	for len(p) > 0 {
		if s.tsLen == 0 {
			if nowLen == 0 {
				nowLen = len(appendTimestamp(now[:0], time.Now()))
			}
			s.tsLen = copy(s.pendTS[:], now[:nowLen])
		}
		room := MaxLineSize - len(s.pending)
		nl := bytes.IndexByte(p, '\n')
		switch {
		case nl >= 0 && nl <= room:
			s.appendRecord(TagFull, p[:nl])
			p = p[nl+1:]
		case nl >= 0 || len(p) >= room:
			s.appendRecord(TagPartial, p[:room])
			p = p[room:]
		default:
			s.pending = append(s.pending, p...)
			p = nil
		}
		if len(s.out) >= batchSize {
			if err := s.flushOut(); err != nil {
				return 0, err
			}
		}
	}
	if err := s.flushOut(); err != nil {
		return 0, err
	}
	return total, nil
}

// appendRecord adds to s.out a record made of the pending bytes followed by
// tail, and ends the current line.
func (s *streamWriter) appendRecord(tag byte, tail []byte) {
	s.out = append(s.out, s.pendTS[:s.tsLen]...)
	s.out = append(s.out, ' ')
	s.out = append(s.out, s.name...)
	s.out = append(s.out, ' ', tag, ' ')
	s.out = append(s.out, s.pending...)
	s.out = append(s.out, tail...)
	s.out = append(s.out, '\n')
	s.pending = s.pending[:0]
	s.tsLen = 0
}

func (s *streamWriter) flushOut() error {
	if len(s.out) == 0 {
		return nil
	}
	err := s.w.write(s.out)
	if cap(s.out) > 4*batchSize {
		s.out = nil // do not keep a buffer grown by one huge write
	} else {
		s.out = s.out[:0]
	}
	return err
}

// flush writes the pending incomplete line as a P record.
func (s *streamWriter) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tsLen == 0 {
		return nil
	}
	s.appendRecord(TagPartial, nil)
	return s.flushOut()
}

// Close flushes the pending incomplete line as a P record. The Writer stays
// open.
func (s *streamWriter) Close() error {
	err := s.flush()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return err
}
