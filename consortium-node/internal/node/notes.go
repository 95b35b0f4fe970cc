package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// Off-ledger notes of break-glass accesses (api.NoteRequest): the
// physician's written reason and the privacy officer's review note reach
// the custodian organisation's nodes the way record fetches do (the
// writer's portal, its node, the node transport), signed by the writer and
// sealed under a data key wrapped for the custodian's nodes. The custodian
// checks the note against its own copy of the ledger before it keeps it,
// and releases it only to members the policy lets read its break-glass
// queue. Neither the relaying node nor the logs ever see the text.

// ErrNoteExists means the note was already delivered (a note is kept once).
var ErrNoteExists = errors.New("node: the note was already delivered")

// DeliverNote keeps a note on a node of the custodian of the record the
// access names: this node when it is one, else the first of the
// custodian's nodes that answers. ErrUnavailable when none does.
func (n *Node) DeliverNote(ctx context.Context, req *api.NoteRequest) error {
	custodian, err := n.custodianOf(req.AccessID)
	if err != nil {
		return err
	}
	if custodian == n.me.Org && n.private != nil {
		return n.keepNote(req)
	}
	_, _, err = n.relayInTurn(ctx, custodian, relayRequest{Op: relayNote, Note: req},
		func(rep relayReply) bool { // a node of the custodian that keeps no private data
			return rep.Code == relayNotFound && rep.Error == ErrNotCustodian.Error()
		}, fmt.Errorf("%w: %q runs no node that this node can reach", ErrUnavailable, custodian))
	return err
}

// FetchNote serves a note to a member the policy lets read the
// custodian's break-glass queue: from this node when it keeps it, else
// from the custodian organisation's other nodes.
func (n *Node) FetchNote(ctx context.Context, req *api.NoteFetchRequest) (*api.NoteFetchResponse, error) {
	return fromCustodian(n, req.AccessID, func() (*api.NoteFetchResponse, error) { return n.fetchNoteLocal(req) },
		func(custodian string) (*api.NoteFetchResponse, error) { return n.fetchNoteRemote(ctx, custodian, req) })
}

// fetchNoteRemote asks the nodes of the custodian organisation for a note
// in turn: not found only when every node asked says so.
func (n *Node) fetchNoteRemote(ctx context.Context, custodian string,
	req *api.NoteFetchRequest) (*api.NoteFetchResponse, error) {
	peers := n.orgPeers(custodian)
	if len(peers) == 0 && custodian != n.me.Org {
		return nil, fmt.Errorf("%w: %q runs no node that this node can reach", ErrUnavailable, custodian)
	}
	// Not found only when every node asked says so: one that did not
	// answer may keep it.
	var unreachable error
	for _, peer := range peers {
		rep, err := n.relay(ctx, peer, &relayRequest{Op: relayNoteFetch, MinHeight: n.Head().Height, NoteFetch: req}, relayTimeout)
		if err != nil {
			unreachable = err
			continue
		}
		if rep.Code == relayNotFound {
			continue // this node of the custodian lacks it; try another
		}
		if rep.Code != "" {
			return nil, replyErr(rep)
		}
		if rep.NoteFetch == nil {
			return nil, fmt.Errorf("node: %s answered a note fetch without a note", peer.NodeID)
		}
		return rep.NoteFetch, nil
	}
	if unreachable != nil {
		return nil, unreachable
	}
	return nil, fmt.Errorf("%w: no node of %q keeps this note", ErrNotFound, custodian)
}

// noteHash returns the ledger's hash of note kind of access a after
// checking that writer may write it: the access's reader for its reason (a granted break-glass
// access), the review's reviewer for the review note.
func (n *Node) noteHash(kind string, a *record.Access, writer string) ([]byte, error) {
	switch kind {
	case api.NoteReason:
		if a.Reader != writer {
			return nil, fmt.Errorf("%w: only the access's reader may send its reason", ErrForbidden)
		}
		if a.BreakGlass == "" || !a.Granted {
			return nil, fmt.Errorf("%w: access %s is not a granted break-glass access; only those carry a note for the "+
				"custodian's privacy officer", ErrInvalid, a.TxID)
		}
		if len(a.NoteHash) != 32 {
			return nil, fmt.Errorf("%w: access %s commits no note hash, so no note can be checked against it", ErrInvalid, a.TxID)
		}
		return a.NoteHash, nil
	case api.NoteReview:
		rv, err := record.LoadReview(stateReader{n}, a.TxID)
		if errors.Is(err, contracts.ErrNotFound) {
			return nil, fmt.Errorf("%w: access %s has no committed review (commit the review first)", ErrNotFound, a.TxID)
		}
		if err != nil {
			return nil, err
		}
		if rv.Reviewer != writer {
			return nil, fmt.Errorf("%w: only the review's reviewer may send its note", ErrForbidden)
		}
		if len(rv.NoteHash) != 32 {
			return nil, fmt.Errorf("%w: the review of %s commits no note hash", ErrInvalid, a.TxID)
		}
		return rv.NoteHash, nil
	}
	return nil, fmt.Errorf("%w: note kind %q (%s or %s)", ErrInvalid, kind, api.NoteReason, api.NoteReview)
}

