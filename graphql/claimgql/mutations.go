package claimgql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/donationgql"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/readmodel"
)

// args reads a mutation's arguments (schema.ArgReader) plus this module's shapes.
// args reads a mutation's arguments; currency is the claim's (amounts as
// people write them are in it).
type args struct {
	schema.ArgReader
	currency string
}

// adjudication renders "SEQ:APPROVED[:REASON]".
func (a *args) adjudication(gql string) {
	raw, _ := a.In[gql].([]any)
	if len(raw) == 0 {
		a.Fail(gql + " must decide every item")
		return
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		in, _ := r.(map[string]any)
		seq, okS := in["seq"].(int)
		approved, aerr := schema.Minor(in["approved"], a.currency, donationgql.MaxAmount)
		reason, _ := in["reason"].(string)
		switch {
		case aerr != nil:
			a.Fail(fmt.Sprintf("adjudication %d: approved: %v", i+1, aerr))
		case !okS || seq < 1 || strings.Contains(reason, ":"):
			a.Fail(fmt.Sprintf("adjudication %d needs an item seq (1-based) and an approved amount", i+1))
		}
		out[i] = strconv.Itoa(seq) + ":" + strconv.FormatUint(approved, 10)
		if reason != "" {
			out[i] += ":" + reason
		}
	}
	a.Out = append(a.Out, tx.Strings("adjudication", out))
}

// check refuses with FORBIDDEN what the policy will refuse anyway: act on
// claim id for its insurer (asInsurer) or its provider. A claim the read
// model does not hold yet is left to the ledger.
func (m *mod) check(ctx context.Context, id, act string, asInsurer bool) error {
	v, err := schema.Account(ctx)
	if err != nil {
		return err
	}
	c, err := m.rd.Claim(id)
	if errors.Is(err, readmodel.ErrNotFound) {
		return nil
	}
	if err != nil {
		return m.internal(ctx, "claim", err)
	}
	org, who := c.Provider, "the provider's staff"
	if asInsurer {
		org, who = c.Insurer, "the insurer's adjusters"
	}
	ok, err := m.allowed(ctx, v, act, c.Patient, org)
	if err != nil {
		return err
	}
	if !ok {
		return schema.Forbidden("only " + who + " may " + act + " this claim")
	}
	if act == "adjudicate" && c.Status == claims.StatusInReview {
		return m.documentRead(ctx, c)
	}
	return nil
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
	txResult := b.Type("TxResult").(*graphql.Object)
	waitArg := &graphql.ArgumentConfig{Type: graphql.Boolean, DefaultValue: false, Description: "Wait for the commit and return the receipt."}
	claimArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The claim id."}
	adjInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "AdjudicationInput", Fields: graphql.InputObjectConfigFieldMap{
		"seq":      {Type: nn(graphql.Int), Description: "The item's 1-based position."},
		"approved": {Type: nn(Amount)},
		"reason":   {Type: graphql.String, Description: "Reason code, required when approved is less than claimed."},
	}})

	type spec struct {
		name, method, desc string
		args               graphql.FieldConfigArgument
		build              func(a *args)
		check              func(ctx context.Context, a map[string]any) error
	}
	onClaim := func(act string, asInsurer bool) func(ctx context.Context, a map[string]any) error {
		return func(ctx context.Context, a map[string]any) error {
			return m.check(ctx, a["claim"].(string), act, asInsurer)
		}
	}
	specs := []spec{
		{"reviewClaim", "review", "Take a submitted or appealed claim into review (the insurer's adjusters).",
			graphql.FieldConfigArgument{"claim": claimArg},
			func(a *args) { a.Str("claim", "claim_id") }, onClaim("review", true)},
		{"adjudicateClaim", "adjudicate", "Decide every item of a claim in review (the insurer's adjusters), once someone at the insurer has read " +
			"its itemised document (openClaimDocument; Claim.documentAccess): until then, CONFLICT.",
			graphql.FieldConfigArgument{"claim": claimArg, "adjudication": {Type: nn(graphql.NewList(nn(adjInput)))},
				"denialReason": {Type: graphql.String, Description: "Reason code when nothing is approved."}},
			func(a *args) {
				a.Str("claim", "claim_id")
				a.adjudication("adjudication")
				a.OptStr("denialReason", "denial_reason")
			}, onClaim("adjudicate", true)},
		{"payClaim", "pay", "Record the payment of the approved total (the insurer's adjusters).",
			graphql.FieldConfigArgument{"claim": claimArg, "paymentRef": {Type: nn(graphql.String)}, "amount": {Type: nn(Amount), Description: "The approved total."}},
			func(a *args) {
				a.Str("claim", "claim_id")
				a.Str("paymentRef", "payment_ref")
				n, err := schema.Minor(a.In["amount"], a.currency, donationgql.MaxAmount)
				if err != nil {
					a.Fail("amount: " + err.Error())
				}
				a.Out = append(a.Out, tx.Uint("amount", n))
			}, onClaim("pay", true)},
		{"appealClaim", "appeal", "Appeal a denied or partially approved adjudication (the provider's records clerks).",
			graphql.FieldConfigArgument{"claim": claimArg, "reason": {Type: nn(graphql.String), Description: "Appeal reason code."}},
			func(a *args) { a.Str("claim", "claim_id"); a.Str("reason", "reason") }, onClaim("appeal", false)},
		{"cancelClaim", "cancel", "Withdraw a claim before adjudication (the provider's records clerks).",
			graphql.FieldConfigArgument{"claim": claimArg},
			func(a *args) { a.Str("claim", "claim_id") }, onClaim("cancel", false)},
	}
	if err := m.registerDocumentMutations(b, txResult, waitArg); err != nil {
		return err
	}
	for _, s := range specs {
		s.args["wait"] = waitArg
		err := b.Mutation(s.name, &graphql.Field{Type: nn(txResult), Description: "claim." + s.method + ": " + s.desc, Args: s.args,
			Resolve: func(p graphql.ResolveParams) (any, error) {
				a := &args{ArgReader: schema.ArgReader{In: p.Args}}
				if id, _ := p.Args["claim"].(string); id != "" {
					if c, err := m.rd.Claim(id); err == nil {
						a.currency = c.Currency
					}
				}
				s.build(a)
				if a.Err != nil {
					return nil, a.Err
				}
				if err := s.check(p.Context, p.Args); err != nil {
					return nil, err
				}
				wait, _ := p.Args["wait"].(bool)
				return b.Submit(p.Context, claims.Contract, s.method, a.Out, wait)
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
