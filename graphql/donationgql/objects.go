package donationgql

import (
	"errors"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
)

type (
	campaignT = *donations.Campaign
	giftT     = *donations.Gift
	disbT     = *donations.Disbursement
	lineageT  = *donations.Lineage
	allocT    = *in[donations.LineageAllocation]
	linDisbT  = *in[donations.LineageDisbursement]
	refundT   = *in[donations.Use]
	reportT   = *donations.Report
	rowT      = *donations.ReportRow
	entryT    = *donations.Entry
)

// in is a read-model value that has no currency of its own (a milestone,
// an allocation, a gift's share) with the currency of the campaign or
// gift it belongs to, which its Amount fields need.
type in[T any] struct {
	v   *T
	cur string
}

// inCur gives each of vs the currency cur.
func inCur[T any](vs []T, cur string) []*in[T] {
	out := make([]*in[T], len(vs))
	for i := range vs {
		out[i] = &in[T]{v: &vs[i], cur: cur}
	}
	return out
}

// amount is minor units of cur as an Amount result.
func amount(minor uint64, cur string) schema.Amount { return schema.AmountOf(minor, cur) }

func (m *mod) buildTypes(b *schema.Builder) {
	t := &m.t
	t.campaignStatus, t.milestoneStatus = statusEnums()
	t.milestone = milestoneType(t.milestoneStatus)
	org := b.Type("Organisation").(*graphql.Object)
	txn := b.Type("Transaction").(*graphql.Object)

	t.campaign = graphql.NewObject(graphql.ObjectConfig{Name: "Campaign", Description: "A charity's campaign (public).", Fields: graphql.Fields{
		"id":                field(nn(graphql.ID), func(c campaignT) any { return c.ID }),
		"charityId":         field(nn(graphql.ID), func(c campaignT) any { return c.Charity }),
		"title":             field(nn(graphql.String), func(c campaignT) any { return c.Title }),
		"currency":          field(nn(graphql.String), func(c campaignT) any { return c.Currency }, "ISO 4217."),
		"goal":              field(nn(Amount), func(c campaignT) any { return amount(c.Goal, c.Currency) }),
		"raised":            field(nn(Amount), func(c campaignT) any { return amount(c.Raised, c.Currency) }),
		"disbursed":         field(nn(Amount), func(c campaignT) any { return amount(c.Disbursed, c.Currency) }),
		"refunded":          field(nn(Amount), func(c campaignT) any { return amount(c.Refunded, c.Currency) }),
		"balance":           field(nn(Amount), func(c campaignT) any { return amount(c.Balance(), c.Currency) }, "Raised minus disbursed minus refunded: what is in escrow."),
		"status":            field(nn(t.campaignStatus), func(c campaignT) any { return c.Status }),
		"beneficiaries":     field(schema.List(graphql.String), func(c campaignT) any { return c.Beneficiaries }),
		"milestones":        field(schema.List(t.milestone), func(c campaignT) any { return inCur(c.Milestones, c.Currency) }),
		"createdBy":         field(nn(graphql.ID), func(c campaignT) any { return c.CreatedBy }),
		"createdHeight":     field(nn(graphql.Int), func(c campaignT) any { return int(c.Height) }),
		"createdAt":         field(nn(graphql.String), func(c campaignT) any { return schema.RFC3339Nano(c.Time) }, "Block time."),
		"giftCount":         field(nn(graphql.Int), func(c campaignT) any { return int(c.Gifts) }),
		"disbursementCount": field(nn(graphql.Int), func(c campaignT) any { return int(c.Disbursements) }),
	}})
	t.campaign.AddFieldConfig("charity", &graphql.Field{Type: org, Resolve: func(p graphql.ResolveParams) (any, error) {
		c := p.Source.(campaignT)
		return thunk(p.Context, m, schema.LoadersFrom(p.Context).Org.Load(p.Context, c.Charity)), nil
	}})

	t.allocation = graphql.NewObject(graphql.ObjectConfig{Name: "GiftAllocation", Fields: graphql.Fields{
		"milestone": field(nn(graphql.Int), func(a *in[donations.Allocation]) any { return int(a.v.Milestone) }),
		"amount":    field(nn(Amount), func(a *in[donations.Allocation]) any { return amount(a.v.Amount, a.cur) }),
		"earmarked": field(nn(graphql.Boolean), func(a *in[donations.Allocation]) any { return a.v.Earmarked }),
		"left":      field(nn(Amount), func(a *in[donations.Allocation]) any { return amount(a.v.Left, a.cur) }, "Still in escrow."),
	}})

	t.gift = graphql.NewObject(graphql.ObjectConfig{Name: "Gift", Description: "A donation (its donor, the charity's officers and auditors may read it).", Fields: graphql.Fields{
		"id":          field(nn(graphql.ID), func(g giftT) any { return g.ID }, "The giving transaction's id."),
		"campaignId":  field(nn(graphql.ID), func(g giftT) any { return g.Campaign }),
		"charityId":   field(nn(graphql.ID), func(g giftT) any { return g.Charity }),
		"donor":       field(nn(graphql.ID), func(g giftT) any { return g.Donor }),
		"amount":      field(nn(Amount), func(g giftT) any { return amount(g.Amount, g.Currency) }),
		"currency":    field(nn(graphql.String), func(g giftT) any { return g.Currency }),
		"beneficiary": field(graphql.String, func(g giftT) any { return schema.OptString(g.Beneficiary) }),
		"earmarked":   field(nn(graphql.Boolean), func(g giftT) any { return g.Earmarked }, "Given to one milestone."),
		"height":      field(nn(graphql.Int), func(g giftT) any { return int(g.Height) }),
		"time":        field(nn(graphql.String), func(g giftT) any { return schema.RFC3339Nano(g.Time) }, "Block time."),
		"disbursed":   field(nn(Amount), func(g giftT) any { return amount(g.Disbursed(), g.Currency) }),
		"refunded":    field(nn(Amount), func(g giftT) any { return amount(g.Refunded(), g.Currency) }),
		"escrow":      field(nn(Amount), func(g giftT) any { return amount(g.Escrow(), g.Currency) }),
		"allocations": field(schema.List(t.allocation), func(g giftT) any { return inCur(g.Allocations, g.Currency) }),
	}})
	t.gift.AddFieldConfig("campaign", &graphql.Field{Type: nn(t.campaign), Resolve: func(p graphql.ResolveParams) (any, error) {
		c, err := m.rd.Campaign(p.Source.(giftT).Campaign)
		if err != nil {
			return nil, m.internal(p.Context, "gift campaign", err)
		}
		return c, nil
	}})
	t.gift.AddFieldConfig("transaction", &graphql.Field{Type: txn, Resolve: func(p graphql.ResolveParams) (any, error) {
		id, err := readmodel.ParseTxID(p.Source.(giftT).ID)
		if err != nil {
			return nil, m.internal(p.Context, "gift tx id", err)
		}
		return thunk(p.Context, m, schema.LoadersFrom(p.Context).Tx.Load(p.Context, tx.ID(id))), nil
	}})

	source := graphql.NewObject(graphql.ObjectConfig{Name: "DisbursementSource", Description: "A gift's share of a disbursement.", Fields: graphql.Fields{
		"giftId": field(nn(graphql.ID), func(s *in[donations.Source]) any { return s.v.Gift }),
		"amount": field(nn(Amount), func(s *in[donations.Source]) any { return amount(s.v.Amount, s.cur) }),
	}})
	t.disbursement = graphql.NewObject(graphql.ObjectConfig{Name: "Disbursement", Description: "Released milestone funds paid to a payee.", Fields: graphql.Fields{
		"id":              field(nn(graphql.ID), func(d disbT) any { return d.ID }),
		"campaignId":      field(nn(graphql.ID), func(d disbT) any { return d.Campaign }),
		"milestone":       field(nn(graphql.Int), func(d disbT) any { return int(d.Milestone) }),
		"payee":           field(nn(graphql.ID), func(d disbT) any { return d.Payee }, "An organisation or member id."),
		"amount":          field(nn(Amount), func(d disbT) any { return amount(d.Amount, d.Currency) }),
		"currency":        field(nn(graphql.String), func(d disbT) any { return d.Currency }),
		"purpose":         field(nn(graphql.String), func(d disbT) any { return d.Purpose }),
		"paymentRef":      field(nn(graphql.String), func(d disbT) any { return d.PaymentRef }),
		"evidenceHash":    field(nn(graphql.String), func(d disbT) any { return d.Evidence }, "Hex SHA-256 of the invoice."),
		"claim":           field(graphql.ID, func(d disbT) any { return schema.OptString(d.Claim) }, "The insurance claim whose patient share it pays."),
		"confirmed":       field(nn(graphql.Boolean), func(d disbT) any { return d.Confirmed }, "The payee confirmed receiving it."),
		"confirmedBy":     field(graphql.ID, func(d disbT) any { return schema.OptString(d.ConfirmedBy) }),
		"confirmedHeight": field(graphql.Int, func(d disbT) any { return nilIfZero(d.ConfirmedHeight) }),
		"confirmedAt": field(graphql.String, func(d disbT) any {
			if !d.Confirmed {
				return nil
			}
			return schema.RFC3339Nano(d.ConfirmedTime)
		}),
		"disbursedBy":   field(nn(graphql.ID), func(d disbT) any { return d.DisbursedBy }),
		"height":        field(nn(graphql.Int), func(d disbT) any { return int(d.Height) }),
		"time":          field(nn(graphql.String), func(d disbT) any { return schema.RFC3339Nano(d.Time) }, "Block time."),
		"transactionId": field(nn(graphql.ID), func(d disbT) any { return d.TxID }),
	}})
	t.disbursement.AddFieldConfig("sources", &graphql.Field{Type: schema.List(source), Description: "The gifts it drew on, earmarked first, then first in, first out (charity officers and auditors).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			d := p.Source.(disbT)
			if _, err := m.requireOversight(p.Context, d.Charity, "a disbursement's gift sources"); err != nil {
				return nil, err
			}
			return inCur(d.Sources, d.Currency), nil
		}})

	t.disbursement.AddFieldConfig("payeeName", m.payeeName(func(src any) string { return src.(disbT).Payee }))

	total := graphql.NewObject(graphql.ObjectConfig{Name: "GivingTotal", Description: "A donor's gifts in one currency.",
		Fields: graphql.Fields{
			"currency":  field(nn(graphql.String), func(t *donations.Total) any { return t.Currency }, "ISO 4217."),
			"gifts":     field(nn(graphql.Int), func(t *donations.Total) any { return t.Gifts }),
			"given":     field(nn(Amount), func(t *donations.Total) any { return amount(t.Given, t.Currency) }),
			"disbursed": field(nn(Amount), func(t *donations.Total) any { return amount(t.Disbursed, t.Currency) }),
			"inEscrow":  field(nn(Amount), func(t *donations.Total) any { return amount(t.InEscrow, t.Currency) }),
			"refunded":  field(nn(Amount), func(t *donations.Total) any { return amount(t.Refunded, t.Currency) }),
		}})
	t.givingTotals = graphql.NewObject(graphql.ObjectConfig{Name: "GivingTotals", Fields: graphql.Fields{
		"totals": field(schema.List(total), func(g *givingTotals) any { return schema.Refs(g.totals) },
			"Per currency, in currency order."),
		"truncated": field(nn(graphql.Boolean), func(g *givingTotals) any { return g.truncated },
			"Only the first gifts were counted."),
	}})

	refund := graphql.NewObject(graphql.ObjectConfig{Name: "GiftRefund", Fields: graphql.Fields{
		"amount":        field(nn(Amount), func(u refundT) any { return amount(u.v.Amount, u.cur) }),
		"reason":        field(nn(graphql.String), func(u refundT) any { return u.v.Reason }, "campaign_cancelled, milestone_rejected or milestone_missed."),
		"height":        field(nn(graphql.Int), func(u refundT) any { return int(u.v.Height) }),
		"time":          field(nn(graphql.String), func(u refundT) any { return schema.RFC3339Nano(u.v.Time) }),
		"transactionId": field(nn(graphql.ID), func(u refundT) any { return u.v.TxID }),
	}})
	linDisb := graphql.NewObject(graphql.ObjectConfig{Name: "LineageDisbursement", Description: "A disbursement and the gift's share of it.", Fields: graphql.Fields{
		"amount":       field(nn(Amount), func(d linDisbT) any { return amount(d.v.Amount, d.cur) }, "The gift's share."),
		"payee":        field(nn(graphql.ID), func(d linDisbT) any { return d.v.Disbursement.Payee }),
		"confirmed":    field(nn(graphql.Boolean), func(d linDisbT) any { return d.v.Disbursement.Confirmed }),
		"disbursement": field(nn(t.disbursement), func(d linDisbT) any { return d.v.Disbursement }),
	}})
	linDisb.AddFieldConfig("payeeName", m.payeeName(func(src any) string { return src.(linDisbT).v.Disbursement.Payee }))
	linAlloc := graphql.NewObject(graphql.ObjectConfig{Name: "LineageAllocation", Description: "Part of a gift allocated to a milestone, and where it went.", Fields: graphql.Fields{
		"milestone":     field(nn(t.milestone), func(a allocT) any { return &in[donations.Milestone]{v: &a.v.Milestone, cur: a.cur} }),
		"amount":        field(nn(Amount), func(a allocT) any { return amount(a.v.Amount, a.cur) }),
		"earmarked":     field(nn(graphql.Boolean), func(a allocT) any { return a.v.Earmarked }),
		"inEscrow":      field(nn(Amount), func(a allocT) any { return amount(a.v.Left, a.cur) }),
		"disbursements": field(schema.List(linDisb), func(a allocT) any { return inCur(a.v.Disbursements, a.cur) }),
		"refunds":       field(schema.List(refund), func(a allocT) any { return inCur(a.v.Refunds, a.cur) }),
	}})
	t.lineage = graphql.NewObject(graphql.ObjectConfig{Name: "GiftLineage", Description: "Where a gift went: campaign, milestone allocations, disbursements (payee, confirmation) and refunds (reason).", Fields: graphql.Fields{
		"gift":        field(nn(t.gift), func(l lineageT) any { return l.Gift }),
		"campaign":    field(nn(t.campaign), func(l lineageT) any { return l.Campaign }),
		"disbursed":   field(nn(Amount), func(l lineageT) any { return amount(l.Gift.Disbursed(), l.Gift.Currency) }),
		"refunded":    field(nn(Amount), func(l lineageT) any { return amount(l.Gift.Refunded(), l.Gift.Currency) }),
		"inEscrow":    field(nn(Amount), func(l lineageT) any { return amount(l.Gift.Escrow(), l.Gift.Currency) }),
		"allocations": field(schema.List(linAlloc), func(l lineageT) any { return inCur(l.Allocations, l.Gift.Currency) }),
	}})
	t.gift.AddFieldConfig("lineage", &graphql.Field{Type: nn(t.lineage), Resolve: func(p graphql.ResolveParams) (any, error) {
		l, err := m.rd.LineageOf(p.Source.(giftT))
		if err != nil {
			return nil, m.internal(p.Context, "lineage", err)
		}
		return l, nil
	}})

	t.giftConn = schema.NewConnectionType("Gift", t.gift)
	t.campaignConn = schema.NewConnectionType("Campaign", t.campaign)
	t.disbConn = schema.NewConnectionType("Disbursement", t.disbursement)
	t.campaign.AddFieldConfig("gifts", overseenList(m, t.giftConn, "income", "gifts", "cgift", m.rd.CampaignGifts))
	t.campaign.AddFieldConfig("disbursements",
		overseenList(m, t.disbConn, "disbursements", "disbursements", "disb", m.rd.CampaignDisbursements))

	row := graphql.NewObject(graphql.ObjectConfig{Name: "CharityReportRow", Fields: graphql.Fields{
		"campaignId":    field(nn(graphql.ID), func(r rowT) any { return r.Campaign }),
		"title":         field(nn(graphql.String), func(r rowT) any { return r.Title }),
		"currency":      field(nn(graphql.String), func(r rowT) any { return r.Currency }),
		"income":        field(nn(Amount), func(r rowT) any { return amount(r.Income, r.Currency) }),
		"gifts":         field(nn(graphql.Int), func(r rowT) any { return int(r.Gifts) }),
		"disbursed":     field(nn(Amount), func(r rowT) any { return amount(r.Disbursed, r.Currency) }),
		"disbursements": field(nn(graphql.Int), func(r rowT) any { return int(r.Disbursements) }),
		"refunded":      field(nn(Amount), func(r rowT) any { return amount(r.Refunded, r.Currency) }),
		"refunds":       field(nn(graphql.Int), func(r rowT) any { return int(r.Refunds) }),
		"net":           field(nn(Amount), func(r rowT) any { return schema.Amount{Minor: r.Net(), Currency: r.Currency} }, "Income minus disbursed minus refunded in the range (may be negative)."),
	}})
	entry := graphql.NewObject(graphql.ObjectConfig{Name: "CharityReportEntry", Fields: graphql.Fields{
		"kind":          field(nn(graphql.String), func(e entryT) any { return e.Kind }, "income, disbursement or refund."),
		"campaignId":    field(nn(graphql.ID), func(e entryT) any { return e.Campaign }),
		"milestone":     field(graphql.Int, func(e entryT) any { return nilIfZero(e.Milestone) }),
		"amount":        field(nn(Amount), func(e entryT) any { return amount(e.Amount, e.Currency) }),
		"currency":      field(nn(graphql.String), func(e entryT) any { return e.Currency }),
		"giftId":        field(graphql.ID, func(e entryT) any { return schema.OptString(e.Gift) }),
		"disbursement":  field(graphql.ID, func(e entryT) any { return schema.OptString(e.Disbursement) }),
		"payee":         field(graphql.ID, func(e entryT) any { return schema.OptString(e.Payee) }),
		"reason":        field(graphql.String, func(e entryT) any { return schema.OptString(e.Reason) }),
		"height":        field(nn(graphql.Int), func(e entryT) any { return int(e.Height) }),
		"time":          field(nn(graphql.String), func(e entryT) any { return schema.RFC3339Nano(e.Time) }),
		"transactionId": field(nn(graphql.ID), func(e entryT) any { return e.TxID }),
	}})
	t.report = graphql.NewObject(graphql.ObjectConfig{Name: "CharityReport", Description: "A charity's income, disbursements and refunds per campaign for block times in [from, to).", Fields: graphql.Fields{
		"charityId": field(nn(graphql.ID), func(r reportT) any { return r.Charity }),
		"from":      field(nn(graphql.String), func(r reportT) any { return schema.RFC3339Nano(r.From.UnixNano()) }),
		"to":        field(nn(graphql.String), func(r reportT) any { return schema.RFC3339Nano(r.To.UnixNano()) }),
		"campaigns": field(schema.List(row), func(r reportT) any { return r.Campaigns }),
		"entries": field(schema.List(entry), func(r reportT) any { return schema.Refs(r.Entries) },
			"Money movements in commit order, at most 5000."),
		"truncated":  field(nn(graphql.Boolean), func(r reportT) any { return r.Truncated }, "Entries were cut at the limit; the sums count them all."),
		"csv":        field(nn(graphql.String), func(r reportT) any { return r.CSV() }, "The per-campaign summary as CSV (RFC 4180, header line first, amounts in the campaign's currency with its decimals, e.g. 250.00)."),
		"entriesCsv": field(nn(graphql.String), func(r reportT) any { return r.EntriesCSV() }, "The entries as CSV."),
	}})
}

