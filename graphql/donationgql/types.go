package donationgql

import (
	"math"
	"strconv"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
)

// MaxAmount is the largest amount the contract accepts (2^50 minor
// units); amounts up to it are exact in a JSON number.
const MaxAmount = 1 << 50

// Amount is money as people write it (decision 0044). In results, a
// string in the currency's major unit with exactly the currency's
// decimals ("250.00" EUR, "250" JPY, "1.500" BHD; resolvers return a
// schema.Amount, which carries the currency). In arguments, that string
// (schema.Decimal, converted by the resolver with the currency it is in),
// or, as before, a JSON number of minor units. A result fed back as an
// argument in the same currency is the same amount.
var Amount = graphql.NewScalar(graphql.ScalarConfig{
	Name: "Amount",
	Description: "Money as people write it, in the currency of the object or argument it belongs to (a campaign's, a claim's). " +
		"Results: a string in the currency's major unit with exactly the currency's ISO 4217 decimals, no grouping: \"250.00\" " +
		"(250 euros), \"250\" (250 yen), \"1.500\" (1.5 Bahraini dinars); negative (\"-12.50\") only where a field says so. " +
		"Arguments: such a string (\"250.00\" or \"250\", at most the currency's decimals), or an integer number of minor " +
		"units (25000 is 250.00 EUR), at most 2^50 minor units.",
	Serialize: func(v any) any {
		switch v := v.(type) {
		case schema.Amount:
			return string(v.Decimal())
		case *schema.Amount:
			if v != nil {
				return string(v.Decimal())
			}
		}
		return nil // bare minor units have no currency to place the point: a resolver's error, never a guess
	},
	ParseValue: func(v any) any {
		switch v := v.(type) {
		case int:
			return amountOf(int64(v))
		case int64:
			return amountOf(v)
		case float64:
			if v != math.Trunc(v) || v < 0 || v > MaxAmount {
				return nil
			}
			return uint64(v)
		case string:
			if d, ok := schema.ParseDecimal(v); ok {
				return d
			}
		}
		return nil
	},
	ParseLiteral: func(v ast.Value) any {
		var s string
		switch v := v.(type) {
		case *ast.IntValue:
			s = v.Value
		case *ast.StringValue:
			if d, ok := schema.ParseDecimal(v.Value); ok {
				return d
			}
			return nil
		default:
			return nil
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > MaxAmount {
			return nil
		}
		return n
	},
})

func amountOf(n int64) any {
	if n < 0 || n > MaxAmount {
		return nil
	}
	return uint64(n)
}

// types are the module's GraphQL types.
type types struct {
	campaignStatus, milestoneStatus       *graphql.Enum
	milestone, campaign, gift, allocation *graphql.Object
	disbursement, lineage, report         *graphql.Object
	giftConn, campaignConn, disbConn      *graphql.Object
	givingTotals                          *graphql.Object
}

// givingTotals is myGivingTotals' answer.
type givingTotals struct {
	totals    []donations.Total
	truncated bool
}

var nn = graphql.NewNonNull

// field is a resolver that only reads its source (see schema.Field).
func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("donationgql", t, get, desc...)
}

func statusEnums() (*graphql.Enum, *graphql.Enum) {
	cs := graphql.NewEnum(graphql.EnumConfig{Name: "CampaignStatus", Values: graphql.EnumValueConfigMap{
		"DRAFT": {Value: donationvocab.StatusDraft}, "OPEN": {Value: donationvocab.StatusOpen},
		"FUNDED": {Value: donationvocab.StatusFunded},
		"CLOSED": {Value: donationvocab.StatusClosed}, "CANCELLED": {Value: donationvocab.StatusCancelled},
	}})
	ms := graphql.NewEnum(graphql.EnumConfig{Name: "MilestoneStatus", Values: graphql.EnumValueConfigMap{
		"PENDING":            {Value: donationvocab.MilestonePending},
		"EVIDENCE_SUBMITTED": {Value: donationvocab.MilestoneEvidence},
		"APPROVED":           {Value: donationvocab.MilestoneApproved}, "REJECTED": {Value: donationvocab.MilestoneRejected},
		"MISSED": {Value: donationvocab.MilestoneMissed},
		"CANCELLED": {Value: donationvocab.MilestoneCancelled,
			Description: "The campaign was cancelled before it was decided; its escrow refunded."},
	}})
	return cs, ms
}

func milestoneType(status *graphql.Enum) *graphql.Object {
	type M = *in[donations.Milestone]
	return graphql.NewObject(graphql.ObjectConfig{Name: "Milestone", Description: "A campaign stage with its own escrow.", Fields: graphql.Fields{
		"seq":          field(nn(graphql.Int), func(m M) any { return int(m.v.Seq) }, "1-based position in the campaign."),
		"title":        field(nn(graphql.String), func(m M) any { return m.v.Title }),
		"amount":       field(nn(Amount), func(m M) any { return amount(m.v.Amount, m.cur) }),
		"validator":    field(nn(graphql.ID), func(m M) any { return m.v.Validator }, "The independent member who approves or rejects the evidence."),
		"deadline":     field(nn(graphql.String), func(m M) any { return time.Unix(m.v.Deadline, 0).UTC().Format(time.RFC3339) }),
		"status":       field(nn(status), func(m M) any { return m.v.Status }),
		"evidenceHash": field(graphql.String, func(m M) any { return schema.OptString(m.v.Evidence) }, "Hex SHA-256 of the evidence the charity submitted."),
		"decidedBy":    field(graphql.ID, func(m M) any { return schema.OptString(m.v.DecidedBy) }, "The validator who approved or rejected it."),
		"funded":       field(nn(Amount), func(m M) any { return amount(m.v.Funded, m.cur) }),
		"disbursed":    field(nn(Amount), func(m M) any { return amount(m.v.Disbursed, m.cur) }),
		"refunded":     field(nn(Amount), func(m M) any { return amount(m.v.Refunded, m.cur) }),
		"escrow":       field(nn(Amount), func(m M) any { return amount(m.v.Escrow(), m.cur) }, "Funded, not yet disbursed nor refunded."),
	}})
}
