package consensus

import (
	"errors"
	"slices"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

func confEntry(t *testing.T, index, term uint64, typ raftpb.ConfChangeType, node uint64) *raftpb.Entry {
	t.Helper()
	b, err := proto.Marshal(&raftpb.ConfChange{Type: typ.Enum(), NodeId: new(node)})
	if err != nil {
		t.Fatal(err)
	}
	return &raftpb.Entry{Index: new(index), Term: new(term), Type: raftpb.EntryConfChange.Enum(), Data: b}
}

// TestReseed: the reseeded storage holds only a snapshot at the applied
// index, with that entry's term and the membership in force there (the
// snapshot's, with the log's later configuration changes up to that index
// applied, none after it), no vote and nothing above it; and it reopens
// as such. Garbage under other prefixes is untouched.
func TestReseed(t *testing.T) {
	d := newTestDB(t)
	s := d.storage()
	if err := d.db.Put([]byte("s/other"), []byte("kept"), nil); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, hardState(2, 1, 3), entries(1, 3, 2), nil)
	if _, err := s.CreateSnapshot(3, &raftpb.ConfState{Voters: []uint64{1, 2, 3}}, []byte("head at 3")); err != nil {
		t.Fatal(err)
	}
	ents := []*raftpb.Entry{entry(4, 2), confEntry(t, 5, 3, raftpb.ConfChangeAddNode, 4), entry(6, 3),
		confEntry(t, 7, 4, raftpb.ConfChangeRemoveNode, 1), entry(8, 4), entry(9, 5)}
	mustSave(t, s, hardState(5, 3, 8), ents, nil) // 9 is an uncommitted suffix

	snap, err := Reseed(d.db, testPrefix, 6, []byte("head at 6"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(s *Storage) {
		t.Helper()
		hs, cs, _ := s.InitialState()
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		term, _ := s.Term(6)
		got, _ := s.Snapshot()
		voters := slices.Sorted(slices.Values(cs.GetVoters()))
		if hs.GetVote() != 0 || hs.GetTerm() != 3 || hs.GetCommit() != 6 || first != 7 || last != 6 || term != 3 ||
			!slices.Equal(voters, []uint64{1, 2, 3, 4}) || string(got.GetData()) != "head at 6" || got.GetMetadata().GetIndex() != 6 {
			t.Fatalf("reseeded: hard state %v, log [%d, %d], term(6) %d, voters %v, snapshot %v",
				hs, first, last, term, voters, got.GetMetadata())
		}
	}
	if snap.GetMetadata().GetIndex() != 6 {
		t.Fatalf("snapshot at %d", snap.GetMetadata().GetIndex())
	}
	check(d.storage())
	check(d.reopen())
	if v, err := d.db.Get([]byte("s/other"), nil); err != nil || string(v) != "kept" {
		t.Fatalf("another prefix: %q %v", v, err)
	}

	// A later applied index sees the removal too.
	d2 := newTestDB(t)
	s2 := d2.storage()
	mustSave(t, s2, hardState(2, 3, 3), nil, snapshot(3, 2, []uint64{1, 2, 3}, "head at 3"))
	mustSave(t, s2, hardState(5, 3, 8), ents, nil)
	if _, err := Reseed(d2.db, testPrefix, 8, nil); err != nil {
		t.Fatal(err)
	}
	_, cs, _ := d2.storage().InitialState()
	if voters := slices.Sorted(slices.Values(cs.GetVoters())); !slices.Equal(voters, []uint64{2, 3, 4}) {
		t.Fatalf("voters at 8: %v", voters)
	}

	// An applied index below the snapshot is raised to it; beyond the log
	// is corrupt.
	d3 := newTestDB(t)
	mustSave(t, d3.storage(), hardState(2, 0, 5), nil, snapshot(5, 2, []uint64{7}, "head at 5"))
	if snap, err := Reseed(d3.db, testPrefix, 2, []byte("h")); err != nil || snap.GetMetadata().GetIndex() != 5 ||
		!slices.Equal(snap.GetMetadata().GetConfState().GetVoters(), []uint64{7}) {
		t.Fatalf("applied below the snapshot: %v %v", snap, err)
	}
	if _, err := Reseed(d3.db, testPrefix, 9, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("applied beyond the log: %v", err)
	}
	if _, err := Reseed(newTestDB(t).db, testPrefix, 0, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("an empty storage: %v", err)
	}
}
