package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

func nodeKey(t *testing.T, b byte) *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHeaderGolden pins the header hash: it is consensus-critical.
func TestHeaderGolden(t *testing.T) {
	h := Header{ChainID: "almoner-dev", Height: 3, Time: 1_700_000_000_000_000_000, Proposer: "node1"}
	h.PrevHash[0], h.TxRoot[1], h.ReceiptRoot[2], h.StateHash[3] = 1, 2, 3, 4
	const want = "2af39f87d93808b32e7c3f6c51bd51f520922408f8c46dbc431c875912eb9cb9"
	got := h.Hash().String()
	if got != want {
		t.Fatalf("header hash %s, want %s", got, want)
	}
	if got == (&Header{}).Hash().String() {
		t.Fatal("header fields do not affect the hash")
	}
}

func TestStateHashChains(t *testing.T) {
	w := []StateWrite{{Key: "a", Value: []byte{1}}, {Key: "b", Deleted: true}}
	h1 := NextStateHash(Hash{}, w)
	if h1 == NextStateHash(Hash{1}, w) {
		t.Fatal("previous hash not chained")
	}
	w2 := []StateWrite{{Key: "a", Value: []byte{1}}, {Key: "b"}}
	if h1 == NextStateHash(Hash{}, w2) {
		t.Fatal("deleted flag not hashed")
	}
}

func makeBlock(t *testing.T, n int) (*Block, []Receipt) {
	b := &Block{Header: Header{ChainID: "c", Height: 5}}
	var rs []Receipt
	for i := 0; i < n; i++ {
		enc := []byte(fmt.Sprintf("tx-%d", i))
		b.Txs = append(b.Txs, enc)
		st := StatusOK
		if i%3 == 0 {
			st = StatusFailed
		}
		rs = append(rs, Receipt{TxID: tx.HashID(enc), Status: st, Events: []Event{{Contract: "c", Type: "t"}}})
	}
	b.Header.TxRoot = TxRoot(b.Txs)
	b.Header.ReceiptRoot = ReceiptRoot(rs)
	return b, rs
}

func TestReceiptProof(t *testing.T) {
	k1, k2, k3 := nodeKey(t, 1), nodeKey(t, 2), nodeKey(t, 3)
	keys := map[string]sign.PublicKey{"n1": k1.Public(), "n2": k2.Public(), "n3": k3.Public()}
	b, rs := makeBlock(t, 7)
	hh := b.Header.Hash()
	sigs := []HeaderSignature{SignHeader("n1", k1, hh), SignHeader("n2", k2, hh)}
	for i := range b.Txs {
		p, err := BuildReceiptProof(b, rs, sigs, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify("c", keys, 2); err != nil {
			t.Fatalf("tx %d: valid proof rejected: %v", i, err)
		}
	}
	p, _ := BuildReceiptProof(b, rs, sigs, 4)
	if err := p.Verify("c", keys, 3); !errors.Is(err, ErrQuorum) {
		t.Fatalf("quorum of 3 with 2 sigs: %v", err)
	}
	if err := p.Verify("other", keys, 2); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("wrong chain: %v", err)
	}
	tamper := []func(p *ReceiptProof){
		func(p *ReceiptProof) { p.Receipt.Status = StatusFailed },
		func(p *ReceiptProof) { p.Receipt.Events = nil },
		func(p *ReceiptProof) { p.Tx = []byte("tx-5") },
		func(p *ReceiptProof) { p.Index = 3 },
		func(p *ReceiptProof) { p.Header.Height = 6 },
		func(p *ReceiptProof) { p.Signatures = append(p.Signatures[:1:1], p.Signatures[0]) }, // duplicate signer
		func(p *ReceiptProof) { p.Signatures = []HeaderSignature{SignHeader("n9", nodeKey(t, 9), hh), sigs[0]} },
	}
	for i, f := range tamper {
		q, _ := BuildReceiptProof(b, rs, sigs, 4)
		f(q)
		if err := q.Verify("c", keys, 2); err == nil {
			t.Errorf("tamper %d accepted", i)
		}
	}
}
