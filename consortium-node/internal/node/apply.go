package node

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/almoner/almoner/consortium-node/internal/authz"
	"github.com/almoner/almoner/consortium-node/internal/blockbuild"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// applyProposal turns a committed proposal into a block with the block
// builder (consortium-node/internal/blockbuild): every node runs exactly this on
// exactly these bytes and state, so every node builds the same block;
// what is left out is told why. The node then signs, commits and
// announces it.
func (n *Node) applyProposal(index uint64, p *proposal) error {
	// The proposer's in-flight slot (proposeLoop) is freed once the
	// proposal's block is durable, or here when it makes none: the blocks
	// in flight, and so how full the proposer lets them get, are what they
	// are without the commit's overlap (pipeline.go).
	freeSlot := func() {
		if p.Proposer == n.cfg.NodeID {
			select {
			case <-n.inflight:
			default:
			}
		}
	}
	handed := false // to commitBuilt, whose ack frees it
	defer func() {
		if !handed {
			freeSlot()
		}
	}()
	// The block builds on the tip: the block being written, if one is
	// (commitBuilt), over the store.
	tip := n.store.Tip()
	cands := make([]blockbuild.Candidate, len(p.Txs))
	if err := n.pool.Parallel(context.Background(), len(p.Txs), func(i int) {
		c := &cands[i]
		c.Raw = p.Txs[i]
		c.ID = tx.HashID(c.Raw)
		if e, ok := n.pool.Lookup(c.ID); ok {
			c.Tx, c.Verified = e.Tx, true // decoded and verified at admission
			return
		}
		c.Tx, c.Err = tx.Decode(c.Raw) // its signature: below
	}); err != nil {
		return err
	}
	// What this node did not admit (a follower's, another proposer's) has
	// its signatures checked in batches over the workers; a batch decides
	// as checking each alone would (blockbuild.VerifyBatch).
	var unchecked []*blockbuild.Candidate
	for i := range cands {
		if c := &cands[i]; c.Tx != nil && c.Err == nil && !c.Verified {
			unchecked = append(unchecked, c)
		}
	}
	size := max(1, min(verifyBatch, (len(unchecked)+n.workers()-1)/n.workers()))
	if err := n.pool.Parallel(context.Background(), (len(unchecked)+size-1)/size, func(b int) {
		blockbuild.VerifyBatch(unchecked[b*size : min(len(unchecked), (b+1)*size)])
	}); err != nil {
		return err
	}
	built, err := n.builder.Build(tip, tip, headMembers{n.adm, tip}, n.policy, builderHead(tip.Head),
		blockbuild.Proposal{Proposer: p.Proposer, Time: p.Time, Txs: cands})
	if err != nil {
		return err
	}
	rejected := make([]TxResult, len(built.Rejected))
	for i, r := range built.Rejected {
		rejected[i] = TxResult{ID: r.ID, Err: r.Err, Reason: r.Reason}
	}
	if built.Block == nil {
		if err := n.setApplied(index); err != nil { // once the block being written is durable
			return err
		}
		n.finish(nil, rejected)
		return nil
	}
	h := built.Block.Header.Height
	done := make([]TxResult, len(built.Included))
	for i, id := range built.Included {
		done[i] = TxResult{ID: id, Committed: true, Height: h, Index: i, Receipt: &built.Receipts[i]}
	}
	err = n.commitBuilt(index, built, true, func() {
		freeSlot()
		n.finish(done, rejected)
		n.log.Debug("committed block", "height", h, "txs", len(done), "rejected", len(rejected))
	})
	handed = err == nil // on an error ack was not called
	return err
}

// verifyBatch is the most signatures of a proposal one worker checks as
// one batch (as the mempool's default, mempool.Config.VerifyBatch).
const verifyBatch = 64

// workers is how many goroutines check a proposal's signatures at once.
func (n *Node) workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// builderHead is a store head as the block builder sees it.
func builderHead(h store.Head) blockbuild.Head {
	return blockbuild.Head{Height: h.Height, Hash: h.Hash, StateHash: h.StateHash, Time: h.Time}
}

