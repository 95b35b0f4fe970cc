package patientgql

import (
	"slices"
	"testing"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/portal/patients"
)

// TestVocabularyKnown: every status the consent contract can write (its
// vocabulary package) is a value of the GraphQL ConsentStatus enum and is
// known to the portal's read model, so no consent shows a status the
// portal does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	for _, s := range consentvocab.Statuses() {
		if m.consentStatus.Serialize(s) == nil {
			t.Errorf("ConsentStatus has no value for the contract's %q", s)
		}
		if !slices.Contains(patients.ConsentStatuses, s) {
			t.Errorf("the read model does not know the contract's consent status %q", s)
		}
	}
	if n, want := len(m.consentStatus.Values()), len(consentvocab.Statuses()); n != want {
		t.Errorf("ConsentStatus has %d values, the contract %d", n, want)
	}
}
