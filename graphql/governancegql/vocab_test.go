package governancegql

import (
	"testing"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	idvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/graphql/internal/enumtest"
)

// TestVocabularyKnown: every proposal status and kind the governance
// contract can write and every organisation kind the identity contract
// knows (their vocabulary packages) is a value of the GraphQL enums and is
// known to the portal's read model, so no proposal or organisation shows a
// value the portal does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	enumtest.Known(t, m.status, govvocab.Statuses(), govvocab.Statuses())
	enumtest.Known(t, m.kind, govvocab.Kinds(), govvocab.Kinds())
	enumtest.Known(t, m.orgKind, idvocab.Kinds, idvocab.Kinds)
}
