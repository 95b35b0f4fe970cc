package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/apitest"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/donation"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// testLedger runs the production contracts on chaintest and commits each
// block as a node does: header with roots and a nanosecond time, signed by
// three of four nodes (the quorum), receipts kept for proofs.
type testLedger struct {
	t     testing.TB
	c     *chaintest.Chain
	nodes []*sign.PrivateKey
	trust api.Trust
	prev  ledger.Hash
	at    map[tx.ID]committed
}

type committed struct {
	b    *ledger.Block
	rs   []ledger.Receipt
	sigs []ledger.HeaderSignature
	idx  int
}

func newTestLedger(t testing.TB) *testLedger {
	orgs := []identity.Org{{ID: "hope", Kind: identityvocab.KindCharity, Name: "Hope"},
		{ID: "reg", Kind: identityvocab.KindRegulator, Name: "Reg"},
		{ID: "stmarys", Kind: identityvocab.KindHospital, Name: "St Mary's"}}
	c := chaintest.New(t, chaintest.Options{Orgs: orgs, Members: []chaintest.Member{
		{ID: "hope/officer", Roles: []string{identityvocab.RoleCharityOfficer}},
		{ID: "hope/donor1", Roles: []string{identityvocab.RoleDonor}},
		{ID: "hope/donor2", Roles: []string{identityvocab.RoleDonor}},
		{ID: "reg/validator", Roles: []string{identityvocab.RoleMilestoneValidator}},
		{ID: "stmarys/clerk", Roles: []string{identityvocab.RoleRecordsClerk}},
	}})
	l := &testLedger{t: t, c: c, at: map[tx.ID]committed{}, trust: api.Trust{ChainID: chaintest.ChainID, NodeKeys: map[string]sign.PublicKey{}, Quorum: 3}}
	for i := range 4 {
		k := chaintest.Key(fmt.Sprintf("node-%d", i))
		l.nodes = append(l.nodes, k)
		l.trust.NodeKeys[fmt.Sprintf("node-%d", i)] = k.Public()
	}
	return l
}

// block executes txs as one block and commits it; every call must succeed.
func (l *testLedger) block(txs ...*tx.Signed) []tx.ID {
	l.t.Helper()
	now := l.c.Now
	res := l.c.Block(txs...)
	b := &ledger.Block{}
	var rs []ledger.Receipt
	var ids []tx.ID
	for i, s := range txs {
		if res[i].Err != nil {
			l.t.Fatalf("%s.%s: %v", s.Body.Call.Contract, s.Body.Call.Method, res[i].Err)
		}
		raw, err := s.Encode()
		if err != nil {
			l.t.Fatal(err)
		}
		b.Txs = append(b.Txs, raw)
		rs = append(rs, ledger.Receipt{TxID: res[i].ID, Status: ledger.StatusOK, Events: res[i].Events})
		ids = append(ids, res[i].ID)
	}
	// A nanosecond time a float64 cannot hold, as real block times are.
	b.Header = ledger.Header{ChainID: chaintest.ChainID, Height: l.c.Height, Time: now.UnixNano() + 123456789, PrevHash: l.prev,
		TxRoot: ledger.TxRoot(b.Txs), ReceiptRoot: ledger.ReceiptRoot(rs), Proposer: "node-0"}
	hh := b.Header.Hash()
	l.prev = hh
	var sigs []ledger.HeaderSignature
	for i, k := range l.nodes[:3] {
		sigs = append(sigs, ledger.SignHeader(fmt.Sprintf("node-%d", i), k, hh))
	}
	for i, id := range ids {
		l.at[id] = committed{b: b, rs: rs, sigs: sigs, idx: i}
	}
	return ids
}

func (l *testLedger) call(sender, method string, args ...tx.Arg) *tx.Signed {
	return l.c.Sign(sender, donation.Name, method, args...)
}

func (l *testLedger) do(sender, method string, args ...tx.Arg) tx.ID {
	l.t.Helper()
	return l.block(l.call(sender, method, args...))[0]
}

