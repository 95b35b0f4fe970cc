package donationgql

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
)

func badInput(msg string) error { return schema.Errorf(schema.CodeBadUserInput, msg) }

// args reads a mutation's arguments, remembering the first bad one.
type args struct {
	m   map[string]any
	out []tx.Arg
	err error
}

func (a *args) fail(msg string) {
	if a.err == nil {
		a.err = badInput(msg)
	}
}

// str adds a required non-empty string argument.
func (a *args) str(gql, name string) string {
	s, _ := a.m[gql].(string)
	if strings.TrimSpace(s) == "" {
		a.fail(gql + " must not be empty")
	}
	a.out = append(a.out, tx.String(name, s))
	return s
}

// optStr adds a string argument when it was given.
func (a *args) optStr(gql, name string) {
	if s, ok := a.m[gql].(string); ok {
		if strings.TrimSpace(s) == "" {
			a.fail(gql + " must not be empty when given")
		}
		a.out = append(a.out, tx.String(name, s))
	}
}

func (a *args) amount(gql, name string) {
	n, ok := a.m[gql].(uint64)
	if !ok {
		a.fail(fmt.Sprintf("%s must be an amount in minor units (0 to %d)", gql, uint64(MaxAmount)))
	}
	a.out = append(a.out, tx.Uint(name, n))
}

func (a *args) milestone(gql string, required bool) {
	v, ok := a.m[gql].(int)
	if !ok {
		if required {
			a.fail(gql + " is required")
		}
		return
	}
	if v < 1 {
		a.fail(gql + " is a milestone's 1-based position")
		return
	}
	a.out = append(a.out, tx.Uint("milestone", uint64(v)))
}

func (a *args) hash(gql, name string) {
	s, _ := a.m[gql].(string)
	h, err := hex.DecodeString(s)
	if err != nil || len(h) != 32 {
		a.fail(gql + " must be a SHA-256 in hex (64 characters); keep the document itself off the ledger")
	}
	a.out = append(a.out, tx.Bytes(name, h))
}

// milestones renders the contract's "<amount> <validator> <deadline unix
// seconds> <title>" strings.
func (a *args) milestones(gql string) {
	raw, _ := a.m[gql].([]any)
	if len(raw) == 0 {
		a.fail(gql + " must list at least one milestone")
		return
	}
	ms := make([]string, 0, len(raw))
	for i, r := range raw {
		in, _ := r.(map[string]any)
		amount, okA := in["amount"].(uint64)
		validator, _ := in["validator"].(string)
		deadline, _ := in["deadline"].(string)
		title, _ := in["title"].(string)
		title = strings.Join(strings.Fields(title), " ")
		d, err := time.Parse(time.RFC3339Nano, deadline)
		switch {
		case !okA:
			a.fail(fmt.Sprintf("milestone %d: amount must be 1 to %d minor units", i+1, uint64(MaxAmount)))
		case validator == "" || strings.ContainsAny(validator, " \t\r\n"):
			a.fail(fmt.Sprintf("milestone %d: validator must be a member id", i+1))
		case err != nil:
			a.fail(fmt.Sprintf("milestone %d: deadline must be an RFC 3339 time", i+1))
		case title == "":
			a.fail(fmt.Sprintf("milestone %d: title must not be empty", i+1))
		}
		ms = append(ms, strconv.FormatUint(amount, 10)+" "+validator+" "+strconv.FormatInt(d.Unix(), 10)+" "+title)
	}
	a.out = append(a.out, tx.Strings("milestones", ms))
}

func (a *args) strings(gql, name string) {
	raw, ok := a.m[gql].([]any)
	if !ok {
		return
	}
	ss := make([]string, len(raw))
	for i, r := range raw {
		ss[i], _ = r.(string)
	}
	a.out = append(a.out, tx.Strings(name, ss))
}

