package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Record release across organisations (docs/decisions/0014): a reader's
// portal talks only to its own organisation's nodes; a fetch for a record
// that another organisation keeps is relayed by the reader's node to a
// node of the custodian organisation over the node transport (mutual TLS,
// certificates bound to the node keys on the ledger). The request stays
// signed by the reader, the custodian re-checks it against its own copy
// of the ledger, and what comes back is sealed and wrapped for the reader,
// so the relaying node learns nothing it could open.

const (
	kindRelay      byte = 7 // relayRequest
	kindRelayReply byte = 8 // relayReply
)

// Relay operations.
const (
	relayFetch = "fetch" // Fetch: serve the record under the access
	relayPing  = "ping"  // is a custodian node of the organisation up?
	// Break-glass notes (notes.go).
	relayNote      = "note"       // Note: keep the note
	relayNoteFetch = "note_fetch" // NoteFetch: release the note
	relayNoteCopy  = "note_copy"  // Note: keep a copy (from a node of this organisation; not copied further)
)

// Relay error classes, carried in relayReply.Code.
const (
	relayForbidden = "forbidden"
	relayNotFound  = "not_found"
	relayErased    = "erased"
	relayStale     = "stale"
	relayInvalid   = "invalid"
	relayExists    = "exists"
	relayInternal  = "internal"
)

// ErrUnavailable means no node of the custodian organisation answered:
// the request may be retried later.
var ErrUnavailable = errors.New("node: the custodian's nodes are unreachable")

// relayTimeout bounds one relayed request to one peer; relayWaitHeight
// bounds how long a custodian waits to apply the block holding the
// access it is asked to serve.
const (
	relayTimeout     = 5 * time.Second
	relayPingTimeout = 2 * time.Second
	relayWaitHeight  = 3 * time.Second
)

type relayRequest struct {
	_  struct{} `cbor:",toarray"`
	ID uint64
	Op string
	// MinHeight is the relaying node's head: the access it names is
	// committed at or below it.
	MinHeight uint64
	Fetch     *api.FetchRequest
	Note      *api.NoteRequest
	NoteFetch *api.NoteFetchRequest
}

// wellFormed reports whether the request carries exactly what its
// operation needs.
func (r *relayRequest) wellFormed() bool {
	want := map[string][3]bool{relayPing: {}, relayFetch: {true, false, false}, relayNote: {false, true, false},
		relayNoteCopy: {false, true, false}, relayNoteFetch: {false, false, true}}
	w, ok := want[r.Op]
	return ok && w == [3]bool{r.Fetch != nil, r.Note != nil, r.NoteFetch != nil}
}

type relayReply struct {
	_         struct{} `cbor:",toarray"`
	ID        uint64
	Code      string // "" on success
	Error     string
	Fetch     *api.FetchResponse
	NoteFetch *api.NoteFetchResponse
}

// relays tracks this node's relayed requests awaiting replies.
type relays = peerCalls[relayReply]

// FetchRecord serves a record under a committed access transaction. When
// this node keeps the record it checks and serves it (fetchLocal);
// otherwise it relays the signed request to the nodes of the record's
// custodian organisation and returns their answer. ErrUnavailable means
// none of them answered.
func (n *Node) FetchRecord(ctx context.Context, req *api.FetchRequest) (*api.FetchResponse, error) {
	return fromCustodian(n, req.AccessID, func() (*api.FetchResponse, error) { return n.fetchLocal(req) },
		func(custodian string) (*api.FetchResponse, error) { return n.fetchRemote(ctx, custodian, req) })
}

// fromCustodian serves what the access transaction access lets its
// member read, which the nodes of the record's custodian organisation
// keep: from this node (local) when it is one of them and keeps it, else
// from the custodian's other nodes (remote).
func fromCustodian[R any](n *Node, access tx.ID, local func() (*R, error),
	remote func(custodian string) (*R, error)) (*R, error) {
	custodian, err := n.custodianOf(access)
	if err != nil {
		return nil, err
	}
	if custodian == n.me.Org && n.private != nil {
		resp, err := local()
		if !errors.Is(err, privatestore.ErrNotFound) {
			return resp, err
		}
		// Kept by another node of this organisation.
	}
	return remote(custodian)
}

