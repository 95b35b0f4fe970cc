package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/almoner/almoner/consortium-node/api"
	"time"

	"github.com/almoner/almoner/consortium-node/authz"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/mempool"
	"github.com/almoner/almoner/consortium-node/store"
	"github.com/almoner/almoner/consortium-node/tx"
)

type candidate struct {
	id       tx.ID
	raw      []byte
	stx      *tx.Signed
	verified bool
	err      error
}

// applyProposal turns a committed proposal into a block. Every node runs
// exactly this on exactly these bytes and state, so every node builds the
// same block: transactions that are malformed, badly signed, for another
// chain, expired, already committed, repeated, or beyond the block limits
// are left out (their submitters are told why), the rest are executed.
func (n *Node) applyProposal(index uint64, p *proposal) error {
	if p.Proposer == n.cfg.NodeID {
		defer func() {
			select {
			case <-n.inflight:
			default:
			}
		}()
	}
	head, _ := n.store.Head()
	height := head.Height + 1
	blockTime := max(p.Time, head.Time+1)
	params := n.cfg.Genesis.Params

	cands := make([]candidate, len(p.Txs))
	if err := n.pool.Parallel(context.Background(), len(p.Txs), func(i int) {
		c := &cands[i]
		c.raw = p.Txs[i]
		c.id = tx.HashID(c.raw)
		if e, ok := n.pool.Lookup(c.id); ok {
			c.stx, c.verified = e.Tx, true
			return
		}
		c.stx, c.err = tx.Decode(c.raw)
		if c.err == nil {
			c.err = c.stx.Verify()
			c.verified = c.err == nil
		}
	}); err != nil {
		return err
	}

	var (
		txns     []exec.Txn
		included []candidate
		rejected []TxResult
		size     int
		seen     = make(map[tx.ID]bool, len(cands))
	)
	blk := n.contractsBlock(height, blockTime)
	for _, c := range cands {
		err := c.err
		if err == nil {
			err = mempool.Check(c.stx, n.cfg.Genesis.ChainID, height, params.ReplayWindow)
		}
		if err == nil {
			err = n.reg.Precheck(c.stx.Body.Call)
		}
		if err == nil {
			// Only members' transactions enter a block, whoever proposed
			// it: state at head and the block's time decide, the same on
			// every node.
			refusal, rerr := n.adm.member(c.stx, head, time.Unix(0, blockTime))
			if rerr != nil {
				return rerr
			}
			err = refusal
		}
		if err == nil && seen[c.id] {
			err = fmt.Errorf("%w: duplicate of an earlier transaction in the block", mempool.ErrDuplicate)
		}
		if err == nil {
			if _, _, done, lerr := n.store.TxLocation(c.id); lerr != nil {
				return lerr
			} else if done {
				err = fmt.Errorf("%w: %s", mempool.ErrCommitted, c.id)
			}
		}
		if err == nil && (len(included) >= params.MaxBlockTxs || size+len(c.raw) > params.MaxBlockBytes) {
			err = fmt.Errorf("%w: block limits reached; submit again", ErrRejected)
		}
		if err != nil {
			reason := mempool.ReasonOf(err)
			if errors.Is(err, contracts.ErrShape) {
				reason = api.RefusedPrecheck
			}
			rejected = append(rejected, TxResult{ID: c.id, Err: err, Reason: reason})
			continue
		}
		seen[c.id] = true
		size += len(c.raw)
		included = append(included, c)
		txns = append(txns, n.reg.Txn(blk, c.stx, c.id, c.verified))
	}
	if len(included) == 0 {
		if err := n.store.SetApplied(index); err != nil {
			return err
		}
		n.finish(nil, rejected)
		return nil
	}

	_, receipts, err := n.executeAndCommit(index, head, height, blockTime, p.Proposer, included, txns, nil)
	if err != nil {
		return err
	}
	done := make([]TxResult, len(included))
	for i := range included {
		done[i] = TxResult{ID: included[i].id, Committed: true, Height: height, Index: i, Receipt: &receipts[i]}
	}
	n.finish(done, rejected)
	n.log.Debug("committed block", "height", height, "txs", len(included), "rejected", len(rejected))
	return nil
}

