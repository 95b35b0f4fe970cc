package governance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/readmodel"
)

// harness is a real governance chain as the node serves it: a dev genesis
// file (four organisations, each with an admin), its block 0 and one block
// per transaction, with the module's index after each block, and the
// chain itself (for the contract's own view of each proposal).
type harness struct {
	g      *genesis.File
	chain  *chaintest.Chain
	blocks []*api.Block
	times  []time.Time
	dumps  []string // dumps[i]: the module's index after blocks 0..i
	// ids names the scenario's proposals.
	ids map[string]string
}

const (
	stmarys, acme, hope, healthreg = "stmarys/admin", "acme/admin", "hope/admin", "healthreg/admin"
	reportRule                     = "donor,*,report,read,any,allow"
)

// newHarness runs the scenario: a policy change executed by three of four
// organisations; a threshold change rejected by two; a node added; two
// proposals to onboard the same organisation (the first executes, the
// second fails: the id is taken); a proposal that expires; one withdrawn;
// the new organisation removed again; a policy change left open with a
// rejection; and the threshold raised to 75%, after which that open
// proposal can no longer pass but stays open (only a vote decides).
func newHarness(tb testing.TB) *harness {
	g, err := genesis.Dev(tb.TempDir(), genesis.DevOptions{Nodes: 1, Time: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		tb.Fatal(err)
	}
	gb, _, err := g.Block()
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{g: g, blocks: []*api.Block{{Hash: gb.Header.Hash(), Header: gb.Header}}, times: []time.Time{g.GenesisTime}, ids: map[string]string{}}
	var ms []chaintest.Member
	for _, m := range genesis.DevMembers {
		ms = append(ms, chaintest.Member{ID: m.ID, Roles: m.Roles})
	}
	c := chaintest.New(tb, chaintest.Options{Orgs: genesis.DevOrgs, Members: ms})
	h.chain = c
	do := func(sender, method string, args ...tx.Arg) string {
		s := c.Sign(sender, "governance", method, args...)
		now := c.Now
		r := c.Block(s)[0]
		if r.Err != nil {
			tb.Fatalf("%s governance.%s: %v", sender, method, r.Err)
		}
		raw, err := s.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		rc := ledger.Receipt{TxID: r.ID, Status: ledger.StatusOK, Events: r.Events}
		hd := ledger.Header{ChainID: g.ChainID, Height: c.Height, Time: now.UnixNano(), PrevHash: h.blocks[len(h.blocks)-1].Hash,
			TxRoot: ledger.TxRoot([][]byte{raw}), ReceiptRoot: ledger.ReceiptRoot([]ledger.Receipt{rc}), Proposer: g.Nodes[0].ID}
		h.blocks = append(h.blocks, &api.Block{Hash: hd.Hash(), Header: hd, Txs: []api.Tx{{ID: r.ID, Raw: raw, Body: s.Body, Signature: s.Signature}},
			Receipts: []ledger.Receipt{rc}})
		h.times = append(h.times, now)
		return r.ID.String()
	}
	propose := func(name, who, kind string, args ...tx.Arg) {
		h.ids[name] = do(who, "propose", append([]tx.Arg{tx.String("kind", kind)}, args...)...)
	}
	vote := func(who, method, name string) { do(who, method, tx.String("proposal", h.ids[name])) }
	admin := func(id string) string {
		return id + " " + chaintest.Key(id).Public().String() + " " + chaintest.EncKey(id).String()
	}
	newco := []tx.Arg{tx.String("org_id", "newco"), tx.String("org_kind", "insurer"), tx.String("org_name", "NewCo Insurance"),
		tx.Strings("admins", []string{admin("newco/admin")})}

	propose("policy", stmarys, "change_policy", tx.Strings("add_rules", []string{"donor * report read any allow"}))
	vote(acme, "approve", "policy")
	vote(hope, "approve", "policy") // executed
	propose("threshold66", acme, "set_threshold", tx.Uint("percent", 66))
	vote(stmarys, "reject", "threshold66")
	vote(hope, "reject", "threshold66") // rejected: 4 - 2 < 3
	propose("node", hope, "add_node", tx.String("node_id", "hope-n"), tx.String("org", "hope"), tx.Uint("raft_id", 7),
		tx.String("sign_key", chaintest.Key("node hope-n").Public().String()), tx.String("enc_key", chaintest.EncKey("hope-n").String()),
		tx.String("raft_addr", "127.0.0.1:7001"), tx.String("api_addr", "127.0.0.1:7002"))
	vote(acme, "approve", "node")
	vote(healthreg, "approve", "node") // executed
	propose("newco", stmarys, "add_org", newco...)
	propose("newco-again", acme, "add_org", newco...)
	vote(acme, "approve", "newco")
	vote(hope, "approve", "newco") // executed: five organisations, 3 needed
	vote(stmarys, "approve", "newco-again")
	vote(hope, "approve", "newco-again") // failed: the id is taken
	propose("short", healthreg, "change_policy", tx.Strings("remove_rules", []string{reportRule}), tx.Uint("valid_for", 60))
	vote(stmarys, "reject", "short")
	c.Now = c.Now.Add(2 * time.Minute)
	propose("withdrawn", stmarys, "remove_org", tx.String("org_id", "newco")) // the block that expires "short"
	do(stmarys, "withdraw", tx.String("proposal", h.ids["withdrawn"]))
	propose("removal", hope, "remove_org", tx.String("org_id", "newco"))
	vote(acme, "approve", "removal")
	vote(stmarys, "approve", "removal") // executed: four organisations again
	propose("open", acme, "change_policy", tx.Strings("remove_rules", []string{reportRule}))
	vote(hope, "reject", "open") // open: 3 of 4 may still approve
	propose("threshold75", healthreg, "set_threshold", tx.Uint("percent", 75))
	vote(acme, "approve", "threshold75")
	vote(hope, "approve", "threshold75") // executed: 4 of 4 needed from now on; "open" stays open (no vote decided it)

	for i := range h.blocks {
		s, err := h.apply(tb, h.blocks[:i+1])
		if err != nil {
			tb.Fatalf("the real chain up to block %d: %v", i, err)
		}
		h.dumps = append(h.dumps, dump(tb, s))
		consistent(tb, s)
	}
	return h
}

// txPlaceholder in an event attribute stands for the id of the
// transaction that carries it (a proposal's id is its transaction's).
const txPlaceholder = "$TX"

// block builds the block at height that holds one signed call with the
// given receipt events (txPlaceholder replaced); ok is false when the call
// does not sign (a node never commits one).
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
	evs = withTx(evs, id.String())
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

func withTx(evs []ledger.Event, id string) []ledger.Event {
	out := make([]ledger.Event, len(evs))
	for i, e := range evs {
		out[i] = ledger.Event{Contract: e.Contract, Type: e.Type}
		for _, a := range e.Attrs {
			out[i].Attrs = append(out[i].Attrs, ledger.Attr{Key: a.Key, Value: strings.ReplaceAll(a.Value, txPlaceholder, id)})
		}
	}
	return out
}

// apply builds a fresh in-memory index from blocks through the follower.
func (h *harness) apply(tb testing.TB, blocks []*api.Block) (*readmodel.Store, error) {
	tb.Helper()
	reg := readmodel.NewRegistry()
	if err := reg.Register(governance.Module()); err != nil {
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
	if err := s.Scan(governance.ModuleName, "", "", false, func(k string, v []byte) bool {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
		return true
	}); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// encodeEvents writes events as lines "contract.type<TAB>key=value...",
// with the transaction id id written as txPlaceholder.
func encodeEvents(evs []ledger.Event, id string) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Contract + "." + e.Type)
		for _, a := range e.Attrs {
			v := a.Value
			if id != "" {
				v = strings.ReplaceAll(v, id, txPlaceholder)
			}
			b.WriteString("\t" + a.Key + "=" + v)
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