// fetchRemote relays a fetch to the nodes of the record's custodian
// organisation in turn and returns the first record served.
func (n *Node) fetchRemote(ctx context.Context, custodian string, req *api.FetchRequest) (*api.FetchResponse, error) {
	rep, peer, err := n.relayInTurn(ctx, custodian, relayRequest{Op: relayFetch, Fetch: req},
		func(rep relayReply) bool { return rep.Code == relayNotFound }, // this node lacks the copy; try another
		fmt.Errorf("%w: %q runs no other node", ErrUnavailable, custodian))
	if err != nil {
		return nil, err
	}
	if rep.Fetch == nil {
		return nil, fmt.Errorf("node: %s answered a fetch without a record", peer.NodeID)
	}
	return rep.Fetch, nil
}

// relayInTurn relays req to org's nodes in turn, each at this node's head then (MinHeight), and returns the first
// answer and who gave it: a success, or a refusal (its error) unless tryNext says another node of org may serve
// the request. A node that does not answer and a refusal passed over go on to the next node; with none left, the
// error is the last of those, or none when org has no node to ask.
func (n *Node) relayInTurn(ctx context.Context, org string, req relayRequest, tryNext func(relayReply) bool,
	none error) (relayReply, transport.Peer, error) {
	lastErr := none
	for _, peer := range n.orgPeers(org) {
		r := req // each call its own request: relay numbers it
		r.MinHeight = n.Head().Height
		rep, err := n.relay(ctx, peer, &r, relayTimeout)
		switch {
		case err != nil:
			lastErr = err
		case rep.Code != "" && tryNext(rep):
			lastErr = replyErr(rep)
		case rep.Code != "":
			return relayReply{}, peer, replyErr(rep)
		default:
			return rep, peer, nil
		}
	}
	return relayReply{}, transport.Peer{}, lastErr
}

// CustodianReachable reports whether a node of org that keeps records
// answers now (nil), or ErrUnavailable. A portal asks before it commits
// an access, so that the ledger does not record a grant whose release
// cannot happen.
func (n *Node) CustodianReachable(ctx context.Context, org string) error {
	if org == n.me.Org && n.private != nil {
		return nil
	}
	peers := n.orgPeers(org)
	if len(peers) == 0 {
		return fmt.Errorf("%w: %q runs no node that this node can reach", ErrUnavailable, org)
	}
	var lastErr error
	for _, p := range peers {
		rep, err := n.relay(ctx, p, &relayRequest{Op: relayPing}, relayPingTimeout)
		if err == nil && rep.Code == "" {
			return nil
		}
		if err == nil {
			err = replyErr(rep)
		}
		lastErr = err
	}
	return lastErr
}

// custodianOf returns the custodian organisation of the record an access
// names.
func (n *Node) custodianOf(access tx.ID) (string, error) {
	a, err := record.LoadAccess(stateReader{n}, access)
	if err != nil {
		return "", fmt.Errorf("%w: access %s: %v (commit the access transaction first)", ErrNotFound, access, err)
	}
	rec, err := record.LoadRecord(stateReader{n}, a.Record)
	if err != nil {
		return "", fmt.Errorf("%w: record %q: %v", ErrNotFound, a.Record, err)
	}
	return rec.Custodian, nil
}