// executeAndCommit executes a block's transactions on top of head, builds
// its header, signs it, commits it in one batch, and tells peers. When
// want is set (block sync), the computed header must equal it, or nothing
// is committed.
func (n *Node) executeAndCommit(index uint64, head store.Head, height uint64, blockTime int64, proposer string,
	included []candidate, txns []exec.Txn, want *ledger.Header) (*ledger.Block, []ledger.Receipt, error) {
	start := time.Now()
	res, err := n.cfg.Executor.Execute(n.store, txns)
	n.metrics.execute.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, nil, fmt.Errorf("node: executing block %d: %w", height, err)
	}
	b := &ledger.Block{Txs: make([][]byte, len(included))}
	receipts := make([]ledger.Receipt, len(included))
	for i, c := range included {
		b.Txs[i] = c.raw
		r := ledger.Receipt{TxID: c.id, Status: ledger.StatusOK, Events: res.Outcomes[i].Events}
		if e := res.Outcomes[i].Err; e != nil {
			r.Status, r.Error, r.Events = ledger.StatusFailed, e.Error(), nil
		}
		if r.Events == nil {
			r.Events = []ledger.Event{}
		}
		receipts[i] = r
	}
	writes := make([]ledger.StateWrite, len(res.Writes))
	for i, w := range res.Writes {
		writes[i] = ledger.StateWrite{Key: w.Key, Value: w.Value, Deleted: w.Deleted}
	}
	b.Header = ledger.Header{
		ChainID: n.cfg.Genesis.ChainID, Height: height, Time: blockTime, PrevHash: head.Hash,
		TxRoot: ledger.TxRoot(b.Txs), ReceiptRoot: ledger.ReceiptRoot(receipts),
		StateHash: ledger.NextStateHash(head.StateHash, writes), Proposer: proposer,
	}
	hash := b.Header.Hash()
	if want != nil && want.Hash() != hash {
		return nil, nil, fmt.Errorf("%w: replaying block %d gives header %s, the peer's is %s",
			ErrDiverged, height, hash, want.Hash())
	}
	sig := ledger.SignHeader(n.cfg.NodeID, n.cfg.Key, hash)
	start = time.Now()
	if err := n.store.Commit(&store.Commit{Block: b, Receipts: receipts, Writes: writes,
		Signatures: []ledger.HeaderSignature{sig}, Applied: index}); err != nil {
		return nil, nil, err
	}
	n.metrics.commit.Observe(time.Since(start).Seconds())
	// The next block is authorised by the policy and roles as of this one.
	if u, err := authz.UpdateFor(writes); err != nil {
		return nil, nil, err
	} else if err := n.policy.Apply(u); err != nil {
		return nil, nil, fmt.Errorf("node: applying block %d's policy changes: %w", height, err)
	}
	if err := n.expiries.apply(writes); err != nil {
		return nil, nil, err
	}
	if membershipChanged(receipts) {
		if err := n.loadMembers(); err != nil {
			return nil, nil, err
		}
		n.log.Info("consortium membership changed", "height", height, "nodes", len(n.Members()))
	}
	n.shred(receipts)
	if want == nil {
		n.broadcastHeader(&b.Header, sig, index) // built by applying entry index
	} else {
		n.broadcastHeader(&b.Header, sig, 0) // replayed: index is not the block's entry
	}
	return b, receipts, nil
}

// finish tells waiters, the mempool and block followers what happened.
func (n *Node) finish(done, rejected []TxResult) {
	ids := make([]tx.ID, 0, len(done)+len(rejected))
	for _, group := range [][]TxResult{done, rejected} {
		for _, r := range group {
			ids = append(ids, r.ID)
		}
	}
	n.pool.Done(ids) // before waking waiters, so Pending is already current
	n.waitMu.Lock()
	for _, group := range [][]TxResult{done, rejected} {
		for _, r := range group {
			for _, ch := range n.waiters[r.ID] {
				ch <- r // buffered, one result per waiter
			}
			delete(n.waiters, r.ID)
		}
	}
	n.waitMu.Unlock()
	if len(done) > 0 {
		n.headMu.Lock()
		close(n.headC)
		n.headC = make(chan struct{})
		n.headMu.Unlock()
	}
}

func (n *Node) failWaiters() {
	n.waitMu.Lock()
	defer n.waitMu.Unlock()
	for id, chs := range n.waiters {
		for _, ch := range chs {
			ch <- TxResult{ID: id, Err: ErrStopped}
		}
	}
	n.waiters = map[tx.ID][]chan TxResult{}
}

func (n *Node) contractsBlock(height uint64, blockTime int64) contracts.Block {
	return contracts.Block{ChainID: n.cfg.Genesis.ChainID, Height: height, Time: time.Unix(0, blockTime).UTC(), Policy: n.policy}
}