func (l *testLedger) proof(id tx.ID) *ledger.ReceiptProof {
	l.t.Helper()
	c, ok := l.at[id]
	if !ok {
		l.t.Fatalf("no transaction %s", id)
	}
	p, err := ledger.BuildReceiptProof(c.b, c.rs, c.sigs, c.idx)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

// giftProof commits a block of three gifts and returns the proof of the
// second (a block of several transactions, so paths are not empty).
func giftProof(t testing.TB) (*testLedger, *ledger.ReceiptProof) {
	l := newTestLedger(t)
	l.do("hope/officer", "create_campaign", tx.String(donationvocab.ArgCampaignID, "heart"),
		tx.String(donationvocab.ArgTitle, "Heart surgery"), tx.String(donationvocab.ArgCurrency, "EUR"),
		tx.Strings(donationvocab.ArgMilestones,
			[]string{fmt.Sprintf("5000 reg/validator %d Surgery",
				l.c.Now.Add(30*24*time.Hour).Unix())}), tx.Strings(donationvocab.ArgBeneficiaries, []string{"stmarys"}))
	l.do("hope/officer", "open", tx.String(donationvocab.ArgCampaignID, "heart"))
	ids := l.block(l.call("hope/donor1", "give", tx.String(donationvocab.ArgCampaignID, "heart"),
		tx.Uint(donationvocab.ArgAmount, 100)),
		l.call("hope/donor2", "give", tx.String(donationvocab.ArgCampaignID, "heart"),
			tx.Uint(donationvocab.ArgAmount, 1234)),
		l.call("hope/donor1", "give", tx.String(donationvocab.ArgCampaignID, "heart"),
			tx.Uint(donationvocab.ArgAmount, 5)))
	return l, l.proof(ids[1])
}

// TestProofJSONRoundTrip: the string form survives a decode through
// float64 numbers and verifies; the node's number form verifies as served,
// and after that round trip fails naming the rounded time.
func TestProofJSONRoundTrip(t *testing.T) {
	l, lp := giftProof(t)
	if err := lp.Verify(l.trust.ChainID, l.trust.NodeKeys, l.trust.Quorum); err != nil {
		t.Fatalf("the ledger's verifier refuses the proof: %v", err)
	}
	b, err := json.Marshal(api.NewProof(lp))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"time":"%d"`, lp.Header.Time); !bytes.Contains(b, []byte(want)) {
		t.Fatalf("the JSON form does not carry %s:\n%s", want, b)
	}
	once := apitest.ThroughFloats(t, b)
	for name, data := range map[string][]byte{"as written": b, "through float64": once, "twice": apitest.ThroughFloats(t, once)} {
		var p api.Proof
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := p.Verify(l.trust); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := p.ReceiptProof.Verify(l.trust.ChainID, l.trust.NodeKeys, l.trust.Quorum); err != nil {
			t.Fatalf("%s: the ledger's verifier: %v", name, err)
		}
	}

	// The node's own form (GET /v1/txs/{id}): a number, exact as served.
	old, err := json.Marshal(lp)
	if err != nil {
		t.Fatal(err)
	}
	var p api.Proof
	if err := json.Unmarshal(old, &p); err != nil || p.TimeForm != api.TimeNumber {
		t.Fatalf("the node's form: %v (form %d)", err, p.TimeForm)
	}
	if err := p.Verify(l.trust); err != nil {
		t.Fatalf("the node's form as served: %v", err)
	}
	// Through float64 in Go (1.7...e+18) and as JavaScript writes the
	// rounded number back (all digits, the last ones wrong).
	js := bytes.Replace(old, []byte(strconv.FormatInt(lp.Header.Time, 10)), []byte(strconv.FormatFloat(float64(lp.Header.Time), 'f', -1, 64)), 1)
	for name, data := range map[string][]byte{"through float64": apitest.ThroughFloats(t, old), "as JSON.stringify writes it": js} {
		var p api.Proof
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err := p.Verify(l.trust)
		if !errors.Is(err, api.ErrProofTime) || !errors.Is(err, ledger.ErrIntegrity) || !strings.Contains(err.Error(), "header time") ||
			!strings.Contains(err.Error(), "as the portal served it") {
			t.Fatalf("%s: got %v, want the rounded time named", name, err)
		}
		if p.ReceiptProof.Verify(l.trust.ChainID, l.trust.NodeKeys, l.trust.Quorum) == nil {
			t.Fatalf("%s: the ledger's verifier accepts a rounded time", name)
		}
	}
}

// TestProofTampering: every kind of change is refused, by this verifier
// and the ledger's alike, with a message that names it.
func TestProofTampering(t *testing.T) {
	l, lp := giftProof(t)
	other := l.trust
	other.NodeKeys = map[string]sign.PublicKey{"elsewhere-1": chaintest.Key("elsewhere").Public()}
	other.Quorum = 1
	wrongChain := l.trust
	wrongChain.ChainID = "another-chain"
	for _, c := range []struct {
		name   string
		change func(p *api.Proof)
		trust  *api.Trust
		cause  error
		words  string
	}{
		{"another genesis file's chain", nil, &wrongChain, api.ErrProofChain, `is for chain "chaintest", but the genesis file trusted here is for chain "another-chain"`},
		{"another consortium's nodes", nil, &other, api.ErrProofSignatures, "none of them a node of the genesis file trusted here (elsewhere-1)"},
		{"chain id", func(p *api.Proof) { p.ChainID = "x" }, nil, api.ErrProofHeader, "its chain_id was changed"},
		{"header time by a nanosecond", func(p *api.Proof) { p.Header.Time++ }, nil, api.ErrProofHeader, "was changed after the nodes signed it"},
		{"header height", func(p *api.Proof) { p.Header.Height++ }, nil, api.ErrProofHeader, "was changed after the nodes signed it"},
		{"header state hash", func(p *api.Proof) { p.Header.StateHash[0] ^= 1 }, nil, api.ErrProofHeader, "was changed after the nodes signed it"},
		{"header transaction root", func(p *api.Proof) { p.Header.TxRoot[0] ^= 1 }, nil, api.ErrProofHeader, "was changed after the nodes signed it"},
		{"signatures dropped", func(p *api.Proof) { p.Signatures = nil }, nil, api.ErrProofSignatures, "carries no node signatures"},
		{"a signature changed", func(p *api.Proof) {
			p.Signatures[1].Sig = bytes.Clone(p.Signatures[1].Sig)
			p.Signatures[1].Sig[0] ^= 1
		},
			nil, api.ErrProofSignatures, "2 valid signatures of the 3 the genesis file requires (1 by its nodes do not verify"},
		{"a signature repeated", func(p *api.Proof) { p.Signatures[2] = p.Signatures[0] }, nil, api.ErrProofSignatures, "2 valid signatures of the 3"},
		{"the transaction", func(p *api.Proof) { p.Tx = bytes.Clone(p.Tx); p.Tx[len(p.Tx)-1] ^= 1 }, nil, api.ErrProofTx, "the transaction was changed"},
		{"a transaction path", func(p *api.Proof) { p.TxPath = [][]byte{bytes.Clone(p.TxPath[0])}; p.TxPath[0][0] ^= 1 }, nil, api.ErrProofTx, "the transaction was changed"},
		{"the amount", func(p *api.Proof) { setAttr(&p.Receipt, "amount", "12340") }, nil, api.ErrProofReceipt, "are not what block 3 recorded"},
		{"the donor", func(p *api.Proof) { setAttr(&p.Receipt, "donor", "hope/donor1") }, nil, api.ErrProofReceipt, "its status, error or events"},
		{"the status", func(p *api.Proof) { p.Receipt.Status = ledger.StatusFailed }, nil, api.ErrProofReceipt, "its status, error or events"},
		{"an event dropped", func(p *api.Proof) { p.Receipt.Events = p.Receipt.Events[:0] }, nil, api.ErrProofReceipt, "its status, error or events"},
		{"the receipt's transaction id", func(p *api.Proof) { p.Receipt.TxID[0] ^= 1 }, nil, api.ErrProofReceipt, "the receipt's transaction id was changed"},
		{"the position", func(p *api.Proof) { p.Index = 0 }, nil, api.ErrProofPosition, "position 1 of 3"},
		{"the size", func(p *api.Proof) { p.Size = 2 }, nil, api.ErrProofPosition, "the position or the Merkle paths were changed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p api.Proof
			b, _ := json.Marshal(api.NewProof(lp))
			if err := json.Unmarshal(b, &p); err != nil { // a deep copy
				t.Fatal(err)
			}
			if c.change != nil {
				c.change(&p)
			}
			trust := l.trust
			if c.trust != nil {
				trust = *c.trust
			}
			err := p.Verify(trust)
			var pe *api.ProofError
			if !errors.Is(err, c.cause) || !errors.Is(err, ledger.ErrIntegrity) || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.words) {
				t.Fatalf("got %v, want %v saying %q", err, c.cause, c.words)
			}
			if p.ReceiptProof.Verify(trust.ChainID, trust.NodeKeys, trust.Quorum) == nil {
				t.Fatal("the ledger's verifier accepts it")
			}
		})
	}
}

func setAttr(r *ledger.Receipt, key, val string) {
	evs := make([]ledger.Event, len(r.Events))
	for i, e := range r.Events {
		evs[i] = ledger.Event{Contract: e.Contract, Type: e.Type, Attrs: append([]ledger.Attr(nil), e.Attrs...)}
		for j := range evs[i].Attrs {
			if evs[i].Attrs[j].Key == key {
				evs[i].Attrs[j].Value = val
			}
		}
	}
	r.Events = evs
}

// TestProofTimeForms: how header times are read.
func TestProofTimeForms(t *testing.T) {
	_, lp := giftProof(t)
	b, _ := json.Marshal(api.NewProof(lp))
	exact := strconv.FormatInt(lp.Header.Time, 10)
	for _, c := range []struct {
		time string
		form api.TimeForm
		bad  string
	}{
		{`"` + exact + `"`, api.TimeString, ""},
		{exact, api.TimeNumber, ""},
		{"1.7935200001234568e+18", api.TimeRounded, ""},
		{"1e9", api.TimeNumber, ""},
		{`"1.5"`, 0, "not Unix nanoseconds"},
		{`"2026-11-01T09:00:00Z"`, 0, "not Unix nanoseconds"},
		{"null", 0, "not a number of nanoseconds"},
		{`"99999999999999999999"`, 0, "out of range"},
	} {
		data := bytes.Replace(b, []byte(`"time":"`+exact+`"`), []byte(`"time":`+c.time), 1)
		var p api.Proof
		err := json.Unmarshal(data, &p)
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("%s: got %v, want %q", c.time, err, c.bad)
			}
			continue
		}
		if err != nil || p.TimeForm != c.form {
			t.Errorf("%s: form %d, %v; want form %d", c.time, p.TimeForm, err, c.form)
		}
	}
}

// FuzzProofJSON: no input panics the decoder or the verifier, and a
// proof it accepts encodes to a form it reads back identically.
func FuzzProofJSON(f *testing.F) {
	_, lp := giftProof(f)
	good, _ := json.Marshal(api.NewProof(lp))
	old, _ := json.Marshal(lp)
	f.Add(good)
	f.Add(old)
	f.Add([]byte(`{"tx":"AA==","header":{"time":1.5e300}}`))
	trust := api.Trust{ChainID: chaintest.ChainID, Quorum: 1}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p api.Proof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		_ = p.Verify(trust)
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q api.Proof
		if err := json.Unmarshal(again, &q); err != nil || q.Header != p.Header {
			t.Fatalf("%s does not read back: %v", again, err)
		}
	})
}