func (m *mod) registerMutations(b *schema.Builder) error {
	txResult := b.Type("TxResult").(*graphql.Object)
	waitArg := &graphql.ArgumentConfig{Type: graphql.Boolean, DefaultValue: false, Description: "Wait for the commit and return the receipt."}
	campaignArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The campaign id."}
	milestoneArg := &graphql.ArgumentConfig{Type: nn(graphql.Int), Description: "The milestone's 1-based position."}
	milestoneInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "MilestoneInput", Fields: graphql.InputObjectConfigFieldMap{
		"title":     {Type: nn(graphql.String)},
		"amount":    {Type: nn(Amount), Description: "Minor units."},
		"validator": {Type: nn(graphql.ID), Description: "An active milestone_validator of another organisation than the charity."},
		"deadline":  {Type: nn(graphql.String), Description: "RFC 3339; compared with block time."},
	}})

	type spec struct {
		name, method, desc string
		args               graphql.FieldConfigArgument
		build              func(a *args)
	}
	specs := []spec{
		{"createCampaign", "create_campaign", "Create a draft campaign of the viewer's charity (charity officers).",
			graphql.FieldConfigArgument{
				"id": {Type: nn(graphql.ID), Description: "The new campaign's id."}, "title": {Type: nn(graphql.String)},
				"currency":      {Type: nn(graphql.String), Description: "ISO 4217, e.g. EUR."},
				"milestones":    {Type: nn(graphql.NewList(nn(milestoneInput)))},
				"beneficiaries": {Type: graphql.NewList(nn(graphql.String)), Description: "Who the campaign helps (organisation or member ids)."},
			},
			func(a *args) {
				a.str("id", "campaign_id")
				a.str("title", "title")
				a.str("currency", "currency")
				a.milestones("milestones")
				a.strings("beneficiaries", "beneficiaries")
			}},
		{"openCampaign", "open", "Open a draft campaign for gifts (charity officers).", graphql.FieldConfigArgument{"campaign": campaignArg},
			func(a *args) { a.str("campaign", "campaign_id") }},
		{"closeCampaign", "close", "Close a campaign whose milestones are settled and escrow empty (charity officers).", graphql.FieldConfigArgument{"campaign": campaignArg},
			func(a *args) { a.str("campaign", "campaign_id") }},
		{"cancelCampaign", "cancel", "Cancel a campaign, refunding every gift's undisbursed part (charity officers).", graphql.FieldConfigArgument{"campaign": campaignArg},
			func(a *args) { a.str("campaign", "campaign_id") }},
		{"give", "give", "Give to an open campaign (donors): earmarked to one milestone, or split across milestones in order. The gift's id is the returned transaction id.",
			graphql.FieldConfigArgument{
				"campaign": campaignArg, "amount": {Type: nn(Amount), Description: "Minor units of the campaign's currency."},
				"milestone":   {Type: graphql.Int, Description: "Earmark the gift to this milestone."},
				"beneficiary": {Type: graphql.String, Description: "One of the campaign's beneficiaries."},
			},
			func(a *args) {
				a.str("campaign", "campaign_id")
				a.amount("amount", "amount")
				a.milestone("milestone", false)
				a.optStr("beneficiary", "beneficiary")
			}},
		{"submitEvidence", "submit_evidence", "Submit a milestone's evidence for its validator (charity officers).",
			graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg, "evidenceHash": {Type: nn(graphql.String), Description: "Hex SHA-256 of the evidence."}},
			func(a *args) {
				a.str("campaign", "campaign_id")
				a.milestone("milestone", true)
				a.hash("evidenceHash", "evidence_hash")
			}},
		{"approveMilestone", "approve_milestone", "Approve a milestone's evidence, releasing its escrow (the milestone's validator).",
			graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg},
			func(a *args) { a.str("campaign", "campaign_id"); a.milestone("milestone", true) }},
		{"rejectMilestone", "reject_milestone", "Reject a milestone's evidence, refunding its escrow (the milestone's validator).",
			graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg},
			func(a *args) { a.str("campaign", "campaign_id"); a.milestone("milestone", true) }},
		{"settleMilestone", "settle_milestone", "Settle an unapproved milestone past its deadline, refunding its escrow (any member).",
			graphql.FieldConfigArgument{"campaign": campaignArg, "milestone": milestoneArg},
			func(a *args) { a.str("campaign", "campaign_id"); a.milestone("milestone", true) }},
		{"disburse", "disburse", "Pay released funds of an approved milestone to a payee, earmarked gifts first, then first in, first out (charity officers).",
			graphql.FieldConfigArgument{
				"campaign": campaignArg, "milestone": milestoneArg, "id": {Type: nn(graphql.ID), Description: "The new disbursement's id."},
				"payee":        {Type: nn(graphql.ID), Description: "An organisation or member id."},
				"amount":       {Type: nn(Amount), Description: "Minor units."},
				"purpose":      {Type: nn(graphql.String)},
				"paymentRef":   {Type: nn(graphql.String), Description: "The bank transfer's reference."},
				"evidenceHash": {Type: nn(graphql.String), Description: "Hex SHA-256 of the invoice."},
				"claim":        {Type: graphql.ID, Description: "The insurance claim whose patient share this pays."},
			},
			func(a *args) {
				a.str("campaign", "campaign_id")
				a.milestone("milestone", true)
				a.str("id", "disbursement_id")
				a.str("payee", "payee")
				a.amount("amount", "amount")
				a.str("purpose", "purpose")
				a.str("paymentRef", "payment_ref")
				a.hash("evidenceHash", "evidence_hash")
				a.optStr("claim", "claim")
			}},
		{"confirmReceipt", "confirm_receipt", "Confirm receiving a disbursement (the payee member, or a records clerk of the payee organisation).",
			graphql.FieldConfigArgument{"disbursement": {Type: nn(graphql.ID), Description: "The disbursement id."}},
			func(a *args) { a.str("disbursement", "disbursement_id") }},
	}
	for _, s := range specs {
		s.args["wait"] = waitArg
		err := b.Mutation(s.name, &graphql.Field{Type: nn(txResult), Description: "donation." + s.method + ": " + s.desc, Args: s.args,
			Resolve: func(p graphql.ResolveParams) (any, error) {
				a := &args{m: p.Args}
				s.build(a)
				if a.err != nil {
					return nil, a.err
				}
				wait, _ := p.Args["wait"].(bool)
				return b.Submit(p.Context, donations.Contract, s.method, a.out, wait)
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
