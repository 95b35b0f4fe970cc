package claimgql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/donationgql"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
)

// args reads a mutation's arguments (schema.ArgReader) plus this module's
// shapes; currency and items are the claim's as the read model holds it
// (amounts as people write them are in its currency; an item's claimed
// amount never changes once filed).
type args struct {
	schema.ArgReader
	currency string
	items    []claims.Item
}

// claimed is item seq's claimed amount, when the read model holds the
// claim (the ledger decides the rest).
func (a *args) claimed(seq int) (uint64, bool) {
	if seq < 1 || seq > len(a.items) || a.items[seq-1].Seq != uint64(seq) {
		return 0, false
	}
	return a.items[seq-1].Amount, true
}

// adjudication renders "SEQ:APPROVED[:REASON]"; an item approved for more
// than was claimed, or reduced without a reason, is refused in money.
func (a *args) adjudication(gql string) {
	a.Objects(gql, claimvocab.ArgAdjudication, "decide every item", func(i int, in map[string]any) string {
		seq, okS := in["seq"].(int)
		approved, aerr := schema.Minor(in["approved"], a.currency, donationgql.MaxAmount)
		reason, _ := in["reason"].(string)
		switch {
		case aerr != nil:
			a.Fail(fmt.Sprintf("adjudication %d: approved: %v", i+1, aerr))
		case !okS || seq < 1 || strings.Contains(reason, ":"):
			a.Fail(fmt.Sprintf("adjudication %d needs an item seq (1-based) and an approved amount", i+1))
		}
		if claimed, ok := a.claimed(seq); ok && aerr == nil {
			switch {
			case approved > claimed:
				a.Fail(fmt.Sprintf("item %d: approved %s exceeds the %s claimed", seq, schema.Money(approved, a.currency),
					schema.Money(claimed, a.currency)))
			case approved < claimed && reason == "":
				a.Fail(fmt.Sprintf("item %d is approved for %s of %s: give a reason code for the reduction", seq,
					schema.Money(approved, a.currency), schema.Money(claimed, a.currency)))
			}
		}
		out := strconv.Itoa(seq) + ":" + strconv.FormatUint(approved, 10)
		if reason != "" {
			out += ":" + reason
		}
		return out
	})
}

// onClaim plans the claim call of method on claim id for its insurer
// (asInsurer) or its provider: the policy is asked about the claim as the
// read model holds it (a claim it does not hold yet is left to the
// ledger); an adjudication of a claim in review whose document nobody at
// the insurer has read is refused before signing.
func (m *mod) onClaim(ctx context.Context, method, id string, asInsurer bool, out []tx.Arg) (*schema.TxPlan, error) {
	plan := &schema.TxPlan{Call: schema.Call{Contract: claimvocab.Name, Method: method, Args: out}}
	c, err := schema.Found(ctx, m.log, "claims: claim", m.rd.Claim, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		plan.LeftToLedger = "the read model does not hold the claim yet"
		return plan, nil
	}
	org, who := c.Provider, "the provider's staff"
	if asInsurer {
		org, who = c.Insurer, "the insurer's adjusters"
	}
	plan.On = []schema.Resource{{Owner: c.Patient, Org: org}}
	plan.Refused = "only " + who + " may " + method + " this claim"
	if method == "adjudicate" && c.Status == claimvocab.StatusInReview {
		plan.Stage = func(ctx context.Context, _ *schema.Call) (any, error) { return nil, m.documentRead(ctx, c) }
	}
	return plan, nil
}

// documentRead refuses with CONFLICT, before signing, the adjudication of
// claim c that the ledger refuses anyway: nobody at the insurer has read
// its document (claim.ErrDocumentNotRead).
func (m *mod) documentRead(ctx context.Context, c *claims.Claim) error {
	read, err := m.rd.DocumentRead(c)
	if err != nil {
		return m.internal(ctx, "document read", err)
	}
	if read == "" {
		return schema.Errorf(schema.CodeConflict, fmt.Sprintf("open the claim's document first (openClaimDocument): nobody at %s has read "+
			"the itemised claim of %q, and the ledger refuses an adjudication until someone has", c.Insurer, c.ID))
	}
	return nil
}

