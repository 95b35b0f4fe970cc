package store

import "github.com/almoner/almoner/consortium-node/tx"

// RecentLookup is the in-memory half of Committed, for tests: known says
// the answer needs no database read unless maybe.
func (s *Store) RecentLookup(id tx.ID, expiry uint64) (maybe, known bool) {
	return s.recent.lookup(id, expiry)
}

// SetMaxRecent lowers MaxRecentTxs for this store, before TrackRecent.
func (s *Store) SetMaxRecent(n int) { s.recent.max = n }
