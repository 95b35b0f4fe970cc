package governancegql

import (
	"testing"

	"github.com/graphql-go/graphql"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	idvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
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
	for _, c := range []struct {
		enum      *graphql.Enum
		contract  []string
		readModel []string
	}{
		{m.status, govvocab.Statuses(), governance.Statuses},
		{m.kind, govvocab.Kinds(), governance.Kinds},
		{m.orgKind, idvocab.Kinds, idvocab.Kinds},
	} {
		known := map[string]bool{}
		for _, s := range c.readModel {
			known[s] = true
		}
		for _, s := range c.contract {
			if c.enum.Serialize(s) == nil {
				t.Errorf("%s has no value for the contract's %q", c.enum.Name(), s)
			}
			if !known[s] {
				t.Errorf("the read model does not know the contract's %q (%s)", s, c.enum.Name())
			}
		}
		if n := len(c.enum.Values()); n != len(c.contract) {
			t.Errorf("%s has %d values, the contract %d: %v", c.enum.Name(), n, len(c.contract), c.contract)
		}
	}
}
