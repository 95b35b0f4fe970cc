package genesis

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/privacy/sign"
)

// ErrInvalid wraps every validation failure of a genesis file.
var ErrInvalid = errors.New("genesis: invalid")

// Node is a consortium node (its record in state is owned by the
// consortium contract).
type Node = consortium.Node

// Params are consensus parameters.
type Params struct {
	_ struct{} `cbor:",toarray"`
	// ReplayWindow is the most blocks a transaction's expiry may lie beyond
	// the current height; a transaction id is rejected forever once
	// committed, and the window bounds how long a signed transaction can
	// wait to be included.
	ReplayWindow uint64 `json:"replay_window"`
	// MaxBlockTxs and MaxBlockBytes bound a block.
	MaxBlockTxs   int `json:"max_block_txs"`
	MaxBlockBytes int `json:"max_block_bytes"`
}

// DefaultParams returns the parameters used when a file leaves them zero.
func DefaultParams() Params {
	return Params{ReplayWindow: 1000, MaxBlockTxs: 10_000, MaxBlockBytes: 8 << 20}
}

// File is a genesis file.
type File struct {
	ChainID       string            `json:"chain_id"`
	GenesisTime   time.Time         `json:"genesis_time"`
	Params        Params            `json:"params"`
	Organisations []identity.Org    `json:"organisations"`
	Members       []identity.Member `json:"members"`
	Nodes         []Node            `json:"nodes"`
	// Policy holds the initial authorisation rules, one
	// "sub,dom,obj,act,cond,eft" line each (policies/model.conf). Empty
	// means the default policy (policies/default.csv). Role assignments are
	// the members' roles, not rules. After genesis the policy changes only
	// by governance proposals.
	Policy []string `json:"policy"`
	// ClaimsKeyIDs are the ids of the hospitals' claims fingerprint keys
	// (claimdoc.Key.ID), by organisation: each hospital holds its own
	// key, the ledger only its id. A hospital without one files no claims.
	ClaimsKeyIDs map[string]string `json:"claims_key_ids,omitempty"`
}

// Load reads and validates a genesis file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	var f File
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// Save writes the file as indented JSON.
func (f *File) Save(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func (f *File) withDefaults() {
	d := DefaultParams()
	if f.Params.ReplayWindow == 0 {
		f.Params.ReplayWindow = d.ReplayWindow
	}
	if f.Params.MaxBlockTxs == 0 {
		f.Params.MaxBlockTxs = d.MaxBlockTxs
	}
	if f.Params.MaxBlockBytes == 0 {
		f.Params.MaxBlockBytes = d.MaxBlockBytes
	}
}

// Validate checks the whole file and fills default parameters.
func (f *File) Validate() error {
	f.withDefaults()
	if f.ChainID == "" || len(f.ChainID) > tx.MaxChainIDLen || strings.ContainsAny(f.ChainID, " \t\n/") {
		return fmt.Errorf("%w: chain_id must be 1 to %d characters without spaces or '/'", ErrInvalid, tx.MaxChainIDLen)
	}
	if f.GenesisTime.IsZero() {
		return fmt.Errorf("%w: genesis_time is required", ErrInvalid)
	}
	if f.Params.MaxBlockTxs < 1 || f.Params.MaxBlockBytes < tx.MaxTxBytes || f.Params.ReplayWindow < 1 {
		return fmt.Errorf("%w: params must allow at least one transaction of %d bytes per block and a replay window of at least 1", ErrInvalid, tx.MaxTxBytes)
	}
	if len(f.Nodes) == 0 {
		return fmt.Errorf("%w: at least one node is required", ErrInvalid)
	}
	orgs := map[string]bool{}
	for _, o := range f.Organisations {
		orgs[o.ID] = true
	}
	ids, raftIDs := map[string]bool{}, map[uint64]bool{}
	for _, n := range f.Nodes {
		if err := identity.ValidateID(n.ID, false); err != nil {
			return fmt.Errorf("%w: node id: %v", ErrInvalid, err)
		}
		if ids[n.ID] || n.RaftID == 0 || raftIDs[n.RaftID] {
			return fmt.Errorf("%w: node %q: ids and raft ids must be unique and raft_id non-zero", ErrInvalid, n.ID)
		}
		ids[n.ID], raftIDs[n.RaftID] = true, true
		if !orgs[n.Org] {
			return fmt.Errorf("%w: node %q belongs to unknown organisation %q", ErrInvalid, n.ID, n.Org)
		}
		if err := n.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if _, err := f.Rules(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := claimdoc.Genesis(f.ClaimsKeyIDs); err != nil {
		return fmt.Errorf("%w: claims_key_ids: %v", ErrInvalid, err)
	}
	for org := range f.ClaimsKeyIDs {
		if !orgs[org] {
			return fmt.Errorf("%w: claims_key_ids names unknown organisation %q", ErrInvalid, org)
		}
	}
	if _, err := identity.Genesis(f.Organisations, f.Members); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// Rules returns the genesis policy: the file's rules, or the default.
func (f *File) Rules() ([]policies.Rule, error) {
	if len(f.Policy) == 0 {
		return policies.DefaultRules(), nil
	}
	out := make([]policies.Rule, 0, len(f.Policy))
	for i, l := range f.Policy {
		r, err := policies.ParseRule(l)
		if err != nil {
			return nil, fmt.Errorf("policy line %d: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Quorum is the number of node signatures a receipt proof needs: a
// majority of the genesis nodes.
func (f *File) Quorum() int { return len(f.Nodes)/2 + 1 }

// NodeKeys maps node ids to their header-signing keys.
func (f *File) NodeKeys() map[string]sign.PublicKey {
	m := make(map[string]sign.PublicKey, len(f.Nodes))
	for _, n := range f.Nodes {
		m[n.ID] = n.SignKey
	}
	return m
}

// Node returns the node with the given id.
func (f *File) Node(id string) (Node, bool) {
	for _, n := range f.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}
