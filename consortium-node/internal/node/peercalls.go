package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/transport"
)

// peerCalls matches the replies of peers to the requests this node sent
// them over the transport (record release, record copies): each request
// gets an id, and a reply is handed only to the request of that id sent
// to that very peer. The zero value is ready; safe for concurrent use.
type peerCalls[R any] struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]peerCall[R]
}

type peerCall[R any] struct {
	peer uint64
	c    chan R
	gone chan struct{} // closed when the transport finds the peer unreachable
}

// call sends the request that build makes for its id (CBOR-encoded, as a
// message of kind) to peer and waits for the reply, at most timeout.
// ErrUnavailable when it cannot be sent or no reply comes; ErrStopped when
// the node stops; the context's end ends the wait too.
func (pc *peerCalls[R]) call(ctx context.Context, n *Node, peer transport.Peer, kind byte, timeout time.Duration,
	build func(id uint64) any) (R, error) {
	var zero R
	c := make(chan R, 1)
	pc.mu.Lock()
	if pc.pending == nil {
		pc.pending = map[uint64]peerCall[R]{}
	}
	pc.next++
	id := pc.next
	gone := make(chan struct{})
	pc.pending[id] = peerCall[R]{peer: peer.RaftID, c: c, gone: gone}
	pc.mu.Unlock()
	defer func() {
		pc.mu.Lock()
		delete(pc.pending, id)
		pc.mu.Unlock()
	}()
	payload, err := codec.Marshal(build(id))
	if err != nil {
		return zero, err
	}
	if n.tr == nil || !n.tr.Send(peer.RaftID, kind, payload) {
		return zero, fmt.Errorf("%w: %s (send queue full or not a member)", ErrUnavailable, peer.NodeID)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case rep := <-c:
		return rep, nil
	case <-t.C:
		return zero, fmt.Errorf("%w: %s did not answer within %v", ErrUnavailable, peer.NodeID, timeout)
	case <-gone:
		return zero, fmt.Errorf("%w: %s cannot be reached", ErrUnavailable, peer.NodeID)
	case <-ctx.Done():
		return zero, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	case <-n.stopped:
		return zero, ErrStopped
	}
}

// sendMsg sends v, CBOR-encoded, to peer as a message of kind, without
// waiting for it to leave (a full send queue drops it, as the transport
// does). A value that does not encode is logged as what, and not sent.
func (n *Node) sendMsg(peer uint64, kind byte, what string, v any) {
	payload, err := codec.Marshal(v)
	if err != nil {
		n.log.Error("encoding a peer message", "what", what, "err", err)
		return
	}
	n.tr.Send(peer, kind, payload)
}

// fail ends every wait on peer at once: the transport could not connect
// to it, or lost the connection, so the request is lost (a dead custodian
// answers in the time it takes to refuse a connection, not the timeout).
func (pc *peerCalls[R]) fail(peer uint64) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for id, w := range pc.pending {
		if w.peer == peer {
			close(w.gone)
			delete(pc.pending, id)
		}
	}
}

// deliver hands the reply to request id if from is the peer it was sent
// to; a late reply, or one from another peer, is dropped.
func (pc *peerCalls[R]) deliver(id, from uint64, rep R) {
	pc.mu.Lock()
	w, ok := pc.pending[id]
	pc.mu.Unlock()
	if !ok || w.peer != from {
		return
	}
	select {
	case w.c <- rep:
	default:
	}
}
