// Package syncbuf is a bytes buffer that one goroutine reads while others
// write to it: a test's view of a command's output or a logger's records.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe for concurrent use; its zero value is empty and ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Take returns everything written since the last Take and empties the
// buffer.
func (s *Buffer) Take() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := bytes.Clone(s.b.Bytes())
	s.b.Reset()
	return out
}
