package donations_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
)

// FuzzDonationEvents feeds one transaction with arbitrary events and
// arguments, after the first n blocks of a real donation chain, through
// the follower into a read model with this module. Whatever the input:
// no panic; a block the module refuses fails with readmodel.ErrCorrupt and
// leaves the index exactly as it was (no partial write); a block it
// accepts leaves money conserved (every campaign's raised amount is its
// gifts' and its milestones' sum, no milestone pays out more than it
// holds, every gift's allocations and uses add up). The seeds are the real
// chain's transactions, each at its own height: those must be accepted and
// give the very index the real chain gives.
func FuzzDonationEvents(f *testing.F) {
	h := newHarness(f)
	for i, b := range h.blocks[1:] {
		t := b.Txs[0]
		args, err := tx.Marshal(t.Body.Call.Args)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), t.Body.Nonce, t.Body.Sender, t.Body.Call.Contract, t.Body.Call.Method, args, encodeEvents(b.Receipts[0].Events))
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
			encodeEvents(h.blocks[prefix].Receipts[0].Events) == encodeEvents(b.Receipts[0].Events)
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
		conserved(t, donations.NewReader(s))
	})
}

// conserved checks the money invariants over every campaign and gift.
func conserved(t testing.TB, r *donations.Reader) {
	t.Helper()
	var cs []*donations.Campaign
	for more := true; more; {
		after := ""
		if len(cs) > 0 {
			after = cs[len(cs)-1].ID
		}
		page, m, err := r.Campaigns(after, 100)
		if err != nil {
			t.Fatalf("campaigns: %v", err)
		}
		cs, more = append(cs, page...), m
	}
	for _, c := range cs {
		var funded, disbursed, refunded uint64
		for _, m := range c.Milestones {
			if m.Disbursed+m.Refunded > m.Funded || m.Disbursed > m.Funded {
				t.Fatalf("campaign %q milestone %d pays out more than it holds: %+v", c.ID, m.Seq, m)
			}
			funded, disbursed, refunded = funded+m.Funded, disbursed+m.Disbursed, refunded+m.Refunded
		}
		if funded != c.Raised || disbursed != c.Disbursed || refunded != c.Refunded {
			t.Fatalf("campaign %q: raised %d disbursed %d refunded %d, its milestones %d %d %d", c.ID, c.Raised, c.Disbursed, c.Refunded, funded, disbursed, refunded)
		}
		var gifts uint64
		after := ""
		for {
			gs, pg, err := r.CampaignGifts(c.ID, after, 100)
			if err != nil {
				t.Fatalf("campaign %q gifts: %v", c.ID, err)
			}
			for _, g := range gs {
				gifts += g.Amount
				var alloc uint64
				for _, a := range g.Allocations {
					alloc += a.Amount
				}
				if alloc != g.Amount || g.Disbursed()+g.Refunded()+g.Escrow() != g.Amount {
					t.Fatalf("gift %s of %d: allocated %d, disbursed %d + refunded %d + escrow %d", g.ID, g.Amount, alloc, g.Disbursed(), g.Refunded(), g.Escrow())
				}
				if _, err := r.LineageOf(g); err != nil {
					t.Fatalf("lineage of gift %s: %v", g.ID, err)
				}
			}
			if !pg.More {
				break
			}
			after = pg.Cursors[len(pg.Cursors)-1]
		}
		if gifts != c.Raised {
			t.Fatalf("campaign %q raised %d, its gifts sum to %d", c.ID, c.Raised, gifts)
		}
	}
}

// harness is a real donation chain as the node serves it: a dev genesis
// file, its block 0 and one block per transaction, with the read model's
// index after each block.
type harness struct {
	g      *genesis.File
	blocks []*api.Block
	times  []time.Time
	dumps  []string // dumps[i]: the module's index after blocks 0..i
}

