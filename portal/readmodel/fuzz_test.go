package readmodel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
)

// FuzzEachEvent checks the walk the domain modules share over a block of
// three transactions with arbitrary events, statuses and called
// contracts: fn sees exactly the events of the named contracts in the
// successful transactions, in block order, each with where it happened
// and its call's arguments exactly when the transaction called the
// event's own contract; an error of fn stops the walk and comes back
// wrapped, naming the event and its transaction.
func FuzzEachEvent(f *testing.F) {
	args, err := codec.Marshal(tx.Args{tx.String("campaign_id", "heart"), tx.Uint("amount", 500)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("donation.gift_received\tgift=g1\tamount=500\ndonation.campaign_funded\tcampaign=heart\nrecord.access_granted\taccess=a1\n",
		"donation", "donation,record,donation", uint8(0b101), args, uint8(2))
	f.Add("consent.consent_granted\tconsent=c1\nrecord.access_refused\treason=x\nidentity.member_added\tmember=a/b\n",
		"record,consent", "consent,record,governance", uint8(0b111), args, uint8(0))
	f.Fuzz(func(t *testing.T, evs, names, calls string, okMask uint8, rawArgs []byte, failAt uint8) {
		var args tx.Args
		if codec.State.Unmarshal(rawArgs, &args) != nil {
			args = nil
		}
		contracts := strings.Split(names, ",")
		called := strings.Split(calls+",,", ",")[:3]
		b := &api.Block{Header: ledger.Header{ChainID: "c", Height: 7, Time: 42}}
		for i := range 3 {
			var id tx.ID
			id[0] = byte(i + 1)
			b.Txs = append(b.Txs, api.Tx{ID: id, Body: tx.Body{Sender: fmt.Sprintf("org/m%d", i), Call: tx.Call{Contract: called[i], Method: "m", Args: args}}})
			st := ledger.StatusFailed
			if okMask&(1<<i) != 0 {
				st = ledger.StatusOK
			}
			b.Receipts = append(b.Receipts, ledger.Receipt{TxID: id, Status: st})
		}
		for i, e := range testchain.DecodeEvents(evs) {
			b.Receipts[i%3].Events = append(b.Receipts[i%3].Events, e)
		}
		var want []CallEvent
		for i, rc := range b.Receipts {
			for j, e := range rc.Events {
				if rc.OK() && slices.Contains(contracts, e.Contract) {
					ce := CallEvent{Height: 7, Time: 42, Tx: i, Ev: j, TxID: rc.TxID.String(), Sender: b.Txs[i].Body.Sender, Event: e}
					if called[i] == e.Contract {
						ce.Args = args
					}
					want = append(want, ce)
				}
			}
		}
		var got []CallEvent
		stop := errors.New("stop")
		err := EachEvent(b, contracts, func(ce CallEvent) error {
			got = append(got, ce)
			if failAt != 0 && len(got) == int(failAt) {
				return stop
			}
			return nil
		})
		if failAt != 0 && int(failAt) <= len(want) {
			want = want[:failAt]
			last := want[len(want)-1]
			if !errors.Is(err, stop) || !strings.Contains(err.Error(), last.TxID) || !strings.Contains(err.Error(), last.Contract+"."+last.Type) {
				t.Fatalf("fn failed at event %d: EachEvent returned %v, want the error naming %s.%s in tx %s", failAt, err, last.Contract, last.Type, last.TxID)
			}
		} else if err != nil {
			t.Fatalf("EachEvent: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("fn saw %d events, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.Height != w.Height || g.Time != w.Time || g.Tx != w.Tx || g.Ev != w.Ev || g.TxID != w.TxID || g.Sender != w.Sender ||
				(g.Args == nil) != (w.Args == nil) || testchain.EncodeEvents([]ledger.Event{g.Event}) != testchain.EncodeEvents([]ledger.Event{w.Event}) {
				t.Fatalf("event %d: got %+v, want %+v", i, g, w)
			}
		}
	})
}

// FuzzCoreEvents feeds one transaction with arbitrary events and
// arguments, after the first n blocks of a real chain of identity changes
// (members added, roles changed, keys rotated, a member revoked, a failed
// transaction), to the core module through the follower's apply. Whatever
// the input: no panic; a refused block fails with ErrCorrupt and leaves the
// index exactly as it was (applied height included); an accepted block is
// indexed (its block record lists its transaction, whose record says
// whether it succeeded) and every member record decodes and names its
// organisation. The seeds are the real chain's transactions at their own
// heights: those must be accepted and give the index the real chain gives.
func FuzzCoreEvents(f *testing.F) {
	h := newCoreHarness(f)
	for _, in := range h.c.Seeds() {
		f.Add(in.N, in.Nonce, in.Sender, in.Contract, in.Method, in.Args, in.Events, in.Failure)
	}
	f.Fuzz(func(t *testing.T, n uint8, nonce uint64, sender, contract, method string, rawArgs []byte, evs string, failure string) {
		ok := failure == ""
		prefix, b, signed := h.c.Fuzzed(testchain.Input{N: n, Nonce: nonce, Sender: sender, Contract: contract, Method: method, Args: rawArgs,
			Events: evs, Failure: failure})
		if !signed {
			return
		}
		fl, s := h.follower(t)
		for _, pb := range h.c.Blocks[:prefix] {
			if err := fl.apply([]*api.Block{pb}); err != nil {
				t.Fatalf("the real block %d: %v", pb.Header.Height, err)
			}
		}
		before := dumpAll(t, s)
		err := fl.apply([]*api.Block{b})
		real := h.c.IsReal(prefix, b)
		if err != nil {
			if real {
				t.Fatalf("the real block %d was refused: %v", prefix, err)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("a refused block must fail with ErrCorrupt (or the follower retries it forever): %v", err)
			}
			if got, ok := s.Applied(); !ok || got != uint64(prefix-1) {
				t.Fatalf("refused block %d: applied height %d %v", prefix, got, ok)
			}
			if after := dumpAll(t, s); after != before {
				t.Fatalf("refused block %d (%v) changed the index:\nbefore:\n%s\nafter:\n%s", prefix, err, before, after)
			}
			return
		}
		if real && dumpAll(t, s) != h.dumps[prefix] {
			t.Fatalf("the real block %d gave another index than the real chain:\ngot:\n%s\nwant:\n%s", prefix, dumpAll(t, s), h.dumps[prefix])
		}
		rec, err := s.Block(uint64(prefix))
		if err != nil || !slices.Equal(rec.TxIDs, []string{b.Txs[0].ID.String()}) {
			t.Fatalf("block %d record %+v %v", prefix, rec, err)
		}
		tr, err := s.Tx(b.Txs[0].ID)
		if err != nil || tr.OK != ok || tr.Height != uint64(prefix) || tr.Sender != sender || len(tr.Events) != len(b.Receipts[0].Events) {
			t.Fatalf("tx record %+v %v", tr, err)
		}
		coreConsistent(t, s)
	})
}

// coreConsistent checks every member record.
func coreConsistent(t testing.TB, s *Store) {
	t.Helper()
	for after := ""; ; {
		ms, more, err := s.Members("", after, 100)
		if err != nil {
			t.Fatalf("members: %v", err)
		}
		for _, m := range ms {
			if m.Org == "" || m.Roles == nil {
				t.Fatalf("member %+v has no organisation or no role list", m)
			}
		}
		if !more || len(ms) == 0 {
			return
		}
		after = ms[len(ms)-1].ID
	}
}

// coreHarness is a real chain of identity changes as the node serves it,
// with the core index after each block.
type coreHarness struct {
	c     *testchain.Chain
	dumps []string // the index after blocks 0..i
}

func newCoreHarness(f *testing.F) *coreHarness {
	h := &coreHarness{c: testchain.New(f)}
	do := func(wantOK bool, sender, method string, args ...tx.Arg) {
		if _, err := h.c.Try(sender, identity.Name, method, args...); (err == nil) != wantOK {
			f.Fatalf("%s identity.%s: %v", sender, method, err)
		}
	}
	keys := func(id string) []tx.Arg {
		return []tx.Arg{tx.String("sign_key", chaintest.Key(id).Public().String()), tx.String("enc_key", chaintest.EncKey(id).String())}
	}
	do(true, "stmarys/admin", "add_member", append(keys("stmarys/nurse-1"), tx.String("id", "stmarys/nurse-1"), tx.Strings("roles", []string{"records_clerk"}))...)
	do(true, "hope/admin", "add_member", append(keys("hope/donor-1"), tx.String("id", "hope/donor-1"), tx.Strings("roles", []string{"donor"}))...)
	do(true, "stmarys/admin", "set_roles", tx.String("id", "stmarys/nurse-1"), tx.Strings("roles", []string{"records_clerk", "privacy_officer"}))
	do(false, "acme/admin", "set_roles", tx.String("id", "stmarys/nurse-1"), tx.Strings("roles", []string{"donor"}))
	do(true, "stmarys/admin", "rotate_keys", append(keys("stmarys/nurse-1x"), tx.String("id", "stmarys/nurse-1"))...)
	do(true, "hope/admin", "revoke_member", tx.String("id", "hope/donor-1"))
	for i := range h.c.Blocks {
		fl, s := h.follower(f)
		for _, b := range h.c.Blocks[:i+1] {
			if err := fl.apply([]*api.Block{b}); err != nil {
				f.Fatalf("the real chain's block %d: %v", b.Header.Height, err)
			}
		}
		h.dumps = append(h.dumps, dumpAll(f, s))
		coreConsistent(f, s)
	}
	return h
}

// follower returns a follower of a fresh in-memory core index that has
// fetched the genesis file.
func (h *coreHarness) follower(tb testing.TB) (*Follower, *Store) {
	tb.Helper()
	s := memStore(tb)
	fl, err := NewFollower(FollowerConfig{Store: s, Source: nopSource{}})
	if err != nil {
		tb.Fatal(err)
	}
	fl.genesis = h.c.Genesis
	return fl, s
}

// nopSource satisfies Source; the fuzz targets call the follower's apply.
type nopSource struct{ Source }

// dumpAll lists every key of the index.
func dumpAll(tb testing.TB, s *Store) string {
	tb.Helper()
	var b strings.Builder
	it := s.db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		fmt.Fprintf(&b, "%q = %q\n", it.Key(), it.Value())
	}
	if err := it.Error(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
