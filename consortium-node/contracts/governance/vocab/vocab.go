// Package vocab is the governance contract's vocabulary, defined once: its
// name, the kinds and statuses of a proposal, the arguments of each kind
// (KindArgs) and of each method, its events' attributes (Attr*), declared
// by Shape, a proposal and its votes as stored, a tally and the status
// view the node API serves, the policy rules' state keys and encoding, and
// the genesis policy's state. The governance contract, the node API's
// client and the portal import it. It may import the standard library, tx
// (the canonical encoding), policies, contracts/vocab and consortium/vocab
// (a node's arguments); never a contract implementation or the executor.
package vocab

import (
	"fmt"
	"slices"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	contracts "github.com/almoner/almoner/consortium-node/contracts/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// Name is the contract's name.
const Name = "governance"

// Kinds of proposal.
const (
	KindAddOrg       = "add_org"
	KindRemoveOrg    = "remove_org"
	KindAddNode      = "add_node"
	KindRemoveNode   = "remove_node"
	KindChangePolicy = "change_policy"
	KindSetThreshold = "set_threshold"
)

// Kinds lists the kinds of proposal.
func Kinds() []string {
	return []string{KindAddOrg, KindRemoveOrg, KindAddNode, KindRemoveNode, KindChangePolicy, KindSetThreshold}
}

// Statuses lists every status a proposal reads as (expired included).
func Statuses() []string {
	return []string{StatusOpen, StatusExecuted, StatusFailed, StatusRejected, StatusWithdrawn, StatusExpired}
}

// Proposal statuses. "expired" is never stored: an open proposal whose
// expiry passed reads as expired (Status) and accepts no more votes.
const (
	StatusOpen      = "open"
	StatusExecuted  = "executed"
	StatusFailed    = "failed"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
	StatusExpired   = "expired"
)

// Validity bounds of a proposal (block time).
const (
	DefaultValidFor = 7 * 24 * time.Hour
	MaxValidFor     = 90 * 24 * time.Hour
	// MaxRules bounds the rules one change_policy proposal may touch.
	MaxRules = 10_000
)

// PolicyPrefix is the full state key prefix of the policy rules; each
// rule is stored at PolicyPrefix+rule.Key().
const PolicyPrefix = Name + "/policy/"

// Vote is one organisation's approval or rejection.
type Vote struct {
	_      struct{} `cbor:",toarray"`
	Org    string   `json:"org"`
	Member string   `json:"member"`
	Height uint64   `json:"height"`
}

// Proposal is a governance proposal as stored.
type Proposal struct {
	_          struct{} `cbor:",toarray"`
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Args       tx.Args  `json:"args"`
	Proposer   string   `json:"proposer"`
	Height     uint64   `json:"height"`
	Created    int64    `json:"created"` // Unix seconds, block time
	Expires    int64    `json:"expires"` // Unix seconds, block time
	Approvals  []Vote   `json:"approvals"`
	Rejections []Vote   `json:"rejections"`
	Status     string   `json:"status"`
	// Result says why execution failed; empty otherwise.
	Result  string `json:"result,omitempty"`
	Decided uint64 `json:"decided,omitempty"` // height of the deciding vote
}

// ProposalKey is a proposal's key in the contract's key space.
func ProposalKey(id string) string { return "p/" + id }

// ProposalStateKey is the full state key of a proposal.
func ProposalStateKey(id string) string { return contracts.Key(Name, ProposalKey(id)) }

// Encode is the state value of v, one of the contract's fixed-shape
// records (deterministic CBOR); it panics if v does not encode, which a
// fixed shape never does.
func Encode(v any) []byte { return codec.MustMarshal("governance", v) }

// EncodeRule is a rule's state value.
func EncodeRule(r policies.Rule) []byte { return Encode(r.Strings()) }

// DecodeRule decodes a rule's state value.
func DecodeRule(b []byte) (policies.Rule, error) {
	var v []string
	if err := codec.State.Unmarshal(b, &v); err != nil {
		return policies.Rule{}, fmt.Errorf("governance: corrupt policy rule: %w", err)
	}
	return policies.RuleFromStrings(v)
}

// GenesisWrite is a state entry written at genesis.
type GenesisWrite struct {
	Key   string
	Value []byte
}

// Genesis returns the state of the initial policy.
func Genesis(rules []policies.Rule) ([]GenesisWrite, error) {
	out := make([]GenesisWrite, 0, len(rules))
	seen := map[policies.Rule]bool{}
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if seen[r] {
			return nil, fmt.Errorf("genesis policy repeats rule %q", r)
		}
		seen[r] = true
		out = append(out, GenesisWrite{PolicyPrefix + r.Key(), EncodeRule(r)})
	}
	return out, nil
}

