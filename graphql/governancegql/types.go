package governancegql

import (
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/portal/governance"
)

type (
	viewT   = *view
	voteT   = *governance.Vote
	changeT = *view // the change needs its proposal's kind
	ruleT   = policies.Rule
)

// policyView is the policy in force as of the read model's applied block.
type policyView struct {
	rules  []policies.Rule
	c      *governance.Consortium
	height uint64
}

// csvOf renders rules as a policy file (policies.ParseCSV reads it back).
func csvOf(rules []policies.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString("p, " + strings.Join(r.Strings(), ", ") + "\n")
	}
	return b.String()
}

func (m *mod) buildTypes() {
	m.status = graphql.NewEnum(graphql.EnumConfig{Name: "ProposalStatus", Values: graphql.EnumValueConfigMap{
		"OPEN": {Value: govvocab.StatusOpen, Description: "Collecting votes until it expires."},
		"EXECUTED": {Value: govvocab.StatusExecuted,
			Description: "Approved by the threshold; the change is in force from the next block."},
		"FAILED": {Value: govvocab.StatusFailed,
			Description: "Approved, but the change could no longer be applied (see failureReason); nothing changed."},
		"REJECTED": {Value: govvocab.StatusRejected,
			Description: "Too many organisations rejected it for the threshold to be reached."},
		"WITHDRAWN": {Value: govvocab.StatusWithdrawn, Description: "Withdrawn by its proposer."},
		"EXPIRED":   {Value: govvocab.StatusExpired, Description: "Not decided before it expired; it did nothing."},
	}})
	m.kind = graphql.NewEnum(graphql.EnumConfig{Name: "ProposalKind", Values: graphql.EnumValueConfigMap{
		"ADD_ORG": {Value: govvocab.KindAddOrg}, "REMOVE_ORG": {Value: govvocab.KindRemoveOrg},
		"ADD_NODE": {Value: govvocab.KindAddNode}, "REMOVE_NODE": {Value: govvocab.KindRemoveNode},
		"CHANGE_POLICY": {Value: govvocab.KindChangePolicy}, "SET_THRESHOLD": {Value: govvocab.KindSetThreshold},
	}})
	m.orgKind = graphql.NewEnum(graphql.EnumConfig{Name: "OrganisationKind", Values: graphql.EnumValueConfigMap{
		"HOSPITAL": {Value: identity.KindHospital}, "INSURER": {Value: identity.KindInsurer},
		"CHARITY": {Value: identity.KindCharity}, "REGULATOR": {Value: identity.KindRegulator},
	}})
	vote := graphql.NewObject(graphql.ObjectConfig{Name: "ProposalVote", Description: "One organisation's approval or rejection.",
		Fields: graphql.Fields{
			"organisation": field(nn(graphql.ID), func(v voteT) any { return v.Org }),
			"member":       field(nn(graphql.ID), func(v voteT) any { return v.Member }, "The admin who voted for the organisation."),
			"height":       field(nn(graphql.Int), func(v voteT) any { return int(v.Height) }),
			"time":         field(nn(graphql.String), func(v voteT) any { return schema.RFC3339Nano(v.Time) }, "Block time."),
			"txId":         field(nn(graphql.ID), func(v voteT) any { return v.TxID }),
		}})
	change := graphql.NewObject(graphql.ObjectConfig{Name: "ProposalChange",
		Description: "What a proposal changes; fields another kind does not use are null or empty.",
		Fields: graphql.Fields{
			"summary":          field(nn(graphql.String), func(v changeT) any { return v.Summary() }, "The change in one line."),
			"organisation":     field(graphql.ID, func(v changeT) any { return schema.OptString(v.Change.Org) }, "The organisation added or removed, or the new node's organisation."),
			"organisationKind": field(graphql.String, func(v changeT) any { return schema.OptString(v.Change.OrgKind) }),
			"organisationName": field(graphql.String, func(v changeT) any { return schema.OptString(v.Change.OrgName) }),
			"admins":           field(schema.List(graphql.ID), func(v changeT) any { return nonNil(v.Change.Admins) }, "A new organisation's admins (member ids)."),
			"node":             field(graphql.ID, func(v changeT) any { return schema.OptString(v.Change.Node) }, "The node added or removed."),
			"raftId": field(graphql.String, func(v changeT) any {
				if v.Change.RaftID == 0 {
					return nil
				}
				return formatUint(v.Change.RaftID)
			}, "The added node's raft id (a decimal string: it is a 64-bit number)."),
			"raftAddr":    field(graphql.String, func(v changeT) any { return schema.OptString(v.Change.RaftAddr) }),
			"apiAddr":     field(graphql.String, func(v changeT) any { return schema.OptString(v.Change.APIAddr) }),
			"addRules":    field(schema.List(graphql.String), func(v changeT) any { return nonNil(v.Change.AddRules) }, "Rules added, \"sub,dom,obj,act,cond,eft\"."),
			"removeRules": field(schema.List(graphql.String), func(v changeT) any { return nonNil(v.Change.RemoveRules) }, "Rules removed."),
			"thresholdPercent": field(graphql.Int, func(v changeT) any {
				if v.Change.Percent == 0 {
					return nil
				}
				return int(v.Change.Percent)
			}, "The new threshold: approvals from strictly more than this share of organisations."),
		}})
	m.proposal = graphql.NewObject(graphql.ObjectConfig{Name: "Proposal",
		Description: "A governance proposal: organisation admins approve or reject it, one vote per organisation; it executes when approvals reach the threshold.",
		Fields: graphql.Fields{
			"id":            field(nn(graphql.ID), func(v viewT) any { return v.ID }, "The proposing transaction's id."),
			"kind":          field(nn(m.kind), func(v viewT) any { return v.Kind }),
			"proposer":      field(nn(graphql.ID), func(v viewT) any { return v.Proposer }),
			"status":        field(nn(m.status), func(v viewT) any { return v.Status }),
			"failureReason": field(graphql.String, func(v viewT) any { return schema.OptString(v.Reason) }, "Why the approved change could not be applied (status FAILED): the ledger's reason."),
			"change":        field(nn(change), func(v viewT) any { return v }),
			"approvals": field(schema.List(vote), func(v viewT) any { return schema.Refs(v.Approvals) },
				"Every approval, in order (the proposer's organisation's first when an organisation admin proposed)."),
			"rejections": field(schema.List(vote), func(v viewT) any { return schema.Refs(v.Rejections) }),
			"approvedBy": field(schema.List(graphql.ID), func(v viewT) any { return v.t.Approved }, "The organisations whose approvals count (current organisations for an open proposal)."),
			"rejectedBy": field(schema.List(graphql.ID), func(v viewT) any { return v.t.Rejected }),
			"missing":    field(schema.List(graphql.ID), func(v viewT) any { return v.t.Missing }, "Organisations that have not voted."),
			"needed": field(nn(graphql.Int), func(v viewT) any { return v.t.Needed },
				"Approvals needed: of the current organisations at the current threshold while open, as at its last vote (or closing) once decided."),
			"organisations":    field(schema.List(graphql.ID), func(v viewT) any { return v.t.Orgs }, "The organisations counted."),
			"thresholdPercent": field(nn(graphql.Int), func(v viewT) any { return int(v.t.Percent) }),
			"proposedHeight":   field(nn(graphql.Int), func(v viewT) any { return int(v.Height) }),
			"proposedAt":       field(nn(graphql.String), func(v viewT) any { return schema.RFC3339Nano(v.Time) }, "Block time."),
			"expiresAt": field(nn(graphql.String), func(v viewT) any { return time.Unix(v.Expires, 0).UTC().Format(time.RFC3339) },
				"Votes are refused from the first block at or after this time."),
			"closedHeight": field(graphql.Int, func(v viewT) any {
				if v.Closed == 0 {
					return nil
				}
				return int(v.Closed)
			}, "Where it stopped being open: the deciding vote, the withdrawal, or the first block past its expiry."),
			"closedAt": field(graphql.String, func(v viewT) any {
				if v.Closed == 0 {
					return nil
				}
				return schema.RFC3339Nano(v.ClosedTime)
			}),
			"updatedHeight": field(nn(graphql.Int), func(v viewT) any { return int(v.Updated) }),
		}})
	m.conn = schema.NewConnectionType("Proposal", m.proposal)
	rule := graphql.NewObject(graphql.ObjectConfig{Name: "PolicyRule", Description: "A casbin rule: sub (role), dom (organisation or *), obj, act, cond, eft.",
		Fields: graphql.Fields{
			"sub":  field(nn(graphql.String), func(r ruleT) any { return r.Sub }),
			"dom":  field(nn(graphql.String), func(r ruleT) any { return r.Dom }),
			"obj":  field(nn(graphql.String), func(r ruleT) any { return r.Obj }),
			"act":  field(nn(graphql.String), func(r ruleT) any { return r.Act }),
			"cond": field(nn(graphql.String), func(r ruleT) any { return r.Cond }),
			"eft":  field(nn(graphql.String), func(r ruleT) any { return r.Eft }),
			"line": field(nn(graphql.String), func(r ruleT) any { return r.String() }, "\"sub,dom,obj,act,cond,eft\", as proposePolicyChange takes it."),
		}})
	m.policy = graphql.NewObject(graphql.ObjectConfig{Name: "Policy", Description: "The authorisation policy in force and the approval threshold.",
		Fields: graphql.Fields{
			"rules":            field(schema.List(rule), func(p *policyView) any { return p.rules }, "Sorted."),
			"csv":              field(nn(graphql.String), func(p *policyView) any { return csvOf(p.rules) }, "The rules as a policy file: one \"p, sub, dom, obj, act, cond, eft\" line each."),
			"thresholdPercent": field(nn(graphql.Int), func(p *policyView) any { return int(p.c.Percent) }, "Proposals need approvals from strictly more than this share of organisations."),
			"organisations":    field(schema.List(graphql.ID), func(p *policyView) any { return p.c.Orgs }),
			"needed":           field(nn(graphql.Int), func(p *policyView) any { return p.c.Needed() }, "Approvals a proposal needs now."),
			"height":           field(nn(graphql.Int), func(p *policyView) any { return int(p.height) }, "The block this is as of."),
		}})
	m.adminIn = graphql.NewInputObject(graphql.InputObjectConfig{Name: "OrganisationAdminInput", Fields: graphql.InputObjectConfigFieldMap{
		"member":  {Type: nn(graphql.ID), Description: "\"<new organisation>/<name>\"."},
		"signKey": {Type: nn(graphql.String), Description: "Public signing key, \"ed25519:<base64url>\"."},
		"encKey":  {Type: nn(graphql.String), Description: "Public encryption key (X-Wing), as the keystore prints it."},
	}})
	m.nodeIn = graphql.NewInputObject(graphql.InputObjectConfig{Name: "NodeInput", Fields: graphql.InputObjectConfigFieldMap{
		"id":           {Type: nn(graphql.ID)},
		"organisation": {Type: graphql.ID, Description: "Default: the new organisation (proposeAddOrganisation) or the viewer's (proposeAddNode)."},
		"raftId":       {Type: nn(graphql.Int), Description: "Unique, non-zero."},
		"signKey":      {Type: nn(graphql.String), Description: "The node's public signing key."},
		"encKey":       {Type: nn(graphql.String), Description: "The node's public encryption key."},
		"raftAddr":     {Type: nn(graphql.String), Description: "host:port of its raft transport."},
		"apiAddr":      {Type: nn(graphql.String), Description: "host:port of its API."},
	}})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
