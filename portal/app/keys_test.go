package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// TestKeysExpiring: nodeStatus lists members whose signing key expires
// within 30 days to those who may read the member (org admins of its
// organisation, consortium admins, auditors, the member), never to other
// members: a patient's member id is not everyone's to see.
func TestKeysExpiring(t *testing.T) {
	n := testnode.Start(t)
	addPatient(t, n, "stmarys/patient-soon", 10*24*time.Hour)
	p, _ := startPortalAt(t, n, t.TempDir())
	const doc = `{ nodeStatus { keysExpiring { member organisation expires expired } } }`
	for who, want := range map[string]int{"stmarys/admin": 1, "healthreg/auditor": 1, "stmarys/dr-lee": 0, "hope/donor-sam": 0, "acme/adjuster": 0} {
		r := as(t, p, who).do(doc, nil)
		keys, ok := dig(r.Data, "nodeStatus", "keysExpiring").([]any)
		if len(r.Errors) != 0 || !ok || len(keys) != want {
			t.Fatalf("%s: %s", who, r.raw)
		}
		if want == 1 && (dig(keys[0], "member") != "stmarys/patient-soon" || dig(keys[0], "organisation") != "stmarys" || dig(keys[0], "expired") != false) {
			t.Fatalf("%s: %s", who, r.raw)
		}
	}
}

// TestReceiptProofVerifiesAsServed: the proof GraphQL serves verifies
// offline against the genesis keys exactly as served (numbers such as the
// header's nanosecond time stay exact).
func TestReceiptProofVerifiesAsServed(t *testing.T) {
	n := testnode.Start(t)
	res := n.Send(t, "hope/admin", "identity", "set_roles", tx.String("id", "hope/officer"), tx.Strings("roles", []string{"charity_officer"}))
	p, _ := startPortalAt(t, n, t.TempDir())
	r := as(t, p, "hope/admin").do(`query($id: ID!) { receiptProof(id: $id) }`, map[string]any{"id": res.ID.String()})
	var out struct {
		Data struct {
			ReceiptProof json.RawMessage `json:"receiptProof"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil || len(out.Data.ReceiptProof) == 0 {
		t.Fatalf("receiptProof: %s", r.raw)
	}
	var pr ledger.ReceiptProof
	if err := json.Unmarshal(out.Data.ReceiptProof, &pr); err != nil {
		t.Fatal(err)
	}
	if err := pr.Verify(n.Genesis.ChainID, n.Genesis.NodeKeys(), n.Genesis.Quorum()); err != nil {
		t.Fatalf("the proof as served does not verify: %v", err)
	}
}