// Tally is where a proposal's vote stands.
type Tally struct {
	// Orgs are the current organisations; Needed of them must approve.
	Orgs    []string `json:"orgs"`
	Needed  int      `json:"needed"`
	Percent uint64   `json:"threshold_percent"`
	// Approved and Rejected are the organisations that voted (current
	// organisations only); Missing have not voted.
	Approved []string `json:"approved"`
	Rejected []string `json:"rejected"`
	Missing  []string `json:"missing"`
}

// View is a proposal with where its vote stands, for status queries.
type View struct {
	*Proposal
	// State is Status, or "expired" for an open proposal past its expiry.
	State string `json:"state"`
	Tally *Tally `json:"tally"`
}

// Events the contract emits that others read (the portal's read model).
const (
	EventProposalCreated   = "proposal_created"
	EventProposalApproved  = "proposal_approved"
	EventProposalRejected  = "proposal_rejected"
	EventProposalExecuted  = "proposal_executed"
	EventProposalFailed    = "proposal_failed"
	EventProposalWithdrawn = "proposal_withdrawn"
	EventPolicyChanged     = "policy_changed"
	EventThresholdChanged  = "threshold_changed"
)

// Events lists every event the contract emits.
func Events() []string {
	return []string{EventProposalCreated, EventProposalApproved, EventProposalRejected, EventProposalExecuted,
		EventProposalFailed, EventProposalWithdrawn, EventPolicyChanged, EventThresholdChanged}
}

// Methods of the contract.
const (
	MethodPropose  = "propose"
	MethodApprove  = "approve"
	MethodReject   = "reject"
	MethodWithdraw = "withdraw"
)

// Arguments of the contract's methods: propose takes a kind, an optional
// validity and the kind's own arguments (KindArgs); a vote or a withdrawal
// names the proposal.
const (
	ArgKind         = "kind"
	ArgValidFor     = "valid_for" // seconds
	ArgProposal     = "proposal"
	ArgOrgID        = "org_id"
	ArgOrgKind      = "org_kind"
	ArgOrgName      = "org_name"
	ArgAdmins       = "admins"
	ArgClaimsKeyID  = "claims_key_id"
	ArgNodeID       = "node_id" // remove_node's node
	ArgAddRules     = "add_rules"
	ArgRemoveRules  = "remove_rules"
	ArgPercent      = "percent"
	ArgNodePrefix   = "node_" // before a node's arguments (consortium's NodeArgs) in add_org
	ArgNewOrgNodeID = ArgNodePrefix + consortium.ArgNodeID
)

// KindArgs returns the arguments each kind of proposal may carry: add_org
// its organisation, admins, claims key and, prefixed by ArgNodePrefix, its
// first node; add_node the node (consortium's NodeArgs).
func KindArgs() map[string][]string {
	firstNode := make([]string, 0, len(consortium.NodeArgs()))
	for _, a := range consortium.NodeArgs() {
		firstNode = append(firstNode, ArgNodePrefix+a)
	}
	return map[string][]string{
		KindAddOrg:       append([]string{ArgOrgID, ArgOrgKind, ArgOrgName, ArgAdmins, ArgClaimsKeyID}, firstNode...),
		KindRemoveOrg:    {ArgOrgID},
		KindAddNode:      consortium.NodeArgs(),
		KindRemoveNode:   {ArgNodeID},
		KindChangePolicy: {ArgAddRules, ArgRemoveRules},
		KindSetThreshold: {ArgPercent},
	}
}

// Attributes of the contract's events.
const (
	AttrProposal = "proposal"
	AttrKind     = "kind"
	AttrProposer = "proposer"
	AttrExpires  = "expires"
	AttrOrg      = "org"
	AttrMember   = "member"
	AttrReason   = "reason"
	AttrAdd      = "add"    // a rule added (once per rule)
	AttrRemove   = "remove" // a rule removed (once per rule)
	AttrPercent  = "percent"
)

// Shape declares the arguments each method reads and the attributes each
// event carries.
func Shape() contracts.Shape {
	propose := []string{ArgKind, ArgValidFor}
	for _, args := range KindArgs() {
		for _, a := range args {
			if !slices.Contains(propose, a) {
				propose = append(propose, a)
			}
		}
	}
	vote := []string{AttrProposal, AttrOrg, AttrMember}
	return contracts.Shape{
		Methods: map[string][]string{
			MethodPropose:  propose,
			MethodApprove:  {ArgProposal},
			MethodReject:   {ArgProposal},
			MethodWithdraw: {ArgProposal},
		},
		Events: map[string][]string{
			EventProposalCreated:   {AttrProposal, AttrKind, AttrProposer, AttrExpires},
			EventProposalApproved:  vote,
			EventProposalRejected:  vote,
			EventProposalExecuted:  {AttrProposal, AttrKind},
			EventProposalFailed:    {AttrProposal, AttrReason},
			EventProposalWithdrawn: {AttrProposal},
			EventPolicyChanged:     {AttrAdd, AttrRemove},
			EventThresholdChanged:  {AttrPercent},
		},
		Optional: map[string][]string{EventPolicyChanged: {AttrAdd, AttrRemove}}, // once per rule
	}
}
