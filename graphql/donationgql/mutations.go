package donationgql

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
)

// args reads a mutation's arguments (schema.ArgReader) plus this module's
// shapes; currency is the campaign's (amounts as people write them are in
// it).
type args struct {
	schema.ArgReader
	currency string
}

func (a *args) amount(gql, name string) {
	n, err := schema.Minor(a.In[gql], a.currency, MaxAmount)
	if err != nil {
		a.Fail(fmt.Sprintf("%s: %v", gql, err))
	}
	a.Out = append(a.Out, tx.Uint(name, n))
}

func (a *args) milestone(gql string, required bool) {
	v, ok := a.In[gql].(int)
	if !ok {
		if required {
			a.Fail(gql + " is required")
		}
		return
	}
	if v < 1 {
		a.Fail(gql + " is a milestone's 1-based position")
		return
	}
	a.Out = append(a.Out, tx.Uint(donationvocab.ArgMilestone, uint64(v)))
}

// milestones renders the contract's "<amount> <validator> <deadline unix
// seconds> <title>" strings.
func (a *args) milestones(gql string) {
	a.Objects(gql, donationvocab.ArgMilestones, "list at least one milestone", func(i int, in map[string]any) string {
		amount, aerr := schema.Minor(in["amount"], a.currency, MaxAmount)
		validator, _ := in["validator"].(string)
		deadline, _ := in["deadline"].(string)
		title, _ := in["title"].(string)
		title = strings.Join(strings.Fields(title), " ")
		d, err := time.Parse(time.RFC3339Nano, deadline)
		switch {
		case aerr != nil || amount == 0:
			a.Fail(fmt.Sprintf("milestone %d: an amount above zero, %s", i+1, orText(aerr, "such as 2500.00")))
		case validator == "" || strings.ContainsAny(validator, " \t\r\n"):
			a.Fail(fmt.Sprintf("milestone %d: validator must be a member id", i+1))
		case err != nil:
			a.Fail(fmt.Sprintf("milestone %d: deadline must be an RFC 3339 time", i+1))
		case title == "":
			a.Fail(fmt.Sprintf("milestone %d: title must not be empty", i+1))
		}
		return strconv.FormatUint(amount, 10) + " " + validator + " " + strconv.FormatInt(d.Unix(), 10) + " " + title
	})
}

