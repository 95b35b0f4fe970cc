package node

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
)

// raftLogDir is the raft log's folder in a node's data folder.
func raftLogDir(dataDir string) string { return filepath.Join(dataDir, "raftlog") }

// openRaftLog opens the node's raft log (consensus.OpenLog), first moving
// into it the raft records that a node home made before it kept in the
// database (consensus.MigrateToLog; a restored backup holds them too).
func openRaftLog(cfg Config, db *leveldb.DB) (*consensus.Storage, error) {
	dir := raftLogDir(cfg.DataDir)
	moved, err := consensus.MigrateToLog(db, raftPrefix, dir)
	if err != nil {
		return nil, fmt.Errorf("node: moving the raft log out of the database: %w", err)
	}
	if moved {
		cfg.Logger.Info("moved the raft log out of the database into its own folder", "dir", dir)
	}
	rs, rep, err := consensus.OpenLog(dir, consensus.LogOptions{Wrap: cfg.WrapRaftLog})
	if err != nil {
		return nil, err
	}
	if rep.DroppedTail != "" {
		cfg.Logger.Warn("dropped a torn raft log tail left by a crash or a full disk (a write that was never "+
			"acknowledged)", "file", rep.DroppedTail, "bytes", rep.DroppedTailBytes)
	}
	return rs, nil
}

func (n *Node) openRaft(db *leveldb.DB) error {
	rs, err := openRaftLog(n.cfg, db)
	if err != nil {
		return err
	}
	if err := n.checkRaftLog(rs); err != nil {
		rs.Close()
		return err
	}
	hs, cs, err := rs.InitialState()
	if err != nil {
		return err
	}
	head, _ := n.store.Head()
	applied := head.Applied
	if snap, err := rs.Snapshot(); err == nil && !raft.IsEmptySnap(snap) {
		n.snapAt = snap.GetMetadata().GetIndex()
		applied = max(applied, n.snapAt)
	}
	rc := &raft.Config{
		ID: n.me.RaftID, ElectionTick: 10, HeartbeatTick: 1, Storage: rs, Applied: applied,
		MaxSizePerMsg: 4 << 20, MaxInflightMsgs: 256, MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum: true, PreVote: true, Logger: raftLogger{n.log.With("component", "raft")},
	}
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		rs.Close()
		return fmt.Errorf("node: starting raft: %w", err)
	}
	_, inGenesis := n.cfg.Genesis.Node(n.cfg.NodeID)
	if raft.IsEmptyHardState(hs) && len(cs.GetVoters()) == 0 && inGenesis {
		var peers []raft.Peer
		for _, p := range n.cfg.Genesis.Nodes {
			peers = append(peers, raft.Peer{ID: p.RaftID, Context: []byte(p.ID)})
		}
		if err := rn.Bootstrap(peers); err != nil {
			rs.Close()
			return fmt.Errorf("node: bootstrapping raft: %w", err)
		}
	}
	n.conf = cs
	n.rlog, n.rn = rs, rn
	return nil
}

