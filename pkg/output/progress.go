package output

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress reports bytes done (of a total when known) and the rate on a
// terminal; it prints nothing when w is not a terminal.
type Progress struct {
	w     io.Writer
	label string
	total int64
	start time.Time

	mu   sync.Mutex
	done int64
	last time.Time
	on   bool
}

// NewProgress reports to w; total < 0 means unknown.
func NewProgress(w io.Writer, label string, total int64) *Progress {
	p := &Progress{w: w, label: label, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.on = true
	}
	return p
}

// Add counts n more bytes done.
func (p *Progress) Add(n int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *Progress) draw() {
	rate := float64(p.done) / time.Since(p.start).Seconds()
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r%s %s / %s (%s/s)\x1b[K", p.label, human(p.done), human(p.total), human(int64(rate)))
	} else {
		fmt.Fprintf(p.w, "\r%s %s (%s/s)\x1b[K", p.label, human(p.done), human(int64(rate)))
	}
}

// Done draws the final state and ends the line.
func (p *Progress) Done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	fmt.Fprintln(p.w)
}

// Reader counts what is read through r.
func (p *Progress) Reader(r io.Reader) io.Reader { return &progressReader{r: r, p: p} }

// Writer counts what is written through w.
func (p *Progress) Writer(w io.Writer) io.Writer { return &progressWriter{w: w, p: p} }

type progressReader struct {
	r io.Reader
	p *Progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(int64(n))
	return n, err
}

type progressWriter struct {
	w io.Writer
	p *Progress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.Add(int64(n))
	return n, err
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
