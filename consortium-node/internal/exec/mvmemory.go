package exec

import (
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
)

// storageVersion marks a read served by the committed state.
const storageVersion = -1

// readDesc records one read: the key and which transaction's incarnation
// (or the committed state) produced the value.
type readDesc struct {
	key string
	idx int // writer index, or storageVersion
	inc int
}

// cell is one transaction's write to one key.
type cell struct {
	idx      int
	inc      int
	estimate bool // the writer was aborted; readers must wait for it
	value    []byte
	deleted  bool
}

// mvEntry holds every transaction's write to one key, sorted by idx.
type mvEntry struct {
	mu    sync.Mutex
	cells []cell
}

func (e *mvEntry) find(idx int) (int, bool) {
	i := sort.Search(len(e.cells), func(i int) bool { return e.cells[i].idx >= idx })
	return i, i < len(e.cells) && e.cells[i].idx == idx
}

const mvShards = 64

// mvMemory is Block-STM's multi-version data structure.
type mvMemory struct {
	seed   maphash.Seed
	shards [mvShards]struct {
		mu sync.RWMutex
		m  map[string]*mvEntry
	}
	// Per transaction: the keys and reads of its last recorded incarnation.
	// lastWritten is touched only by the worker that owns the transaction's
	// execution or abort (the scheduler's status lock orders them);
	// lastReads may be read by a validation of an older incarnation while a
	// newer one records, hence the atomic pointer.
	lastWritten [][]string
	lastReads   []atomic.Pointer[[]readDesc]
}

func newMVMemory(n int) *mvMemory {
	m := &mvMemory{seed: maphash.MakeSeed(), lastWritten: make([][]string, n), lastReads: make([]atomic.Pointer[[]readDesc], n)}
	for i := range m.shards {
		m.shards[i].m = make(map[string]*mvEntry)
	}
	return m
}

func (m *mvMemory) entry(key string, create bool) *mvEntry {
	s := &m.shards[maphash.String(m.seed, key)%mvShards]
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	if e != nil || !create {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e = s.m[key]; e == nil {
		e = &mvEntry{}
		s.m[key] = e
	}
	return e
}

type readStatus int

const (
	readNotFound   readStatus = iota // no lower transaction wrote the key
	readOK                           // a lower transaction's value
	readDependency                   // a lower transaction's write is an estimate
)

// read returns the write to key by the highest transaction below idx.
func (m *mvMemory) read(key string, idx int) (readStatus, cell) {
	e := m.entry(key, false)
	if e == nil {
		return readNotFound, cell{}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	i, _ := e.find(idx) // first cell with cell.idx >= idx
	if i == 0 {
		return readNotFound, cell{}
	}
	c := e.cells[i-1]
	if c.estimate {
		return readDependency, c
	}
	return readOK, c
}

// record stores an incarnation's reads and writes and reports whether it
// wrote a key that the previous incarnation did not.
func (m *mvMemory) record(idx, inc int, reads []readDesc, writes map[string]wval) bool {
	keys := make([]string, 0, len(writes))
	for k, w := range writes {
		keys = append(keys, k)
		e := m.entry(k, true)
		e.mu.Lock()
		c := cell{idx: idx, inc: inc, value: w.value, deleted: w.deleted}
		if i, ok := e.find(idx); ok {
			e.cells[i] = c
		} else {
			e.cells = append(e.cells, cell{})
			copy(e.cells[i+1:], e.cells[i:])
			e.cells[i] = c
		}
		e.mu.Unlock()
	}
	wroteNew := false
	for _, k := range m.lastWritten[idx] {
		if _, still := writes[k]; !still {
			e := m.entry(k, false)
			e.mu.Lock()
			if i, ok := e.find(idx); ok {
				e.cells = append(e.cells[:i], e.cells[i+1:]...)
			}
			e.mu.Unlock()
		}
	}
	if len(keys) > 0 {
		prev := make(map[string]struct{}, len(m.lastWritten[idx]))
		for _, k := range m.lastWritten[idx] {
			prev[k] = struct{}{}
		}
		for _, k := range keys {
			if _, ok := prev[k]; !ok {
				wroteNew = true
				break
			}
		}
	}
	m.lastWritten[idx] = keys
	m.lastReads[idx].Store(&reads)
	return wroteNew
}

// convertWritesToEstimates marks an aborted incarnation's writes so that
// higher transactions reading them wait instead of using stale values.
func (m *mvMemory) convertWritesToEstimates(idx int) {
	for _, k := range m.lastWritten[idx] {
		e := m.entry(k, false)
		e.mu.Lock()
		if i, ok := e.find(idx); ok {
			e.cells[i].estimate = true
		}
		e.mu.Unlock()
	}
}

// validateReadSet reports whether every read of idx's last incarnation
// would still return the same version.
func (m *mvMemory) validateReadSet(idx int) bool {
	reads := m.lastReads[idx].Load()
	if reads == nil {
		return true
	}
	for _, r := range *reads {
		st, c := m.read(r.key, idx)
		switch st {
		case readDependency:
			return false
		case readNotFound:
			if r.idx != storageVersion {
				return false
			}
		case readOK:
			if r.idx != c.idx || r.inc != c.inc {
				return false
			}
		}
	}
	return true
}

// snapshot returns the final value of every key, sorted by key.
// The shards are collected and sorted by workers goroutines (a block's
// writes are tens of thousands of keys: sorting them on one core was the
// largest serial part of a parallel execution), then merged.
func (m *mvMemory) snapshot(workers int) []Write {
	workers = max(1, min(workers, mvShards))
	parts := make([][]Write, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []Write
			for i := w; i < mvShards; i += workers {
				for k, e := range m.shards[i].m {
					if len(e.cells) == 0 {
						continue
					}
					c := e.cells[len(e.cells)-1]
					out = append(out, Write{Key: k, Value: c.value, Deleted: c.deleted})
				}
			}
			sortWrites(out)
			parts[w] = out
		}()
	}
	wg.Wait()
	return mergeWrites(parts)
}