// Run drives the node until ctx is cancelled or a fatal error (a storage
// fault, or divergence from the consortium) stops it. Call Close afterwards.
//
// A write failure (a full disk) does not halt: Run keeps the node serving
// what it committed until the disk takes writes again, then returns
// ErrResume (diskfull.go; RunResuming reopens the node).
func (n *Node) Run(parent context.Context) error {
	if err := n.healthy(); err != nil { // halted before, and not restored
		n.log.Error("NODE HALTED", "err", err)
		n.markStopped()
		return err
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	defer context.AfterFunc(n.haltCtx, cancel)() // halt stops Run
	var wg sync.WaitGroup
	n.apply = newApplier()
	for _, loop := range []func(context.Context){n.fillRecent, n.applyLoop, n.proposeLoop, n.sigLoop} {
		wg.Go(func() { loop(ctx) })
	}
	err := n.raftLoop(ctx)
	cancel()
	wg.Wait()
	if n.stalled.Load() != nil && n.healthy() == nil {
		err = n.awaitSpace(parent) // serving reads meanwhile
	}
	n.markStopped()
	n.failWaiters()
	if fatal := n.healthy(); fatal != nil {
		return fatal
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Close releases the node's resources; call it after Run has returned (or
// instead of Run).
func (n *Node) Close() error {
	if n.tr != nil {
		n.tr.Close()
	}
	n.pool.Close()
	if n.rlog != nil {
		if err := n.rlog.Close(); err != nil {
			n.log.Warn("closing the raft log", "err", err)
		}
	}
	if n.disk != nil {
		return n.disk.Close()
	}
	return n.store.DB().Close()
}

func (n *Node) raftLoop(ctx context.Context) error {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	if len(n.cfg.Genesis.Nodes) == 1 && n.cfg.Join == nil && len(n.Members()) == 1 {
		// A cluster of one need not wait an election timeout; apply the
		// committed bootstrap membership first, or raft refuses.
		if err := n.drainReady(ctx); err != nil {
			n.stallOn(err)
			return err
		}
		if err := n.rn.Campaign(); err != nil {
			return fmt.Errorf("node: campaign: %w", err)
		}
	}
	fail := func(err error) error {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		if !n.stallOn(err) { // a write failure stalls (diskfull.go)
			n.halt(err)
		}
		return err
	}
	for {
		if err := n.drainReady(ctx); err != nil {
			return fail(err)
		}
		n.reconcile()
		if n.stalled.Load() != nil { // a write failed elsewhere (diskfull.go)
			return ErrStalled
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.apply.failed: // applying a committed entry failed (pipeline.go)
			return fail(n.apply.err)
		case <-ticker.C:
			n.rn.Tick()
		case m := <-n.recvC:
			if err := n.rn.Step(m); err != nil {
				n.log.Debug("raft step", "err", err)
			}
		case id := <-n.unreachC:
			n.rn.ReportUnreachable(id)
		case data := <-n.proposeC:
			if err := n.rn.Propose(data); err != nil {
				n.proposalFailed(data, err)
			}
		}
	}
}

// drainReady handles raft's Readies until it has none: each one's entries
// persisted, its messages sent, its committed entries handed to the apply
// goroutine (pipeline.go), which applies them while this one goes on.
func (n *Node) drainReady(ctx context.Context) error {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if !raft.IsEmptySnap(rd.Snapshot) {
			// Block sync from the snapshot's height on: after what is queued.
			if err := n.awaitApplied(ctx); err != nil {
				return err
			}
			if err := n.catchUp(rd.Snapshot); err != nil {
				return err
			}
		}
		if err := n.rlog.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
			return fmt.Errorf("node: persisting raft log: %w", err)
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			n.conf = rd.Snapshot.GetMetadata().GetConfState()
			n.snapAt = rd.Snapshot.GetMetadata().GetIndex()
			if err := n.setApplied(n.snapAt); err != nil { // caught up to it (catchUp)
				return err
			}
		}
		n.send(rd.Messages)
		if len(rd.CommittedEntries) > 0 {
			if needsRaftGoroutine(rd.CommittedEntries) {
				// A membership change: applied here, in order, once the
				// queue before it is.
				if err := n.awaitApplied(ctx); err != nil {
					return err
				}
				for _, e := range rd.CommittedEntries {
					if err := n.applyEntry(e); err != nil {
						return err
					}
				}
				if err := n.drain(); err != nil { // the apply goroutine stages next
					return err
				}
			} else if err := n.enqueueApply(ctx, rd.CommittedEntries); err != nil {
				return err
			}
			for _, e := range rd.CommittedEntries {
				n.logBytes += len(e.GetData())
			}
		}
		n.rn.Advance(rd)
		st := n.rn.BasicStatus()
		head, _ := n.store.Head() // what is applied to state, not what raft has handed out
		n.raftSt.Store(&raftStatus{Voters: append([]uint64(nil), n.conf.GetVoters()...), ID: st.ID, Term: st.GetTerm(),
			Lead: st.Lead, State: st.RaftState.String(), Commit: st.GetCommit(), Applied: max(head.Applied, n.snapAt)})
		if err := n.maybeCompact(); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) applyEntry(e *raftpb.Entry) error {
	idx := e.GetIndex()
	switch e.GetType() {
	case raftpb.EntryType_EntryConfChange:
		cc := &raftpb.ConfChange{}
		if err := proto.Unmarshal(e.GetData(), cc); err != nil {
			return fmt.Errorf("%w: conf change at %d: %v", consensus.ErrCorrupt, idx, err) // the integrity marker
		}
		return n.applyConf(idx, cc)
	case raftpb.EntryType_EntryConfChangeV2:
		cc := &raftpb.ConfChangeV2{}
		if err := proto.Unmarshal(e.GetData(), cc); err != nil {
			return fmt.Errorf("%w: conf change at %d: %v", consensus.ErrCorrupt, idx, err) // the integrity marker
		}
		return n.applyConf(idx, cc)
	}
	if len(e.GetData()) == 0 { // a new leader's empty entry
		return n.setApplied(idx)
	}
	var p proposal
	if err := codec.Ledger.Unmarshal(e.GetData(), &p); err != nil {
		// Every node rejects the same bytes the same way.
		n.log.Error("ignoring undecodable raft entry", "index", idx, "err", err)
		return n.setApplied(idx)
	}
	return n.applyProposal(idx, &p)
}

// applyConf applies a membership change and persists the new ConfState as a
// raft snapshot at its index: on restart raft learns its voters from the
// storage's snapshot, since entries at or below the applied index are not
// replayed.
func (n *Node) applyConf(idx uint64, cc raftpb.ConfChangeI) error {
	n.conf = n.rn.ApplyConfChange(cc)
	if err := n.setApplied(idx); err != nil {
		return err
	}
	if idx <= n.snapAt {
		return nil
	}
	head, _ := n.store.Head()
	data, err := codec.Marshal(&head)
	if err != nil {
		return err
	}
	if _, err := n.rlog.CreateSnapshot(idx, n.conf, data); err != nil {
		return fmt.Errorf("node: persisting membership at %d: %w", idx, err)
	}
	n.snapAt = idx
	return nil
}

func (n *Node) maybeCompact() error {
	head, _ := n.store.Head()
	if (head.Applied < n.snapAt+n.cfg.SnapshotEvery && n.logBytes < n.cfg.SnapshotBytes) || head.Applied <= n.snapAt {
		return nil
	}
	data, err := codec.Marshal(&head)
	if err != nil {
		return err
	}
	if _, err := n.rlog.CreateSnapshot(head.Applied, n.conf, data); err != nil {
		return fmt.Errorf("node: raft snapshot: %w", err)
	}
	if len(n.Members()) == 1 {
		err = n.rlog.Compact(head.Applied)
	} else if n.snapAt > 0 {
		// Keep the last SnapshotEvery entries for peers that lag behind.
		err = n.rlog.Compact(n.snapAt)
	}
	if errors.Is(err, raft.ErrCompacted) {
		err = nil // already compacted that far (e.g. after installing a snapshot)
	}
	if err != nil {
		return fmt.Errorf("node: raft compaction: %w", err)
	}
	n.snapAt, n.logBytes = head.Applied, 0
	n.log.Debug("compacted raft log", "index", head.Applied)
	return nil
}

// proposeLoop batches admitted transactions: on the leader into raft
// proposals, on a follower into batches forwarded to the leader. A block is
// proposed when MaxBlockTxs are waiting or MaxBlockWait has passed since
// the first one arrived; at most cap(inflight) proposals are in flight, so
// under load blocks fill up instead of multiplying. A batch not committed
// within RetryAfter (a lost proposal, a leader change, a dead leader) is
// queued again; block building drops any duplicate, so a retry is harmless.
func (n *Node) proposeLoop(ctx context.Context) {
	type taken struct {
		ents     []*mempool.Entry
		deadline time.Time
	}
	var out []taken
	retry := time.NewTicker(n.cfg.RetryAfter / 4)
	defer retry.Stop()
	for {
		now := time.Now()
		kept := out[:0]
		for _, b := range out {
			if now.After(b.deadline) {
				n.pool.Requeue(b.ents) // skips what was committed meanwhile
			} else {
				kept = append(kept, b)
			}
		}
		out = kept
		select {
		case <-ctx.Done():
			return
		case <-n.pool.Wait():
		case <-retry.C:
			continue
		}
		if n.pool.Len() < n.cfg.MaxBlockTxs {
			select {
			case <-ctx.Done():
				return
			case <-time.After(n.cfg.MaxBlockWait):
			}
		}
		st := n.raftSt.Load()
		if st == nil || st.Lead == 0 {
			select { // no leader yet
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if st.Lead != n.me.RaftID {
			ents := n.pool.Take(n.cfg.MaxBlockTxs, n.cfg.MaxBlockBytes-1024)
			if len(ents) == 0 {
				continue
			}
			raws := make([][]byte, len(ents))
			for i, e := range ents {
				raws[i] = e.Raw
			}
			if b, err := codec.Marshal(raws); err == nil && n.tr != nil {
				n.tr.Send(st.Lead, kindForward, b)
			}
			out = append(out, taken{ents, time.Now().Add(n.cfg.RetryAfter)})
			continue
		}
		select {
		case <-ctx.Done():
			return
		case n.inflight <- struct{}{}:
		case <-time.After(n.cfg.RetryAfter):
			// A proposal was lost without being applied: free its slot.
			select {
			case <-n.inflight:
			default:
			}
			continue
		}
		ents := n.pool.Take(n.cfg.MaxBlockTxs, n.cfg.MaxBlockBytes-1024)
		if len(ents) == 0 {
			<-n.inflight
			continue
		}
		p := proposal{Proposer: n.cfg.NodeID, Time: time.Now().UnixNano(), Txs: make([][]byte, len(ents))}
		for i, e := range ents {
			p.Txs[i] = e.Raw
		}
		data, err := codec.Marshal(&p)
		if err != nil {
			n.log.Error("encoding proposal", "err", err)
			n.pool.Requeue(ents)
			<-n.inflight
			continue
		}
		out = append(out, taken{ents, time.Now().Add(n.cfg.RetryAfter)})
		select {
		case <-ctx.Done():
			return
		case n.proposeC <- data:
		}
	}
}

// send hands raft messages to the transport.
func (n *Node) send(msgs []*raftpb.Message) {
	if n.tr == nil {
		return
	}
	for _, m := range msgs {
		if m.GetTo() == n.me.RaftID {
			continue
		}
		b, err := proto.Marshal(m)
		if err != nil {
			n.log.Error("encoding raft message", "err", err)
			continue
		}
		if !n.tr.Send(m.GetTo(), kindRaft, b) {
			n.rn.ReportUnreachable(m.GetTo())
		}
	}
}

// proposalFailed puts a dropped proposal's transactions back in the queue
// (e.g. no leader yet) and frees its in-flight slot.
func (n *Node) proposalFailed(data []byte, err error) {
	n.log.Debug("proposal dropped", "err", err)
	var p proposal
	if codec.Ledger.Unmarshal(data, &p) == nil {
		var back []*mempool.Entry
		for _, raw := range p.Txs {
			if e, ok := n.pool.Lookup(tx.HashID(raw)); ok {
				back = append(back, e)
			}
		}
		n.pool.Requeue(back)
	}
	select {
	case <-n.inflight:
	default:
	}
}

// checkRaftLog refuses a raft log that ends before what the ledger was
// applied from: its last segments are missing (the ledger's head records
// the raft index of every block it applied).
func (n *Node) checkRaftLog(rs *consensus.Storage) error {
	head, _ := n.store.Head()
	hs, _, _ := rs.InitialState()
	snap, _ := rs.Snapshot()
	if head.Applied > hs.GetCommit() && head.Applied > snap.GetMetadata().GetIndex() {
		last, _ := rs.LastIndex()
		return fmt.Errorf("%w: the raft log %s is committed up to index %d (last entry %d), but the ledger was applied "+
			"from index %d: part of the log is missing", consensus.ErrCorrupt, raftLogDir(n.cfg.DataDir), hs.GetCommit(),
			last, head.Applied)
	}
	return nil
}
