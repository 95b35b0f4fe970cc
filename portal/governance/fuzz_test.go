package governance_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/readmodel"
)

// FuzzGovernanceEvents feeds one transaction with arbitrary governance
// and identity events and arguments, after the first n blocks of a real
// governance chain, through the follower into a read model with this
// module ("$TX" in an attribute stands for the transaction's own id, so
// that proposals can be created). Whatever the input: no panic; a block
// the module refuses fails with readmodel.ErrCorrupt and leaves the index
// exactly as it was (no partial write); a block it accepts leaves the
// index consistent (see consistent). The seeds are the real chain's
// transactions at their own heights: those must be accepted and give the
// very index the real chain gives.
func FuzzGovernanceEvents(f *testing.F) {
	newHarness(f).rm.Fuzz(f)
}

// consistent checks the index's invariants: every proposal is listed once
// in the list of all (newest first) and once under its status; the open
// list holds exactly the open proposals with their expiry; a proposal is
// closed exactly when it is not open; no organisation voted twice; an
// executed or failed proposal had its threshold, a rejected one could no
// longer reach it; a failed one says why.
func consistent(tb testing.TB, s *readmodel.Store) {
	tb.Helper()
	r := governance.NewReader(s)
	c, err := r.Consortium()
	if err != nil {
		tb.Fatalf("consortium: %v", err)
	}
	if !slices.IsSorted(c.Orgs) || c.Percent < 1 || c.Percent > 99 {
		tb.Fatalf("consortium %+v", c)
	}
	all, pg, err := r.Proposals("", "", 10_000)
	if err != nil || pg.More {
		tb.Fatalf("proposals: %v %v", pg.More, err)
	}
	if !slices.IsSortedFunc(all, func(a, b *governance.Proposal) int { return strings.Compare(b.Seq, a.Seq) }) {
		tb.Fatal("the list of proposals is not newest first")
	}
	listed := map[string]string{}
	for _, st := range govvocab.Statuses() {
		ps, _, err := r.Proposals(st, "", 10_000)
		if err != nil {
			tb.Fatalf("proposals %s: %v", st, err)
		}
		for _, p := range ps {
			if p.Status != st || listed[p.ID] != "" {
				tb.Fatalf("proposal %s (%s) listed under %s (and %q)", p.ID, p.Status, st, listed[p.ID])
			}
			listed[p.ID] = st
		}
	}
	if len(listed) != len(all) {
		tb.Fatalf("%d proposals, %d listed by status", len(all), len(listed))
	}
	raw, err := s.Get(governance.ModuleName, "open")
	if err != nil {
		tb.Fatalf("open list: %v", err)
	}
	var open []struct {
		ID      string `json:"id"`
		Expires int64  `json:"expires"`
	}
	if err := json.Unmarshal(raw, &open); err != nil {
		tb.Fatalf("open list: %v", err)
	}
	openIDs := map[string]int64{}
	for _, o := range open {
		openIDs[o.ID] = o.Expires
	}
	for _, p := range all {
		if listed[p.ID] != p.Status {
			tb.Fatalf("proposal %s is %s, listed as %q", p.ID, p.Status, listed[p.ID])
		}
		exp, isOpen := openIDs[p.ID]
		if (p.Status == govvocab.StatusOpen) != isOpen || isOpen && exp != p.Expires || (p.Status == govvocab.StatusOpen) != (p.Closed == 0) {
			tb.Fatalf("proposal %s is %s, closed at %d, in the open list: %v", p.ID, p.Status, p.Closed, isOpen)
		}
		voted := map[string]bool{}
		for _, v := range append(slices.Clone(p.Approvals), p.Rejections...) {
			if voted[v.Org] {
				tb.Fatalf("proposal %s: %s voted twice", p.ID, v.Org)
			}
			voted[v.Org] = true
		}
		t := p.Tally(c)
		switch p.Status {
		case govvocab.StatusExecuted, govvocab.StatusFailed:
			if len(t.Approved) < t.Needed {
				tb.Fatalf("proposal %s %s with %d of %d approvals", p.ID, p.Status, len(t.Approved), t.Needed)
			}
			if p.Status == govvocab.StatusFailed && p.Reason == "" {
				tb.Fatalf("proposal %s failed without a reason", p.ID)
			}
		case govvocab.StatusRejected:
			if len(t.Approved) >= t.Needed || len(t.Orgs)-len(t.Rejected) >= t.Needed {
				tb.Fatalf("proposal %s rejected with tally %+v", p.ID, t)
			}
		}
	}
	if len(open) != len(openIDs) || len(open) != countStatus(listed, govvocab.StatusOpen) {
		tb.Fatalf("open list %v, open proposals %d", open, countStatus(listed, govvocab.StatusOpen))
	}
}

func countStatus(listed map[string]string, status string) int {
	n := 0
	for _, s := range listed {
		if s == status {
			n++
		}
	}
	return n
}
