package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/privacy/fsync"
)

// Recovery of a node whose ledger data is damaged (`consortium-node
// recover`).
//
// The ledger — state, blocks, receipts, the tx index, header signatures,
// the head — is a deterministic function of the committed raft log, so it
// can be rebuilt; the raft storage (hard state with the node's vote, the
// log, the snapshot) cannot: a raft member that forgot its vote or the
// entries it acknowledged can break the consortium's agreement, and must
// come back as a new member instead (a backup restored under a new node
// record, docs/decisions/0016-backup-restore.md). Recover therefore keeps
// every record that is not ledger data — the raft storage and the private
// store — exactly as it is, and refuses when any of it cannot be read. It
// rebuilds the ledger in a new database: genesis, then the blocks up to
// the head named by the node's own raft snapshot (the state that snapshot
// stands for), fetched from a healthy node and replayed — each must
// re-execute to exactly the fetched header, and the last must be the
// snapshot's head, whose hash this node recorded itself. When the node
// runs again, raft applies the rest of its log on top, as after any
// restart, and peers send what it lacks.

// BlockSource fetches committed blocks: a healthy node's API
// (client.Client).
type BlockSource interface {
	Block(ctx context.Context, height uint64) (*api.Block, error)
}

// RecoverReport says what Recover did.
type RecoverReport struct {
	// Kept counts the records kept (the raft storage, the private store).
	Kept int
	// Target is the head the ledger was rebuilt to (the raft snapshot's),
	// and SnapshotIndex the raft index it stands for.
	Target        store.Head
	SnapshotIndex uint64
	// Fetched counts the blocks fetched and replayed.
	Fetched int
	// Damaged is where the damaged database was moved.
	Damaged string
	Took    time.Duration
}

// ledgerPrefixes are the key prefixes of the store's ledger data (see
// package store): rebuilt, never copied.
var ledgerPrefixes = []string{"b/", "g/", "h/", "m/", "r/", "s/", "t/"}

// ReadRaftLog opens the raft log of the node whose data folder is dataDir
// and whose database is db, read-only: its own folder, or the raft records
// in the database of a node home not yet opened since the log moved out
// of it. Close it after use.
func ReadRaftLog(dataDir string, db *leveldb.DB) (*consensus.Storage, error) {
	dir := raftLogDir(dataDir)
	if _, err := os.Stat(dir); err == nil {
		rs, _, err := consensus.OpenLog(dir, consensus.LogOptions{ReadOnly: true})
		return rs, err
	}
	return consensus.OpenStorage(db, raftPrefix)
}

// keptRanges are the key ranges outside the ledger prefixes.
func keptRanges() []util.Range {
	var out []util.Range
	var from []byte
	for _, p := range ledgerPrefixes {
		out = append(out, util.Range{Start: from, Limit: []byte(p)})
		from = []byte(p[:len(p)-1] + "0") // just past every key with prefix p
	}
	return append(out, util.Range{Start: from})
}

