package container

import (
	"io"
	"sync"
)

// stdinCloser reads the user's stdin and, at its end, tells the shim to close
// the process's stdin, so that `echo hi | lumper exec -i c cat` ends.
type stdinCloser struct {
	r      io.Reader
	once   sync.Once
	mu     sync.Mutex
	closer func()
	eof    bool
}

func (s *stdinCloser) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.mu.Lock()
		s.eof = true
		closer := s.closer
		s.mu.Unlock()
		if closer != nil {
			s.once.Do(closer)
		}
	}
	return n, err
}

// setCloser installs the close function; if stdin already ended, it runs now.
func (s *stdinCloser) setCloser(fn func()) {
	s.mu.Lock()
	s.closer = fn
	eof := s.eof
	s.mu.Unlock()
	if eof {
		s.once.Do(fn)
	}
}
