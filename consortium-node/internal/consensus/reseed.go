package consensus

import (
	"fmt"
	"math"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"go.etcd.io/raft/v3/confchange"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"
)

// Reseed replaces the raft storage kept under prefix in db by one that
// holds nothing but a snapshot at the applied index: the restore of a
// node's backup (docs/decisions/0016-backup-restore.md). applied is the
// index the node's ledger was applied from (raised to the stored
// snapshot's index if that is higher); data is the snapshot's application
// data (the node's encoded head).
//
// The new storage keeps only what is safe for any raft member id to
// hold: a committed prefix of the log, as a snapshot at the applied index
// with that entry's term and the membership (ConfState) in force there —
// the stored snapshot's ConfState with every configuration change of the
// log up to that index applied. It has no vote, no entries above the
// snapshot and a commit index equal to it: the old HardState (term and
// vote) and any uncommitted suffix of the backed-up node are gone.
//
// db must not be in use by raft while Reseed runs. It returns the new
// snapshot. Stored raft data that cannot be decoded or does not reach
// applied is an error wrapping ErrCorrupt.
func Reseed(db *leveldb.DB, prefix string, applied uint64, data []byte) (*raftpb.Snapshot, error) {
	old, err := OpenStorage(db, prefix)
	if err != nil {
		return nil, err
	}
	snap, err := old.Snapshot()
	if err != nil {
		return nil, err
	}
	si := snap.GetMetadata().GetIndex()
	at := max(applied, si)
	if at == 0 {
		return nil, fmt.Errorf("%w: reseed: nothing was ever applied", ErrCorrupt)
	}
	last, _ := old.LastIndex()
	if at > last {
		return nil, fmt.Errorf("%w: reseed: the applied index %d is beyond the raft log (last index %d)", ErrCorrupt, at, last)
	}
	term, err := old.Term(at)
	if err != nil {
		return nil, fmt.Errorf("%w: reseed: the term of entry %d: %v", ErrCorrupt, at, err)
	}
	cs := proto.Clone(raftpb.EnsureConfState(snap.GetMetadata().GetConfState())).(*raftpb.ConfState)
	if at > si {
		ents, err := old.Entries(si+1, at+1, math.MaxUint64)
		if err != nil {
			return nil, fmt.Errorf("%w: reseed: entries %d to %d: %v", ErrCorrupt, si+1, at, err)
		}
		if cs, err = foldConfChanges(cs, ents); err != nil {
			return nil, err
		}
	}

	// Delete everything under prefix, then write the new storage.
	it := db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	b := new(leveldb.Batch)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("consensus: reseed: %w", err)
	}
	if err := db.Write(b, syncWrite); err != nil {
		return nil, fmt.Errorf("consensus: reseed: %w", err)
	}
	fresh, err := OpenStorage(db, prefix)
	if err != nil {
		return nil, err
	}
	next := &raftpb.Snapshot{Data: data, Metadata: &raftpb.SnapshotMetadata{ConfState: cs, Index: new(at), Term: new(term)}}
	if err := fresh.Save(&raftpb.HardState{Term: new(term), Commit: new(at)}, nil, next); err != nil {
		return nil, fmt.Errorf("consensus: reseed: %w", err)
	}
	return fresh.Snapshot()
}

// foldConfChanges applies the configuration changes among ents to cs, as
// raft applies them when they commit.
func foldConfChanges(cs *raftpb.ConfState, ents []*raftpb.Entry) (*raftpb.ConfState, error) {
	trk := tracker.MakeProgressTracker(1, 0)
	cfg, prs, err := confchange.Restore(confchange.Changer{Tracker: trk, LastIndex: 0}, cs)
	if err != nil {
		return nil, fmt.Errorf("%w: reseed: the snapshot's membership: %v", ErrCorrupt, err)
	}
	trk.Config, trk.Progress = cfg, prs
	for _, e := range ents {
		var cc raftpb.ConfChangeI
		switch e.GetType() {
		case raftpb.EntryType_EntryConfChange:
			v := &raftpb.ConfChange{}
			if err := proto.Unmarshal(e.GetData(), v); err != nil {
				return nil, fmt.Errorf("%w: reseed: configuration change at %d: %v", ErrCorrupt, e.GetIndex(), err)
			}
			cc = v
		case raftpb.EntryType_EntryConfChangeV2:
			v := &raftpb.ConfChangeV2{}
			if err := proto.Unmarshal(e.GetData(), v); err != nil {
				return nil, fmt.Errorf("%w: reseed: configuration change at %d: %v", ErrCorrupt, e.GetIndex(), err)
			}
			cc = v
		default:
			continue
		}
		v2 := cc.AsV2()
		chg := confchange.Changer{Tracker: trk, LastIndex: e.GetIndex()}
		var err error
		if v2.LeaveJoint() {
			cfg, prs, err = chg.LeaveJoint()
		} else if autoLeave, ok := v2.EnterJoint(); ok {
			cfg, prs, err = chg.EnterJoint(autoLeave, v2.GetChanges()...)
		} else {
			cfg, prs, err = chg.Simple(v2.GetChanges()...)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reseed: configuration change at %d: %v", ErrCorrupt, e.GetIndex(), err)
		}
		trk.Config, trk.Progress = cfg, prs
	}
	return trk.ConfState(), nil
}