func (m *mod) registerMutations(b *schema.Builder) error {
	campaignArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The campaign id."}
	milestoneArg := &graphql.ArgumentConfig{Type: nn(graphql.Int), Description: "The milestone's 1-based position."}
	// The arguments of the mutations that name only a campaign, or only one
	// of its milestones, and how each reads them.
	campaignOnly := graphql.FieldConfigArgument{"campaign": campaignArg}
	onCampaign := func(a *args) { a.Str("campaign", donationvocab.ArgCampaignID) }
	milestoneOnly := graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg}
	onMilestone := func(a *args) { onCampaign(a); a.milestone("milestone", true) }
	milestoneInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "MilestoneInput", Fields: graphql.InputObjectConfigFieldMap{
		"title":     {Type: nn(graphql.String)},
		"amount":    {Type: nn(Amount), Description: "In the campaign's currency: \"2500.00\" (or a number of minor units)."},
		"validator": {Type: nn(graphql.ID), Description: "An active milestone_validator of another organisation than the charity."},
		"deadline":  {Type: nn(graphql.String), Description: "RFC 3339; compared with block time."},
	}})

	type spec struct {
		name, method, desc string
		args               graphql.FieldConfigArgument
		build              func(a *args)
		obj, act           string // what the contract asks the policy
	}
	specs := []spec{
		{"createCampaign", donationvocab.MethodCreateCampaign,
			"Create a draft campaign of the viewer's charity (charity officers).",
			graphql.FieldConfigArgument{
				"id": {Type: nn(graphql.ID), Description: "The new campaign's id."}, "title": {Type: nn(graphql.String)},
				"currency":      {Type: nn(graphql.String), Description: "ISO 4217, e.g. EUR."},
				"milestones":    {Type: nn(graphql.NewList(nn(milestoneInput)))},
				"beneficiaries": {Type: graphql.NewList(nn(graphql.String)), Description: "Who the campaign helps (organisation or member ids)."},
			},
			func(a *args) {
				a.Str("id", donationvocab.ArgCampaignID)
				a.Str("title", donationvocab.ArgTitle)
				a.Str("currency", donationvocab.ArgCurrency)
				a.milestones("milestones")
				a.Strings("beneficiaries", donationvocab.ArgBeneficiaries)
			}, "campaign", "create"},
		{"openCampaign", donationvocab.MethodOpen, "Open a draft campaign for gifts (charity officers).",
			campaignOnly, onCampaign, "campaign", "open"},
		{"closeCampaign", donationvocab.MethodClose,
			"Close a campaign whose milestones are settled and escrow empty (charity officers).",
			campaignOnly, onCampaign, "campaign", "close"},
		{"cancelCampaign", donationvocab.MethodCancel,
			"Cancel a campaign, refunding every gift's undisbursed part (charity officers).",
			campaignOnly, onCampaign, "campaign", "cancel"},
		{"give", donationvocab.MethodGive,
			"Give to an open campaign (donors): earmarked to one milestone, or split across milestones in order. The gift's id is the returned transaction id.",
			graphql.FieldConfigArgument{
				"campaign": campaignArg, "amount": {Type: nn(Amount), Description: "In the campaign's currency: \"25.00\" (or a number of minor units)."},
				"milestone":   {Type: graphql.Int, Description: "Earmark the gift to this milestone."},
				"beneficiary": {Type: graphql.String, Description: "One of the campaign's beneficiaries."},
			},
			func(a *args) {
				onCampaign(a)
				a.amount("amount", donationvocab.ArgAmount)
				a.milestone("milestone", false)
				a.OptStr("beneficiary", donationvocab.ArgBeneficiary)
			}, "gift", "give"},
		{"submitEvidence", donationvocab.MethodSubmitEvidence,
			"Submit a milestone's evidence for its validator (charity officers).",
			graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg, "evidenceHash": {Type: nn(graphql.String), Description: "Hex SHA-256 of the evidence."}},
			func(a *args) {
				onMilestone(a)
				a.Hash("evidenceHash", donationvocab.ArgEvidenceHash, true)
			}, "milestone", "submit_evidence"},
		{"approveMilestone", donationvocab.MethodApproveMilestone,
			"Approve a milestone's evidence, releasing its escrow (the milestone's validator).",
			milestoneOnly, onMilestone, "milestone", "approve"},
		{"rejectMilestone", donationvocab.MethodRejectMilestone,
			"Reject a milestone's evidence, refunding its escrow (the milestone's validator).",
			milestoneOnly, onMilestone, "milestone", "reject"},
		{"settleMilestone", donationvocab.MethodSettleMilestone,
			"Settle an unapproved milestone past its deadline, refunding its escrow (any member).",
			milestoneOnly, onMilestone, "milestone", "settle"},
		{"disburse", donationvocab.MethodDisburse,
			"Pay released funds of an approved milestone to a payee, earmarked gifts first, then first in, first out (charity officers).",
			graphql.FieldConfigArgument{
				"campaign": campaignArg, "milestone": milestoneArg, "id": {Type: nn(graphql.ID), Description: "The new disbursement's id."},
				"payee":        {Type: nn(graphql.ID), Description: "An organisation or member id."},
				"amount":       {Type: nn(Amount), Description: "In the campaign's currency: \"1200.00\" (or a number of minor units)."},
				"purpose":      {Type: nn(graphql.String)},
				"paymentRef":   {Type: nn(graphql.String), Description: "The bank transfer's reference."},
				"evidenceHash": {Type: nn(graphql.String), Description: "Hex SHA-256 of the invoice."},
				"claim":        {Type: graphql.ID, Description: "The insurance claim whose patient share this pays."},
			},
			func(a *args) {
				onMilestone(a)
				a.Str("id", donationvocab.ArgDisbursementID)
				a.Str("payee", donationvocab.ArgPayee)
				a.amount("amount", donationvocab.ArgAmount)
				a.Str("purpose", donationvocab.ArgPurpose)
				a.Str("paymentRef", donationvocab.ArgPaymentRef)
				a.Hash("evidenceHash", donationvocab.ArgEvidenceHash, true)
				a.OptStr("claim", donationvocab.ArgClaim)
			}, "disbursement", "create"},
		{"confirmReceipt", donationvocab.MethodConfirmReceipt,
			"Confirm receiving a disbursement (the payee member, or a records clerk of the payee organisation).",
			graphql.FieldConfigArgument{"disbursement": {Type: nn(graphql.ID), Description: "The disbursement id."}},
			func(a *args) { a.Str("disbursement", donationvocab.ArgDisbursementID) }, "disbursement", "confirm"},
	}
	for _, s := range specs {
		err := b.TxMutation(schema.TxMutation{Name: s.name, Object: s.obj, Action: s.act, Description: "donation." + s.method + ": " + s.desc,
			Args: s.args,
			Plan: func(ctx context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
				a := &args{ArgReader: schema.ArgReader{In: in}, currency: m.currency(in)}
				s.build(a)
				if a.Err != nil {
					return nil, a.Err
				}
				plan := &schema.TxPlan{Call: schema.Call{Contract: donationvocab.Contract, Method: s.method,
					Args: a.Out}}
				if owner, org, known := m.resourceOf(v, s.method, in); known {
					plan.On = []schema.Resource{{Owner: owner, Org: org}}
				} else {
					plan.LeftToLedger = "the read model does not hold the campaign, milestone or disbursement yet"
				}
				return plan, nil
			}})
		if err != nil {
			return err
		}
	}
	return nil
}

