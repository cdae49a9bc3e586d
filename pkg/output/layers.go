package output

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// Layers shows the state of each layer of a pull or a push. On a terminal it
// keeps one line per layer and redraws the block in place on Flush; anywhere
// else it prints one line per layer, once, when the layer is finished.
type Layers struct {
	w   io.Writer
	tty bool

	mu    sync.Mutex
	rows  []*layerRow
	byID  map[string]*layerRow
	drawn int // lines of the block drawn last (terminal only)
}

type layerRow struct {
	id, status  string
	done, total int64
	final       bool
	reported    bool
}

// NewLayers reports to w.
func NewLayers(w io.Writer) *Layers {
	l := &Layers{w: w, byID: map[string]*layerRow{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		l.tty = true
	}
	return l
}

// Set records a layer's state: a status word, and bytes done of total while
// it moves (total <= 0 shows no byte counts). A final state is the last one
// a layer gets; it is printed at once when w is not a terminal.
func (l *Layers) Set(id, status string, done, total int64, final bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.byID[id]
	if !ok {
		r = &layerRow{id: id}
		l.byID[id] = r
		l.rows = append(l.rows, r)
	}
	if r.final {
		return
	}
	r.status, r.done, r.total, r.final = status, done, total, final
	if final && !l.tty && !r.reported {
		r.reported = true
		fmt.Fprintf(l.w, "%s: %s\n", r.id, r.status)
	}
}

// Flush redraws the block on a terminal.
func (l *Layers) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.tty || len(l.rows) == 0 {
		return
	}
	if l.drawn > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA", l.drawn)
	}
	for _, r := range l.rows {
		line := r.id + ": " + r.status
		if !r.final && r.total > 0 {
			line += fmt.Sprintf(" %s %s / %s", bar(r.done, r.total, barWidth), human(r.done), human(r.total))
		}
		fmt.Fprintf(l.w, "\r%s\x1b[K\n", line)
	}
	l.drawn = len(l.rows)
}

// Finish gives every layer not yet final the final status and draws the
// last state.
func (l *Layers) Finish(status string) {
	l.mu.Lock()
	var open []string
	for _, r := range l.rows {
		if !r.final {
			open = append(open, r.id)
		}
	}
	l.mu.Unlock()
	for _, id := range open {
		l.Set(id, status, 0, 0, true)
	}
	l.Flush()
}

// barWidth is the number of cells inside a progress bar.
const barWidth = 30

// bar draws done out of total as a Docker-style bar: "[=====>     ]".
func bar(done, total int64, width int) string {
	if total <= 0 {
		return ""
	}
	n := int(min(max(done, 0), total) * int64(width) / total)
	b := make([]byte, 0, width+2)
	b = append(b, '[')
	for i := 0; i < width; i++ {
		switch {
		case i < n-1 || (i == n-1 && n == width):
			b = append(b, '=')
		case i == n-1 || (n == 0 && i == 0 && done > 0):
			b = append(b, '>')
		default:
			b = append(b, ' ')
		}
	}
	return string(append(b, ']'))
}
