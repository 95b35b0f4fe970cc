package readmodel

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// CoreModule is the name of the module that indexes blocks, transactions,
// organisations, members and nodes.
const CoreModule = "core"

// Block is the index's record of a block.
type Block struct {
	Height      uint64   `json:"height"`
	Hash        string   `json:"hash"`
	PrevHash    string   `json:"prev_hash"`
	Time        int64    `json:"time"` // Unix nanoseconds
	Proposer    string   `json:"proposer"`
	TxRoot      string   `json:"tx_root"`
	ReceiptRoot string   `json:"receipt_root"`
	StateHash   string   `json:"state_hash"`
	TxIDs       []string `json:"tx_ids"`
	Signatures  int      `json:"signatures"`
}

// Tx is the index's record of a committed transaction and its receipt.
type Tx struct {
	ID       string         `json:"id"`
	Height   uint64         `json:"height"`
	Index    int            `json:"index"`
	Time     int64          `json:"time"`
	Sender   string         `json:"sender"`
	Contract string         `json:"contract"`
	Method   string         `json:"method"`
	Nonce    uint64         `json:"nonce"`
	Expiry   uint64         `json:"expiry"`
	OK       bool           `json:"ok"`
	Error    string         `json:"error,omitempty"`
	Events   []ledger.Event `json:"events"`
}

// Org is an organisation.
type Org struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Member is a member with its current roles.
type Member struct {
	ID      string   `json:"id"`
	Org     string   `json:"org"`
	Roles   []string `json:"roles"`
	Revoked bool     `json:"revoked"`
	// Since is the height the member was added at (0: genesis); Updated
	// the height of its last change.
	Since   uint64 `json:"since"`
	Updated uint64 `json:"updated"`
	// KeysRotated is the height of the last key rotation (0: never).
	KeysRotated uint64 `json:"keys_rotated,omitempty"`
}

