package container

import (
	"errors"
	"io"
	"strings"

	"github.com/lumper/lumper/pkg/api"
)

// DefaultDetachKeys is Docker's detach sequence, ctrl-p ctrl-q.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ErrDetached is what `attach` ends with when the user typed the detach
// sequence, in Docker's words (its attach then exits 1 with this message;
// run and start -a exit 0).
var ErrDetached = errors.New("read escape sequence")

// ParseDetachKeys reads Docker's --detach-keys syntax: comma-separated keys,
// each one character or ctrl-<c> with c one of a-z @ [ \ ] ^ _ (and DEL).
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		s = DefaultDetachKeys
	}
	var keys []byte
	for _, k := range strings.Split(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case k == "DEL":
			keys = append(keys, 127)
		case len(k) == 6 && strings.HasPrefix(k, "ctrl-"):
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1)
			case c == '@', c == '[', c == '\\', c == ']', c == '^', c == '_':
				keys = append(keys, c-'@')
			default:
				return nil, api.Invalidf("invalid --detach-keys %q: unknown key %q (use a character or ctrl-<a-z, @, [, \\, ], ^, _>)", s, k)
			}
		default:
			return nil, api.Invalidf("invalid --detach-keys %q: unknown key %q (use a character or ctrl-<a-z, @, [, \\, ], ^, _>)", s, k)
		}
	}
	return keys, nil
}

// escapeReader passes input through until it sees the detach sequence,
// which it swallows and reports as ErrDetached. Bytes that start the
// sequence are held back until the sequence breaks off, then passed on.
type escapeReader struct {
	r       io.Reader
	keys    []byte
	matched int    // bytes of keys seen so far
	out     []byte // ready to return
	buf     []byte
	err     error
}

func newEscapeReader(r io.Reader, keys []byte) io.Reader {
	if len(keys) == 0 {
		return r
	}
	return &escapeReader{r: r, keys: keys, buf: make([]byte, 4096)}
}

func (e *escapeReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 && e.err == nil {
		n, err := e.r.Read(e.buf)
		for _, b := range e.buf[:n] {
			if e.err != nil {
				break // what follows the sequence is not sent
			}
			e.feed(b)
		}
		if err != nil && e.err == nil {
			e.err = err
		}
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	if len(e.out) == 0 && e.err != nil {
		return n, e.err
	}
	return n, nil
}

func (e *escapeReader) feed(b byte) {
	if b == e.keys[e.matched] {
		e.matched++
		if e.matched == len(e.keys) {
			e.err = ErrDetached
		}
		return
	}
	// The sequence broke off: what was held goes through.
	e.out = append(e.out, e.keys[:e.matched]...)
	e.matched = 0
	if b == e.keys[0] {
		e.matched = 1
		if len(e.keys) == 1 {
			e.err = ErrDetached
		}
		return
	}
	e.out = append(e.out, b)
}
