package patients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// FuzzPatientEvents feeds one transaction with arbitrary record and
// consent events and arguments, after the first n blocks of a real chain
// of records, consents, accesses, break-glass and its review, through the
// follower into a read model with this module. Whatever the input: no
// panic; a block the module refuses fails with readmodel.ErrCorrupt and
// leaves the index exactly as it was; a block it accepts leaves the
// patient-facing indexes consistent (a record's versions are 1..n; every
// entry of a patient's access log is an access to that patient's record at
// that place; every entry of a custodian's break-glass queue is a
// break-glass access to its records, reviewed exactly when filed as
// reviewed; every consent has its history). The seeds are the real chain's
// transactions at their own heights: those must be accepted and give the
// very index the real chain gives.
func FuzzPatientEvents(f *testing.F) {
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
		consistent(t, s)
	})
}

// consistent checks the patient-facing indexes against the records they
// point at.
func consistent(t testing.TB, s *readmodel.Store) {
	t.Helper()
	r := patients.NewReader(s)
	scan := func(prefix string, fn func(k, v string)) {
		t.Helper()
		if err := s.Scan(patients.ModuleName, prefix, "", false, func(k string, v []byte) bool { fn(k, string(v)); return true }); err != nil {
			t.Fatalf("scan %s: %v", prefix, err)
		}
	}
	pts := map[string]bool{}
	scan("r/", func(k, v string) {
		var rec patients.Record
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for i, ver := range rec.Versions {
			if ver.Version != uint64(i+1) {
				t.Fatalf("record %q: versions %+v are not 1..n", rec.ID, rec.Versions)
			}
		}
		pts[rec.Patient] = true
	})
	scan("pa/", func(k, id string) {
		rest := strings.TrimPrefix(k, "pa/")
		i := strings.LastIndex(rest, "/")
		patient, seq := rest[:i], rest[i+1:]
		a, err := r.Access(id)
		if err != nil || a.Patient != patient || a.Seq != seq {
			t.Fatalf("access log entry %s -> %s: %+v %v", k, id, a, err)
		}
		pts[patient] = true
	})
	scan("bg/", func(k, id string) {
		parts := strings.Split(strings.TrimPrefix(k, "bg/"), "/")
		custodian, state, seq := strings.Join(parts[:len(parts)-2], "/"), parts[len(parts)-2], parts[len(parts)-1]
		a, err := r.Access(id)
		if err != nil || a.Kind != patients.AccessBreakGlass || a.Custodian != custodian || a.Seq != seq || (a.Review != nil) != (state == "1") {
			t.Fatalf("break-glass queue entry %s -> %s: %+v %v", k, id, a, err)
		}
	})
	scan("c/", func(k, v string) {
		var c patients.Consent
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if len(c.History) == 0 {
			t.Fatalf("consent %q has no history", c.ID)
		}
		pts[c.Patient] = true
	})
	for p := range pts {
		if _, _, err := r.AccessLog(p, "", 100); err != nil {
			t.Fatalf("access log of %q: %v", p, err)
		}
		if _, err := r.ActiveConsents(p); err != nil {
			t.Fatalf("active consents of %q: %v", p, err)
		}
	}
}

// harness is a real chain of records and consents as the node serves it:
// a dev genesis file, its block 0 and one block per transaction, with the
// module's index after each block.
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
	c := chaintest.New(f, chaintest.Options{Orgs: genesis.DevOrgs, Members: ms})
	do := func(sender, contract, method string, args ...tx.Arg) tx.ID {
		s := c.Sign(sender, contract, method, args...)
		now := c.Now
		r := c.Block(s)[0]
		if r.Err != nil {
			f.Fatalf("%s %s.%s: %v", sender, contract, method, r.Err)
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
		return r.ID
	}
	clerk, dr, pat, adj, priv := "stmarys/clerk", "stmarys/dr-lee", "stmarys/patient-ana", "acme/adjuster", "stmarys/privacy"
	period := func() []tx.Arg {
		return []tx.Arg{tx.Int("start", c.Now.Unix()), tx.Int("end", c.Now.Add(7*24*time.Hour).Unix())}
	}
	reg := func(id string, v uint64, cat string) {
		args := []tx.Arg{tx.String("record_id", id), tx.Uint("version", v), tx.Bytes("ciphertext_hash", chaintest.Seed(id+fmt.Sprint(v)))}
		if v == 1 {
			args = append(args, tx.String("patient", pat), tx.String("category", cat))
		}
		do(clerk, "record", "register", args...)
	}
	reg("r-lab", 1, "lab")
	reg("r-lab", 2, "")
	reg("r-scan", 1, "imaging")
	do(pat, "record", "access", tx.String("record_id", "r-lab"), tx.String("purpose", "treatment"))
	do(dr, "record", "access", tx.String("record_id", "r-lab"), tx.String("purpose", "treatment"))
	do(pat, "consent", "grant", append(period(), tx.String("consent_id", "c-acme"), tx.String("grantee", "acme"), tx.String("purpose", "claims"),
		tx.Strings("categories", []string{"lab"}), tx.String("scope", "treatment"))...)
	do(adj, "record", "access", tx.String("record_id", "r-lab"), tx.String("purpose", "claims"), tx.String("consent_id", "c-acme"))
	do(dr, "consent", "request", append(period(), tx.String("consent_id", "c-req"), tx.String("patient", pat), tx.String("purpose", "treatment"),
		tx.Strings("records", []string{"r-scan"}))...)
	do(pat, "consent", "accept", tx.String("consent_id", "c-req"))
	do(dr, "consent", "request", append(period(), tx.String("consent_id", "c-no"), tx.String("patient", pat), tx.String("purpose", "research"),
		tx.Strings("records", []string{"r-scan"}))...)
	do(pat, "consent", "decline", tx.String("consent_id", "c-no"))
	do(pat, "consent", "amend", tx.String("consent_id", "c-acme"), tx.Int("end", c.Now.Add(24*time.Hour).Unix()))
	do(pat, "consent", "revoke", tx.String("consent_id", "c-acme"))
	do(adj, "record", "access", tx.String("record_id", "r-lab"), tx.String("purpose", "claims"), tx.String("consent_id", "c-acme"))
	bg := do(dr, "record", "access", tx.String("record_id", "r-scan"), tx.String("purpose", "treatment"), tx.String("break_glass", "life-threatening"),
		tx.Bytes("note_hash", chaintest.Seed("note")))
	do(dr, "record", "access", tx.String("record_id", "r-lab"), tx.String("purpose", "treatment"), tx.String("break_glass", "urgent-treatment"))
	do(priv, "record", "review_break_glass", tx.String("access", bg.String()), tx.String("outcome", "justified"), tx.Bytes("note_hash", chaintest.Seed("review")))
	do(pat, "record", "erase", tx.String("record_id", "r-scan"))
	for i := range h.blocks {
		s, err := h.apply(f, h.blocks[:i+1])
		if err != nil {
			f.Fatalf("the real chain up to block %d: %v", i, err)
		}
		h.dumps = append(h.dumps, dump(f, s))
		consistent(f, s)
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
	if err := reg.Register(patients.Module()); err != nil {
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
	if err := s.Scan(patients.ModuleName, "", "", false, func(k string, v []byte) bool {
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
