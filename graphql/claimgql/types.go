package claimgql

import (
	"github.com/graphql-go/graphql"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/graphql/donationgql"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
)

// Amount is the shared money scalar: results are schema.Amount, written
// in the claim's currency as people write money ("250.00").
var Amount = donationgql.Amount

type (
	claimT  = *claims.Claim
	itemT   = *itemView
	appealT = *appealView
	changeT = *claims.Change
)

// itemView is an item with its adjudication and the claim's currency.
type itemView struct {
	claims.Item
	adj *claims.Adjudication
	cur string
}

// appealView is an appeal with the claim's currency.
type appealView struct {
	*claims.Appeal
	cur string
}

// amount is minor units of the claim's currency as an Amount result.
func amount(minor uint64, cur string) schema.Amount { return schema.AmountOf(minor, cur) }

func (m *mod) buildTypes() {
	m.status = graphql.NewEnum(graphql.EnumConfig{Name: "ClaimStatus", Values: graphql.EnumValueConfigMap{
		"SUBMITTED": {Value: claimvocab.StatusSubmitted}, "IN_REVIEW": {Value: claimvocab.StatusInReview},
		"ADJUDICATED": {Value: claimvocab.StatusAdjudicated}, "APPEALED": {Value: claimvocab.StatusAppealed},
		"PAID": {Value: claimvocab.StatusPaid}, "CANCELLED": {Value: claimvocab.StatusCancelled},
	}})
	m.outcome = graphql.NewEnum(graphql.EnumConfig{Name: "ClaimOutcome", Values: graphql.EnumValueConfigMap{
		"APPROVED": {Value: claimvocab.OutcomeApproved}, "PARTIALLY_APPROVED": {Value: claimvocab.OutcomePartial},
		"DENIED": {Value: claimvocab.OutcomeDenied},
	}})
	item := graphql.NewObject(graphql.ObjectConfig{Name: "ClaimItem",
		Description: "A service line as the ledger has it, with the insurer's decision on it. Its service code and date are health data: they are in the claim's document (openClaimDocument), not here.",
		Fields: graphql.Fields{
			"seq":    field(nn(graphql.Int), func(i itemT) any { return int(i.Seq) }),
			"amount": field(nn(Amount), func(i itemT) any { return amount(i.Amount, i.cur) }, "Claimed."),
			"approved": field(Amount, func(i itemT) any {
				if i.adj == nil {
					return nil
				}
				return amount(i.adj.Approved, i.cur)
			}, "Approved by the latest adjudication (null before)."),
			"reason": field(graphql.String, func(i itemT) any {
				if i.adj == nil {
					return nil
				}
				return schema.OptString(i.adj.Reason)
			}, "The reason code of a reduced amount."),
		}})
	appeal := graphql.NewObject(graphql.ObjectConfig{Name: "ClaimAppeal", Fields: graphql.Fields{
		"seq":      field(nn(graphql.Int), func(a appealT) any { return int(a.Seq) }),
		"reason":   field(nn(graphql.String), func(a appealT) any { return a.Reason }, "Appeal reason code."),
		"outcome":  field(nn(m.outcome), func(a appealT) any { return a.Outcome }, "The outcome appealed against."),
		"approved": field(nn(Amount), func(a appealT) any { return amount(a.Approved, a.cur) }, "What that adjudication approved."),
		"by":       field(nn(graphql.ID), func(a appealT) any { return a.By }),
		"height":   field(nn(graphql.Int), func(a appealT) any { return int(a.Height) }),
		"time":     field(nn(graphql.String), func(a appealT) any { return schema.RFC3339Nano(a.Time) }),
		"txId":     field(nn(graphql.ID), func(a appealT) any { return a.TxID }),
	}})
	change := graphql.NewObject(graphql.ObjectConfig{Name: "ClaimStatusChange", Fields: graphql.Fields{
		"status": field(nn(m.status), func(c changeT) any { return c.Status }),
		"by":     field(nn(graphql.ID), func(c changeT) any { return c.By }),
		"height": field(nn(graphql.Int), func(c changeT) any { return int(c.Height) }),
		"time":   field(nn(graphql.String), func(c changeT) any { return schema.RFC3339Nano(c.Time) }, "Block time."),
		"txId":   field(nn(graphql.ID), func(c changeT) any { return c.TxID }),
	}})
	m.claim = graphql.NewObject(graphql.ObjectConfig{Name: "Claim",
		Description: "An insurance claim (FHIR Claim with its ClaimResponse): its insurer's adjusters, its provider's staff, its patient and auditors may read it.",
		Fields: graphql.Fields{
			"id":           field(nn(graphql.ID), func(c claimT) any { return c.ID }),
			"status":       field(nn(m.status), func(c claimT) any { return c.Status }),
			"outcome":      field(m.outcome, func(c claimT) any { return schema.OptString(c.Outcome) }, "The latest adjudication's outcome."),
			"denialReason": field(graphql.String, func(c claimT) any { return schema.OptString(c.DenialReason) }),
			"provider":     field(nn(graphql.ID), func(c claimT) any { return c.Provider }, "The hospital organisation that filed it."),
			"patient":      field(nn(graphql.ID), func(c claimT) any { return c.Patient }, "The patient's member id."),
			"insurer":      field(nn(graphql.ID), func(c claimT) any { return c.Insurer }),
			"currency":     field(nn(graphql.String), func(c claimT) any { return c.Currency }),
			"claimed":      field(nn(Amount), func(c claimT) any { return amount(c.Claimed, c.Currency) }),
			"approved":     field(nn(Amount), func(c claimT) any { return amount(c.Approved, c.Currency) }, "Approved by the latest adjudication (0 before)."),
			"patientShare": field(nn(Amount), func(c claimT) any { return amount(c.PatientShare, c.Currency) }, "Claimed minus approved once an adjudication stands (else 0)."),
			"paymentRef":   field(graphql.String, func(c claimT) any { return schema.OptString(c.PaymentRef) }),
			"paidAmount":   field(nn(Amount), func(c claimT) any { return amount(c.PaidAmount, c.Currency) }),
			"items": field(schema.List(item), func(c claimT) any {
				out := make([]*itemView, len(c.Items))
				for i := range c.Items {
					out[i] = &itemView{Item: c.Items[i], cur: c.Currency}
					if i < len(c.Adjudication) && c.Adjudication[i].Seq != 0 {
						out[i].adj = &c.Adjudication[i]
					}
				}
				return out
			}),
			"linkedRecords": field(schema.List(graphql.ID), func(c claimT) any { return c.LinkedRecords }),
			"document": field(nn(graphql.ID), func(c claimT) any { return c.Document },
				"The record holding the itemised claim (a FHIR Claim, encrypted, held by the provider); read it with openClaimDocument."),
			"appeals": field(schema.List(appeal), func(c claimT) any {
				out := make([]*appealView, len(c.Appeals))
				for i := range c.Appeals {
					out[i] = &appealView{Appeal: &c.Appeals[i], cur: c.Currency}
				}
				return out
			}),
			"history": field(schema.List(change), func(c claimT) any { return schema.Refs(c.History) },
				"Every status change, oldest first."),
			"submittedBy":     field(nn(graphql.ID), func(c claimT) any { return c.SubmittedBy }),
			"submittedHeight": field(nn(graphql.Int), func(c claimT) any { return int(c.Height) }),
			"submittedAt":     field(nn(graphql.String), func(c claimT) any { return schema.RFC3339Nano(c.Time) }, "Block time."),
			"updatedHeight":   field(nn(graphql.Int), func(c claimT) any { return int(c.Updated) }),
		}})
	m.claim.AddFieldConfig("patientName", &graphql.Field{Type: graphql.String,
		Description: "The patient's name from the provider's own records, kept off the ledger in the provider's " +
			"portal: shown to the patient and to the provider's members whom the policy lets read the patient's record " +
			"metadata there; null for everyone else (the insurer included).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(claimT)
			return m.cfg.PatientName(p.Context, c.Patient, c.Provider)
		}})
	m.claim.AddFieldConfig("documentAccess", &graphql.Field{Type: graphql.ID,
		Description: "The record.access transaction under which a member of the insurer read the claim's document at its filed version " +
			"(under the patient's consent for claims, not reported undelivered): what adjudicateClaim needs; null while nobody at the insurer has.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			c, ok := p.Source.(claimT)
			if !ok {
				return nil, nil
			}
			a, err := m.rd.DocumentRead(c)
			if err != nil {
				return nil, m.internal(p.Context, "document read", err)
			}
			return schema.OptString(a), nil
		}})
	m.conn = schema.NewConnectionType("Claim", m.claim)
}
