package store

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// DefaultVerifyBlocks is how many of the last blocks a node verifies when
// it starts (VerifyChain).
const DefaultVerifyBlocks = 256

// VerifyReport is what a verification read.
type VerifyReport struct {
	// From and Head bound the heights whose blocks were verified.
	From, Head uint64
	Blocks     int
	Txs        int
	// Keys counts the database records read by VerifyAll's full scan.
	Keys int
	Took time.Duration
}

// VerifyChain checks what the node serves: the head record and the blocks
// at heights from to the head. Each block must decode and say its height,
// link to the header of the block below it (PrevHash; for from > 0 the
// block at from-1 is read for that), be found under its header hash in
// the hash index, match its header's Merkle roots (transactions, and one
// receipt per transaction), and have decodable header signatures. The
// head record must name the head block's hash, state hash and time. The
// store must hold a chain (a head).
//
// A failure wraps ErrCorrupt and names the block; when goleveldb found
// the fault (a block checksum), CorruptFile names the file. A failure to
// read (an I/O error) is returned as it is.
func VerifyChain(s *Store, from uint64) (*VerifyReport, error) {
	start := time.Now()
	head, ok := s.Head()
	if !ok {
		return nil, fmt.Errorf("%w: no head record: the database holds no chain", ErrCorrupt)
	}
	from = min(from, head.Height)
	rep := &VerifyReport{From: from, Head: head.Height}
	var prev ledger.Hash
	if from > 0 {
		b, err := s.Block(from - 1)
		if err != nil {
			return nil, err
		}
		prev = b.Header.Hash()
	}
	for h := from; h <= head.Height; h++ {
		b, err := s.Block(h)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("%w: block %d is missing below the head %d", ErrCorrupt, h, head.Height)
			}
			return nil, err
		}
		hash := b.Header.Hash()
		if h > 0 && b.Header.PrevHash != prev {
			return nil, fmt.Errorf("%w: block %d does not link to block %d (its parent hash %s, block %d's hash %s)",
				ErrCorrupt, h, h-1, b.Header.PrevHash, h-1, prev)
		}
		if at, err := s.HeightOf(hash); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("%w: block %d (%s) is missing from the hash index", ErrCorrupt, h, hash)
			}
			return nil, err
		} else if at != h {
			return nil, fmt.Errorf("%w: the hash index maps block %d's hash %s to height %d", ErrCorrupt, h, hash, at)
		}
		rs, err := s.Receipts(h)
		if err != nil {
			return nil, notFoundIsCorrupt(err, h)
		}
		if len(rs) != len(b.Txs) || ledger.TxRoot(b.Txs) != b.Header.TxRoot || ledger.ReceiptRoot(rs) != b.Header.ReceiptRoot {
			return nil, fmt.Errorf("%w: block %d on disk does not match its header's Merkle roots (%d txs, %d receipts)",
				ErrCorrupt, h, len(b.Txs), len(rs))
		}
		if _, err := s.Signatures(h); err != nil {
			return nil, notFoundIsCorrupt(err, h)
		}
		prev = hash
		rep.Blocks++
		rep.Txs += len(b.Txs)
		if h == head.Height && (hash != head.Hash || b.Header.StateHash != head.StateHash || b.Header.Time != head.Time) {
			return nil, fmt.Errorf("%w: the head record (height %d, hash %s, state %s) does not match block %d "+
				"(hash %s, state %s)", ErrCorrupt, head.Height, head.Hash, head.StateHash, h, hash, b.Header.StateHash)
		}
	}
	if _, err := s.Block(head.Height + 1); err == nil {
		// A running node commits block and head in one batch: a head
		// that moved on meanwhile is the chain growing, not corruption.
		if cur, _ := s.Head(); cur.Height <= head.Height {
			return nil, fmt.Errorf("%w: a block is stored at height %d, above the head record's %d", ErrCorrupt,
				head.Height+1, head.Height)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	rep.Took = time.Since(start)
	return rep, nil
}

func notFoundIsCorrupt(err error, h uint64) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: block %d has no %v", ErrCorrupt, h, err)
	}
	return err
}

// VerifyAll checks everything the store can check on its own: the whole
// chain (VerifyChain from genesis), every tx index entry (it must point at
// a stored transaction with its id, and every transaction must have one),
// and every record of the database read once with goleveldb's block
// checksums (a record of another owner, the raft log or the private
// store, included). It is for `consortium-node check` on a stopped node;
// its cost grows with the database.
func VerifyAll(s *Store) (*VerifyReport, error) {
	start := time.Now()
	rep, err := VerifyChain(s, 0)
	if err != nil {
		return nil, err
	}
	it := s.db.NewIterator(util.BytesPrefix(pTx), &opt.ReadOptions{Strict: opt.StrictReader})
	entries := 0
	var (
		cur     uint64 = ^uint64(0)
		curTxs  [][]byte
		entryID tx.ID
	)
	for it.Next() {
		entries++
		copy(entryID[:], it.Key()[len(pTx):])
		var loc txLoc
		if len(it.Key()) != len(pTx)+len(entryID) || codec.Ledger.Unmarshal(it.Value(), &loc) != nil {
			it.Release()
			return nil, fmt.Errorf("%w: malformed tx index entry %x", ErrCorrupt, it.Key())
		}
		if loc.Height != cur {
			b, err := s.Block(loc.Height)
			if err != nil {
				it.Release()
				return nil, fmt.Errorf("%w: tx index entry %s points at block %d: %w", ErrCorrupt, entryID, loc.Height, err)
			}
			cur, curTxs = loc.Height, b.Txs
		}
		if int(loc.Index) >= len(curTxs) || tx.HashID(curTxs[loc.Index]) != entryID {
			it.Release()
			return nil, fmt.Errorf("%w: tx index entry %s points at block %d tx %d, which is another transaction",
				ErrCorrupt, entryID, loc.Height, loc.Index)
		}
	}
	err = it.Error()
	it.Release()
	if err != nil {
		return nil, fmt.Errorf("store: reading the tx index: %w", err)
	}
	if entries != rep.Txs {
		return nil, fmt.Errorf("%w: the tx index has %d entries for %d committed transactions", ErrCorrupt, entries, rep.Txs)
	}
	all := s.db.NewIterator(nil, &opt.ReadOptions{Strict: opt.StrictReader})
	var last []byte
	for all.Next() {
		if last != nil && bytes.Compare(all.Key(), last) <= 0 {
			all.Release()
			return nil, fmt.Errorf("%w: records out of order at %q", ErrCorrupt, all.Key())
		}
		last = append(last[:0], all.Key()...)
		rep.Keys++
	}
	err = all.Error()
	all.Release()
	if err != nil {
		return nil, fmt.Errorf("store: reading every record: %w", err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}
