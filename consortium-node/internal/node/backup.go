package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/store"
)

// Backups of a running node (docs/decisions/0016-backup-restore.md): the
// whole database — state, blocks, receipts, the tx index, header
// signatures, the raft log and the private store — read from one goleveldb
// snapshot, so the archive is one consistent instant of the node, taken
// while it keeps committing. A snapshot takes no lock that a block commit
// waits on: goleveldb only keeps the versions the snapshot still sees
// until it is released (the database grows meanwhile, it does not stall).

// Backup is a consistent view of the node's database, from OpenBackup
// until Close. It is not safe for concurrent use.
type Backup struct {
	snap   *leveldb.Snapshot
	raft   *consensus.View // the raft log at the same instant, archived under raftPrefix
	header api.BackupHeader
}

// BackupAllowed says whether caller may take this node's backup: the node
// itself, or an active organisation admin of the node's own organisation
// (by the member's record on the ledger). The backup holds the
// organisation's private store (ciphertexts, data keys wrapped to the
// node), so no other organisation — not even its nodes or admins — may
// have it. A refusal wraps ErrForbidden and says who may.
func (n *Node) BackupAllowed(c *api.Caller) error {
	refuse := fmt.Errorf("%w: only node %s itself or an organisation admin of %s may take its backup",
		ErrForbidden, n.cfg.NodeID, n.me.Org)
	if c == nil {
		return refuse
	}
	if c.Node {
		if c.ID == n.cfg.NodeID {
			return nil
		}
		return refuse
	}
	m, err := identity.LoadMember(stateReader{n}, c.ID)
	if err != nil || m.Revoked || m.Org != n.me.Org || !m.HasRole(identityvocab.RoleOrgAdmin) {
		return refuse
	}
	return nil
}

// OpenBackup takes a snapshot of the node's database for a backup; call
// Close when done. A halted node is not backed up: its data is what the
// consortium disagrees with.
func (n *Node) OpenBackup() (*Backup, error) {
	if err := n.healthy(); err != nil {
		return nil, fmt.Errorf("%w: a halted node's data is not backed up; back up another node of the organisation", err)
	}
	// The raft log and the database at one instant: no raft change
	// while the database's snapshot is taken.
	var snap *leveldb.Snapshot
	rv, err := n.rlog.Capture(func() (err error) {
		snap, err = n.store.DB().GetSnapshot()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("node: backup snapshot: %w", err)
	}
	head, ok, err := store.HeadIn(snap)
	if err == nil && !ok {
		err = fmt.Errorf("%w: no head record", store.ErrCorrupt)
	}
	if err == nil {
		if reason, halted, herr := store.HaltedIn(snap); herr != nil {
			err = herr
		} else if halted {
			err = fmt.Errorf("%w: %s", ErrHalted, reason)
		}
	}
	if err != nil {
		snap.Release()
		return nil, err
	}
	return &Backup{snap: snap, raft: rv, header: api.BackupHeader{
		Kind: api.BackupNode, ChainID: n.cfg.Genesis.ChainID, Node: n.cfg.NodeID, RaftID: n.me.RaftID, Org: n.me.Org,
		Height: head.Height, Hash: head.Hash, Time: time.Now().UnixNano(),
	}}, nil
}

// Header describes the backup.
func (b *Backup) Header() api.BackupHeader { return b.header }

// WriteTo writes the backup as an archive (api.BackupWriter) to w, record
// by record from the snapshot, and returns how many database records it
// wrote. It stops with ctx's error when ctx ends; the archive is then
// left without its end record and checksum, and no restore accepts it.
func (b *Backup) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	bw, err := api.NewBackupWriter(w, b.header)
	if err != nil {
		return 0, err
	}
	it := b.snap.NewIterator(nil, &opt.ReadOptions{DontFillCache: true})
	defer it.Release()
	var n int64
	put := func(k, v []byte) error {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n++
		return bw.Put(k, v)
	}
	// The raft log's records go where the database's would be (the
	// archive's keys ascend): restore reseeds them, and the restored node
	// moves them into its own raft log when it opens.
	raftDone := false
	raftRecords := func() error {
		raftDone = true
		return b.raft.Export(raftPrefix, put)
	}
	for it.Next() {
		if !raftDone && string(it.Key()) >= raftPrefix {
			if bytes.HasPrefix(it.Key(), []byte(raftPrefix)) {
				return n, fmt.Errorf("%w: raft records in the database beside the raft log", store.ErrCorrupt)
			}
			if err := raftRecords(); err != nil {
				return n, err
			}
		}
		if err := put(it.Key(), it.Value()); err != nil {
			return n, err
		}
	}
	if err := it.Error(); err != nil {
		return n, fmt.Errorf("node: reading the backup snapshot: %w", err)
	}
	if !raftDone {
		if err := raftRecords(); err != nil {
			return n, err
		}
	}
	return n, bw.Close()
}

// Close releases the snapshot.
func (b *Backup) Close() { b.snap.Release() }

// raftPrefix is where node homes made before the raft log had a folder of
// its own kept it in the database, and where a backup archive keeps it
// (openRaftLog moves it out).
const raftPrefix = "raft/"

// ReseedRaft readies a restored copy of a node's database (db, which no
// node has open) to run under the raft member id of the node it is
// restored as: the backed-up node's raft storage — its HardState (term
// and vote) and any uncommitted log suffix — is replaced by a snapshot at
// the index its ledger was applied from (consensus.Reseed), carrying the
// head as Open and block sync expect. The node then starts as a member
// that has never voted and holds only a committed prefix of the log; the
// leader sends it what follows (entries, or a snapshot and block sync).
// It returns the snapshot's index.
func ReseedRaft(db *leveldb.DB) (uint64, error) {
	head, ok, err := store.HeadIn(db)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: no head record", store.ErrCorrupt)
	}
	data, err := codec.Marshal(&head)
	if err != nil {
		return 0, err
	}
	snap, err := consensus.Reseed(db, raftPrefix, head.Applied, data)
	if err != nil {
		return 0, err
	}
	return snap.GetMetadata().GetIndex(), nil
}