func newHarness(f *testing.F) *harness {
	g, err := genesis.Dev(f.TempDir(), genesis.DevOptions{Nodes: 1, Time: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		f.Fatal(err)
	}
	gb, _, err := g.Block()
	if err != nil {
		f.Fatal(err)
	}
	h := &harness{g: g, blocks: []*api.Block{{Hash: gb.Header.Hash(), Header: gb.Header}}, times: []time.Time{g.GenesisTime}}
	var ms []chaintest.Member
	for _, m := range genesis.DevMembers {
		ms = append(ms, chaintest.Member{ID: m.ID, Roles: m.Roles})
	}
	ms = append(ms, chaintest.Member{ID: "hope/donor-kai", Roles: []string{"donor"}})
	c := chaintest.New(f, chaintest.Options{Orgs: genesis.DevOrgs, Members: ms})
	do := func(sender, method string, args ...tx.Arg) {
		s := c.Sign(sender, donation.Name, method, args...)
		now := c.Now
		r := c.Block(s)[0]
		if r.Err != nil {
			f.Fatalf("%s donation.%s: %v", sender, method, r.Err)
		}
		raw, err := s.Encode()
		if err != nil {
			f.Fatal(err)
		}
		rc := ledger.Receipt{TxID: r.ID, Status: ledger.StatusOK, Events: r.Events}
		hd := ledger.Header{ChainID: g.ChainID, Height: c.Height, Time: now.UnixNano(), PrevHash: h.blocks[len(h.blocks)-1].Hash,
			TxRoot: ledger.TxRoot([][]byte{raw}), ReceiptRoot: ledger.ReceiptRoot([]ledger.Receipt{rc}), Proposer: g.Nodes[0].ID}
		h.blocks = append(h.blocks, &api.Block{Hash: hd.Hash(), Header: hd, Txs: []api.Tx{{ID: r.ID, Raw: raw, Body: s.Body, Signature: s.Signature}},
			Receipts: []ledger.Receipt{rc}})
		h.times = append(h.times, now)
	}
	deadline := func(d time.Duration) string { return fmt.Sprint(c.Now.Add(d).Unix()) }
	officer, donor, kai, validator := "hope/officer", "hope/donor-sam", "hope/donor-kai", "healthreg/validator"
	hash := func(s string) tx.Arg { return tx.Bytes("evidence_hash", chaintest.Seed(s)) }
	do(officer, "create_campaign", tx.String("campaign_id", "heart"), tx.String("title", "Heart surgery fund"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{"600 " + validator + " " + deadline(30*24*time.Hour) + " Surgery", "400 " + validator + " " + deadline(time.Hour) + " Aftercare"}),
		tx.Strings("beneficiaries", []string{"stmarys"}))
	do(officer, "open", tx.String("campaign_id", "heart"))
	do(donor, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 500))
	do(kai, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 100), tx.Uint("milestone", 1), tx.String("beneficiary", "stmarys"))
	do(kai, "give", tx.String("campaign_id", "heart"), tx.Uint("amount", 250))
	do(officer, "submit_evidence", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1), hash("report"))
	do(validator, "approve_milestone", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1))
	do(officer, "disburse", tx.String("campaign_id", "heart"), tx.Uint("milestone", 1), tx.String("disbursement_id", "d1"),
		tx.String("payee", "stmarys"), tx.Uint("amount", 350), tx.String("purpose", "Surgery"), tx.String("payment_ref", "WIRE-1"), hash("invoice-1"))
	do("stmarys/clerk", "confirm_receipt", tx.String("disbursement_id", "d1"))
	c.Now = c.Now.Add(2 * time.Hour)
	do(donor, "settle_milestone", tx.String("campaign_id", "heart"), tx.Uint("milestone", 2))
	do(officer, "create_campaign", tx.String("campaign_id", "kidney"), tx.String("title", "Kidney"), tx.String("currency", "EUR"),
		tx.Strings("milestones", []string{"300 " + validator + " " + deadline(30*24*time.Hour) + " Transplant", "300 " + validator + " " + deadline(30*24*time.Hour) + " Care"}))
	do(officer, "open", tx.String("campaign_id", "kidney"))
	do(donor, "give", tx.String("campaign_id", "kidney"), tx.Uint("amount", 400))
	do(kai, "give", tx.String("campaign_id", "kidney"), tx.Uint("amount", 200), tx.Uint("milestone", 2))
	do(officer, "submit_evidence", tx.String("campaign_id", "kidney"), tx.Uint("milestone", 2), hash("care"))
	do(validator, "reject_milestone", tx.String("campaign_id", "kidney"), tx.Uint("milestone", 2))
	do(officer, "cancel", tx.String("campaign_id", "kidney"))
	for i := range h.blocks {
		s, err := h.apply(f, h.blocks[:i+1])
		if err != nil {
			f.Fatalf("the real chain up to block %d: %v", i, err)
		}
		h.dumps = append(h.dumps, dump(f, s))
		conserved(f, donations.NewReader(s))
	}
	return h
}

