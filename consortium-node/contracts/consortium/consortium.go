package consortium

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// Name is the contract's name; its vocabulary (actions, the node record)
// is defined once, in consortium/vocab.
const (
	Name     = vocab.Name
	nodesKey = vocab.NodesKey
)

type (
	// Node is a consortium node (vocab.Node).
	Node = vocab.Node
	// GenesisWrite is vocab.GenesisWrite.
	GenesisWrite = vocab.GenesisWrite
)

// NodeStateKey is the full state key of a node record.
func NodeStateKey(id string) string { return vocab.NodeStateKey(id) }

// Genesis returns the state of the genesis nodes (vocab.Genesis).
func Genesis(nodes []Node) []GenesisWrite { return vocab.Genesis(nodes) }

func nodeKey(id string) string { return vocab.NodeKey(id) }
func raftKey(id uint64) string { return vocab.RaftKey(id) }

// Change is what organisation admins approve.
type Change struct {
	_      struct{} `cbor:",toarray"`
	Action string
	Node   Node // for remove_node only ID is used
	// ValidUntil is the last height at which the change may be applied.
	ValidUntil uint64
}

var approvalDomain = "almoner/node-change/v1\x00"

// ApprovalBytes returns what an admin signs to approve c on chain chainID.
func ApprovalBytes(chainID string, c *Change) ([]byte, error) {
	b, err := codec.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append([]byte(approvalDomain+chainID+"\x00"), b...), nil
}

// Approve signs c for member and returns the approval string carried in
// the transaction's "approvals" argument: "<member id>:<base64url sig>".
func Approve(chainID string, c *Change, member string, key *sign.PrivateKey) (string, error) {
	msg, err := ApprovalBytes(chainID, c)
	if err != nil {
		return "", err
	}
	return member + ":" + base64.RawURLEncoding.EncodeToString(key.Sign(msg)), nil
}

