package schema

import (
	"sync"
	"weak"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// The prepared-document cache.
//
// Parsing, the prechecks, graphql-go's validation and the cost walk of a
// document depend only on the document's text, the operation name, the
// limits and the schema; they were half of the portal's CPU (docs/
// performance.md), and clients send the same few documents over and over
// (the web app's queries are fixed strings). So Prepare keeps what it
// accepted, keyed by all four, in a least-recently-used cache bounded in
// entries and in bytes, and hands the same *Prepared to every request for
// that key. What depends on the caller is not cached: Prepared.Refused
// (anonymous introspection) is asked on every request, and execution, with
// its variables and principal, always runs.
//
// A refusal (a parse error, a document over the limits, one that fails
// validation) is never cached: it is prepared again each time, so an
// answer never depends on what was sent before.
//
// The cache is one per process, shared by every Schema: it lives here
// rather than in Schema because Schema is built elsewhere (Build) and may
// be a literal in tests. Its key holds the schema weakly, so a schema
// that is no longer used is collected (its entries can no longer be hit,
// and age out).

// Bounds of the prepared-document cache.
const (
	// PreparedCacheEntries bounds the documents kept.
	PreparedCacheEntries = 4096
	// PreparedCacheBytes bounds their estimated size (preparedSize): the
	// text of the documents and their syntax trees.
	PreparedCacheBytes = 32 << 20
)

// astBytesPerByte estimates the syntax tree graphql-go's parser builds
// per byte of document (measured: 28 to 31 for queries like the web app's;
// TestPreparedSizeEstimate checks the estimate stays above it).
const astBytesPerByte = 40

// preparedSize estimates the memory a cached document holds.
func preparedSize(k prepKey) int { return (1+astBytesPerByte)*len(k.query) + len(k.opName) + 512 }

// prepKey is what a prepared document depends on.
type prepKey struct {
	schema weak.Pointer[Schema]
	query  string
	opName string
	lim    Limits // after Validate: defaults filled
}

// preparedCache is a least-recently-used cache of accepted documents,
// bounded in entries and in bytes. It is safe for concurrent use; the
// values it returns are shared and must not be modified.
type preparedCache struct {
	maxBytes int

	mu    sync.Mutex
	lru   *simplelru.LRU[prepKey, *Prepared]
	bytes int // preparedSize over the entries
}

func newPreparedCache(entries, maxBytes int) *preparedCache {
	c := &preparedCache{maxBytes: maxBytes}
	l, err := simplelru.NewLRU(entries, func(k prepKey, _ *Prepared) { c.bytes -= preparedSize(k) })
	if err != nil {
		panic(err) // only for entries <= 0
	}
	c.lru = l
	return c
}

// preparedDocs is the process's cache (see above).
var preparedDocs = newPreparedCache(PreparedCacheEntries, PreparedCacheBytes)

// get returns the document prepared for k, if kept.
func (c *preparedCache) get(k prepKey) (*Prepared, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(k)
}

// add keeps p for k, evicting the least recently used entries beyond the
// bounds. A document larger than the byte bound is not kept.
func (c *preparedCache) add(k prepKey, p *Prepared) {
	size := preparedSize(k)
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(k) {
		return // prepared concurrently by another request: keep the first
	}
	c.lru.Add(k, p) // may evict the oldest (the callback subtracts its size)
	c.bytes += size
	for c.bytes > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// len returns the number of documents kept and their estimated bytes.
func (c *preparedCache) len() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}
