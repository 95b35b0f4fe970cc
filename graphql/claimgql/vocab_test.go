package claimgql

import (
	"slices"
	"testing"

	"github.com/graphql-go/graphql"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/portal/claims"
)

// TestVocabularyKnown: every status and outcome the claim contract can
// write (its vocabulary package) is a value of the GraphQL enums and is
// known to the portal's read model, so no claim shows a status the portal
// does not know.
func TestVocabularyKnown(t *testing.T) {
	m := &mod{}
	m.buildTypes()
	for _, c := range []struct {
		enum      *graphql.Enum
		contract  []string
		readModel []string
	}{
		{m.status, claimvocab.Statuses(), claims.Statuses},
		{m.outcome, claimvocab.Outcomes(), []string{claims.OutcomeApproved, claims.OutcomePartial, claims.OutcomeDenied}},
	} {
		for _, s := range c.contract {
			if c.enum.Serialize(s) == nil {
				t.Errorf("%s has no value for the contract's %q", c.enum.Name(), s)
			}
			if !slices.Contains(c.readModel, s) {
				t.Errorf("the read model does not know the contract's %q (%s)", s, c.enum.Name())
			}
		}
		if n := len(c.enum.Values()); n != len(c.contract) {
			t.Errorf("%s has %d values, the contract %d: %v", c.enum.Name(), n, len(c.contract), c.contract)
		}
	}
}
