package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// droppedName is the file beside a container's log that records the output
// the writer had to drop (a full disk). It is written at its full size when
// the writer opens, so that it can be rewritten in place — without new
// blocks — when nothing else can be written.
const (
	droppedName = "log-dropped.json"
	droppedSize = 512
)

// Dropped is what a full disk cost a container's log: how many bytes of
// output were not captured, from when, until when, and why.
type Dropped struct {
	Bytes  int64     `json:"bytes"`
	Since  time.Time `json:"since"`
	Last   time.Time `json:"last"`
	Reason string    `json:"reason"`
}

// Note is the sentence `logs` and `inspect` show.
func (d Dropped) Note() string {
	return fmt.Sprintf("%d bytes of output were not captured between %s and %s: %s",
		d.Bytes, d.Since.UTC().Format(time.RFC3339), d.Last.UTC().Format(time.RFC3339), d.Reason)
}

// ReadDropped reads the drop record beside the log at logPath; ok is false
// when nothing was dropped.
func ReadDropped(logPath string) (d Dropped, ok bool) {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(logPath), droppedName))
	if err != nil {
		return d, false
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || json.Unmarshal(b, &d) != nil || d.Bytes == 0 {
		return Dropped{}, false
	}
	return d, true
}

// openDropped opens (or makes, at its full size) the drop record.
func (w *Writer) openDropped() error {
	path := filepath.Join(filepath.Dir(w.path), droppedName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening %s: %w", droppedName, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() < droppedSize {
		// Real bytes, not a hole: rewriting them needs no new blocks.
		blank := bytes.Repeat([]byte{' '}, droppedSize)
		blank[droppedSize-1] = '\n'
		if _, err := f.WriteAt(blank, 0); err != nil {
			f.Close()
			return fmt.Errorf("preparing %s: %w", droppedName, err)
		}
	}
	w.dropFile = f
	if d, ok := ReadDropped(w.path); ok {
		w.dropped = d
	}
	return nil
}

// noteDropped counts n bytes of records that could not be written because
// of err and rewrites the drop record in place.
func (w *Writer) noteDropped(n int64, err error) {
	if n <= 0 || w.dropFile == nil {
		return
	}
	now := time.Now()
	if w.dropped.Bytes == 0 {
		w.dropped.Since = now
	}
	w.dropped.Bytes += n
	w.dropped.Last = now
	reason := err.Error()
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:] // "no space left on device"
	}
	w.dropped.Reason = reason
	b, _ := json.Marshal(w.dropped)
	if len(b) >= droppedSize {
		return
	}
	rec := bytes.Repeat([]byte{' '}, droppedSize)
	copy(rec, b)
	rec[droppedSize-1] = '\n'
	_, _ = w.dropFile.WriteAt(rec, 0)
}
