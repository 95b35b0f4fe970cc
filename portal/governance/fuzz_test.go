package governance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
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
	h := newHarness(f)
	for i, b := range h.blocks[1:] {
		t := b.Txs[0]
		args, err := tx.Marshal(t.Body.Call.Args)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), t.Body.Nonce, t.Body.Sender, t.Body.Call.Contract, t.Body.Call.Method, args, encodeEvents(b.Receipts[0].Events, t.ID.String()))
	}
	f.Fuzz(func(t *testing.T, n uint8, nonce uint64, sender, contract, method string, rawArgs []byte, evs string) {
		prefix := min(int(n), len(h.blocks)-1) + 1 // blocks 0..prefix-1, then the fuzzed one
		var args tx.Args
		if tx.Unmarshal(rawArgs, &args) != nil {
			args = nil
		}
		b, ok := h.block(prefix, nonce, sender, contract, method, args, decodeEvents(evs))
		if !ok {
			return // no node sends a block that does not check
		}
		s, err := h.apply(t, h.blocks[:prefix])
		if err != nil {
			t.Fatalf("the real chain's first %d blocks: %v", prefix, err)
		}
		before := dump(t, s)
		err = h.applyMore(s, b)
		real := prefix < len(h.blocks) && bytes.Equal(h.blocks[prefix].Txs[0].Raw, b.Txs[0].Raw) &&
			encodeEvents(h.blocks[prefix].Receipts[0].Events, "") == encodeEvents(b.Receipts[0].Events, "")
		if err != nil {
			if real {
				t.Fatalf("the real block %d was refused: %v", prefix, err)
			}
			if !errors.Is(err, readmodel.ErrCorrupt) {
				t.Fatalf("a refused block must fail with ErrCorrupt (or the follower retries it forever): %v", err)
			}
			if got, ok := s.Applied(); !ok || got != uint64(prefix-1) {
				t.Fatalf("refused block %d: applied height %d %v, want %d", prefix, got, ok, prefix-1)
			}
			if after := dump(t, s); after != before {
				t.Fatalf("refused block %d (%v) changed the index:\nbefore:\n%s\nafter:\n%s", prefix, err, before, after)
			}
			return
		}
		if real {
			if got := dump(t, s); got != h.dumps[prefix] {
				t.Fatalf("the real block %d gave another index than the real chain:\ngot:\n%s\nwant:\n%s", prefix, got, h.dumps[prefix])
			}
		}
		consistent(t, s)
	})
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
	for _, st := range governance.Statuses {
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
		if (p.Status == governance.StatusOpen) != isOpen || isOpen && exp != p.Expires || (p.Status == governance.StatusOpen) != (p.Closed == 0) {
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
		case governance.StatusExecuted, governance.StatusFailed:
			if len(t.Approved) < t.Needed {
				tb.Fatalf("proposal %s %s with %d of %d approvals", p.ID, p.Status, len(t.Approved), t.Needed)
			}
			if p.Status == governance.StatusFailed && p.Reason == "" {
				tb.Fatalf("proposal %s failed without a reason", p.ID)
			}
		case governance.StatusRejected:
			if len(t.Approved) >= t.Needed || len(t.Orgs)-len(t.Rejected) >= t.Needed {
				tb.Fatalf("proposal %s rejected with tally %+v", p.ID, t)
			}
		}
	}
	if len(open) != len(openIDs) || len(open) != countStatus(listed, governance.StatusOpen) {
		tb.Fatalf("open list %v, open proposals %d", open, countStatus(listed, governance.StatusOpen))
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