// HasRole reports whether m has role r.
func (m *Member) HasRole(r string) bool {
	for _, x := range m.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Node is a consortium node.
type Node struct {
	ID      string `json:"id"`
	Org     string `json:"org"`
	RaftID  uint64 `json:"raft_id"`
	APIAddr string `json:"api_addr,omitempty"`
	Removed bool   `json:"removed"`
	Since   uint64 `json:"since"`
}

func blockKey(h uint64) string   { return string(cat(pBlock, be64(h))) }
func txKey(id tx.ID) string      { return string(cat(pTx, id[:])) }
func orgKey(id string) string    { return string(pOrg) + id }
func memberKey(id string) string { return string(pMember) + id }
func nodeKey(id string) string   { return string(pNode) + id }

func splitRoles(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Core returns the core module.
func Core() Module {
	return Module{
		Name:    CoreModule,
		Genesis: coreGenesis,
		Block:   coreBlock,
		Events: map[string]EventFunc{
			identity.Name + "." + identity.EventMemberAdded:     memberAdded,
			identity.Name + "." + identity.EventRolesChanged:    rolesChanged,
			identity.Name + "." + identity.EventKeysRotated:     keysRotated,
			identity.Name + "." + identity.EventMemberRevoked:   memberRevoked,
			identity.Name + "." + identity.EventOrgAdded:        orgAdded,
			identity.Name + "." + identity.EventOrgRemoved:      orgRemoved,
			consortium.Name + "." + consortium.EventNodeAdded:   nodeAdded,
			consortium.Name + "." + consortium.EventNodeRemoved: nodeRemoved,
		},
	}
}

func coreGenesis(w *Txn, g *genesis.File) error {
	for _, o := range g.Organisations {
		if err := w.PutJSON(orgKey(o.ID), Org{ID: o.ID, Kind: o.Kind, Name: o.Name}); err != nil {
			return err
		}
	}
	for _, m := range g.Members {
		roles := append([]string{}, m.Roles...)
		if err := w.PutJSON(memberKey(m.ID), Member{ID: m.ID, Org: m.Org, Roles: roles, Revoked: m.Revoked}); err != nil {
			return err
		}
	}
	for _, n := range g.Nodes {
		if err := w.PutJSON(nodeKey(n.ID), Node{ID: n.ID, Org: n.Org, RaftID: n.RaftID, APIAddr: n.APIAddr}); err != nil {
			return err
		}
	}
	return nil
}

func coreBlock(w *Txn, b *api.Block) error {
	rec := Block{
		Height: b.Header.Height, Hash: b.Hash.String(), PrevHash: b.Header.PrevHash.String(), Time: b.Header.Time,
		Proposer: b.Header.Proposer, TxRoot: b.Header.TxRoot.String(), ReceiptRoot: b.Header.ReceiptRoot.String(),
		StateHash: b.Header.StateHash.String(), TxIDs: make([]string, len(b.Txs)), Signatures: len(b.Signatures),
	}
	for i, t := range b.Txs {
		rc := b.Receipts[i]
		rec.TxIDs[i] = t.ID.String()
		events := rc.Events
		if events == nil {
			events = []ledger.Event{}
		}
		if err := w.PutJSON(txKey(t.ID), Tx{
			ID: t.ID.String(), Height: b.Header.Height, Index: i, Time: b.Header.Time, Sender: t.Body.Sender,
			Contract: t.Body.Call.Contract, Method: t.Body.Call.Method, Nonce: t.Body.Nonce, Expiry: t.Body.Expiry,
			OK: rc.OK(), Error: rc.Error, Events: events,
		}); err != nil {
			return err
		}
	}
	return w.PutJSON(blockKey(b.Header.Height), rec)
}

func loadMember(w *Txn, id string) (*Member, error) {
	var m Member
	ok, err := w.GetJSON(memberKey(id), &m)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: event names unknown member %q", ErrCorrupt, id)
	}
	return &m, nil
}

func memberAdded(w *Txn, ev Event) error {
	id := ev.Attr(identity.AttrMember)
	org, _, _ := strings.Cut(id, "/")
	if id == "" || org == "" {
		return fmt.Errorf("%w: member_added names member %q", ErrCorrupt, id)
	}
	if o := ev.Attr(identity.AttrOrg); o != "" {
		org = o
	}
	return w.PutJSON(memberKey(id),
		Member{ID: id, Org: org, Roles: splitRoles(ev.Attr(identity.AttrRoles)), Since: ev.Height, Updated: ev.Height})
}

func rolesChanged(w *Txn, ev Event) error {
	m, err := loadMember(w, ev.Attr(identity.AttrMember))
	if err != nil {
		return err
	}
	m.Roles, m.Updated = splitRoles(ev.Attr(identity.AttrRoles)), ev.Height
	return w.PutJSON(memberKey(m.ID), m)
}

func keysRotated(w *Txn, ev Event) error {
	m, err := loadMember(w, ev.Attr(identity.AttrMember))
	if err != nil {
		return err
	}
	m.KeysRotated, m.Updated = ev.Height, ev.Height
	return w.PutJSON(memberKey(m.ID), m)
}

func memberRevoked(w *Txn, ev Event) error {
	m, err := loadMember(w, ev.Attr(identity.AttrMember))
	if err != nil {
		return err
	}
	m.Revoked, m.Updated = true, ev.Height
	return w.PutJSON(memberKey(m.ID), m)
}

// orgAdded indexes an organisation onboarded by a governance proposal.
func orgAdded(w *Txn, ev Event) error {
	return w.PutJSON(orgKey(ev.Attr(identity.AttrOrg)),
		Org{ID: ev.Attr(identity.AttrOrg), Kind: ev.Attr(identity.AttrKind), Name: ev.Attr(identity.AttrName)})
}

// orgRemoved drops an organisation removed by a governance proposal (its
// members can no longer sign; their records stay for the history).
func orgRemoved(w *Txn, ev Event) error {
	w.Delete(orgKey(ev.Attr(identity.AttrOrg)))
	return nil
}

func nodeAdded(w *Txn, ev Event) error {
	raft, err := strconv.ParseUint(ev.Attr(consortium.AttrRaftID), 10, 64)
	if err != nil || ev.Attr(consortium.AttrNode) == "" {
		return fmt.Errorf("%w: node_added for node %q with raft id %q", ErrCorrupt, ev.Attr(consortium.AttrNode),
			ev.Attr(consortium.AttrRaftID))
	}
	return w.PutJSON(nodeKey(ev.Attr(consortium.AttrNode)),
		Node{ID: ev.Attr(consortium.AttrNode), Org: ev.Attr(consortium.AttrOrg), RaftID: raft, Since: ev.Height})
}

func nodeRemoved(w *Txn, ev Event) error {
	var n Node
	ok, err := w.GetJSON(nodeKey(ev.Attr(consortium.AttrNode)), &n)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: event names unknown node %q", ErrCorrupt, ev.Attr(consortium.AttrNode))
	}
	n.Removed = true
	return w.PutJSON(nodeKey(n.ID), n)
}

