// Package vocab is the consortium contract's vocabulary, defined once: its
// name, the actions of a membership change, the arguments they read
// (Arg*) and their events' attributes (Attr*), declared by Shape, the node
// record (which the genesis file also carries) and its validation, its state keys and
// encoding, and the genesis nodes' state. The consortium contract, the
// genesis file format, the node API's client and the portal import it. It
// may import the standard library, privacy/sign, tx (the canonical
// encoding), contracts/vocab and identity/vocab; never a contract
// implementation or the executor.
package vocab

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/almoner/almoner/consortium-node/codec"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	contracts "github.com/almoner/almoner/consortium-node/contracts/vocab"
	"github.com/almoner/almoner/privacy/sign"
)

// Name is the contract's name.
const Name = "consortium"

// Actions of a membership change.
const (
	ActionAddNode    = "add_node"
	ActionRemoveNode = "remove_node"
)

// Node is a consortium node.
type Node struct {
	_ struct{} `cbor:",toarray"`
	// ID names the node in headers and signatures.
	ID  string `json:"id"`
	Org string `json:"org"`
	// RaftID is the node's raft member id (unique, non-zero, never reused).
	RaftID uint64 `json:"raft_id"`
	// SignKey signs block headers and authenticates the node's transport.
	SignKey sign.PublicKey `json:"sign_key"`
	// EncKey is the node's X-Wing key: hospital staff wrap the data key of
	// a record they upload for their custodian node with it.
	EncKey identity.EncryptionKey `json:"enc_key"`
	// RaftAddr is where peers reach the node's raft transport.
	RaftAddr string `json:"raft_addr"`
	// APIAddr is the node's HTTP API.
	APIAddr string `json:"api_addr"`
}

// Validate checks a node record's shape.
func (n *Node) Validate() error {
	if err := identity.ValidateID(n.ID, false); err != nil {
		return fmt.Errorf("node id: %w", err)
	}
	if n.RaftID == 0 {
		return fmt.Errorf("%w: node %q needs a non-zero raft id", contracts.ErrInvalid, n.ID)
	}
	if err := n.SignKey.CheckRegistrable(); err != nil {
		return fmt.Errorf("%w: node %q signing key: %v", contracts.ErrInvalid, n.ID, err)
	}
	if n.SignKey.Alg != sign.Ed25519 {
		return fmt.Errorf("%w: node keys must be Ed25519 (they are also TLS keys)", contracts.ErrInvalid)
	}
	if err := n.EncKey.Validate(); err != nil {
		return fmt.Errorf("node %q encryption key: %w", n.ID, err)
	}
	if n.RaftAddr == "" || n.APIAddr == "" || len(n.RaftAddr) > 256 || len(n.APIAddr) > 256 {
		return fmt.Errorf("%w: node %q needs raft and API addresses", contracts.ErrInvalid, n.ID)
	}
	return nil
}

// State keys (full keys, for readers outside the contract).
const (
	NodesStateKey = Name + "/nodes"
	// NodesKey is the node list's key in the contract's key space.
	NodesKey = "nodes"
)

// NodeKey is a node record's key in the contract's key space.
func NodeKey(id string) string { return "node/" + id }

// NodeStateKey is the full state key of a node record.
func NodeStateKey(id string) string { return contracts.Key(Name, NodeKey(id)) }

// RaftKey maps a raft id to its node, in the contract's key space.
func RaftKey(id uint64) string { return "raftid/" + strconv.FormatUint(id, 10) }

// Encode is the state value of v, one of the contract's fixed-shape
// records (deterministic CBOR); it panics if v does not encode, which a
// fixed shape never does.
func Encode(v any) []byte { return codec.MustMarshal("consortium", v) }

// GenesisWrite is a state entry written at genesis.
type GenesisWrite struct {
	Key   string
	Value []byte
}

// Genesis returns the state of the genesis nodes.
func Genesis(nodes []Node) []GenesisWrite {
	var out []GenesisWrite
	ids := make([]string, 0, len(nodes))
	for i := range nodes {
		out = append(out, GenesisWrite{NodeStateKey(nodes[i].ID), Encode(&nodes[i])},
			GenesisWrite{contracts.Key(Name, RaftKey(nodes[i].RaftID)), []byte(nodes[i].ID)})
		ids = append(ids, nodes[i].ID)
	}
	slices.Sort(ids)
	out = append(out, GenesisWrite{NodesStateKey, Encode(ids)})
	return out
}

// Events the contract emits that others read (the portal's read model).
const (
	EventNodeAdded   = "node_added"
	EventNodeRemoved = "node_removed"
)

// Events lists every event the contract emits.
func Events() []string { return []string{EventNodeAdded, EventNodeRemoved} }

// Arguments of a membership change (its methods are its actions).
const (
	ArgNodeID     = "node_id"
	ArgOrg        = "org"
	ArgRaftID     = "raft_id"
	ArgSignKey    = "sign_key"
	ArgEncKey     = "enc_key"
	ArgRaftAddr   = "raft_addr"
	ArgAPIAddr    = "api_addr"
	ArgValidUntil = "valid_until" // Unix seconds: the approvals' expiry
	ArgApprovals  = "approvals"   // "<member id>:<base64url signature>"
)

// NodeArgs are the arguments that describe a node (Node's fields), in
// order.
func NodeArgs() []string {
	return []string{ArgNodeID, ArgOrg, ArgRaftID, ArgSignKey, ArgEncKey, ArgRaftAddr, ArgAPIAddr}
}

// Attributes of the contract's events.
const (
	AttrNode   = "node"
	AttrOrg    = "org"
	AttrRaftID = "raft_id"
)

// Shape declares the arguments each action reads and the attributes each
// event carries.
func Shape() contracts.Shape {
	return contracts.Shape{
		Methods: map[string][]string{
			ActionAddNode:    append(NodeArgs(), ArgValidUntil, ArgApprovals),
			ActionRemoveNode: {ArgNodeID, ArgValidUntil, ArgApprovals},
		},
		Events: map[string][]string{
			EventNodeAdded:   {AttrNode, AttrOrg, AttrRaftID},
			EventNodeRemoved: {AttrNode, AttrRaftID},
		},
	}
}
