package donations_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/apitest"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/privacy/sign"
)

// signedProofs serves the receipt proofs of the harness chain's blocks
// (one transaction each), every header signed by one node: the trust's
// quorum.
type signedProofs struct {
	blocks map[tx.ID]*ledger.ReceiptProof
	trust  api.Trust
}

func newSignedProofs(t *testing.T, chainID string, blocks []*api.Block) *signedProofs {
	t.Helper()
	key := chaintest.Key("node-1")
	s := &signedProofs{blocks: map[tx.ID]*ledger.ReceiptProof{},
		trust: api.Trust{ChainID: chainID, NodeKeys: map[string]sign.PublicKey{"node-1": key.Public()}, Quorum: 1}}
	for _, b := range blocks {
		lb := &ledger.Block{Header: b.Header}
		for _, x := range b.Txs {
			lb.Txs = append(lb.Txs, x.Raw)
		}
		sigs := []ledger.HeaderSignature{ledger.SignHeader("node-1", key, b.Hash)}
		for i, x := range b.Txs {
			p, err := ledger.BuildReceiptProof(lb, b.Receipts, sigs, i)
			if err != nil {
				t.Fatal(err)
			}
			s.blocks[x.ID] = p
		}
	}
	return s
}

func (s *signedProofs) Proof(_ context.Context, id tx.ID) (*ledger.ReceiptProof, error) {
	p, ok := s.blocks[id]
	if !ok {
		return nil, readmodel.ErrNotFound
	}
	return p, nil
}

// viewer decides as the portal's resolver does: the ledger's policy,
// asked the way the contracts ask it.
type viewer struct {
	e  *policies.Enforcer
	id string
}

func (v viewer) allowed(obj, act, owner, org string) (bool, error) {
	dom, _, _ := strings.Cut(v.id, "/")
	d, err := v.e.Enforce(policies.Request{Sub: v.id, Dom: dom, Obj: obj, Act: act, Owner: owner, Org: org})
	return d.Allowed, err
}

func (v viewer) Transaction(sender string) (bool, error) {
	return v.allowed("chain", "read", sender, "")
}
func (v viewer) Gift(donor, charity string) (bool, error) {
	return v.allowed("gift", "read", donor, charity)
}

var _ donations.Disclosure = viewer{}

// TestGiftBundles: over the harness chain, each gift's bundle holds every
// transaction that moved it; a donor sees whole receipts except where
// another donor's gift is named, which is left out and proven by the
// receipt's hash; the charity's officer and an auditor see every receipt
// whole; every bundle verifies after a JSON round trip through float64
// numbers (as JSON.parse reads it).
func TestGiftBundles(t *testing.T) {
	h, c := newHarness(t)
	s, err := h.Apply(t, c.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	r := donations.NewReader(s)
	proofs := newSignedProofs(t, c.Genesis.ChainID, c.Blocks[1:])
	gifts := map[string]*donations.Gift{}
	for _, donor := range []string{"hope/donor-sam", "hope/donor-kai"} {
		gs, _, err := r.DonorGifts(donor, "", 10, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			gifts[donor+" "+g.Campaign+" "+map[bool]string{true: "earmarked", false: "free"}[g.Earmarked]] = g
		}
	}
	type want struct {
		gift, viewer string
		kinds        []string
		withheld     []int
		hidden       string // a donor the bundle must not name
		proves       string
	}
	for _, w := range []want{
		{"hope/donor-sam heart free", "hope/donor-sam", []string{"gift", "milestone_approved", "disbursement", "payee_confirmed"}, []int{0, 0, 1, 0}, "hope/donor-kai",
			"of it came from this gift"},
		{"hope/donor-sam heart free", "hope/officer", []string{"gift", "milestone_approved", "disbursement", "payee_confirmed"}, []int{0, 0, 0, 0}, "",
			"2.50 EUR of it came from this gift."},
		{"hope/donor-sam heart free", "healthreg/auditor", []string{"gift", "milestone_approved", "disbursement", "payee_confirmed"}, []int{0, 0, 0, 0}, "", ""},
		{"hope/donor-kai heart free", "hope/donor-kai", []string{"gift", "refund"}, []int{0, 0}, "", "the milestone missed its deadline"},
		{"hope/donor-kai heart earmarked", "hope/donor-kai", []string{"gift", "milestone_approved", "disbursement", "payee_confirmed"}, []int{0, 0, 1, 0}, "hope/donor-sam", ""},
		{"hope/donor-sam kidney free", "hope/donor-sam", []string{"gift", "refund", "refund"}, []int{0, 1, 0}, "hope/donor-kai", "the campaign was cancelled"},
	} {
		t.Run(w.gift+" for "+w.viewer, func(t *testing.T) {
			g := gifts[w.gift]
			if g == nil {
				t.Fatalf("no gift %s among %v", w.gift, gifts)
			}
			b, err := r.Bundle(context.Background(), g, c.Genesis.ChainID, proofs, viewer{c.Exec.Policy(), w.viewer})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			var withheld []int
			for _, s := range b.Steps {
				kinds, withheld = append(kinds, s.Kind), append(withheld, s.Withheld)
			}
			if !slices.Equal(kinds, w.kinds) || !slices.Equal(withheld, w.withheld) {
				t.Fatalf("steps %v withheld %v, want %v %v", kinds, withheld, w.kinds, w.withheld)
			}
			data, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if w.hidden != "" && strings.Contains(string(data), w.hidden) {
				t.Fatalf("the bundle names %s", w.hidden)
			}
			var back api.GiftBundle
			if err := json.Unmarshal(apitest.ThroughFloats(t, data), &back); err != nil {
				t.Fatal(err)
			}
			rep, err := back.Verify(proofs.trust)
			if err != nil {
				t.Fatal(err)
			}
			var words []string
			for _, s := range rep.Steps {
				words = append(words, s.Proves...)
				words = append(words, s.PortalSays...)
			}
			if !strings.Contains(strings.Join(words, "\n"), w.proves) {
				t.Fatalf("the report says\n%s\nnot %q", strings.Join(words, "\n"), w.proves)
			}
		})
	}
}
