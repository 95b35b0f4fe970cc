package claim_test

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
)

type oneKey map[string][]byte

func (m oneKey) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }

// FuzzDecode fuzzes the decoder of claims read from state: no panic; an
// accepted claim re-encodes to the same bytes, and its totals and patient
// share can be computed (even for amounts no contract would write).
func FuzzDecode(f *testing.F) {
	full := &claim.Claim{ID: "claim-1", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: "USD",
		Items: []claim.Item{{Seq: 1, Amount: 15000}, {Seq: 2, Amount: 4200}}, Document: "claim-1.doc", KeyID: "00112233445566778899aabbccddeeff",
		ItemKeys: []ledger.Hash{{1}, {2}}, LinkedRecords: []string{"rec-1"}, Status: claimvocab.StatusPaid,
		Adjudication: []claim.Adjudication{{Seq: 1, Approved: 15000}, {Seq: 2, Approved: 3000, Reason: "contractual-adjustment"}},
		Outcome:      claimvocab.OutcomePartial, Appeals: 1, AppealReason: "coding-corrected", PaymentRef: "ACH-1",
		PaidAmount: 18000,
		Heights:    claim.Heights{Submitted: 1, Reviewed: 2, Adjudicated: 3, Appealed: 4, Paid: 5}}
	full.Fingerprint = ledger.Hash{9}
	for _, c := range []*claim.Claim{full, {}, {ID: "x", Items: []claim.Item{}, LinkedRecords: []string{}, Adjudication: []claim.Adjudication{}, ItemKeys: []ledger.Hash{}}} {
		b, err := codec.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := claim.Decode(data)
		if err != nil {
			return
		}
		if again, _ := codec.Marshal(c); !bytes.Equal(again, data) {
			t.Fatalf("claim %x re-encodes differently", data)
		}
		if amt, _ := claim.PatientShare(c); amt > c.Claimed() {
			t.Fatalf("patient share %d exceeds the %d claimed", amt, c.Claimed())
		}
		_ = c.Settled()
		if l, err := claim.LoadClaim(oneKey{claim.StateKey("x"): data}, "x"); err != nil || l.ID != c.ID {
			t.Fatalf("LoadClaim disagrees with Decode: %v", err)
		}
	})
}
