package donationgql

import (
	"flag"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/testseed"
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
	for _, c := range []struct {
		in   any
		want any
	}{
		{schema.AmountOf(25000, "EUR"), "250.00"}, {&schema.Amount{Minor: 250, Currency: "JPY"}, "250"},
		{schema.AmountOf(1500, "BHD"), "1.500"}, {schema.Amount{Minor: -1250, Currency: "EUR"}, "-12.50"},
		{uint64(25000), nil}, {int64(-5), nil}, {25000, nil}, {(*schema.Amount)(nil), nil},
	} {
		if got := Amount.Serialize(c.in); got != c.want {
			t.Errorf("Serialize(%#v) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

var amountSeed = flag.Uint64("amount.seed", 0, "seed for TestAmountRoundTrip (0: a new one)")

// TestAmountRoundTrip: any amount a result gives, in any currency's scale,
// fed back as an argument (a JSON variable or a literal in the query) is
// the same number of minor units.
func TestAmountRoundTrip(t *testing.T) {
	r := testseed.Rand(t, *amountSeed, "-amount.seed")
	for i := 0; i < 5000; i++ {
		cur := []string{"EUR", "USD", "JPY", "KRW", "BHD", "KWD", "CLF", ""}[r.IntN(8)]
		minor := uint64(r.Int64N(MaxAmount + 1))
		if i%3 == 0 {
			minor = uint64(r.IntN(100000)) // small amounts: leading zeros after the point
		}
		out := Amount.Serialize(schema.AmountOf(minor, cur))
		s, ok := out.(string)
		if !ok {
			t.Fatalf("%d %s serialised as %#v", minor, cur, out)
		}
		for _, in := range []any{Amount.ParseValue(s), Amount.ParseLiteral(&ast.StringValue{Value: s})} {
			back, err := schema.Minor(in, cur, MaxAmount)
			if err != nil || back != minor {
				t.Fatalf("%d %s: result %q read back as %d, %v", minor, cur, s, back, err)
			}
		}
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
