package enumtest

import (
	"testing"

	"github.com/graphql-go/graphql"
)

// recorder notes failures instead of failing the test that uses it.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }

func TestKnown(t *testing.T) {
	enum := graphql.NewEnum(graphql.EnumConfig{Name: "S", Values: graphql.EnumValueConfigMap{
		"OPEN": {Value: "open"}, "CLOSED": {Value: "closed"},
	}})
	for _, c := range []struct {
		name                string
		contract, readModel []string
		errors              int
	}{
		{"all known", []string{"open", "closed"}, []string{"open", "closed", "extra"}, 0},
		{"enum lacks one", []string{"open", "closed", "paused"}, []string{"open", "closed", "paused"}, 2},
		{"read model lacks one", []string{"open", "closed"}, []string{"open"}, 1},
		{"enum has more", []string{"open"}, []string{"open"}, 1},
	} {
		r := &recorder{TB: t}
		Known(r, enum, c.contract, c.readModel)
		if r.errors != c.errors {
			t.Errorf("%s: %d failures, want %d", c.name, r.errors, c.errors)
		}
	}
}
