// Package logbuf holds what a test collects from code that writes from many goroutines: a daemon's stderr (the
// node's process tests) or an injected logger's output (the portal's tests). It imports only the standard library,
// so that any test may use it (the node's own tests included).
package logbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that many goroutines may write to, and read with String, at once. The zero value is an
// empty buffer ready to use; it must not be copied after first use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p in one piece: concurrent writes never interleave.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
