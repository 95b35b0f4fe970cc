package readmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Decoded keeps a module's most read records decoded, so that a query
// reading the same records again and again (a queue page, a lineage) does
// not decode their JSON on every request: the portal's profiles put half
// of a claim-queue request in encoding/json.
//
// A record is decoded again whenever its stored bytes change: every read
// still reads the store, and the cached value serves only when the bytes
// read are the bytes it was decoded from, so there is nothing to
// invalidate and no read-model height to track. Values are shared between
// callers: treat them as read-only and copy before handing them out (the
// module's Clone). Safe for concurrent use.
type Decoded[T any] struct {
	decode func([]byte) (*T, error)
	mu     sync.Mutex
	lru    *simplelru.LRU[string, decodedEntry[T]]
}

type decodedEntry[T any] struct {
	raw []byte
	v   *T
}

// NewDecoded returns a cache of at most entries (at least 1) records
// decoded by decode.
func NewDecoded[T any](entries int, decode func([]byte) (*T, error)) *Decoded[T] {
	l, err := simplelru.NewLRU[string, decodedEntry[T]](max(entries, 1), nil)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &Decoded[T]{decode: decode, lru: l}
}

// Get returns the record stored under key whose bytes are raw (as
// Store.Get returned them, which the cache may keep): the cached value when
// it was decoded from the same bytes, else raw decoded. A decoding error is
// returned as it is and nothing is cached.
func (d *Decoded[T]) Get(key string, raw []byte) (*T, error) {
	d.mu.Lock()
	e, ok := d.lru.Get(key)
	d.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.v, nil
	}
	v, err := d.decode(raw)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.lru.Add(key, decodedEntry[T]{raw: raw, v: v})
	d.mu.Unlock()
	return v, nil
}

// Read reads the record under key in module's key space of s and returns
// it decoded (through the cache) as clone copies it, the caller's own:
// ErrNotFound when there is none, a read error, or ErrCorrupt naming the
// record when it does not decode.
func (d *Decoded[T]) Read(s *Store, module, key string, clone func(*T) *T) (*T, error) {
	b, err := s.Get(module, key)
	if err != nil {
		return nil, err
	}
	v, err := d.Get(key, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s record %q: %v", ErrCorrupt, module, key, err)
	}
	return clone(v), nil
}

// DecodeJSON decodes a record stored as JSON, as the modules store them:
// the decoder of a Decoded cache.
func DecodeJSON[T any](b []byte) (*T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
