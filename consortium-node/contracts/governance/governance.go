package governance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// Name is the contract's name; its vocabulary (kinds, statuses, records)
// is defined once, in governance/vocab.
const Name = vocab.Name

type (
	// Vote is vocab.Vote.
	Vote = vocab.Vote
	// Proposal is vocab.Proposal.
	Proposal = vocab.Proposal
	// Tally is vocab.Tally.
	Tally = vocab.Tally
	// View is vocab.View.
	View = vocab.View
	// GenesisWrite is vocab.GenesisWrite.
	GenesisWrite = vocab.GenesisWrite
)

// Kinds lists the kinds of proposal.
func Kinds() []string { return vocab.Kinds() }

// ProposalStateKey is the full state key of a proposal.
func ProposalStateKey(id string) string { return vocab.ProposalStateKey(id) }

// EncodeRule is a rule's state value.
func EncodeRule(r policies.Rule) []byte { return vocab.EncodeRule(r) }

// DecodeRule decodes a rule's state value.
func DecodeRule(b []byte) (policies.Rule, error) { return vocab.DecodeRule(b) }

// Genesis returns the state of the initial policy (vocab.Genesis).
func Genesis(rules []policies.Rule) ([]GenesisWrite, error) { return vocab.Genesis(rules) }

func proposalKey(id string) string { return vocab.ProposalKey(id) }

// Load reads a proposal.
func Load(r contracts.StateReader, id string) (*Proposal, error) {
	return contracts.LoadAs[Proposal](r, ProposalStateKey(id), "proposal "+strconv.Quote(id), "governance")
}

// Contract is the governance system contract.
type Contract struct{}

var _ contracts.Governor = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Governs implements contracts.Governor.
func (Contract) Governs() {}

// Methods implements contracts.Contract.
func (Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodPropose, Run: propose},
		{Name: vocab.MethodApprove, RunMethod: vote},
		{Name: vocab.MethodReject, RunMethod: vote},
		{Name: vocab.MethodWithdraw, Run: withdraw},
	}
}

// change is a parsed, validated proposal ready to execute.
type change struct {
	kind     string
	org      *identity.Org
	admins   []identity.Member
	node     *consortium.Node
	removeID string   // org or node to remove
	nodes    []string // nodes removed with an organisation
	add, del []policies.Rule
	pct      uint64
	// claimsKey is a hospital's claims fingerprint key id (add_org).
	claimsKey string
}