// Recover rebuilds the ledger of the stopped node cfg describes (see
// above), fetching blocks up to its raft snapshot's head from src (nil:
// the snapshot must be at genesis, as on a node whose raft log was never
// compacted), and puts the new database in place of the damaged one,
// which it moves aside. Nothing is changed when it fails.
func Recover(ctx context.Context, cfg Config, src BlockSource) (*RecoverReport, error) {
	start := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := &RecoverReport{}
	dir := filepath.Join(cfg.DataDir, "db")
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err != nil {
		return nil, fmt.Errorf("node: no database to recover in %s: %w", dir, err)
	}
	staging := filepath.Join(cfg.DataDir, "db.recover")
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(staging)
		}
	}()

	// Copy what is not ledger data.
	old, err := store.Open(dir, store.OpenOptions{ReadOnly: true, Salvage: true})
	if err != nil {
		return nil, fmt.Errorf("node: the damaged database cannot be opened to salvage its raft log: %w; replace the node "+
			"(docs/operations.md, \"Corruption\")", err)
	}
	fresh, err := store.Open(staging, store.OpenOptions{})
	if err != nil {
		old.Close()
		return nil, err
	}
	rep.Kept, err = copyKept(old.DB, fresh.DB, dir)
	old.Close()
	if err != nil {
		fresh.Close()
		return nil, err
	}
	rs, err := ReadRaftLog(cfg.DataDir, fresh.DB)
	if err != nil {
		fresh.Close()
		return nil, fmt.Errorf("node: the raft log is damaged: %w; replace the node (docs/operations.md, \"Corruption\")", err)
	}
	snap, err := rs.Snapshot()
	rs.Close()
	if err != nil {
		fresh.Close()
		return nil, err
	}
	if !raft.IsEmptySnap(snap) {
		if err := codec.Ledger.Unmarshal(snap.GetData(), &rep.Target); err != nil {
			fresh.Close()
			return nil, fmt.Errorf("%w: the raft snapshot's head: %v", store.ErrCorrupt, err)
		}
		rep.SnapshotIndex = snap.GetMetadata().GetIndex()
	}

	// Rebuild the ledger up to the snapshot's head.
	rc := cfg
	rc.RaftListen, rc.Drop = "127.0.0.1:0", func(uint64) bool { return true } // no peers while rebuilding
	n, err := open(rc, fresh.DB)
	if err != nil {
		fresh.Close()
		return nil, err
	}
	n.disk = fresh
	if err := n.rebuild(ctx, src, rep); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.Close(); err != nil {
		return nil, fmt.Errorf("node: closing the rebuilt database: %w", err)
	}

	// Swap.
	rep.Damaged = filepath.Join(cfg.DataDir, "db.damaged-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(dir, rep.Damaged); err != nil {
		return nil, fmt.Errorf("node: moving the damaged database aside: %w", err)
	}
	if err := os.Rename(staging, dir); err != nil {
		return nil, fmt.Errorf("node: putting the rebuilt database in place (the damaged one is in %s): %w", rep.Damaged, err)
	}
	_ = fsync.Dir(cfg.DataDir)
	ok = true
	rep.Took = time.Since(start)
	return rep, nil
}

// copyKept copies every record outside the ledger prefixes from old (the
// database in dir) to fresh, after checking that all of them can be read;
// one that cannot stops it with an error naming the file.
func copyKept(old, fresh *leveldb.DB, dir string) (int, error) {
	if err := store.CheckRanges(old, dir, keptRanges()); err != nil {
		return 0, fmt.Errorf("node: the raft log or the private store cannot be read: %w; they cannot be rebuilt: "+
			"replace the node (docs/operations.md, \"Corruption\")", err)
	}
	return store.CopyRanges(old, fresh, keptRanges())
}

// rebuild fetches and replays the blocks up to rep.Target.
func (n *Node) rebuild(ctx context.Context, src BlockSource, rep *RecoverReport) error {
	target := rep.Target
	if target.Height > 0 && src == nil {
		return fmt.Errorf("node: the raft log was compacted at height %d: the blocks up to it must come from a healthy "+
			"node (--from its API); a one-node chain restores a backup instead (docs/operations.md, \"Corruption\")",
			target.Height)
	}
	for h := n.Head().Height + 1; h <= target.Height; h++ {
		var (
			b   *api.Block
			err error
		)
		for try := 0; ; try++ {
			b, err = src.Block(ctx, h)
			if err == nil || try == 4 || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(1<<try) * 100 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("node: fetching block %d: %w", h, err)
		}
		sb := &syncBlock{Block: ledger.Block{Header: b.Header, Txs: make([][]byte, len(b.Txs))}, Receipts: b.Receipts,
			Sigs: b.Signatures}
		for i, t := range b.Txs {
			sb.Block.Txs[i] = t.Raw
		}
		if err := n.replay(sb); err != nil {
			return fmt.Errorf("node: replaying block %d: %w", h, err)
		}
		rep.Fetched++
	}
	if head := n.Head(); head.Height != target.Height || head.Hash != target.Hash || head.StateHash != target.StateHash {
		return fmt.Errorf("%w: the rebuilt head %d/%s (state %s) is not the raft snapshot's %d/%s (state %s)",
			ErrDiverged, head.Height, head.Hash, head.StateHash, target.Height, target.Hash, target.StateHash)
	}
	if rep.SnapshotIndex > 0 {
		if err := n.store.SetApplied(rep.SnapshotIndex); err != nil {
			return err
		}
	}
	_, err := store.VerifyAll(n.store)
	return err
}
