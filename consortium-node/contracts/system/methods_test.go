package system_test

import (
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/system"
)

// TestUnknownMethodNamesTheMethods: each contract refuses a method it does
// not have with the message a failed receipt carries, listing its methods
// in the order its table declares them; the messages are on the ledger, so
// a change to one fails here.
func TestUnknownMethodNamesTheMethods(t *testing.T) {
	want := map[string]string{
		"claim":      "unknown method: claim.settle (methods: submit, review, adjudicate, pay, appeal, cancel)",
		"consent":    "unknown method: consent.settle (methods: grant, request, accept, decline, amend, revoke)",
		"consortium": "unknown method: consortium.settle (methods: add_node, remove_node)",
		"donation": "unknown method: donation.settle (methods: create_campaign, open, close, cancel, give, " +
			"submit_evidence, approve_milestone, reject_milestone, settle_milestone, disburse, confirm_receipt)",
		"governance": "unknown method: governance.settle (methods: propose, approve, reject, withdraw)",
		"identity":   "unknown method: identity.settle (methods: add_member, set_roles, rotate_keys, revoke_member)",
		"record": "unknown method: record.settle (methods: register, access, erase, review_break_glass, " +
			"report_undelivered)",
	}
	reg, err := system.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cs := reg.Contracts()
	if len(cs) != len(want) {
		t.Errorf("the registry has %d contracts, the test knows %d", len(cs), len(want))
	}
	for _, c := range cs {
		err := c.Methods().Call(probeCtx{}, c.Name(), "settle", nil)
		if !errors.Is(err, contracts.ErrUnknownMethod) || err.Error() != want[c.Name()] {
			t.Errorf("%s: %v, want %q", c.Name(), err, want[c.Name()])
		}
	}
}
