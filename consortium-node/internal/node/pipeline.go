package node

import (
	"context"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// The apply pipeline. The raft goroutine persists each Ready's entries
// (the raft log append and its fsync), sends its messages and hands the
// committed entries to the apply goroutine, then goes on to the next Ready
// without waiting: while block N is built, executed and committed, the
// raft log append of the proposals after it, the leader's appends to its
// followers and their acknowledgements go on (as etcd's server applies
// asynchronously). Entries are applied in order, one goroutine, so what
// every node builds is unchanged.
//
// What raft's goroutine itself must do with applied state waits for the
// queue to drain first: a configuration change (RawNode.ApplyConfChange is
// not safe from another goroutine) and a snapshot to catch up from. A
// crash loses nothing: the state store's applied index (store.Head) is
// what a restart replays from and what compaction keeps the log after, and
// it moves only when a block's commit is durable.
//
// On the apply goroutine, block N's commit overlaps the building and
// execution of block N+1 (commitBuilt): N is staged (store.Stage), and
// its one batch is written and fsynced by a goroutine of its own
// (writeBehind) while N+1 is built on the tip (store.Tip: N's writes over
// the store, N's transactions counted as committed, N's head, admission's
// cache and the policy's roles carried to N: the API's own authorisation
// sees a role change one write early, never late). At most one block is staged:
// N+1 is staged only once N's write has returned (drain). Nothing of N is
// acknowledged before it is durable: the writer, after the fsync, updates
// the key expiries, shreds erased records, sends N's header signature to
// peers and tells waiters, the mempool and block followers, in that order,
// before N+1's write begins; the API's reads, status and the applied index
// are the store's durable head's. A failed write fails the applier (the
// node stalls or halts as for any failed commit) and acknowledges nothing;
// a crash before the fsync loses only N, which a restart builds again from
// the raft log, the same block. Whatever needs every applied block to be
// durable drains first: a barrier (awaitApplied: configuration changes,
// block sync), a block without transactions or an entry that builds none
// (setApplied), a block changing the policy's rules or the consortium's
// nodes (written before commitBuilt returns), and the apply goroutine's
// exit (shutdown, failure).

// applyJob is a batch of committed entries, or a barrier (done) that is
// closed when everything before it has been applied.
type applyJob struct {
	ents []*raftpb.Entry
	done chan struct{}
}

// applier is the apply goroutine's queue and its failure.
type applier struct {
	c      chan applyJob
	failed chan struct{} // closed when an entry failed to apply
	once   sync.Once
	err    error // set before failed is closed
}

// applyQueue is how many Readies' committed entries may wait to be
// applied. The proposer keeps at most cap(inflight) proposals of its own
// in flight until their blocks are durable, so the queue rarely holds more
// than a few.
const applyQueue = 8

func newApplier() *applier {
	return &applier{c: make(chan applyJob, applyQueue), failed: make(chan struct{})}
}

func (a *applier) fail(err error) {
	a.once.Do(func() {
		a.err = err
		close(a.failed)
	})
}

// applyLoop applies queued entries until ctx ends or one fails; entries
// left in the queue are applied again from the raft log after a restart.
func (n *Node) applyLoop(ctx context.Context) {
	a := n.apply
	defer func() {
		_ = n.drain() // a failed write failed a already
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.failed:
			return
		case j := <-a.c:
			for _, e := range j.ents {
				if ctx.Err() != nil {
					return
				}
				if err := n.applyEntry(e); err != nil {
					a.fail(err)
					return
				}
			}
			if j.done != nil {
				if err := n.drain(); err != nil {
					a.fail(err)
					return
				}
				close(j.done)
			}
		}
	}
}

// enqueueApply hands ents to the apply goroutine; it waits while the
// queue is full. It returns the apply goroutine's error if one failed.
func (n *Node) enqueueApply(ctx context.Context, ents []*raftpb.Entry) error {
	select {
	case n.apply.c <- applyJob{ents: ents}:
		return nil
	case <-n.apply.failed:
		return n.apply.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitApplied waits until everything queued before it has been applied.
func (n *Node) awaitApplied(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case n.apply.c <- applyJob{done: done}:
	case <-n.apply.failed:
		return n.apply.err
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-n.apply.failed:
		return n.apply.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// needsRaftGoroutine reports whether applying ents touches raft's own
// state (a configuration change), so that it must be done on the raft
// goroutine once the queue has drained.
func needsRaftGoroutine(ents []*raftpb.Entry) bool {
	for _, e := range ents {
		if t := e.GetType(); t == raftpb.EntryType_EntryConfChange || t == raftpb.EntryType_EntryConfChangeV2 {
			return true
		}
	}
	return false
}

// applied is the highest raft index applied to state: the state store's,
// which the apply goroutine moves after r was taken, or r's (a snapshot's
// index after catching up).
func (n *Node) applied(r *raftStatus) uint64 {
	head, _ := n.store.Head()
	return max(r.Applied, head.Applied)
}

// blockWrite is a staged block's write in the background (writeBehind).
type blockWrite struct {
	done chan struct{} // closed once the write and what follows it are done
	err  error         // set before done is closed
}

// writeBehind runs write (a staged block's fsynced write) on a goroutine
// of its own and then, if it succeeded, durable (what waits for the block
// to be durable: acknowledgements); a failure fails the applier and skips
// durable. The goroutine applying entries waits for it with drain before
// it stages the next block.
func (n *Node) writeBehind(write func() error, durable func()) {
	w := &blockWrite{done: make(chan struct{})}
	n.writing = w
	a := n.apply
	go func() {
		defer close(w.done)
		if err := write(); err != nil {
			w.err = err
			if a != nil {
				a.fail(err)
			}
			return
		}
		durable()
	}()
}

// drain waits for the block being written (writeBehind), if any, to be
// durable and acknowledged, and returns its write's error. Only the
// goroutine applying entries calls it (the apply goroutine, or the raft
// goroutine once the queue is drained).
func (n *Node) drain() error {
	w := n.writing
	if w == nil {
		return nil
	}
	start := time.Now()
	<-w.done
	n.metrics.commitWait.Observe(time.Since(start).Seconds())
	n.writing = nil
	return w.err
}

// setApplied records that raft entries up to idx were applied without a
// block, once the block being written (if any) is durable: the applied
// index never passes a block that is not.
func (n *Node) setApplied(idx uint64) error {
	if err := n.drain(); err != nil {
		return err
	}
	return n.store.SetApplied(idx)
}