// LoadNodes reads the current nodes, in id order.
func LoadNodes(r contracts.StateReader) ([]Node, error) {
	b, ok := r.Get(vocab.NodesStateKey)
	if !ok {
		return nil, fmt.Errorf("%w: node list", contracts.ErrNotFound)
	}
	var ids []string
	if err := codec.State.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("consortium: corrupt node list: %w", err)
	}
	out := make([]Node, 0, len(ids))
	for _, id := range ids {
		nb, ok := r.Get(NodeStateKey(id))
		if !ok {
			return nil, fmt.Errorf("consortium: node list names %q but it has no record", id)
		}
		var n Node
		if err := codec.State.Unmarshal(nb, &n); err != nil {
			return nil, fmt.Errorf("consortium: corrupt node record %q: %w", id, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// Contract is the consortium system contract.
type Contract struct{}

var _ contracts.Contract = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Methods implements contracts.Contract.
func (c Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.ActionAddNode, RunMethod: c.change},
		{Name: vocab.ActionRemoveNode, RunMethod: c.change},
	}
}

// NodeFromArgs reads a node's fields from transaction arguments named
// prefix+"node_id", prefix+"org", prefix+"raft_id", prefix+"sign_key",
// prefix+"enc_key", prefix+"raft_addr" and prefix+"api_addr".
func NodeFromArgs(args tx.Args, prefix string) (Node, error) {
	var n Node
	var err error
	if n.ID, err = args.String(prefix + vocab.ArgNodeID); err != nil {
		return n, contracts.InvalidArg(err)
	}
	if n.Org, err = args.String(prefix + vocab.ArgOrg); err != nil {
		return n, contracts.InvalidArg(err)
	}
	if n.RaftID, err = args.Uint(prefix + vocab.ArgRaftID); err != nil {
		return n, contracts.InvalidArg(err)
	}
	ks, err := args.String(prefix + vocab.ArgSignKey)
	if err != nil {
		return n, contracts.InvalidArg(err)
	}
	if n.SignKey, err = sign.ParsePublicKey(ks); err != nil {
		return n, contracts.InvalidArg(err)
	}
	es, err := args.String(prefix + vocab.ArgEncKey)
	if err != nil {
		return n, contracts.InvalidArg(err)
	}
	if n.EncKey, err = identity.ParseEncryptionKey(es); err != nil {
		return n, err
	}
	if n.RaftAddr, err = args.String(prefix + vocab.ArgRaftAddr); err != nil {
		return n, contracts.InvalidArg(err)
	}
	if n.APIAddr, err = args.String(prefix + vocab.ArgAPIAddr); err != nil {
		return n, contracts.InvalidArg(err)
	}
	return n, nil
}

// NodeToArgs are n's fields as the transaction arguments that NodeFromArgs
// reads with the same prefix.
func NodeToArgs(n *Node, prefix string) tx.Args {
	return tx.Args{tx.String(prefix+vocab.ArgNodeID, n.ID), tx.String(prefix+vocab.ArgOrg, n.Org),
		tx.Uint(prefix+vocab.ArgRaftID, n.RaftID), tx.String(prefix+vocab.ArgSignKey, n.SignKey.String()),
		tx.String(prefix+vocab.ArgEncKey, n.EncKey.String()), tx.String(prefix+vocab.ArgRaftAddr, n.RaftAddr),
		tx.String(prefix+vocab.ArgAPIAddr, n.APIAddr)}
}

// ChangeArgs are the arguments of the transaction that applies ch (method
// ch.Action) with approvals, each made by Approve: the node's fields for
// add_node, only its id for remove_node, the expiry and the approvals; what
// the contract reads back.
func ChangeArgs(ch *Change, approvals []string) tx.Args {
	args := tx.Args{tx.String(vocab.ArgNodeID, ch.Node.ID)}
	if ch.Action == vocab.ActionAddNode {
		args = NodeToArgs(&ch.Node, "")
	}
	return append(args, tx.Uint(vocab.ArgValidUntil, ch.ValidUntil), tx.Strings(vocab.ArgApprovals, approvals))
}

// changeFromArgs reads the change and its approvals that ChangeArgs wrote.
func changeFromArgs(action string, args tx.Args) (*Change, []string, error) {
	ch := &Change{Action: action}
	var err error
	if ch.ValidUntil, err = args.Uint(vocab.ArgValidUntil); err != nil {
		return nil, nil, contracts.InvalidArg(err)
	}
	approvals, err := args.Strings(vocab.ArgApprovals)
	if err != nil {
		return nil, nil, contracts.InvalidArg(err)
	}
	if action == vocab.ActionAddNode {
		if ch.Node, err = NodeFromArgs(args, ""); err != nil {
			return nil, nil, err
		}
	} else if ch.Node.ID, err = args.String(vocab.ArgNodeID); err != nil {
		return nil, nil, contracts.InvalidArg(err)
	}
	return ch, approvals, nil
}

// checkApprovals verifies the approvals and that they come from admins of
// enough organisations (the governance threshold, a majority by default).
func checkApprovals(ctx contracts.Context, ch *Change, approvals []string) error {
	msg, err := ApprovalBytes(ctx.ChainID(), ch)
	if err != nil {
		return err
	}
	r := contracts.State(ctx, Name)
	orgs, err := identity.LoadOrgIDs(r)
	if err != nil {
		return err
	}
	pct, err := quorum.Percent(r)
	if err != nil {
		return err
	}
	approved := map[string]bool{}
	for _, a := range approvals {
		member, sig64, ok := strings.Cut(a, ":")
		if !ok {
			return fmt.Errorf("%w: approval %q must be <member id>:<base64url signature>", contracts.ErrInvalid, a)
		}
		sig, err := base64.RawURLEncoding.DecodeString(sig64)
		if err != nil {
			return fmt.Errorf("%w: approval of %q: %v", contracts.ErrInvalid, member, err)
		}
		m, err := identity.LoadMember(r, member)
		if err != nil {
			return fmt.Errorf("%w: approval by %q: %v", contracts.ErrDenied, member, err)
		}
		if m.Revoked || !m.HasRole(identityvocab.RoleOrgAdmin) || !slices.Contains(orgs, m.Org) {
			return fmt.Errorf("%w: approval by %q, who is not an active %s", contracts.ErrDenied, member,
				identityvocab.RoleOrgAdmin)
		}
		if err := m.SignKey.Verify(msg, sig); err != nil {
			return fmt.Errorf("%w: approval by %q does not verify for this change on this chain", contracts.ErrDenied, member)
		}
		approved[m.Org] = true
	}
	if need := quorum.Needed(len(orgs), pct); len(approved) < need {
		var missing []string
		for _, o := range orgs {
			if !approved[o] {
				missing = append(missing, o)
			}
		}
		return fmt.Errorf("%w: %s of node %q needs approvals from admins of %d of the %d organisations (threshold %d%%); have %d, missing: %s",
			contracts.ErrDenied, ch.Action, ch.Node.ID, need, len(orgs), pct, len(approved), strings.Join(missing, ", "))
	}
	return nil
}

// CheckAddNode says whether n can join. It only reads state; AddNode
// writes. orgPending is true when n's organisation joins in the same
// proposal.
func CheckAddNode(r contracts.StateReader, n *Node, orgPending bool) error {
	if err := n.Validate(); err != nil {
		return err
	}
	if _, ok := r.Get(identity.OrgStateKey(n.Org)); !ok && !orgPending {
		return fmt.Errorf("%w: organisation %q", contracts.ErrNotFound, n.Org)
	}
	nodes, err := LoadNodes(r)
	if err != nil {
		return err
	}
	for _, o := range nodes {
		if o.ID == n.ID {
			return fmt.Errorf("%w: node %q already exists", contracts.ErrConflict, n.ID)
		}
		if o.SignKey.Equal(n.SignKey) {
			return fmt.Errorf("%w: node %q already uses this signing key", contracts.ErrConflict, o.ID)
		}
	}
	if owner, used := r.Get(contracts.Key(Name, raftKey(n.RaftID))); used {
		return fmt.Errorf("%w: raft id %d was used by node %q; raft ids are never reused", contracts.ErrConflict, n.RaftID, owner)
	}
	return nil
}

// AddNode writes a node that CheckAddNode accepted; ctx must be the
// consortium contract's.
func AddNode(ctx contracts.Context, n *Node) error {
	nodes, err := LoadNodes(contracts.State(ctx, Name))
	if err != nil {
		return err
	}
	ids := []string{n.ID}
	for _, o := range nodes {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	ctx.Set(nodeKey(n.ID), vocab.Encode(n))
	ctx.Set(raftKey(n.RaftID), []byte(n.ID))
	ctx.Set(nodesKey, vocab.Encode(ids))
	ctx.Emit(vocab.EventNodeAdded, ledger.Attr{Key: vocab.AttrNode, Value: n.ID},
		ledger.Attr{Key: vocab.AttrOrg, Value: n.Org},
		ledger.Attr{Key: vocab.AttrRaftID, Value: strconv.FormatUint(n.RaftID, 10)})
	return nil
}

// CheckRemoveNodes says whether the nodes ids can be removed together
// (the consortium keeps at least one).
func CheckRemoveNodes(r contracts.StateReader, ids []string) error {
	nodes, err := LoadNodes(r)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(nodes, func(n Node) bool { return n.ID == id }) {
			return fmt.Errorf("%w: node %q", contracts.ErrNotFound, id)
		}
	}
	if len(ids) >= len(nodes) {
		return fmt.Errorf("%w: cannot remove the last node", contracts.ErrDenied)
	}
	return nil
}

// RemoveNode removes a node that CheckRemoveNodes accepted; ctx must be
// the consortium contract's.
func RemoveNode(ctx contracts.Context, id string) error {
	nodes, err := LoadNodes(contracts.State(ctx, Name))
	if err != nil {
		return err
	}
	var ids []string
	for _, o := range nodes {
		if o.ID == id {
			ctx.Delete(nodeKey(id))
			ctx.Emit(vocab.EventNodeRemoved, ledger.Attr{Key: vocab.AttrNode, Value: id},
				ledger.Attr{Key: vocab.AttrRaftID, Value: strconv.FormatUint(o.RaftID, 10)})
			continue
		}
		ids = append(ids, o.ID)
	}
	ctx.Set(nodesKey, vocab.Encode(ids))
	return nil
}

// NodesOf returns the ids of organisation org's nodes.
func NodesOf(r contracts.StateReader, org string) ([]string, error) {
	nodes, err := LoadNodes(r)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes {
		if n.Org == org {
			out = append(out, n.ID)
		}
	}
	return out, nil
}

func (Contract) change(ctx contracts.Context, action string, args tx.Args) error {
	ch, approvals, err := changeFromArgs(action, args)
	if err != nil {
		return err
	}
	org := ch.Node.Org
	r := contracts.State(ctx, Name)
	if action == vocab.ActionRemoveNode {
		if b, ok := ctx.Get(nodeKey(ch.Node.ID)); ok {
			var cur Node
			if err := codec.State.Unmarshal(b, &cur); err != nil {
				return fmt.Errorf("consortium: corrupt node record %q: %w", ch.Node.ID, err)
			}
			org = cur.Org
		}
	}
	if err := ctx.Authorize(contracts.Resource{Type: "node", Org: org}, action[:len(action)-len("_node")]); err != nil {
		return err
	}
	if ctx.Height() > ch.ValidUntil {
		return fmt.Errorf("%w: the approvals expired at height %d (now %d)", contracts.ErrDenied, ch.ValidUntil, ctx.Height())
	}
	switch action {
	case vocab.ActionAddNode:
		if err := CheckAddNode(r, &ch.Node, false); err != nil {
			return err
		}
		if err := checkApprovals(ctx, ch, approvals); err != nil {
			return err
		}
		return AddNode(ctx, &ch.Node)
	default:
		if err := CheckRemoveNodes(r, []string{ch.Node.ID}); err != nil {
			return err
		}
		if err := checkApprovals(ctx, ch, approvals); err != nil {
			return err
		}
		return RemoveNode(ctx, ch.Node.ID)
	}
}
