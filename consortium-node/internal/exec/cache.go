package exec

import "sync"

// CachedReader is a Reader that reads each key from its base once and
// then answers from memory: for one block's execution, where the same
// committed values are read again and again (every transaction's sender
// record and organisation, a hot account, a re-executed transaction's
// reads), and Reader's rule (the same answer for the same key during one
// Execute call) makes the first answer the answer. Errors are not kept.
// It is safe for concurrent use; make one per block.
type CachedReader struct {
	base Reader
	vals sync.Map // key → *cachedValue
}

type cachedValue struct {
	value []byte
	ok    bool
}

// NewCachedReader returns a CachedReader over base.
func NewCachedReader(base Reader) *CachedReader { return &CachedReader{base: base} }

// Get implements Reader.
func (c *CachedReader) Get(key string) ([]byte, bool, error) {
	if v, ok := c.vals.Load(key); ok {
		cv := v.(*cachedValue)
		return cv.value, cv.ok, nil
	}
	value, ok, err := c.base.Get(key)
	if err != nil {
		return nil, false, err
	}
	v, _ := c.vals.LoadOrStore(key, &cachedValue{value: value, ok: ok})
	cv := v.(*cachedValue)
	return cv.value, cv.ok, nil
}
