package enumtest

import (
	"slices"
	"testing"

	"github.com/graphql-go/graphql"
)

// Known fails t unless enum has a value for each of the contract's values
// and no other, and the read model's list knows each of them.
func Known(t testing.TB, enum *graphql.Enum, contract, readModel []string) {
	t.Helper()
	for _, s := range contract {
		if enum.Serialize(s) == nil {
			t.Errorf("%s has no value for the contract's %q", enum.Name(), s)
		}
		if !slices.Contains(readModel, s) {
			t.Errorf("the read model does not know the contract's %q (%s)", s, enum.Name())
		}
	}
	if n := len(enum.Values()); n != len(contract) {
		t.Errorf("%s has %d values, the contract %d: %v", enum.Name(), n, len(contract), contract)
	}
}