// currency is the currency a donation mutation's amounts are in: the one
// it names (createCampaign), or its campaign's ("" when unknown: the
// contract refuses the campaign anyway).
func (m *mod) currency(in map[string]any) string {
	if c, _ := in["currency"].(string); c != "" {
		return c
	}
	id, _ := in["campaign"].(string)
	if c, err := m.rd.Campaign(id); err == nil {
		return c.Currency
	}
	return ""
}

func orText(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}

// resourceOf is what the donation contract's authorisation question for
// method is about (see its Authorize calls: the owner and the holding
// organisation), from the read model; known is false when the read model
// does not hold it yet (a campaign just created): the ledger decides.
func (m *mod) resourceOf(viewer, method string, in map[string]any) (owner, org string, known bool) {
	switch method {
	case "create_campaign":
		return "", schema.OrgOf(viewer), true
	case "confirm_receipt":
		id, _ := in["disbursement"].(string)
		d, err := m.rd.Disbursement(id)
		if err != nil || d.Campaign == "" {
			return "", "", false
		}
		if strings.Contains(d.Payee, "/") {
			return d.Payee, "", true
		}
		return "", d.Payee, true
	}
	id, _ := in["campaign"].(string)
	c, err := m.rd.Campaign(id)
	if err != nil {
		return "", "", false
	}
	switch method {
	case "open", "close", "cancel", "disburse":
		return "", c.Charity, true
	case "give":
		return viewer, c.Charity, true
	case "submit_evidence", "approve_milestone", "reject_milestone", "settle_milestone":
		seq, _ := in["milestone"].(int)
		if seq < 1 || seq > len(c.Milestones) {
			return "", "", false
		}
		return c.Milestones[seq-1].Validator, c.Charity, true
	}
	return "", "", false
}