// block builds the block at height that holds one signed call with the
// given receipt events; ok is false when the call does not sign (a node
// never commits one).
func (h *harness) block(height int, nonce uint64, sender, contract, method string, args tx.Args, evs []ledger.Event) (*api.Block, bool) {
	s, err := tx.Sign(tx.Body{ChainID: chaintest.ChainID, Sender: sender, Nonce: nonce, Expiry: uint64(height-1) + 1000,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, chaintest.Key(sender))
	if err != nil {
		return nil, false
	}
	raw, err := s.Encode()
	if err != nil {
		return nil, false
	}
	id := tx.HashID(raw)
	rc := ledger.Receipt{TxID: id, Status: ledger.StatusOK, Events: evs}
	bt := h.times[len(h.times)-1].Add(time.Second)
	if height < len(h.times) {
		bt = h.times[height]
	}
	hd := ledger.Header{ChainID: h.g.ChainID, Height: uint64(height), Time: bt.UnixNano(), PrevHash: h.blocks[height-1].Hash,
		TxRoot: ledger.TxRoot([][]byte{raw}), ReceiptRoot: ledger.ReceiptRoot([]ledger.Receipt{rc}), Proposer: h.g.Nodes[0].ID}
	b := &api.Block{Hash: hd.Hash(), Header: hd, Txs: []api.Tx{{ID: id, Raw: raw, Body: s.Body, Signature: s.Signature}}, Receipts: []ledger.Receipt{rc}}
	if b.Check() != nil {
		return nil, false
	}
	return b, true
}

// apply builds a fresh in-memory index from blocks through the follower.
func (h *harness) apply(tb testing.TB, blocks []*api.Block) (*readmodel.Store, error) {
	tb.Helper()
	reg := readmodel.NewRegistry()
	if err := reg.Register(donations.Module()); err != nil {
		tb.Fatal(err)
	}
	s, err := readmodel.Open("", reg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, h.applyMore(s, blocks...)
}

// applyMore applies more blocks to s.
func (h *harness) applyMore(s *readmodel.Store, blocks ...*api.Block) error {
	return run(s, &source{g: h.g, blocks: blocks, done: make(chan error, 1)})
}

// run follows src until it has delivered its blocks or one failed.
func run(s *readmodel.Store, src *source) error {
	fl, err := readmodel.NewFollower(readmodel.FollowerConfig{Store: s, Source: src, RetryMin: time.Hour, StatusEvery: time.Hour})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- fl.Run(ctx) }()
	var res error
	select {
	case res = <-src.done:
		cancel()
		<-ran
	case res = <-ran: // gave up before the source saw the failure
		cancel()
	}
	return res
}

// source is a node that serves a fixed run of blocks (block 0 first when
// the index is empty).
type source struct {
	g      *genesis.File
	blocks []*api.Block
	done   chan error // the first failure, or nil once every block applied
}

func (s *source) Genesis(context.Context) (*genesis.File, error) { return s.g, nil }

func (s *source) Status(context.Context) (*api.Status, error) {
	return &api.Status{ChainID: s.g.ChainID, Height: s.blocks[len(s.blocks)-1].Header.Height}, nil
}

func (s *source) Stream(ctx context.Context, from uint64, fn func(*api.Block) error) error {
	for _, b := range s.blocks {
		if b.Header.Height < from {
			continue
		}
		if err := fn(b); err != nil {
			s.report(err)
			return err
		}
	}
	s.report(nil)
	<-ctx.Done()
	return ctx.Err()
}

func (s *source) report(err error) {
	select {
	case s.done <- err:
	default:
	}
}

// dump lists the module's whole key space and the applied height.
func dump(tb testing.TB, s *readmodel.Store) string {
	tb.Helper()
	var b strings.Builder
	h, ok := s.Applied()
	fmt.Fprintf(&b, "applied %d %v\n", h, ok)
	if err := s.Scan(donations.ModuleName, "", "", false, func(k string, v []byte) bool {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
		return true
	}); err != nil {
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