// Queries of the core indexes. All are safe for concurrent use.

// Block returns the block at height.
func (s *Store) Block(height uint64) (*Block, error) {
	return getJSON[Block](s, blockKey(height))
}

// Blocks returns up to limit blocks in descending height order, starting
// below height before (or at the head when before is nil), with whether
// more follow.
func (s *Store) Blocks(before *uint64, limit int) ([]*Block, bool, error) {
	var after []byte
	if before != nil {
		after = be64(*before)
	}
	return scanJSON[Block](s, pBlock, after, true, limit)
}

// BlocksAscending returns up to limit blocks above height after (nil: from
// 0) in ascending order, with whether more follow.
func (s *Store) BlocksAscending(after *uint64, limit int) ([]*Block, bool, error) {
	var a []byte
	if after != nil {
		a = be64(*after)
	}
	return scanJSON[Block](s, pBlock, a, false, limit)
}

// Tx returns a committed transaction by id.
func (s *Store) Tx(id tx.ID) (*Tx, error) {
	return getJSON[Tx](s, txKey(id))
}

// ParseTxID parses a transaction id (64 hex characters).
func ParseTxID(s string) (tx.ID, error) {
	var id tx.ID
	if len(s) != 64 {
		return id, errors.New("a transaction id is 64 hex characters")
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, errors.New("a transaction id is 64 hex characters")
	}
	return id, nil
}

// Org returns an organisation.
func (s *Store) Org(id string) (*Org, error) {
	return getJSON[Org](s, orgKey(id))
}

// Orgs returns every organisation, by id.
func (s *Store) Orgs() ([]*Org, error) {
	out, _, err := scanJSON[Org](s, pOrg, nil, false, 0)
	return out, err
}

// Member returns a member.
func (s *Store) Member(id string) (*Member, error) {
	return getJSON[Member](s, memberKey(id))
}

// Members returns up to limit members by id after the id after ("" for
// the first), of organisation org only when org is not "", with whether
// more follow.
func (s *Store) Members(org, after string, limit int) ([]*Member, bool, error) {
	prefix := pMember
	if org != "" {
		prefix = cat(pMember, []byte(org+"/"))
		if after != "" && !strings.HasPrefix(after, org+"/") {
			return nil, false, nil
		}
		after = strings.TrimPrefix(after, org+"/")
	}
	return scanJSON[Member](s, prefix, []byte(after), false, limit)
}

// Nodes returns every node ever added, by id.
func (s *Store) Nodes() ([]*Node, error) {
	out, _, err := scanJSON[Node](s, pNode, nil, false, 0)
	return out, err
}

// scanJSON decodes up to limit records (0: all) under prefix.
func scanJSON[T any](s *Store, prefix, after []byte, reverse bool, limit int) ([]*T, bool, error) {
	var (
		out  []*T
		more bool
		derr error
	)
	err := s.scan(prefix, len(prefix), after, reverse, func(k, v []byte) bool {
		if limit > 0 && len(out) == limit {
			more = true
			return false
		}
		var t T
		if err := jsonUnmarshal(v, &t); err != nil {
			derr = fmt.Errorf("%w: record %q: %v", ErrCorrupt, k, err)
			return false
		}
		out = append(out, &t)
		return true
	})
	if err == nil {
		err = derr
	}
	return out, more, err
}

// BlockTime converts a block record's time.
func (b *Block) BlockTime() time.Time { return time.Unix(0, b.Time).UTC() }
