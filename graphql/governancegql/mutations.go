package governancegql

import (
	"context"
	"fmt"
	"strings"

	"github.com/graphql-go/graphql"

	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/policies"
)

// maxValidFor is the longest a proposal may stay open (the contract's
// bound: 90 days), in seconds.
const maxValidFor = 90 * 24 * 60 * 60

// args reads a mutation's arguments (schema.ArgReader) plus this module's
// shapes.
type args struct{ schema.ArgReader }

// token reads a required string that the contract joins with spaces.
func (a *args) token(in map[string]any, gql string) string {
	s, _ := in[gql].(string)
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		a.Fail(gql + " must be given, without spaces")
	}
	return s
}

// admins renders "<member id> <sign key> <enc key>" per admin.
func (a *args) admins(gql string) {
	a.Objects(gql, govvocab.ArgAdmins, "name at least one admin of the new organisation",
		func(_ int, in map[string]any) string {
			return a.token(in, "member") + " " + a.token(in, "signKey") + " " + a.token(in, "encKey")
		})
}

// node adds a node's arguments, names prefixed with prefix; org is the
// default organisation.
func (a *args) node(in map[string]any, prefix, org string) {
	if o, ok := in["organisation"].(string); ok {
		org = o
	}
	raft, _ := in["raftId"].(int)
	if raft <= 0 {
		a.Fail("raftId must be positive")
	}
	if org == "" {
		a.Fail("the node's organisation must be given")
	}
	a.Out = append(a.Out, tx.String(prefix+consortium.ArgNodeID, a.token(in, "id")),
		tx.String(prefix+consortium.ArgOrg, org), tx.Uint(prefix+consortium.ArgRaftID, uint64(raft)),
		tx.String(prefix+consortium.ArgSignKey, a.token(in, "signKey")),
		tx.String(prefix+consortium.ArgEncKey, a.token(in, "encKey")),
		tx.String(prefix+consortium.ArgRaftAddr, a.token(in, "raftAddr")),
		tx.String(prefix+consortium.ArgAPIAddr, a.token(in, "apiAddr")))
}

// rules adds policy rules in their canonical form, each checked against
// the policy model; it returns how many.
func (a *args) rules(gql, name string) int {
	raw, ok := a.In[gql].([]any)
	if !ok {
		return 0
	}
	out := make([]string, len(raw))
	for i, x := range raw {
		s, _ := x.(string)
		r, err := policies.ParseRule(s)
		if err != nil {
			a.Fail(fmt.Sprintf("%s[%d]: %s", gql, i, strings.TrimPrefix(err.Error(), "policies: ")))
			return 0
		}
		out[i] = r.String()
	}
	a.Out = append(a.Out, tx.Strings(name, out))
	return len(out)
}

// validFor adds the proposal's validity when given.
func (a *args) validFor() {
	s, ok := a.In["validForSeconds"].(int)
	if !ok {
		return
	}
	if s < 1 || s > maxValidFor {
		a.Fail(fmt.Sprintf("validForSeconds must be 1 to %d (90 days)", maxValidFor))
		return
	}
	a.Out = append(a.Out, tx.Uint(govvocab.ArgValidFor, uint64(s)))
}

// withdrawing plans the withdrawal of proposal id: the proposer
// (consortium or organisation admin) withdraws their own. A proposal the
// read model does not hold yet is left to the ledger.
func (m *mod) withdrawing(ctx context.Context, id string, plan *schema.TxPlan) error {
	p, err := schema.Found(ctx, m.log, "governance: proposal", m.rd.Proposal, id)
	switch {
	case err != nil:
		return err
	case p == nil:
		plan.LeftToLedger = "the read model does not hold the proposal yet"
		return nil
	}
	plan.On, plan.Refused = []schema.Resource{{Owner: p.Proposer}}, "only the proposer may withdraw a proposal"
	return nil
}

