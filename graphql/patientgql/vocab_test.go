package patientgql

import (
	"testing"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/graphql/internal/enumtest"
)

// TestVocabularyKnown: every status the consent contract can write (its
// vocabulary package) is a value of the GraphQL ConsentStatus enum and is
// known to the portal's read model, so no consent shows a status the
// portal does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	enumtest.Known(t, m.consentStatus, consentvocab.Statuses(), consentvocab.Statuses())
}