// orgPeers returns the other nodes of org, in random order (load spreads
// over a custodian's nodes; a dead one is skipped after its timeout).
func (n *Node) orgPeers(org string) []transport.Peer {
	if n.tr == nil {
		return nil
	}
	var out []transport.Peer
	for _, p := range n.Members() {
		if p.Org == org && p.ID != n.me.ID {
			out = append(out, transport.Peer{RaftID: p.RaftID, NodeID: p.ID, Addr: p.RaftAddr, Key: p.SignKey})
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// relay sends one request to peer and waits for its reply.
func (n *Node) relay(ctx context.Context, peer transport.Peer, req *relayRequest, timeout time.Duration) (relayReply, error) {
	return n.relays.call(ctx, n, peer, kindRelay, timeout, func(id uint64) any {
		req.ID = id
		return req
	})
}

// handleRelay runs on transport goroutines: requests are served on their
// own goroutine (bounded by fwdSem), replies handed to their waiter.
func (n *Node) handleRelay(from transport.Peer, kind byte, payload []byte) {
	switch kind {
	case kindRelay:
		var req relayRequest
		if err := codec.Peer.Unmarshal(payload, &req); err != nil || !req.wellFormed() {
			n.log.Warn("dropping bad relay request", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.fwdSem <- struct{}{}:
		default:
			n.sendReply(from, relayReply{ID: req.ID, Code: relayInternal, Error: "the custodian node is busy; try again"})
			return
		}
		go func() {
			defer func() { <-n.fwdSem }()
			n.sendReply(from, n.serveRelay(from, &req))
		}()
	case kindRelayReply:
		var rep relayReply
		if err := codec.Peer.Unmarshal(payload, &rep); err != nil {
			n.log.Warn("dropping bad relay reply", "peer", from.NodeID, "err", err)
			return
		}
		n.relays.deliver(rep.ID, from.RaftID, rep)
	}
}

func (n *Node) sendReply(to transport.Peer, rep relayReply) {
	n.sendMsg(to.RaftID, kindRelayReply, "a relay reply", rep)
}

// serveRelay answers a relayed request as the custodian.
func (n *Node) serveRelay(from transport.Peer, req *relayRequest) relayReply {
	rep := relayReply{ID: req.ID}
	if n.private == nil {
		rep.Code, rep.Error = relayNotFound, ErrNotCustodian.Error()
		return rep
	}
	if req.Op == relayPing {
		return rep
	}

	// The access was committed on the relaying node; wait (briefly) until
	// this node has applied that block too.
	deadline := time.NewTimer(relayWaitHeight)
	defer deadline.Stop()
wait:
	for n.Head().Height < req.MinHeight {
		select {
		case <-n.HeadChanged():
		case <-deadline.C:
			break wait
		case <-n.stopped:
			rep.Code, rep.Error = relayInternal, "the custodian node is stopping; try again"
			return rep
		}
	}
	switch req.Op {
	case relayNote:
		if err := n.keepNote(req.Note); err != nil {
			return n.relayFailure(from, rep, err)
		}
		return rep
	case relayNoteCopy:
		if _, err := n.sameOrgPeer(from); err != nil {
			return n.relayFailure(from, rep, fmt.Errorf("%w: %v", ErrForbidden, err))
		}
		if err := n.putNote(req.Note); err != nil && !errors.Is(err, ErrNoteExists) {
			return n.relayFailure(from, rep, err)
		}
		return rep
	case relayNoteFetch:
		resp, err := n.fetchNoteLocal(req.NoteFetch)
		if err != nil {
			return n.relayFailure(from, rep, err)
		}
		rep.NoteFetch = resp
		return rep
	}
	resp, err := n.fetchLocal(req.Fetch)
	if err != nil {
		rep.Code, rep.Error = relayCodes.code(err), err.Error()
		if rep.Code == relayInternal {
			n.log.Error("serving a relayed fetch", "peer", from.NodeID, "err", err)
			rep.Error = "internal error on the custodian node; see its log"
		}
		return rep
	}
	n.log.Info("released a record to another organisation's node", "peer", from.NodeID, "record", resp.RecordID, "version", resp.Version)
	rep.Fetch = resp
	return rep
}

// relayFailure fills rep with a coded refusal (internal detail stays in
// this node's log).
func (n *Node) relayFailure(from transport.Peer, rep relayReply, err error) relayReply {
	rep.Code, rep.Error = relayCodes.code(err), err.Error()
	if rep.Code == relayInternal {
		n.log.Error("serving a relayed request", "peer", from.NodeID, "err", err)
		rep.Error = "internal error on the custodian node; see its log"
	}
	return rep
}

// relayCodes are the relay's refusals: the custodian's error, coded, is its error again on the reader's node, so
// the API answers the reader as the custodian would have; anything else is "internal" there and ErrUnavailable here.
var relayCodes = codeTable{entries: []codeEntry{
	{code: relayInvalid, errs: []error{ErrInvalid}, back: ErrInvalid},
	{code: relayExists, errs: []error{ErrNoteExists}, back: ErrNoteExists},
	{code: relayErased, errs: []error{privatestore.ErrErased}, back: privatestore.ErrErased},
	{code: relayForbidden, errs: []error{ErrForbidden}, back: ErrForbidden},
	{code: relayStale, errs: []error{ErrStale}, back: ErrStale},
	{code: relayNotFound, errs: []error{ErrNotFound, privatestore.ErrNotFound}, back: ErrNotFound},
}, other: relayInternal, otherErr: ErrUnavailable}

// replyErr turns a custodian's coded refusal back into the node's errors.
func replyErr(rep relayReply) error {
	return relayCodes.err(rep.Code, "the custodian answered: "+rep.Error)
}
