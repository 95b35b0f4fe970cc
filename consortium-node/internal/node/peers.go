package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// Message kinds on the node transport.
const (
	kindRaft       byte = 1 // a raftpb.Message
	kindForward    byte = 2 // CBOR array of signed transactions for the leader
	kindHeaderSig  byte = 3 // headerSigMsg
	kindSigRequest byte = 4 // sigRequest: send me your signatures for these heights
)

// sigRequest asks a peer for its header signatures over [From, To].
type sigRequest struct {
	_    struct{} `cbor:",toarray"`
	From uint64
	To   uint64
}

// Signature gossip parameters.
const (
	sigResendRecent = 16  // heights below the head whose own signatures are re-sent every second
	sigRequestSpan  = 256 // most heights asked for in one request
)

// ErrDiverged marks a node whose state hash differs from a quorum's.
var ErrDiverged = errors.New("node: state diverged from the consortium")

// headerSigMsg carries a node's signature over the header it computed.
type headerSigMsg struct {
	_      struct{} `cbor:",toarray"`
	Height uint64
	Hash   ledger.Hash
	Sig    ledger.HeaderSignature
	// Index is the raft entry whose application built the block (0 when
	// unknown: a re-sent signature, a block replayed by sync). A node that
	// applied that entry without building a block at Height diverged.
	Index uint64
}

func (n *Node) openTransport() error {
	if len(n.cfg.Genesis.Nodes) == 1 && n.cfg.Join == nil {
		return nil // a cluster of one has no peers
	}
	me := transport.Peer{RaftID: n.me.RaftID, NodeID: n.me.ID, Addr: n.me.RaftAddr, Key: n.me.SignKey}
	tr, err := transport.New(transport.Config{
		Self: me, PrivateKey: n.cfg.Key, Members: n.peers, Logger: n.log.With("component", "transport"),
		Handler: transport.HandlerFunc(n.handleMessage), Drop: n.cfg.Drop,
		Unreachable: func(id uint64) {
			n.relays.fail(id)
			if n.repl != nil {
				n.repl.calls.fail(id)
			}
			select {
			case n.unreachC <- id:
			default:
			}
		},
	})
	if err != nil {
		return err
	}
	addr := n.cfg.RaftListen
	if addr == "" {
		addr = n.me.RaftAddr
	}
	if err := tr.Listen(addr); err != nil {
		return err
	}
	n.tr = tr
	return nil
}

// RaftAddr returns where the node's transport listens ("" for a cluster of
// one).
func (n *Node) RaftAddr() string {
	if n.tr == nil {
		return ""
	}
	return n.tr.Addr()
}

