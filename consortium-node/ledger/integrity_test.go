package ledger

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
	"github.com/almoner/almoner/privacy/sign"
)

// TestFlippedByteIsIntegrityFailure: a flipped byte in what a receipt proof
// proves (the transaction, the receipt's encoding through its error text,
// a Merkle path) fails Verify with ErrIntegrity, which is the integrity
// marker integrity.ErrFailed.
func TestFlippedByteIsIntegrityFailure(t *testing.T) {
	k1, k2 := nodeKey(t, 1), nodeKey(t, 2)
	keys := map[string]sign.PublicKey{"n1": k1.Public(), "n2": k2.Public()}
	b, rs := makeBlock(t, 7)
	rs[4].Error = "over the limit"
	b.Header.ReceiptRoot = ReceiptRoot(rs)
	hh := b.Header.Hash()
	sigs := []HeaderSignature{SignHeader("n1", k1, hh), SignHeader("n2", k2, hh)}
	proof := func() *ReceiptProof {
		p, err := BuildReceiptProof(b, rs, sigs, 4)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := proof().Verify("c", keys, 2); err != nil {
		t.Fatal(err)
	}
	check := func(what string, i int, p *ReceiptProof) {
		t.Helper()
		if err := p.Verify("c", keys, 2); !errors.Is(err, integrity.ErrFailed) || !errors.Is(err, ErrIntegrity) {
			t.Fatalf("%s byte %d flipped: got %v, want the integrity marker", what, i, err)
		}
	}
	for i := range proof().Tx {
		p := proof()
		p.Tx = bytes.Clone(p.Tx)
		p.Tx[i] ^= 0x01
		check("tx", i, p)
	}
	for i := range len(rs[4].Error) {
		p := proof()
		e := []byte(p.Receipt.Error)
		e[i] ^= 0x01
		p.Receipt.Error = string(e)
		check("receipt error", i, p)
	}
	for j := range proof().TxPath {
		for i := range proof().TxPath[j] {
			p := proof()
			p.TxPath[j] = bytes.Clone(p.TxPath[j])
			p.TxPath[j][i] ^= 0x01
			check("tx path", j*100+i, p)
		}
	}
}