// fillRecent loads the ids of the replay window's transactions committed
// before the node started (store.FillRecent), so that admission's and block
// building's committed check reads no database for those either; until it
// is done (up to a million receipts), the check reads the tx index for them.
func (n *Node) fillRecent(ctx context.Context) {
	start := time.Now()
	if err := n.store.FillRecent(ctx); err != nil {
		if ctx.Err() == nil {
			n.log.Warn("could not load the replay window's transaction ids: the committed check reads the tx index",
				"err", err)
		}
		return
	}
	n.log.Debug("loaded the replay window's transaction ids", "took", time.Since(start))
}

// headMembers answers the block builder with admission's check at the
// tip the block builds on.
type headMembers struct {
	a   *admission
	tip store.Tip
}

func (m headMembers) Member(s *tx.Signed, at time.Time) (error, error) {
	return m.a.member(s, m.tip, at)
}

// timedExecutor observes the executor's time per block.
type timedExecutor struct {
	exe Executor
	n   *Node
}

func (t timedExecutor) Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error) {
	start := time.Now()
	res, err := t.exe.Execute(base, txns)
	t.n.metrics.execute.Observe(time.Since(start).Seconds())
	return res, err
}

// commitBuilt signs a built block and commits it in one batch, with raft
// entry index as applied (store.Commit), then brings the policy, key
// expiries and membership up to date, shreds erased records, tells peers
// and calls ack (if not nil: the block's waiters and followers). own says
// the block was built here from entry index (not replayed by block sync).
//
// An own block is committed in the background (pipeline.go): it is
// staged (store.Stage), admission's member cache and the policy's role
// assignments are carried to it, and its batch is written and fsynced on a
// goroutine of its own, which then does the rest, ack included; the next
// block is built on the staged one (store.Tip) meanwhile, and waits for
// this write before it is staged (drain). A block that changes the
// policy's rules or the consortium's nodes, and a replayed one, is
// committed, and everything done, before commitBuilt returns.
func (n *Node) commitBuilt(index uint64, built *blockbuild.Built, own bool, ack func()) error {
	if err := n.drain(); err != nil { // at most one block staged
		return err
	}
	b := built.Block
	hash := b.Header.Hash()
	height := b.Header.Height
	sig := ledger.SignHeader(n.cfg.NodeID, n.cfg.Key, hash)
	u, err := authz.UpdateFor(built.Writes)
	if err != nil {
		return err
	}
	members := membershipChanged(built.Receipts)
	background := own && len(u.AddRules)+len(u.RemoveRules) == 0 && !members
	if background {
		// The next block is authorised by the roles as of this one, and
		// built before this one is durable.
		if err := n.policy.Apply(u); err != nil {
			return fmt.Errorf("node: applying block %d's role changes: %w", height, err)
		}
	}
	parent, _ := n.store.Head() // drained: nothing is staged
	staged, err := n.store.Stage(&store.Commit{Block: b, Receipts: built.Receipts, Writes: built.Writes,
		Signatures: []ledger.HeaderSignature{sig}, Applied: index})
	if err != nil {
		return err
	}
	// What admission read at the parent and this block did not write
	// still holds: the next block's building finds its senders admitted.
	n.adm.cache.advance(parent, staged.Head(), built.Writes)
	write := func() error {
		start := time.Now()
		if err := staged.Write(); err != nil {
			return err
		}
		n.metrics.commit.Observe(time.Since(start).Seconds())
		return n.expiries.apply(built.Writes)
	}
	durable := func() {
		n.shred(built.Receipts)
		if own {
			n.broadcastHeader(&b.Header, sig, index) // built by applying entry index
		} else {
			n.broadcastHeader(&b.Header, sig, 0) // replayed: index is not the block's entry
		}
		if ack != nil {
			ack()
		}
	}
	if background {
		n.writeBehind(write, durable)
		return nil
	}
	if err := write(); err != nil {
		return err
	}
	if err := n.policy.Apply(u); err != nil {
		return fmt.Errorf("node: applying block %d's policy changes: %w", height, err)
	}
	if members {
		if err := n.loadMembers(); err != nil {
			return err
		}
		n.log.Info("consortium membership changed", "height", height, "nodes", len(n.Members()))
	}
	durable()
	return nil
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
	if len(done) > 0 {
		// Block followers before waiters: a client told its transaction
		// committed finds the head change for its block already announced,
		// and a HeadChanged it asks for afterwards is the next block's.
		n.headMu.Lock()
		close(n.headC)
		n.headC = make(chan struct{})
		n.headMu.Unlock()
	}
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