func rulesArg(args tx.Args, name string) ([]policies.Rule, error) {
	if !args.Has(name) {
		return nil, nil
	}
	lines, err := args.Strings(name)
	if err != nil {
		return nil, contracts.InvalidArg(err)
	}
	out := make([]policies.Rule, 0, len(lines))
	for _, l := range lines {
		r, err := policies.ParseRule(l)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", contracts.ErrInvalid, name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// plan parses a proposal's arguments and checks them against the current
// state, without writing.
func plan(r contracts.StateReader, kind string, args tx.Args) (*change, error) {
	c := &change{kind: kind}
	var err error
	switch kind {
	case vocab.KindAddOrg:
		o := &identity.Org{}
		if o.ID, err = args.String(vocab.ArgOrgID); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		if o.Kind, err = args.String(vocab.ArgOrgKind); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		if o.Name, err = args.String(vocab.ArgOrgName); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		admins, err := args.Strings(vocab.ArgAdmins)
		if err != nil {
			return nil, contracts.InvalidArg(err)
		}
		for _, a := range admins {
			m, err := identity.ParseAdmin(a)
			if err != nil {
				return nil, err
			}
			c.admins = append(c.admins, m)
		}
		if err := identity.CheckAddOrg(r, o, c.admins); err != nil {
			return nil, err
		}
		c.org = o
		if args.Has(vocab.ArgClaimsKeyID) {
			if c.claimsKey, err = args.String(vocab.ArgClaimsKeyID); err != nil {
				return nil, contracts.InvalidArg(err)
			}
			if o.Kind != identityvocab.KindHospital {
				return nil, fmt.Errorf("%w: claims_key_id is for a hospital; %q is a %s", contracts.ErrInvalid, o.ID, o.Kind)
			}
			if err := claim.ValidateKeyID(c.claimsKey); err != nil {
				return nil, err
			}
		}
		if args.Has(vocab.ArgNewOrgNodeID) {
			n, err := consortium.NodeFromArgs(args, vocab.ArgNodePrefix)
			if err != nil {
				return nil, err
			}
			if n.Org != o.ID {
				return nil, fmt.Errorf("%w: the node must belong to the new organisation %q", contracts.ErrInvalid, o.ID)
			}
			if err := consortium.CheckAddNode(r, &n, true); err != nil {
				return nil, err
			}
			c.node = &n
		}
	case vocab.KindRemoveOrg:
		if c.removeID, err = args.String(vocab.ArgOrgID); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		if err := identity.CheckRemoveOrg(r, c.removeID); err != nil {
			return nil, err
		}
		if c.nodes, err = consortium.NodesOf(r, c.removeID); err != nil {
			return nil, err
		}
		if len(c.nodes) > 0 {
			if err := consortium.CheckRemoveNodes(r, c.nodes); err != nil {
				return nil, fmt.Errorf("removing organisation %q's nodes: %w", c.removeID, err)
			}
		}
	case vocab.KindAddNode:
		n, err := consortium.NodeFromArgs(args, "")
		if err != nil {
			return nil, err
		}
		if err := consortium.CheckAddNode(r, &n, false); err != nil {
			return nil, err
		}
		c.node = &n
	case vocab.KindRemoveNode:
		if c.removeID, err = args.String(vocab.ArgNodeID); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		if err := consortium.CheckRemoveNodes(r, []string{c.removeID}); err != nil {
			return nil, err
		}
	case vocab.KindChangePolicy:
		if c.add, err = rulesArg(args, vocab.ArgAddRules); err != nil {
			return nil, err
		}
		if c.del, err = rulesArg(args, vocab.ArgRemoveRules); err != nil {
			return nil, err
		}
		if n := len(c.add) + len(c.del); n == 0 || n > vocab.MaxRules {
			return nil,
				fmt.Errorf("%w: a policy change adds and/or removes 1 to %d rules (add_rules, remove_rules)",
					contracts.ErrInvalid, vocab.MaxRules)
		}
		seen := map[policies.Rule]bool{}
		for _, rl := range c.add {
			if _, ok := r.Get(vocab.PolicyPrefix + rl.Key()); ok {
				return nil, fmt.Errorf("%w: rule %q is already in the policy", contracts.ErrConflict, rl)
			}
			if seen[rl] {
				return nil, fmt.Errorf("%w: rule %q listed twice", contracts.ErrInvalid, rl)
			}
			seen[rl] = true
		}
		for _, rl := range c.del {
			if _, ok := r.Get(vocab.PolicyPrefix + rl.Key()); !ok {
				return nil, fmt.Errorf("%w: rule %q is not in the policy", contracts.ErrNotFound, rl)
			}
			if seen[rl] {
				return nil, fmt.Errorf("%w: rule %q is both added and removed, or listed twice", contracts.ErrInvalid, rl)
			}
			seen[rl] = true
		}
	case vocab.KindSetThreshold:
		if c.pct, err = args.Uint(vocab.ArgPercent); err != nil {
			return nil, contracts.InvalidArg(err)
		}
		if err := quorum.Valid(c.pct); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: proposal kind %q (one of %s)", contracts.ErrInvalid, kind, strings.Join(Kinds(), ", "))
	}
	return c, nil
}

// apply writes a planned change. State was checked by plan in the same
// transaction, so an error here is internal.
func apply(ctx contracts.Context, c *change) error {
	as := func(name string, fn func(contracts.Context) error) error {
		sub, err := ctx.As(name)
		if err != nil {
			return err
		}
		return fn(sub)
	}
	switch c.kind {
	case vocab.KindAddOrg:
		if err := as(identity.Name, func(ic contracts.Context) error { return identity.AddOrg(ic, c.org, c.admins) }); err != nil {
			return err
		}
		if c.claimsKey != "" {
			if err := as(claim.Name, func(cc contracts.Context) error { return claim.RegisterKey(cc, c.org.ID, c.claimsKey) }); err != nil {
				return err
			}
		}
		if c.node != nil {
			return as(consortium.Name, func(cc contracts.Context) error { return consortium.AddNode(cc, c.node) })
		}
	case vocab.KindAddNode:
		return as(consortium.Name, func(cc contracts.Context) error { return consortium.AddNode(cc, c.node) })
	case vocab.KindRemoveNode:
		return as(consortium.Name, func(cc contracts.Context) error { return consortium.RemoveNode(cc, c.removeID) })
	case vocab.KindRemoveOrg:
		if err := as(consortium.Name, func(cc contracts.Context) error {
			for _, n := range c.nodes {
				if err := consortium.RemoveNode(cc, n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return as(identity.Name, func(ic contracts.Context) error { return identity.RemoveOrg(ic, c.removeID) })
	case vocab.KindChangePolicy:
		for _, r := range c.del {
			ctx.Delete(policyKey(r))
		}
		for _, r := range c.add {
			ctx.Set(policyKey(r), EncodeRule(r))
		}
		// The rules themselves, so that a portal following events can apply
		// the same change at the same height.
		attrs := make([]ledger.Attr, 0, len(c.add)+len(c.del))
		for _, r := range c.del {
			attrs = append(attrs, ledger.Attr{Key: vocab.AttrRemove, Value: r.String()})
		}
		for _, r := range c.add {
			attrs = append(attrs, ledger.Attr{Key: vocab.AttrAdd, Value: r.String()})
		}
		ctx.Emit(vocab.EventPolicyChanged, attrs...)
	case vocab.KindSetThreshold:
		ctx.Set(thresholdKey, vocab.Encode(c.pct))
		ctx.Emit(vocab.EventThresholdChanged, ledger.Attr{Key: vocab.AttrPercent, Value: strconv.FormatUint(c.pct, 10)})
	}
	return nil
}

func policyKey(r policies.Rule) string { return "policy/" + r.Key() }

const thresholdKey = "threshold" // quorum.StateKey in this contract's key space

func propose(ctx contracts.Context, args tx.Args) error {
	if err := ctx.Authorize(contracts.Resource{Type: "proposal"}, "propose"); err != nil {
		return err
	}
	kind, err := args.String(vocab.ArgKind)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	validFor := vocab.DefaultValidFor
	if args.Has(vocab.ArgValidFor) {
		s, err := args.Uint(vocab.ArgValidFor)
		if err != nil {
			return contracts.InvalidArg(err)
		}
		validFor = time.Duration(s) * time.Second
		if s == 0 || validFor > vocab.MaxValidFor {
			return fmt.Errorf("%w: valid_for is 1 second to %d days", contracts.ErrInvalid,
				int(vocab.MaxValidFor.Hours()/24))
		}
	}
	// The proposal keeps only the kind's own arguments.
	var kept tx.Args
	for _, a := range args {
		if a.Name != vocab.ArgKind && a.Name != vocab.ArgValidFor {
			kept = append(kept, a)
		}
	}
	r := contracts.State(ctx, Name)
	if _, err := plan(r, kind, kept); err != nil {
		return err
	}
	p := &Proposal{ID: ctx.TxID().String(), Kind: kind, Args: kept, Proposer: ctx.Caller(), Height: ctx.Height(),
		Created: ctx.Time().Unix(), Expires: ctx.Time().Add(validFor).Unix(), Approvals: []Vote{}, Rejections: []Vote{},
		Status: vocab.StatusOpen}
	if _, exists := ctx.Get(proposalKey(p.ID)); exists {
		return fmt.Errorf("%w: proposal %q already exists", contracts.ErrConflict, p.ID)
	}
	ctx.Emit(vocab.EventProposalCreated, ledger.Attr{Key: vocab.AttrProposal, Value: p.ID},
		ledger.Attr{Key: vocab.AttrKind, Value: kind},
		ledger.Attr{Key: vocab.AttrProposer, Value: p.Proposer},
		ledger.Attr{Key: vocab.AttrExpires, Value: strconv.FormatInt(p.Expires, 10)})
	// An organisation admin's proposal carries their organisation's
	// approval; a consortium admin only proposes.
	if ctx.Authorize(contracts.Resource{Type: "proposal"}, "approve") == nil {
		return castVote(ctx, p, true)
	}
	ctx.Set(proposalKey(p.ID), vocab.Encode(p))
	return nil
}

func loadOpen(ctx contracts.Context, args tx.Args) (*Proposal, error) {
	p, err := contracts.LoadArg(ctx, Name, args, vocab.ArgProposal, Load)
	if err != nil {
		return nil, err
	}
	id := p.ID
	switch {
	case p.Status != vocab.StatusOpen:
		return nil, fmt.Errorf("%w: proposal %s is %s", contracts.ErrConflict, id, p.Status)
	case ctx.Time().Unix() >= p.Expires:
		return nil, fmt.Errorf("%w: proposal %s expired at %s without enough approvals; it did nothing (propose it again)",
			contracts.ErrConflict, id, time.Unix(p.Expires, 0).UTC().Format(time.RFC3339))
	}
	return p, nil
}

func vote(ctx contracts.Context, method string, args tx.Args) error {
	if err := ctx.Authorize(contracts.Resource{Type: "proposal"}, method); err != nil {
		return err
	}
	p, err := loadOpen(ctx, args)
	if err != nil {
		return err
	}
	return castVote(ctx, p, method == vocab.MethodApprove)
}

// castVote records the caller's organisation's vote, decides the proposal
// if the vote settles it, and stores it.
func castVote(ctx contracts.Context, p *Proposal, approve bool) error {
	org := identity.OrgOf(ctx.Caller())
	for _, v := range append(slices.Clone(p.Approvals), p.Rejections...) {
		if v.Org == org {
			return fmt.Errorf("%w: organisation %q already voted on proposal %s (by %s)", contracts.ErrConflict, org, p.ID, v.Member)
		}
	}
	v := Vote{Org: org, Member: ctx.Caller(), Height: ctx.Height()}
	typ := vocab.EventProposalRejected
	if approve {
		p.Approvals, typ = append(p.Approvals, v), vocab.EventProposalApproved
	} else {
		p.Rejections = append(p.Rejections, v)
	}
	ctx.Emit(typ, ledger.Attr{Key: vocab.AttrProposal, Value: p.ID}, ledger.Attr{Key: vocab.AttrOrg, Value: org},
		ledger.Attr{Key: vocab.AttrMember, Value: v.Member})
	r := contracts.State(ctx, Name)
	t, err := tallyOf(r, p)
	if err != nil {
		return err
	}
	switch {
	case len(t.Approved) >= t.Needed:
		p.Decided = ctx.Height()
		c, err := plan(r, p.Kind, p.Args) // state may have moved since the proposal
		if err != nil {
			p.Status, p.Result = vocab.StatusFailed, err.Error()
			ctx.Emit(vocab.EventProposalFailed, ledger.Attr{Key: vocab.AttrProposal, Value: p.ID},
				ledger.Attr{Key: vocab.AttrReason, Value: p.Result})
			break
		}
		c.kind = p.Kind
		if err := apply(ctx, c); err != nil {
			return err
		}
		p.Status = vocab.StatusExecuted
		ctx.Emit(vocab.EventProposalExecuted, ledger.Attr{Key: vocab.AttrProposal, Value: p.ID},
			ledger.Attr{Key: vocab.AttrKind, Value: p.Kind})
	case len(t.Orgs)-len(t.Rejected) < t.Needed:
		p.Status, p.Decided = vocab.StatusRejected, ctx.Height()
	}
	ctx.Set(proposalKey(p.ID), vocab.Encode(p))
	return nil
}

func withdraw(ctx contracts.Context, args tx.Args) error {
	p, err := contracts.LoadArg(ctx, Name, args, vocab.ArgProposal, Load)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "proposal", Owner: p.Proposer}, "withdraw"); err != nil {
		return err
	}
	if _, err := loadOpen(ctx, args); err != nil {
		return err
	}
	p.Status, p.Decided = vocab.StatusWithdrawn, ctx.Height()
	ctx.Set(proposalKey(p.ID), vocab.Encode(p))
	ctx.Emit(vocab.EventProposalWithdrawn, ledger.Attr{Key: vocab.AttrProposal, Value: p.ID})
	return nil
}

func tallyOf(r contracts.StateReader, p *Proposal) (*Tally, error) {
	orgs, err := identity.LoadOrgIDs(r)
	if err != nil {
		return nil, err
	}
	pct, err := quorum.Percent(r)
	if err != nil {
		return nil, err
	}
	t := &Tally{Orgs: orgs, Needed: quorum.Needed(len(orgs), pct), Percent: pct, Approved: []string{}, Rejected: []string{}, Missing: []string{}}
	voted := map[string]bool{}
	for _, v := range p.Approvals {
		if slices.Contains(orgs, v.Org) {
			t.Approved, voted[v.Org] = append(t.Approved, v.Org), true
		}
	}
	for _, v := range p.Rejections {
		if slices.Contains(orgs, v.Org) {
			t.Rejected, voted[v.Org] = append(t.Rejected, v.Org), true
		}
	}
	for _, o := range orgs {
		if !voted[o] {
			t.Missing = append(t.Missing, o)
		}
	}
	return t, nil
}

// Status reads a proposal and its tally as of state r at block time now.
func Status(r contracts.StateReader, id string, now time.Time) (*View, error) {
	p, err := Load(r, id)
	if err != nil {
		return nil, err
	}
	t, err := tallyOf(r, p)
	if err != nil {
		return nil, err
	}
	v := &View{Proposal: p, State: p.Status, Tally: t}
	if p.Status == vocab.StatusOpen && now.Unix() >= p.Expires {
		v.State = vocab.StatusExpired
	}
	return v, nil
}

// LoadRules reads the policy from any state via scan, which calls fn for
// every key with the given prefix (the node's store, a test's map).
func LoadRules(scan func(prefix string, fn func(key string, value []byte) bool) error) ([]policies.Rule, error) {
	var out []policies.Rule
	err := contracts.ScanDecoded(scan, vocab.PolicyPrefix, DecodeRule, func(r policies.Rule) { out = append(out, r) })
	return out, err
}
