package readmodel

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// FuzzEachEvent checks the walk the domain modules share over a block of
// three transactions with arbitrary events, statuses and called
// contracts: fn sees exactly the events of the named contracts in the
// successful transactions, in block order, each with where it happened
// and its call's arguments exactly when the transaction called the
// event's own contract; an error of fn stops the walk and comes back
// wrapped, naming the event and its transaction.
func FuzzEachEvent(f *testing.F) {
	args, err := tx.Marshal(tx.Args{tx.String("campaign_id", "heart"), tx.Uint("amount", 500)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("donation.gift_received\tgift=g1\tamount=500\ndonation.campaign_funded\tcampaign=heart\nrecord.access_granted\taccess=a1\n",
		"donation", "donation,record,donation", uint8(0b101), args, uint8(2))
	f.Add("consent.consent_granted\tconsent=c1\nrecord.access_refused\treason=x\nidentity.member_added\tmember=a/b\n",
		"record,consent", "consent,record,governance", uint8(0b111), args, uint8(0))
	f.Fuzz(func(t *testing.T, evs, names, calls string, okMask uint8, rawArgs []byte, failAt uint8) {
		var args tx.Args
		if tx.Unmarshal(rawArgs, &args) != nil {
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
		for i, e := range decodeEvents(evs) {
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
				(g.Args == nil) != (w.Args == nil) || encodeEvents([]ledger.Event{g.Event}) != encodeEvents([]ledger.Event{w.Event}) {
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
	for i, b := range h.blocks[1:] {
		t := b.Txs[0]
		args, err := tx.Marshal(t.Body.Call.Args)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), t.Body.Nonce, t.Body.Sender, t.Body.Call.Contract, t.Body.Call.Method, args, encodeEvents(b.Receipts[0].Events), b.Receipts[0].Error)
	}
	f.Fuzz(func(t *testing.T, n uint8, nonce uint64, sender, contract, method string, rawArgs []byte, evs string, failure string) {
		ok := failure == ""
		prefix := min(int(n), len(h.blocks)-1) + 1
		var args tx.Args
		if tx.Unmarshal(rawArgs, &args) != nil {
			args = nil
		}
		b, signed := h.block(prefix, nonce, sender, contract, method, args, decodeEvents(evs), failure)
		if !signed {
			return
		}
		fl, s := h.follower(t)
		for _, pb := range h.blocks[:prefix] {
			if err := fl.apply(pb); err != nil {
				t.Fatalf("the real block %d: %v", pb.Header.Height, err)
			}
		}
		before := dumpAll(t, s)
		err := fl.apply(b)
		real := prefix < len(h.blocks) && bytes.Equal(h.blocks[prefix].Txs[0].Raw, b.Txs[0].Raw) &&
			h.blocks[prefix].Receipts[0].Status == b.Receipts[0].Status && h.blocks[prefix].Receipts[0].Error == b.Receipts[0].Error &&
			encodeEvents(h.blocks[prefix].Receipts[0].Events) == encodeEvents(b.Receipts[0].Events)
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

// coreHarness is a real chain of identity changes as the node serves it.
type coreHarness struct {
	g      *genesis.File
	blocks []*api.Block
	times  []time.Time
	dumps  []string // the index after blocks 0..i
}

func newCoreHarness(f *testing.F) *coreHarness {
	g, err := genesis.Dev(f.TempDir(), genesis.DevOptions{Nodes: 1, Time: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		f.Fatal(err)
	}
	gb, _, err := g.Block()
	if err != nil {
		f.Fatal(err)
	}
	h := &coreHarness{g: g, blocks: []*api.Block{{Hash: gb.Header.Hash(), Header: gb.Header}}, times: []time.Time{g.GenesisTime}}
	var ms []chaintest.Member
	for _, m := range genesis.DevMembers {
		ms = append(ms, chaintest.Member{ID: m.ID, Roles: m.Roles})
	}
	c := chaintest.New(f, chaintest.Options{Orgs: genesis.DevOrgs, Members: ms})
	do := func(wantOK bool, sender, method string, args ...tx.Arg) {
		s := c.Sign(sender, identity.Name, method, args...)
		now := c.Now
		r := c.Block(s)[0]
		if (r.Err == nil) != wantOK {
			f.Fatalf("%s identity.%s: %v", sender, method, r.Err)
		}
		raw, err := s.Encode()
		if err != nil {
			f.Fatal(err)
		}
		rc := ledger.Receipt{TxID: r.ID, Status: ledger.StatusOK, Events: r.Events}
		if r.Err != nil {
			rc.Status, rc.Error = ledger.StatusFailed, r.Err.Error()
		}
		h.blocks = append(h.blocks, h.wrap(c.Height, now, raw, s, rc))
		h.times = append(h.times, now)
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
	for i := range h.blocks {
		fl, s := h.follower(f)
		for _, b := range h.blocks[:i+1] {
			if err := fl.apply(b); err != nil {
				f.Fatalf("the real chain's block %d: %v", b.Header.Height, err)
			}
		}
		h.dumps = append(h.dumps, dumpAll(f, s))
		coreConsistent(f, s)
	}
	return h
}

func (h *coreHarness) wrap(height uint64, at time.Time, raw []byte, s *tx.Signed, rc ledger.Receipt) *api.Block {
	hd := ledger.Header{ChainID: h.g.ChainID, Height: height, Time: at.UnixNano(), PrevHash: h.blocks[height-1].Hash,
		TxRoot: ledger.TxRoot([][]byte{raw}), ReceiptRoot: ledger.ReceiptRoot([]ledger.Receipt{rc}), Proposer: h.g.Nodes[0].ID}
	return &api.Block{Hash: hd.Hash(), Header: hd, Txs: []api.Tx{{ID: rc.TxID, Raw: raw, Body: s.Body, Signature: s.Signature}}, Receipts: []ledger.Receipt{rc}}
}

// block builds the block at height holding one signed call with the given
// receipt (failed with the failure message when there is one); signed is false when the call does not sign or the block does
// not check (no node sends those: see Source).
func (h *coreHarness) block(height int, nonce uint64, sender, contract, method string, args tx.Args, evs []ledger.Event, failure string) (*api.Block, bool) {
	s, err := tx.Sign(tx.Body{ChainID: chaintest.ChainID, Sender: sender, Nonce: nonce, Expiry: uint64(height-1) + 1000,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, chaintest.Key(sender))
	if err != nil {
		return nil, false
	}
	raw, err := s.Encode()
	if err != nil {
		return nil, false
	}
	rc := ledger.Receipt{TxID: tx.HashID(raw), Status: ledger.StatusOK, Events: evs}
	if failure != "" {
		rc.Status, rc.Error = ledger.StatusFailed, failure
	}
	at := h.times[len(h.times)-1].Add(time.Second)
	if height < len(h.times) {
		at = h.times[height]
	}
	b := h.wrap(uint64(height), at, raw, s, rc)
	return b, b.Check() == nil
}

// follower returns a follower of a fresh in-memory core index that has
// fetched the genesis file.
func (h *coreHarness) follower(tb testing.TB) (*Follower, *Store) {
	tb.Helper()
	s, err := Open("", NewRegistry())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	fl, err := NewFollower(FollowerConfig{Store: s, Source: nopSource{}})
	if err != nil {
		tb.Fatal(err)
	}
	fl.genesis = h.g
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

// encodeEvents writes events as lines "contract.type<TAB>key=value...".
func encodeEvents(evs []ledger.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Contract + "." + e.Type)
		for _, a := range e.Attrs {
			b.WriteString("\t" + a.Key + "=" + a.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// decodeEvents reads what encodeEvents writes, and any other text.
func decodeEvents(s string) []ledger.Event {
	var out []ledger.Event
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		c, typ, _ := strings.Cut(f[0], ".")
		e := ledger.Event{Contract: c, Type: typ}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			e.Attrs = append(e.Attrs, ledger.Attr{Key: k, Value: v})
		}
		out = append(out, e)
	}
	return out
}