func nilIfZero(n uint64) any {
	if n == 0 {
		return nil
	}
	return int(n)
}

// payeeName is a disbursement payee's name: an organisation's name from
// the directory, or a member as "<name>, <organisation's name>" (the
// ledger holds no person's name: a member's name is the part of its id
// after the organisation). Unknown organisations show as their ids.
func (m *mod) payeeName(payee func(src any) string) *graphql.Field {
	return &graphql.Field{Type: nn(graphql.String),
		Description: "The payee by name (the organisation's; a member as its name and organisation).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			id := payee(p.Source)
			org, member := id, ""
			if i := strings.IndexByte(id, '/'); i >= 0 {
				org, member = id[:i], id[i+1:]
			}
			load := schema.LoadersFrom(p.Context).Org.Load(p.Context, org)
			return func() (any, error) {
				name := org
				o, err := load()
				if err == nil && o != nil && o.Name != "" {
					name = o.Name
				} else if err != nil && !errors.Is(err, readmodel.ErrNotFound) {
					return nil, m.internal(p.Context, "payee organisation", err)
				}
				if member != "" {
					return member + ", " + name, nil
				}
				return name, nil
			}, nil
		}}
}

// overseenList is a campaign's connection (its desc, such as its "income")
// that only those who oversee its charity read (requireOversight: what
// names it), in commit order, paging forward with cursors of kind: list
// reads a page of the campaign's.
func overseenList[T any](m *mod, conn graphql.Output, desc, what, kind string,
	list func(campaign, after string, limit int) ([]T, donations.Page, error)) *graphql.Field {
	return &graphql.Field{Type: nn(conn), Args: connArgs,
		Description: "The campaign's " + desc + ", in commit order (charity officers of the charity and auditors).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			c := p.Source.(campaignT)
			if _, err := m.requireOversight(p.Context, c.Charity, "a campaign's "+what); err != nil {
				return nil, err
			}
			return page(p.Context, m, p.Args, kind, "campaign "+what,
				func(after string, limit int) ([]T, donations.Page, error) { return list(c.ID, after, limit) })
		}}
}
