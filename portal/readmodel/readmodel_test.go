package readmodel_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/readmodel"
)

// runFollower runs a follower over store until the test ends.
func runFollower(t *testing.T, n *testnode.Node, s *readmodel.Store) (*readmodel.Follower, func()) {
	t.Helper()
	return rmtest.RunFollower(t, readmodel.FollowerConfig{Store: s, Source: n.Client, StatusEvery: 100 * time.Millisecond})
}

// TestFollowIndexesAndResumes follows a real node: genesis organisations
// and members, a committed identity change and a failed transaction are
// indexed; a follower restarted on the same folder resumes from the
// stored height; a deleted folder is rebuilt to the same records.
func TestFollowIndexesAndResumes(t *testing.T) {
	n := testnode.Start(t)
	dir := filepath.Join(t.TempDir(), "index")
	s, err := readmodel.Open(dir, readmodel.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	f, stop := runFollower(t, n, s)
	sub := f.Subscribe(16)
	rmtest.WaitApplied(t, s, 0)

	orgs, err := s.Orgs()
	if err != nil || len(orgs) != 4 {
		t.Fatalf("orgs %v %v", orgs, err)
	}
	m, err := s.Member("stmarys/dr-lee")
	if err != nil || m.Org != "stmarys" || !slices.Equal(m.Roles, []string{"physician"}) {
		t.Fatalf("member %+v %v", m, err)
	}

	ok := n.Send(t, "stmarys/admin", "identity", "set_roles", tx.String("id", "stmarys/dr-lee"), tx.Strings("roles", []string{"physician", "privacy_officer"}))
	bad := n.Send(t, "acme/admin", "identity", "set_roles", tx.String("id", "stmarys/dr-lee"), tx.Strings("roles", []string{"donor"}))
	rmtest.WaitApplied(t, s, bad.Height)

	m, err = s.Member("stmarys/dr-lee")
	if err != nil || !slices.Equal(m.Roles, []string{"physician", "privacy_officer"}) || m.Updated != ok.Height {
		t.Fatalf("after set_roles: %+v %v", m, err)
	}
	rec, err := s.Tx(ok.ID)
	if err != nil || !rec.OK || rec.Sender != "stmarys/admin" || rec.Contract != "identity" || rec.Method != "set_roles" || rec.Height != ok.Height {
		t.Fatalf("tx %+v %v", rec, err)
	}
	rec, err = s.Tx(bad.ID)
	if err != nil || rec.OK || rec.Error == "" {
		t.Fatalf("failed tx %+v %v", rec, err)
	}
	blk, err := s.Block(ok.Height)
	if err != nil || !slices.Contains(blk.TxIDs, ok.ID.String()) {
		t.Fatalf("block %+v %v", blk, err)
	}
	// The subscription saw every block after it was made, in order.
	var last uint64
	for last < bad.Height {
		select {
		case b := <-sub.C():
			if last != 0 && b.Height != last+1 {
				t.Fatalf("subscription jumped from %d to %d", last, b.Height)
			}
			last = b.Height
		case <-time.After(30 * time.Second):
			t.Fatal("no block on the subscription")
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if lag, ok := f.Lag(); ok && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lag never reached 0")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Resume: a new block is applied after a restart on the same folder.
	s, err = readmodel.Open(dir, readmodel.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := s.Applied(); !ok || h < bad.Height {
		t.Fatalf("applied after reopen %d %v", h, ok)
	}
	_, stop = runFollower(t, n, s)
	again := n.Send(t, "stmarys/admin", "identity", "revoke_member", tx.String("id", "stmarys/clerk"))
	rmtest.WaitApplied(t, s, again.Height)
	if m, err := s.Member("stmarys/clerk"); err != nil || !m.Revoked {
		t.Fatalf("revoked member %+v %v", m, err)
	}
	stop()
	want, _, _ := s.Blocks(nil, 0)
	s.Close()

	// Rebuild from scratch in memory: the same blocks.
	r, err := readmodel.Open("", readmodel.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runFollower(t, n, r)
	rmtest.WaitApplied(t, r, again.Height)
	got, _, _ := r.Blocks(nil, 0)
	if len(got) < len(want) {
		t.Fatalf("rebuilt %d blocks, want %d", len(got), len(want))
	}
	for i := range want {
		j := len(got) - len(want) + i
		if got[j].Hash != want[i].Hash {
			t.Fatalf("rebuilt block %d differs", want[i].Height)
		}
	}
}

// TestModuleRegistry checks that a domain module gets its own key space
// and sees the events it registered for.
func TestModuleRegistry(t *testing.T) {
	reg := readmodel.NewRegistry()
	if err := reg.Register(readmodel.Module{Name: "core"}); err == nil {
		t.Fatal("duplicate module accepted")
	}
	if err := reg.Register(readmodel.Module{Name: "a/b"}); err == nil {
		t.Fatal("bad name accepted")
	}
	err := reg.Register(readmodel.Module{Name: "audit", Events: map[string]readmodel.EventFunc{
		"identity.roles_changed": func(w *readmodel.Txn, ev readmodel.Event) error {
			w.Put("changes/"+ev.TxID.String(), []byte(ev.Attr("member")))
			return nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := testnode.Start(t)
	s, err := readmodel.Open("", reg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runFollower(t, n, s)
	res := n.Send(t, "hope/admin", "identity", "set_roles", tx.String("id", "hope/officer"), tx.Strings("roles", []string{"charity_officer", "milestone_validator"}))
	rmtest.WaitApplied(t, s, res.Height)
	v, err := s.Get("audit", "changes/"+res.ID.String())
	if err != nil || string(v) != "hope/officer" {
		t.Fatalf("module record %q %v", v, err)
	}
	var keys []string
	if err := s.Scan("audit", "changes/", "", false, func(k string, _ []byte) bool { keys = append(keys, k); return true }); err != nil || len(keys) != 1 {
		t.Fatalf("scan %v %v", keys, err)
	}
}

// TestModuleSetChange: an index built by one set of modules is refused by
// a portal with another (ErrModules, so that it is rebuilt: a module
// added later would miss the state of the blocks before it); the same set
// opens it again.
func TestModuleSetChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	n := testnode.Start(t)
	s, err := readmodel.Open(dir, readmodel.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	runFollower(t, n, s)
	res := n.Send(t, "hope/admin", "identity", "set_roles", tx.String("id", "hope/officer"), tx.Strings("roles", []string{"charity_officer"}))
	rmtest.WaitApplied(t, s, res.Height)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	more := readmodel.NewRegistry()
	if err := more.Register(readmodel.Module{Name: "audit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := readmodel.Open(dir, more); !errors.Is(err, readmodel.ErrModules) || !strings.Contains(err.Error(), "[core audit]") {
		t.Fatalf("opening with another module set: %v", err)
	}
	s, err = readmodel.Open(dir, readmodel.NewRegistry())
	if err != nil {
		t.Fatalf("reopening with the same set: %v", err)
	}
	if h, ok := s.Applied(); !ok || h < res.Height {
		t.Fatalf("applied %d %v after reopening", h, ok)
	}
	s.Close()

	// A module at another version (what it indexes changed) is another
	// set too: the index is rebuilt, so old entries get the new fields.
	dir = filepath.Join(t.TempDir(), "index")
	v1 := readmodel.NewRegistry()
	if err := v1.Register(readmodel.Module{Name: "audit", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if s, err = readmodel.Open(dir, v1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	v2 := readmodel.NewRegistry()
	if err := v2.Register(readmodel.Module{Name: "audit", Version: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := readmodel.Open(dir, v2); !errors.Is(err, readmodel.ErrModules) || !strings.Contains(err.Error(), "[core audit@2]") {
		t.Fatalf("opening with the module at another version: %v", err)
	}
}