// handleMessage runs on transport goroutines: it decodes and hands off,
// never blocking on the raft loop.
func (n *Node) handleMessage(from transport.Peer, kind byte, payload []byte) {
	switch kind {
	case kindRaft:
		m := &raftpb.Message{}
		if err := proto.Unmarshal(payload, m); err != nil || m.GetFrom() != from.RaftID {
			n.log.Warn("dropping bad raft message", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.recvC <- m:
		default: // raft tolerates loss; the peer retries
		}
	case kindForward:
		var raws [][]byte
		if err := codec.Peer.Unmarshal(payload, &raws); err != nil || len(raws) > n.cfg.MaxBlockTxs {
			n.log.Warn("dropping bad forwarded batch", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.fwdSem <- struct{}{}:
		default:
			n.log.Warn("dropping forwarded batch: admission busy", "peer", from.NodeID, "txs", len(raws))
			return
		}
		go func() {
			defer func() { <-n.fwdSem }()
			if _, err := n.pool.Add(context.Background(), raws); err != nil {
				n.log.Warn("admitting forwarded transactions", "peer", from.NodeID, "err", err)
			}
		}()
	case kindHeaderSig:
		var m headerSigMsg
		if err := codec.Peer.Unmarshal(payload, &m); err != nil || m.Sig.Node != from.NodeID {
			n.log.Warn("dropping bad header signature", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.sigC <- m:
		default:
		}
	case kindSigRequest:
		var r sigRequest
		if err := codec.Peer.Unmarshal(payload, &r); err != nil || r.To < r.From || r.To-r.From >= sigRequestSpan {
			n.log.Warn("dropping bad signature request", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.sigReqC <- sigReqFrom{peer: from.RaftID, req: r}:
		default:
		}
	case kindBlockRequest, kindBlocks:
		n.handleSyncMessage(from, kind, payload)
	case kindRelay, kindRelayReply:
		n.handleRelay(from, kind, payload)
	case kindReplica, kindReplicaReply:
		n.handleReplica(from, kind, payload)
	default:
		n.log.Warn("dropping message of unknown kind", "peer", from.NodeID, "kind", kind)
	}
}

type sigReqFrom struct {
	peer uint64
	req  sigRequest
}

// broadcastHeader sends this node's signature over a committed header,
// built by applying raft entry index (0 when not known), to every peer,
// and remembers the entry for re-sending.
func (n *Node) broadcastHeader(h *ledger.Header, sig ledger.HeaderSignature, index uint64) {
	if index != 0 {
		n.builtAt.put(h.Height, index)
	}
	n.sendOwnSig(0, h.Height, h.Hash(), sig, index)
}

// entries remembers, for the last heights this node built, the raft entry
// each was built from (headerSigMsg.Index), so that re-sent signatures
// carry it too. Safe for concurrent use.
type entries struct {
	mu sync.Mutex
	at map[uint64]uint64 // height -> raft index
}

func (e *entries) put(height, index uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.at == nil {
		e.at = map[uint64]uint64{}
	}
	e.at[height] = index
	delete(e.at, height-min(height, sigResendRecent))
}

func (e *entries) get(height uint64) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at[height]
}

// sendOwnSig sends this node's signature over the header at height to one
// peer (to != 0) or to all.
func (n *Node) sendOwnSig(to, height uint64, hash ledger.Hash, sig ledger.HeaderSignature, index uint64) {
	if n.tr == nil {
		return
	}
	b, err := codec.Marshal(&headerSigMsg{Height: height, Hash: hash, Sig: sig, Index: index})
	if err != nil {
		n.log.Error("encoding header signature", "err", err)
		return
	}
	for _, p := range n.Members() {
		if p.RaftID != n.me.RaftID && (to == 0 || to == p.RaftID) {
			n.tr.Send(p.RaftID, kindHeaderSig, b)
		}
	}
}

// resendOwn sends this node's stored signatures over [from, to] to peer
// (0: all peers).
func (n *Node) resendOwn(peer, from, to uint64) {
	if n.tr == nil {
		return
	}
	for h := from; h <= to && h != 0; h++ {
		b, err := n.store.Block(h)
		if err != nil {
			return
		}
		sigs, err := n.store.Signatures(h)
		if err != nil {
			return
		}
		for _, s := range sigs {
			if s.Node == n.cfg.NodeID {
				n.sendOwnSig(peer, h, b.Header.Hash(), s, n.builtAt.get(h))
			}
		}
	}
}

// requestMissing asks peers for signatures over the lowest heights that do
// not yet carry every node's signature, starting at *cursor (which it
// advances past fully signed heights).
func (n *Node) requestMissing(cursor *uint64, head uint64) {
	if n.tr == nil {
		return
	}
	all := len(n.Members())
	for *cursor <= head {
		sigs, err := n.store.Signatures(*cursor)
		if err != nil || len(sigs) < all {
			break
		}
		*cursor++
	}
	if *cursor > head {
		return
	}
	b, err := codec.Marshal(&sigRequest{From: *cursor, To: min(head, *cursor+sigRequestSpan-1)})
	if err != nil {
		return
	}
	for _, p := range n.Members() {
		if p.RaftID != n.me.RaftID {
			n.tr.Send(p.RaftID, kindSigRequest, b)
		}
	}
}

// sigLoop collects peers' header signatures: a signature over the header
// this node computed is stored with the block (receipt proofs carry them);
// a quorum of signatures over a different header at the same height means
// this node's state diverged, and it halts.
func (n *Node) sigLoop(ctx context.Context) {
	pending := map[uint64][]headerSigMsg{}
	conflicts := map[uint64]map[ledger.Hash]map[string]bool{}
	valid := func(m headerSigMsg) bool {
		k, ok := n.memberKeys()[m.Sig.Node]
		return ok && k.Alg == m.Sig.Alg && k.Verify(ledger.HeaderSignBytes(m.Hash), m.Sig.Sig) == nil
	}
	// missed counts m when this node applied the raft entry that built m's
	// block without building a block at that height (head is read once:
	// its height and applied index are written together): its state
	// diverged so that a proposal the quorum turned into a block left
	// nothing here (every transaction refused, e.g. a signer missing from
	// its state). A quorum of such signatures halts it.
	missed := map[uint64]map[ledger.Hash]map[string]bool{}
	checkMissed := func(m headerSigMsg, head store.Head) {
		if m.Index == 0 || m.Index > head.Applied || m.Height <= head.Height || !valid(m) {
			return
		}
		if missed[m.Height] == nil {
			missed[m.Height] = map[ledger.Hash]map[string]bool{}
		}
		if missed[m.Height][m.Hash] == nil {
			missed[m.Height][m.Hash] = map[string]bool{}
		}
		missed[m.Height][m.Hash][m.Sig.Node] = true
		if len(missed[m.Height][m.Hash]) >= n.quorum() {
			n.halt(fmt.Errorf("%w: a quorum of nodes built block %d (%s) from raft entry %d, which this node applied "+
				"without building it (its head is %d); it stopped applying blocks and serves no proofs; restore its data "+
				"from a healthy node", ErrDiverged, m.Height, m.Hash, m.Index, head.Height))
		}
	}
	handle := func(m headerSigMsg) {
		head, _ := n.store.Head()
		if m.Height > head.Height {
			checkMissed(m, head)
			if m.Height <= head.Height+1000 && len(pending[m.Height]) < 64 {
				pending[m.Height] = append(pending[m.Height], m)
			}
			return
		}
		if !valid(m) {
			n.log.Warn("ignoring an invalid header signature", "node", m.Sig.Node, "height", m.Height)
			return
		}
		b, err := n.store.Block(m.Height)
		if err != nil {
			n.log.Error("reading block for a header signature", "height", m.Height, "err", err)
			return
		}
		if b.Header.Hash() == m.Hash {
			if err := n.store.AddSignature(m.Height, m.Sig); err != nil {
				n.log.Error("storing header signature", "height", m.Height, "err", err)
				n.stallOn(err) // a full disk: the raft loop stops too (diskfull.go)
			}
			return
		}
		n.log.Error("a node signed a different header at the same height", "node", m.Sig.Node, "height", m.Height,
			"theirs", m.Hash.String(), "ours", b.Header.Hash().String())
		byHash := conflicts[m.Height]
		if byHash == nil {
			byHash = map[ledger.Hash]map[string]bool{}
			conflicts[m.Height] = byHash
		}
		if byHash[m.Hash] == nil {
			byHash[m.Hash] = map[string]bool{}
		}
		byHash[m.Hash][m.Sig.Node] = true
		if len(byHash[m.Hash]) >= n.quorum() {
			n.halt(fmt.Errorf("%w: at height %d a quorum of nodes signed header %s but this node computed %s; "+
				"it stopped applying blocks and serves no proofs; restore its data from a healthy node",
				ErrDiverged, m.Height, m.Hash, b.Header.Hash()))
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	cursor := uint64(1)
	for {
		changed := n.HeadChanged()
		select {
		case <-ctx.Done():
			return
		case m := <-n.sigC:
			handle(m)
		case r := <-n.sigReqC:
			head, _ := n.store.Head()
			n.resendOwn(r.peer, r.req.From, min(r.req.To, head.Height))
		case <-tick.C:
			// Signatures travel once and may be lost (a peer restarting):
			// re-send our recent ones and ask for what we lack.
			head, _ := n.store.Head()
			n.resendOwn(0, max(1, head.Height-min(head.Height, sigResendRecent-1)), head.Height)
			n.requestMissing(&cursor, head.Height)
			// Signatures that came before this node applied their entry.
			for _, ms := range pending {
				for _, m := range ms {
					checkMissed(m, head)
				}
			}
		case <-changed:
			head, _ := n.store.Head()
			for h, ms := range pending {
				if h <= head.Height {
					delete(pending, h)
					for _, m := range ms {
						handle(m)
					}
				}
			}
			for h := range conflicts {
				if h+1000 < head.Height {
					delete(conflicts, h)
				}
			}
			for h := range missed {
				if h <= head.Height {
					delete(missed, h)
				}
			}
		}
	}
}

// halt stops the node after a fatal error (a storage fault or divergence).
func (n *Node) halt(err error) {
	if n.fatal.CompareAndSwap(nil, &err) {
		n.log.Error("NODE HALTED", "err", err)
		if perr := n.store.SetHalted(err.Error()); perr != nil {
			n.log.Error("recording the halt", "err", perr)
		}
		n.cancelRun()
	}
}

// healthy returns the fatal error that halted the node, if any.
func (n *Node) healthy() error {
	if e := n.fatal.Load(); e != nil {
		return *e
	}
	return nil
}
