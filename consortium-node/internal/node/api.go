package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/quorum"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// NextHeight implements mempool.Ledger.
func (n *Node) NextHeight() uint64 {
	h, _ := n.store.Head()
	return h.Height + 1
}

// Committed implements mempool.Ledger: the store answers from the replay
// window's transaction ids in memory (store.TrackRecent), as it does block
// building's question about the same transaction (at store.Tip).
func (n *Node) Committed(id tx.ID, expiry uint64) (bool, error) { return n.store.Committed(id, expiry) }

// Submit admits encoded signed transactions. With wait, it also waits (until
// ctx ends) for each admitted transaction to be committed or left out of a
// block. A result with neither Err nor Committed is still pending. A client
// told "not committed" may safely resubmit: a committed id is never
// committed again.
func (n *Node) Submit(ctx context.Context, raws [][]byte, wait bool) ([]TxResult, error) {
	select {
	case <-n.stopped:
		return nil, ErrStopped
	default:
	}
	if err := n.stallErr(); err != nil { // a full disk (diskfull.go)
		return nil, err
	}
	var chans []chan TxResult
	if wait {
		chans = make([]chan TxResult, len(raws))
		n.waitMu.Lock()
		for i, raw := range raws {
			ch := make(chan TxResult, 1)
			chans[i] = ch
			id := tx.HashID(raw)
			n.waiters[id] = append(n.waiters[id], ch)
		}
		n.waitMu.Unlock()
	}
	// Admission is bounded CPU work: finish it even if the caller's wait
	// deadline is shorter, so a short wait yields "pending", not an error.
	adm, err := n.pool.Add(context.WithoutCancel(ctx), raws)
	if err != nil {
		n.dropWaiters(raws, chans)
		return nil, err
	}
	out := make([]TxResult, len(raws))
	for i, a := range adm {
		out[i] = TxResult{ID: a.ID, Err: a.Err, Reason: a.Reason}
	}
	if !wait {
		return out, nil
	}
	for i := range out {
		if out[i].Err != nil {
			continue
		}
		select {
		case r := <-chans[i]:
			out[i] = r
		case <-ctx.Done():
		}
	}
	n.dropWaiters(raws, chans)
	return out, nil
}

func (n *Node) dropWaiters(raws [][]byte, chans []chan TxResult) {
	if chans == nil {
		return
	}
	n.waitMu.Lock()
	defer n.waitMu.Unlock()
	for i, raw := range raws {
		id := tx.HashID(raw)
		ws := n.waiters[id]
		for j, ch := range ws {
			if ch == chans[i] {
				ws = append(ws[:j], ws[j+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(n.waiters, id)
		} else {
			n.waiters[id] = ws
		}
	}
}

// Head returns the last committed block's summary.
func (n *Node) Head() store.Head {
	h, _ := n.store.Head()
	return h
}

// HeadChanged returns a channel closed when the next block commits.
func (n *Node) HeadChanged() <-chan struct{} {
	n.headMu.Lock()
	defer n.headMu.Unlock()
	return n.headC
}

// Stopped is closed when Run has returned.
func (n *Node) Stopped() <-chan struct{} { return n.stopped }

// BlockWithReceipts is a committed block with its receipts and the node
// signatures over its header.
type BlockWithReceipts struct {
	Block      *ledger.Block
	Hash       ledger.Hash
	Receipts   []ledger.Receipt
	Signatures []ledger.HeaderSignature
}

func wrapNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

// Block returns the block at height, after checking it against its
// header's Merkle roots: a node whose stored block was tampered with halts
// instead of serving it.
func (n *Node) Block(height uint64) (*BlockWithReceipts, error) {
	if err := n.healthy(); err != nil {
		return nil, err
	}
	b, err := n.store.Block(height)
	if err != nil {
		return nil, n.readFailed(wrapNotFound(err))
	}
	rs, err := n.store.Receipts(height)
	if err != nil {
		return nil, n.readFailed(err)
	}
	sigs, err := n.store.Signatures(height)
	if err != nil {
		return nil, n.readFailed(err)
	}
	if ledger.TxRoot(b.Txs) != b.Header.TxRoot || ledger.ReceiptRoot(rs) != b.Header.ReceiptRoot {
		err := fmt.Errorf("%w: block %d on disk does not match its header's Merkle roots; the node stops rather than "+
			"serve it (restore its data folder from a healthy node)", store.ErrCorrupt, height)
		n.halt(err)
		return nil, err
	}
	return &BlockWithReceipts{Block: b, Hash: b.Header.Hash(), Receipts: rs, Signatures: sigs}, nil
}

// BlockByHash returns the block with the given header hash.
func (n *Node) BlockByHash(h ledger.Hash) (*BlockWithReceipts, error) {
	height, err := n.store.HeightOf(h)
	if err != nil {
		return nil, wrapNotFound(err)
	}
	return n.Block(height)
}

// Proof returns the receipt proof of a committed transaction.
func (n *Node) Proof(id tx.ID) (*ledger.ReceiptProof, error) {
	if err := n.healthy(); err != nil {
		return nil, err // never vouch for a state the consortium disagrees with
	}
	height, idx, ok, err := n.store.TxLocation(id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: transaction %s is not committed (still pending, rejected, or unknown)", ErrNotFound, id)
	}
	b, err := n.Block(height)
	if err != nil {
		return nil, err
	}
	return ledger.BuildReceiptProof(b.Block, b.Receipts, b.Signatures, idx)
}

// Status returns the node's current status.
func (n *Node) Status() api.Status {
	h := n.Head()
	s := api.Status{ChainID: n.cfg.Genesis.ChainID, NodeID: n.cfg.NodeID, Height: h.Height, HeadHash: h.Hash,
		StateHash: h.StateHash, HeadTime: time.Unix(0, h.Time).UTC(), Pending: n.pool.Pending(), Nodes: len(n.Members())}
	if r := n.raftSt.Load(); r != nil {
		s.Raft.Voters = r.Voters
		s.Raft.ID, s.Raft.Term, s.Raft.Leader, s.Raft.State, s.Raft.Commit, s.Raft.Applied = r.ID, r.Term, r.Lead, r.State, r.Commit, n.applied(r)
	}
	if e := n.fatal.Load(); e != nil {
		s.Error = (*e).Error()
	} else if st := n.stalled.Load(); st != nil {
		s.Error = st.reason()
	}
	s.KeysExpiring = n.expiries.within(time.Now(), StatusKeyWindow)
	return s
}

// Genesis returns the chain's genesis file.
func (n *Node) Genesis() any { return n.cfg.Genesis }

// ExpiringKeys lists active members whose signing key expires within d
// (or has expired), soonest first.
func (n *Node) ExpiringKeys(d time.Duration) ([]api.ExpiringKey, error) {
	return n.expiries.within(time.Now(), d), nil
}

// Policy returns the rules in force for the next block and the threshold.
func (n *Node) Policy() (*api.Policy, error) {
	head, _ := n.store.Head()
	pct, err := quorum.Percent(stateReader{n})
	if err != nil {
		return nil, err
	}
	return &api.Policy{Height: head.Height, Rules: n.policy.Rules(), ThresholdPercent: pct}, nil
}

// Proposal returns a governance proposal and its tally as of the head.
func (n *Node) Proposal(id string) (*governance.View, error) {
	head, _ := n.store.Head()
	v, err := governance.Status(stateReader{n}, id, time.Unix(0, head.Time))
	if errors.Is(err, contracts.ErrNotFound) {
		return nil, fmt.Errorf("%w: proposal %q", ErrNotFound, id)
	}
	return v, err
}
