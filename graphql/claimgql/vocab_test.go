package claimgql

import (
	"testing"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/graphql/internal/enumtest"
)

// TestVocabularyKnown: every status and outcome the claim contract can
// write (its vocabulary package) is a value of the GraphQL enums and is
// known to the portal's read model, so no claim shows a status the portal
// does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	enumtest.Known(t, m.status, claimvocab.Statuses(), claimvocab.Statuses())
	enumtest.Known(t, m.outcome, claimvocab.Outcomes(),
		[]string{claimvocab.OutcomeApproved, claimvocab.OutcomePartial, claimvocab.OutcomeDenied})
}
