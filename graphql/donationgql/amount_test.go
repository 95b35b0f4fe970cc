package donationgql

import (
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/graphql/schema"
)

func TestAmountScalar(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
	}{
		{300, uint64(300)}, {float64(1 << 50), uint64(1 << 50)}, {"42", schema.Decimal("42")}, {float64(1.5), nil},
		{"250.00", schema.Decimal("250.00")}, {" 12.5 ", schema.Decimal("12.5")},
		{-1, nil}, {float64(1<<50 + 1), nil}, {"1e3", nil}, {"-3", nil}, {"1,000.00", nil}, {"€5", nil}, {true, nil},
	} {
		if got := Amount.ParseValue(tc.in); got != tc.want {
			t.Errorf("ParseValue(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if got := Amount.ParseLiteral(&ast.IntValue{Value: "1125899906842624"}); got != uint64(1<<50) {
		t.Errorf("literal 2^50: %v", got)
	}
	if got := Amount.ParseLiteral(&ast.IntValue{Value: "1125899906842625"}); got != nil {
		t.Errorf("literal above 2^50: %v", got)
	}
	if got := Amount.Serialize(int64(-5)); got != int64(-5) {
		t.Errorf("serialize net: %v", got)
	}
}

func TestParseDate(t *testing.T) {
	for in, ok := range map[string]bool{"2024-05-01": true, "2024-05-01T10:00:00+02:00": true, "yesterday": false, "1969-12-31": false, "2300-01-01": false} {
		if _, err := parseDate("from", in); (err == nil) != ok {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// TestStatusesKnown: every status the donation contract can write (its
// vocabulary) is a value of the GraphQL enums, so no campaign or milestone
// shows a status the portal does not know.
func TestStatusesKnown(t *testing.T) {
	cs, ms := statusEnums()
	for _, c := range []struct {
		enum  *graphql.Enum
		which []string
	}{{cs, vocab.CampaignStatuses()}, {ms, vocab.MilestoneStatuses()}} {
		for _, s := range c.which {
			if c.enum.Serialize(s) == nil {
				t.Errorf("%s has no value for the contract's status %q", c.enum.Name(), s)
			}
		}
	}
}