func (m *mod) registerMutations(b *schema.Builder) error {
	validArg := &graphql.ArgumentConfig{Type: graphql.Int, Description: "How long the proposal stays open, in seconds (default 7 days, at most 90 days)."}
	proposalArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The proposal id."}
	proposeRefused := "only organisation admins and consortium admins may propose governance changes"

	type spec struct {
		name, method, kind, desc string
		args                     graphql.FieldConfigArgument
		build                    func(a *args, viewer string)
		refused                  string // FORBIDDEN when the policy says no ("": withdraw's own)
	}
	vote := func(act string) string {
		return "only organisation admins may " + act + " proposals, for their organisation"
	}
	specs := []spec{
		{"proposeAddOrganisation", govvocab.MethodPropose, govvocab.KindAddOrg,
			"Onboard an organisation with its admins and, optionally, its node. Each admin becomes an org_admin of it.",
			graphql.FieldConfigArgument{
				"id":          {Type: nn(graphql.ID), Description: "The new organisation's id (never used before)."},
				"kind":        {Type: nn(m.orgKind)},
				"name":        {Type: nn(graphql.String)},
				"admins":      {Type: nn(graphql.NewList(nn(m.adminIn)))},
				"node":        {Type: m.nodeIn, Description: "The organisation's node, added with it."},
				"claimsKeyId": {Type: graphql.String, Description: "A hospital's claims fingerprint key id (32 hex digits; claimdoc.Key.ID): the hospital keeps the key, the ledger its id, so that it can file claims."},
			},
			func(a *args, _ string) {
				org := a.Str("id", govvocab.ArgOrgID)
				a.Str("kind", govvocab.ArgOrgKind)
				a.Str("name", govvocab.ArgOrgName)
				a.admins("admins")
				a.OptStr("claimsKeyId", govvocab.ArgClaimsKeyID)
				if n, ok := a.In["node"].(map[string]any); ok {
					a.node(n, govvocab.ArgNodePrefix, org)
				}
			}, proposeRefused},
		{"proposeRemoveOrganisation", govvocab.MethodPropose, govvocab.KindRemoveOrg,
			"Remove an organisation: its members can no longer sign, its nodes leave, its id is never reused.",
			graphql.FieldConfigArgument{"organisation": {Type: nn(graphql.ID)}},
			func(a *args, _ string) { a.Str("organisation", govvocab.ArgOrgID) }, proposeRefused},
		{"proposeAddNode", govvocab.MethodPropose, govvocab.KindAddNode, "Add a consortium node.",
			graphql.FieldConfigArgument{"node": {Type: nn(m.nodeIn)}},
			func(a *args, viewer string) {
				n, _ := a.In["node"].(map[string]any)
				a.node(n, "", schema.OrgOf(viewer))
			}, proposeRefused},
		{"proposeRemoveNode", govvocab.MethodPropose, govvocab.KindRemoveNode, "Remove a consortium node.",
			graphql.FieldConfigArgument{"node": {Type: nn(graphql.ID)}},
			func(a *args, _ string) { a.Str("node", govvocab.ArgNodeID) }, proposeRefused},
		{"proposePolicyChange", govvocab.MethodPropose, govvocab.KindChangePolicy,
			"Add and/or remove policy rules (\"sub,dom,obj,act,cond,eft\", or the six values separated by spaces; the policy query's rules.line).",
			graphql.FieldConfigArgument{
				"addRules":    {Type: graphql.NewList(nn(graphql.String))},
				"removeRules": {Type: graphql.NewList(nn(graphql.String))},
			},
			func(a *args, _ string) {
				if n := a.rules("addRules", govvocab.ArgAddRules) + a.rules("removeRules",
					govvocab.ArgRemoveRules); n == 0 && a.Err == nil {
					a.Fail("give at least one rule in addRules or removeRules")
				}
			}, proposeRefused},
		{"proposeThreshold", govvocab.MethodPropose, govvocab.KindSetThreshold,
			"Change the threshold: proposals then need approvals from strictly more than percent% of the organisations.",
			graphql.FieldConfigArgument{"percent": {Type: nn(graphql.Int), Description: "1 to 99 (50: a majority)."}},
			func(a *args, _ string) {
				pct, _ := a.In["percent"].(int)
				if pct < 1 || pct > 99 {
					a.Fail("percent must be 1 to 99")
				}
				a.Out = append(a.Out, tx.Uint(govvocab.ArgPercent, uint64(max(pct, 0))))
			}, proposeRefused},
		{"approveProposal", govvocab.MethodApprove, "",
			"Approve an open proposal for the viewer's organisation (organisation admins); the deciding approval executes it.",
			graphql.FieldConfigArgument{"proposal": proposalArg},
			func(a *args, _ string) { a.Str("proposal", govvocab.ArgProposal) }, vote("approve")},
		{"rejectProposal", govvocab.MethodReject, "",
			"Reject an open proposal for the viewer's organisation (organisation admins).",
			graphql.FieldConfigArgument{"proposal": proposalArg},
			func(a *args, _ string) { a.Str("proposal", govvocab.ArgProposal) }, vote("reject")},
		{"withdrawProposal", govvocab.MethodWithdraw, "", "Withdraw an open proposal (its proposer).",
			graphql.FieldConfigArgument{"proposal": proposalArg},
			func(a *args, _ string) { a.Str("proposal", govvocab.ArgProposal) }, ""},
	}
	for _, s := range specs {
		fargs := s.args
		if s.kind != "" {
			fargs["validForSeconds"] = validArg
		}
		err := b.TxMutation(schema.TxMutation{Name: s.name, Object: objProposal, Action: s.method,
			Description: "governance." + s.method + ": " + s.desc, Args: fargs,
			Plan: func(ctx context.Context, viewer string, in map[string]any) (*schema.TxPlan, error) {
				a := &args{schema.ArgReader{In: in}}
				if s.kind != "" {
					a.Out = append(a.Out, tx.String(govvocab.ArgKind, s.kind))
					a.validFor()
				}
				s.build(a, viewer)
				if a.Err != nil {
					return nil, a.Err
				}
				plan := &schema.TxPlan{Call: schema.Call{Contract: govvocab.Name, Method: s.method, Args: a.Out}}
				if s.method == "withdraw" {
					return plan, m.withdrawing(ctx, in["proposal"].(string), plan)
				}
				// Proposals and votes are the consortium's: no owner, no
				// holding organisation.
				plan.On, plan.Refused = []schema.Resource{{}}, s.refused
				return plan, nil
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
