package donationgql

import (
	"math"
	"strconv"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
)

// MaxAmount is the largest amount the contract accepts (2^50 minor
// units); amounts up to it are exact in a JSON number.
const MaxAmount = 1 << 50

// Amount is money. GraphQL's Int is 32-bit, too small for money, so
// amounts are their own scalar: in results, integer minor units of the
// currency (cents) as a JSON number (exact, |n| <= 2^50); in arguments,
// either that number, or money as people write it, a string in the
// currency's major unit ("250.00", "250": schema.Decimal, converted by the
// resolver with the currency it is in).
var Amount = graphql.NewScalar(graphql.ScalarConfig{
	Name: "Amount",
	Description: "Money. Results: integer minor units of the currency (e.g. cents), at most 2^50, a JSON number. " +
		"Arguments: that number, or a string as people write money in the currency's major unit: \"250.00\" or \"250\" " +
		"(250 euros in a EUR campaign or claim; at most the currency's decimals).",
	Serialize: func(v any) any {
		switch v := v.(type) {
		case uint64:
			return v
		case int64:
			return v
		case int:
			return v
		}
		return nil
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
}

var nn = graphql.NewNonNull

// field is a resolver that only reads its source (see schema.Field).
func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("donationgql", t, get, desc...)
}

func statusEnums() (*graphql.Enum, *graphql.Enum) {
	cs := graphql.NewEnum(graphql.EnumConfig{Name: "CampaignStatus", Values: graphql.EnumValueConfigMap{
		"DRAFT": {Value: donations.StatusDraft}, "OPEN": {Value: donations.StatusOpen}, "FUNDED": {Value: donations.StatusFunded},
		"CLOSED": {Value: donations.StatusClosed}, "CANCELLED": {Value: donations.StatusCancelled},
	}})
	ms := graphql.NewEnum(graphql.EnumConfig{Name: "MilestoneStatus", Values: graphql.EnumValueConfigMap{
		"PENDING": {Value: donations.MilestonePending}, "EVIDENCE_SUBMITTED": {Value: donations.MilestoneEvidence},
		"APPROVED": {Value: donations.MilestoneApproved}, "REJECTED": {Value: donations.MilestoneRejected},
		"MISSED":    {Value: donations.MilestoneMissed},
		"CANCELLED": {Value: donations.MilestoneCancelled, Description: "The campaign was cancelled before it was decided; its escrow refunded."},
	}})
	return cs, ms
}

func milestoneType(status *graphql.Enum) *graphql.Object {
	type M = *donations.Milestone
	return graphql.NewObject(graphql.ObjectConfig{Name: "Milestone", Description: "A campaign stage with its own escrow.", Fields: graphql.Fields{
		"seq":          field(nn(graphql.Int), func(m M) any { return int(m.Seq) }, "1-based position in the campaign."),
		"title":        field(nn(graphql.String), func(m M) any { return m.Title }),
		"amount":       field(nn(Amount), func(m M) any { return m.Amount }),
		"validator":    field(nn(graphql.ID), func(m M) any { return m.Validator }, "The independent member who approves or rejects the evidence."),
		"deadline":     field(nn(graphql.String), func(m M) any { return time.Unix(m.Deadline, 0).UTC().Format(time.RFC3339) }),
		"status":       field(nn(status), func(m M) any { return m.Status }),
		"evidenceHash": field(graphql.String, func(m M) any { return schema.OptString(m.Evidence) }, "Hex SHA-256 of the evidence the charity submitted."),
		"decidedBy":    field(graphql.ID, func(m M) any { return schema.OptString(m.DecidedBy) }, "The validator who approved or rejected it."),
		"funded":       field(nn(Amount), func(m M) any { return m.Funded }),
		"disbursed":    field(nn(Amount), func(m M) any { return m.Disbursed }),
		"refunded":     field(nn(Amount), func(m M) any { return m.Refunded }),
		"escrow":       field(nn(Amount), func(m M) any { return m.Escrow() }, "Funded, not yet disbursed nor refunded."),
	}})
}