// keepNote keeps a note from its writer on this custodian node and copies
// it to the organisation's other custodian nodes: it returns once one of
// them has kept it too (fsynced), or after replicaAckTimeout when none
// has (the note then stands on this node alone; the others fetch it from
// here). The copies carry the writer's own signed request, which each
// node checks against its own copy of the ledger.
func (n *Node) keepNote(req *api.NoteRequest) error {
	if err := n.putNote(req); err != nil {
		return err
	}
	peers := n.custodianPeers()
	if len(peers) == 0 {
		return nil
	}
	acks := make(chan error, len(peers))
	for _, p := range peers {
		peer := transport.Peer{RaftID: p.RaftID, NodeID: p.ID, Addr: p.RaftAddr, Key: p.SignKey}
		go func() {
			rep, err := n.relay(context.Background(), peer, &relayRequest{Op: relayNoteCopy, MinHeight: n.Head().Height, Note: req},
				replicaAckTimeout)
			if err == nil && rep.Code != "" {
				err = replyErr(rep)
			}
			acks <- err
		}()
	}
	t := time.NewTimer(replicaAckTimeout)
	defer t.Stop()
	for range peers {
		select {
		case err := <-acks:
			if err == nil {
				return nil
			}
			n.log.Warn("a node of the organisation did not keep a copy of a break-glass note", "access", req.AccessID.String(),
				"kind", req.Kind, "err", err)
		case <-t.C:
			n.log.Warn("no other node of the organisation confirmed a copy of a break-glass note in time; it is on this node only",
				"access", req.AccessID.String(), "kind", req.Kind)
			return nil
		}
	}
	return nil
}

// putNote checks and keeps a note on this custodian node.
func (n *Node) putNote(req *api.NoteRequest) error {
	if n.private == nil {
		return ErrNotCustodian
	}
	if len(req.Keys) == 0 || len(req.Keys) > api.MaxNoteKeys {
		return fmt.Errorf("%w: a note carries 1 to %d wrapped keys, got %d", ErrInvalid, api.MaxNoteKeys, len(req.Keys))
	}
	m, err := n.authenticate(req.Sender, req.Time, req, req.Sig)
	if err != nil {
		return err
	}
	a, err := n.custodianAccess(req.AccessID)
	if err != nil {
		return err
	}
	want, err := n.noteHash(req.Kind, a, m.ID)
	if err != nil {
		return err
	}
	var wrapped []byte
	for _, k := range req.Keys {
		if k.Node == n.me.ID {
			wrapped = k.Wrapped
		}
	}
	if wrapped == nil {
		return fmt.Errorf("%w: the note's key is not wrapped for node %s", ErrInvalid, n.me.ID)
	}
	id := api.NoteID(req.Kind, req.AccessID)
	err = n.private.PutNote(id, req.Sealed, wrapped, [32]byte(want), api.MaxNoteBytes)
	switch {
	case errors.Is(err, privatestore.ErrNoteExists):
		return fmt.Errorf("%w: the %s note of access %s is already with the custodian", ErrNoteExists, req.Kind, req.AccessID)
	case errors.Is(err, privatestore.ErrNoteTooBig):
		return fmt.Errorf("%w: %v (a note is at most %d bytes)", ErrInvalid, err, api.MaxNoteBytes)
	case errors.Is(err, privatestore.ErrNoteMismatch):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	case err != nil:
		return err
	}
	// Ids only: never the text.
	n.log.Info("kept a break-glass note", "access", req.AccessID.String(), "kind", req.Kind, "by", m.ID)
	return nil
}

// custodianAccess loads a committed access whose record this node's
// organisation keeps.
func (n *Node) custodianAccess(id tx.ID) (*record.Access, error) {
	a, err := record.LoadAccess(stateReader{n}, id)
	if errors.Is(err, contracts.ErrNotFound) {
		return nil, fmt.Errorf("%w: access %s is not on the ledger (commit the access transaction first)", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	rec, err := record.LoadRecord(stateReader{n}, a.Record)
	if err != nil {
		return nil, err
	}
	if rec.Custodian != n.me.Org {
		return nil, fmt.Errorf("%w: record %q is held by %q", ErrNotFound, rec.ID, rec.Custodian)
	}
	return a, nil
}

// fetchNoteLocal releases a note this node keeps to a member the policy
// lets read the custodian's break-glass queue.
func (n *Node) fetchNoteLocal(req *api.NoteFetchRequest) (*api.NoteFetchResponse, error) {
	if n.private == nil {
		return nil, ErrNotCustodian
	}
	if req.Kind != api.NoteReason && req.Kind != api.NoteReview {
		return nil, fmt.Errorf("%w: note kind %q (%s or %s)", ErrInvalid, req.Kind, api.NoteReason, api.NoteReview)
	}
	m, err := n.authenticate(req.Reader, req.Time, req, req.Sig)
	if err != nil {
		return nil, err
	}
	if _, err := n.custodianAccess(req.AccessID); err != nil {
		return nil, err
	}
	d, err := n.policy.Enforce(policies.Request{Sub: m.ID, Dom: m.Org, Obj: api.NoteObject, Act: api.NoteAction, Org: n.me.Org})
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, fmt.Errorf("%w: only those who may read %s's break-glass queue (its privacy officers, auditors) read its notes",
			ErrForbidden, n.me.Org)
	}
	id := api.NoteID(req.Kind, req.AccessID)
	sealed, wrapped, err := n.private.ReleaseNote(id, m.ID, m.EncKey.Key)
	if err != nil {
		return nil, err
	}
	n.log.Info("released a break-glass note", "access", req.AccessID.String(), "kind", req.Kind, "reader", m.ID)
	return &api.NoteFetchResponse{AccessID: req.AccessID, Kind: req.Kind, Sealed: sealed, Wrapped: wrapped}, nil
}
