package testchain

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Chain is a real chain as the node serves it: a one-node dev genesis
// file, its block 0 and one block per transaction.
type Chain struct {
	Genesis *genesis.File
	// Exec executes the transactions; its Now is the next block's time.
	Exec *chaintest.Chain
	// Blocks[i] is the block at height i; Times[i] its time.
	Blocks []*api.Block
	Times  []time.Time
	// TxPlaceholder, when set, stands in the attributes of the events
	// given to Block for the id of the transaction that carries them
	// (Seeds writes the id back as TxPlaceholder).
	TxPlaceholder string
	tb            testing.TB
}

// New starts a chain of the dev consortium (its organisations and members,
// and the extra members) with its genesis block.
func New(tb testing.TB, extra ...chaintest.Member) *Chain {
	tb.Helper()
	g, err := devnet.Create(tb.TempDir(), devnet.Options{Nodes: 1, Time: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		tb.Fatal(err)
	}
	gb, _, err := genesisstate.Block(g)
	if err != nil {
		tb.Fatal(err)
	}
	var ms []chaintest.Member
	for _, m := range devnet.Members {
		ms = append(ms, chaintest.Member{ID: m.ID, Roles: m.Roles})
	}
	ms = append(ms, extra...)
	return &Chain{
		Genesis: g,
		Exec:    chaintest.New(tb, chaintest.Options{Orgs: devnet.Orgs, Members: ms}),
		Blocks:  []*api.Block{{Hash: gb.Header.Hash(), Header: gb.Header}},
		Times:   []time.Time{g.GenesisTime},
		tb:      tb,
	}
}

// Try executes one call of sender as the next block and serves that
// block: with the call's events when it succeeds, failed with its error
// when not. It returns the transaction's id and the call's error.
func (c *Chain) Try(sender, contract, method string, args ...tx.Arg) (tx.ID, error) {
	c.tb.Helper()
	s := c.Exec.Sign(sender, contract, method, args...)
	now := c.Exec.Now
	r := c.Exec.Block(s)[0]
	raw, err := s.Encode()
	if err != nil {
		c.tb.Fatal(err)
	}
	rc := ledger.Receipt{TxID: r.ID, Status: ledger.StatusOK, Events: r.Events}
	if r.Err != nil {
		rc.Status, rc.Error = ledger.StatusFailed, r.Err.Error()
	}
	c.Blocks = append(c.Blocks, c.wrap(c.Exec.Height, now, raw, s, rc))
	c.Times = append(c.Times, now)
	return r.ID, r.Err
}

// Do is Try for a call that must succeed: it fails the test when the call
// fails.
func (c *Chain) Do(sender, contract, method string, args ...tx.Arg) tx.ID {
	c.tb.Helper()
	id, err := c.Try(sender, contract, method, args...)
	if err != nil {
		c.tb.Fatalf("%s %s.%s: %v", sender, contract, method, err)
	}
	return id
}

// wrap serves the one-transaction block at height, following the block
// before it.
func (c *Chain) wrap(height uint64, at time.Time, raw []byte, s *tx.Signed, rc ledger.Receipt) *api.Block {
	hd := ledger.Header{ChainID: c.Genesis.ChainID, Height: height, Time: at.UnixNano(), PrevHash: c.Blocks[height-1].Hash,
		TxRoot: ledger.TxRoot([][]byte{raw}), ReceiptRoot: ledger.ReceiptRoot([]ledger.Receipt{rc}), Proposer: c.Genesis.Nodes[0].ID}
	return &api.Block{Hash: hd.Hash(), Header: hd, Txs: []api.Tx{{ID: rc.TxID, Raw: raw, Body: s.Body, Signature: s.Signature}},
		Receipts: []ledger.Receipt{rc}}
}

// Tx is one transaction with a receipt of any content: what a node that
// executed it differently could have committed.
type Tx struct {
	Nonce                    uint64
	Sender, Contract, Method string
	Args                     tx.Args
	Events                   []ledger.Event
	// Failure, when set, is the receipt's error (the transaction failed).
	Failure string
}

// Block builds the block at height (1 to len(Blocks), following
// Blocks[height-1], at that block's time or a second after the last one)
// that holds t signed with Sender's chaintest key, TxPlaceholder in its
// events replaced by its id; ok is false when t does not sign or the
// block does not check (no node sends those).
func (c *Chain) Block(height int, t Tx) (b *api.Block, ok bool) {
	s, err := tx.Sign(tx.Body{ChainID: chaintest.ChainID, Sender: t.Sender, Nonce: t.Nonce, Expiry: uint64(height-1) + 1000,
		Call: tx.Call{Contract: t.Contract, Method: t.Method, Args: t.Args}}, chaintest.Key(t.Sender))
	if err != nil {
		return nil, false
	}
	raw, err := s.Encode()
	if err != nil {
		return nil, false
	}
	id := tx.HashID(raw)
	evs := t.Events
	if c.TxPlaceholder != "" {
		evs = ReplaceAttrs(evs, c.TxPlaceholder, id.String())
	}
	rc := ledger.Receipt{TxID: id, Status: ledger.StatusOK, Events: evs}
	if t.Failure != "" {
		rc.Status, rc.Error = ledger.StatusFailed, t.Failure
	}
	at := c.Times[len(c.Times)-1].Add(time.Second)
	if height < len(c.Times) {
		at = c.Times[height]
	}
	b = c.wrap(uint64(height), at, raw, s, rc)
	if b.Check() != nil {
		return nil, false
	}
	return b, true
}

// IsReal reports whether b is the real chain's block at height: the same
// transaction with the same receipt status, error and events.
func (c *Chain) IsReal(height int, b *api.Block) bool {
	if height >= len(c.Blocks) {
		return false
	}
	r := c.Blocks[height]
	return bytes.Equal(r.Txs[0].Raw, b.Txs[0].Raw) && r.Receipts[0].Status == b.Receipts[0].Status &&
		r.Receipts[0].Error == b.Receipts[0].Error && EncodeEvents(r.Receipts[0].Events) == EncodeEvents(b.Receipts[0].Events)
}

// Input is a fuzz target's input: one transaction after the first N+1
// blocks of a chain (N capped to the chain), with its receipt.
type Input struct {
	N                        uint8
	Nonce                    uint64
	Sender, Contract, Method string
	// Args are codec.Marshal's encoding; what does not unmarshal means none.
	Args []byte
	// Events are EncodeEvents' text; any text reads as some events.
	Events  string
	Failure string
}

// Seeds are the chain's own transactions as inputs, each at its own
// height (TxPlaceholder, when set, written for each one's id).
func (c *Chain) Seeds() []Input {
	c.tb.Helper()
	var out []Input
	for i, b := range c.Blocks[1:] {
		t, rc := b.Txs[0], b.Receipts[0]
		args, err := codec.Marshal(t.Body.Call.Args)
		if err != nil {
			c.tb.Fatal(err)
		}
		evs := rc.Events
		if c.TxPlaceholder != "" {
			evs = ReplaceAttrs(evs, t.ID.String(), c.TxPlaceholder)
		}
		out = append(out, Input{N: uint8(i), Nonce: t.Body.Nonce, Sender: t.Body.Sender, Contract: t.Body.Call.Contract, Method: t.Body.Call.Method,
			Args: args, Events: EncodeEvents(evs), Failure: rc.Error})
	}
	return out
}

// Fuzzed builds in's block (see Block) at its height, which follows the
// first height blocks of the chain.
func (c *Chain) Fuzzed(in Input) (height int, b *api.Block, ok bool) {
	height = min(int(in.N), len(c.Blocks)-1) + 1
	var args tx.Args
	if codec.State.Unmarshal(in.Args, &args) != nil {
		args = nil
	}
	b, ok = c.Block(height, Tx{Nonce: in.Nonce, Sender: in.Sender, Contract: in.Contract, Method: in.Method, Args: args,
		Events: DecodeEvents(in.Events), Failure: in.Failure})
	return height, b, ok
}

// ReplaceAttrs returns a copy of evs with from replaced by to in every
// attribute value (evs itself when from is empty).
func ReplaceAttrs(evs []ledger.Event, from, to string) []ledger.Event {
	if from == "" {
		return evs
	}
	out := make([]ledger.Event, len(evs))
	for i, e := range evs {
		out[i] = ledger.Event{Contract: e.Contract, Type: e.Type}
		for _, a := range e.Attrs {
			out[i].Attrs = append(out[i].Attrs, ledger.Attr{Key: a.Key, Value: strings.ReplaceAll(a.Value, from, to)})
		}
	}
	return out
}

// EncodeEvents writes events as lines "contract.type<TAB>key=value...".
func EncodeEvents(evs []ledger.Event) string {
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

// DecodeEvents reads what EncodeEvents writes, and any other text.
func DecodeEvents(s string) []ledger.Event {
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
