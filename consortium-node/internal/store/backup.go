package store

import (
	"errors"
	"fmt"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Getter reads one key: a *leveldb.DB or one of its snapshots
// (*leveldb.Snapshot), as a backup reads a consistent view of the store.
type Getter interface {
	Get(key []byte, ro *opt.ReadOptions) ([]byte, error)
}

var (
	_ Getter = (*leveldb.DB)(nil)
	_ Getter = (*leveldb.Snapshot)(nil)
)

// HeadIn reads the head record from g; ok is false before genesis.
func HeadIn(g Getter) (h Head, ok bool, err error) {
	b, err := g.Get(kHead, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return Head{}, false, nil
	}
	if err != nil {
		return Head{}, false, fmt.Errorf("store: reading head: %w", err)
	}
	if err := codec.Ledger.Unmarshal(b, &h); err != nil {
		return Head{}, false, fmt.Errorf("%w: head record: %v", ErrCorrupt, err)
	}
	return h, true, nil
}

// HaltedIn returns the halt reason recorded in g, if any (see Halted).
func HaltedIn(g Getter) (string, bool, error) {
	b, err := g.Get(kHalt, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: reading the halt record: %w", err)
	}
	return string(b), true, nil
}

// StateIn reads a committed state key from g (see Get).
func StateIn(g Getter, k string) ([]byte, bool, error) {
	v, err := g.Get(key(pState, []byte(k)), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: reading state: %w", err)
	}
	return v, true, nil
}