func (m *mod) registerMutations(b *schema.Builder) error {
	claimArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The claim id."}
	adjInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "AdjudicationInput", Fields: graphql.InputObjectConfigFieldMap{
		"seq":      {Type: nn(graphql.Int), Description: "The item's 1-based position."},
		"approved": {Type: nn(Amount), Description: "In the claim's currency: \"120.50\" (or a number of minor units); 0 denies the item."},
		"reason":   {Type: graphql.String, Description: "Reason code, required when approved is less than claimed."},
	}})

	type spec struct {
		name, method, desc string
		args               graphql.FieldConfigArgument
		build              func(a *args)
		asInsurer          bool
	}
	specs := []spec{
		{"reviewClaim", claimvocab.MethodReview,
			"Take a submitted or appealed claim into review (the insurer's adjusters).",
			graphql.FieldConfigArgument{"claim": claimArg},
			func(a *args) { a.Str("claim", claimvocab.ArgClaimID) }, true},
		{"adjudicateClaim", claimvocab.MethodAdjudicate,
			"Decide every item of a claim in review (the insurer's adjusters), once someone at the insurer has read " +
				"its itemised document (openClaimDocument; Claim.documentAccess): until then, CONFLICT.",
			graphql.FieldConfigArgument{"claim": claimArg, "adjudication": {Type: nn(graphql.NewList(nn(adjInput)))},
				"denialReason": {Type: graphql.String, Description: "Reason code when nothing is approved."}},
			func(a *args) {
				a.Str("claim", claimvocab.ArgClaimID)
				a.adjudication("adjudication")
				a.OptStr("denialReason", claimvocab.ArgDenialReason)
			}, true},
		{"payClaim", claimvocab.MethodPay, "Record the payment of the approved total (the insurer's adjusters).",
			graphql.FieldConfigArgument{"claim": claimArg, "paymentRef": {Type: nn(graphql.String)}, "amount": {Type: nn(Amount), Description: "The approved total, in the claim's currency: \"250.00\" (or a number of minor units)."}},
			func(a *args) {
				a.Str("claim", claimvocab.ArgClaimID)
				a.Str("paymentRef", claimvocab.ArgPaymentRef)
				n, err := schema.Minor(a.In["amount"], a.currency, donationgql.MaxAmount)
				if err != nil {
					a.Fail("amount: " + err.Error())
				}
				a.Out = append(a.Out, tx.Uint(claimvocab.ArgAmount, n))
			}, true},
		{"appealClaim", claimvocab.MethodAppeal,
			"Appeal a denied or partially approved adjudication (the provider's records clerks).",
			graphql.FieldConfigArgument{"claim": claimArg, "reason": {Type: nn(graphql.String), Description: "Appeal reason code."}},
			func(a *args) { a.Str("claim", claimvocab.ArgClaimID); a.Str("reason", claimvocab.ArgReason) }, false},
		{"cancelClaim", claimvocab.MethodCancel, "Withdraw a claim before adjudication (the provider's records clerks).",
			graphql.FieldConfigArgument{"claim": claimArg},
			func(a *args) { a.Str("claim", claimvocab.ArgClaimID) }, false},
	}
	if err := m.registerDocumentMutations(b); err != nil {
		return err
	}
	for _, s := range specs {
		err := b.TxMutation(schema.TxMutation{Name: s.name, Object: "claim", Action: s.method, Description: "claim." + s.method + ": " + s.desc,
			Args: s.args,
			Plan: func(ctx context.Context, _ string, in map[string]any) (*schema.TxPlan, error) {
				a := &args{ArgReader: schema.ArgReader{In: in}}
				id, _ := in["claim"].(string)
				if id != "" {
					if c, err := m.rd.Claim(id); err == nil {
						a.currency, a.items = c.Currency, c.Items
					}
				}
				s.build(a)
				if a.Err != nil {
					return nil, a.Err
				}
				return m.onClaim(ctx, s.method, id, s.asInsurer, a.Out)
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
