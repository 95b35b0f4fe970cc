package governancegql

import (
	"testing"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	idvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/graphql/internal/enumtest"
	"github.com/almoner/almoner/portal/governance"
)

// TestVocabularyKnown: every proposal status and kind the governance
// contract can write and every organisation kind the identity contract
// knows (their vocabulary packages) is a value of the GraphQL enums and is
// known to the portal's read model, so no proposal or organisation shows a
// value the portal does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	enumtest.Known(t, m.status, govvocab.Statuses(), governance.Statuses)
	enumtest.Known(t, m.kind, govvocab.Kinds(), governance.Kinds)
	enumtest.Known(t, m.orgKind, idvocab.Kinds, idvocab.Kinds)
}
