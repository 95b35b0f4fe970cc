package registration_test

import (
	"slices"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
)

// TestSameAsTheContracts: the vocabulary is the one the contracts check.
func TestSameAsTheContracts(t *testing.T) {
	if !slices.Equal(record.Categories, registration.Categories) {
		t.Errorf("record.Categories %v, registration.Categories %v", record.Categories, registration.Categories)
	}
	if registration.Claim != claimdoc.RecordCategory || !registration.Known(claimdoc.RecordCategory) {
		t.Errorf("the claim category %q is not claimdoc's %q", registration.Claim, claimdoc.RecordCategory)
	}
	if registration.PatientRole != identityvocab.RolePatient {
		t.Errorf("PatientRole %q is not identity's %q", registration.PatientRole, identityvocab.RolePatient)
	}
	for _, c := range []string{"lab", "bundle"} {
		if !registration.Known(c) {
			t.Errorf("%q unknown", c)
		}
	}
	for _, c := range []string{"", "Lab", "gossip"} {
		if registration.Known(c) {
			t.Errorf("%q known", c)
		}
	}
}
