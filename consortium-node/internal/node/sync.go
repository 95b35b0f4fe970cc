package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/almoner/almoner/consortium-node/internal/blockbuild"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// Block sync: a node whose raft log position was compacted away on the
// leader receives a raft snapshot that names the leader's head. It then
// fetches the missing blocks from peers over the node transport and
// replays them: each block must link to the previous one, match its
// Merkle roots, and re-execute to exactly the peer's header; the last one
// must carry a quorum of current members' signatures and equal the
// snapshot's head. Nothing a peer sends is trusted before it is replayed.

const (
	kindBlockRequest byte = 5 // blockRequest
	kindBlocks       byte = 6 // []syncBlock

	syncBatchBlocks = 64
	syncBatchBytes  = 16 << 20
)

type blockRequest struct {
	_    struct{} `cbor:",toarray"`
	From uint64
	To   uint64
}

type syncBlock struct {
	_        struct{} `cbor:",toarray"`
	Block    ledger.Block
	Receipts []ledger.Receipt
	Sigs     []ledger.HeaderSignature
}

func (n *Node) handleSyncMessage(from transport.Peer, kind byte, payload []byte) {
	switch kind {
	case kindBlockRequest:
		var r blockRequest
		if err := codec.Peer.Unmarshal(payload, &r); err != nil || r.To < r.From {
			n.log.Warn("dropping bad block request", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.fwdSem <- struct{}{}:
		default:
			return // busy; the requester retries
		}
		go func() {
			defer func() { <-n.fwdSem }()
			n.serveBlocks(from.RaftID, r)
		}()
	case kindBlocks:
		var bs []syncBlock
		if err := codec.Peer.Unmarshal(payload, &bs); err != nil {
			n.log.Warn("dropping bad block batch", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.syncC <- bs:
		default:
		}
	}
}

func (n *Node) serveBlocks(to uint64, r blockRequest) {
	head, _ := n.store.Head()
	var out []syncBlock
	size := 0
	for h := r.From; h <= min(r.To, head.Height) && len(out) < syncBatchBlocks && size < syncBatchBytes; h++ {
		b, err := n.Block(h)
		if err != nil {
			n.log.Warn("serving blocks", "height", h, "err", err)
			return
		}
		out = append(out, syncBlock{Block: *b.Block, Receipts: b.Receipts, Sigs: b.Signatures})
		for _, t := range b.Block.Txs {
			size += len(t)
		}
	}
	if len(out) == 0 {
		return
	}
	n.sendMsg(to, kindBlocks, "blocks", out)
}

// catchUp brings the store to the head named by a raft snapshot by
// fetching and replaying blocks. It runs on the raft goroutine, before the
// snapshot is persisted, so a crash never leaves a snapshot ahead of the
// blocks it stands for; the store's applied index moves to the snapshot's
// only after it is persisted (drainReady), so a crash never leaves the
// ledger applied from beyond the raft log either (checkRaftLog).
func (n *Node) catchUp(snap *raftpb.Snapshot) error {
	var target store.Head
	if err := codec.Ledger.Unmarshal(snap.GetData(), &target); err != nil {
		return fmt.Errorf("%w: raft snapshot data: %v", store.ErrCorrupt, err)
	}
	if n.tr == nil {
		return fmt.Errorf("node: received a raft snapshot without peers to sync from")
	}
	n.log.Info("catching up by block sync", "from", n.Head().Height, "to", target.Height)
	deadline := time.Now().Add(5 * time.Minute)
	attempt := 0
	for {
		head := n.Head()
		if head.Height >= target.Height {
			break
		}
		if time.Now().After(deadline) || n.haltCtx.Err() != nil {
			return fmt.Errorf("node: could not catch up from height %d to %d: peers did not send valid blocks", head.Height, target.Height)
		}
		peer := n.syncPeer(attempt)
		attempt++
		if peer == 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		req, _ := codec.Marshal(&blockRequest{From: head.Height + 1, To: target.Height})
		n.tr.Send(peer, kindBlockRequest, req)
		var batch []syncBlock
		select {
		case batch = <-n.syncC:
		case <-time.After(3 * time.Second):
			continue
		case <-n.haltCtx.Done():
			continue
		}
		for i := range batch {
			if err := n.replay(&batch[i]); err != nil {
				if writeFailure(err) {
					return err // the disk, not the block: stall (diskfull.go)
				}
				n.log.Warn("rejecting a synced block", "height", batch[i].Block.Header.Height, "err", err)
				break // ask again (another peer on the next attempt)
			}
		}
	}
	head := n.Head()
	if head.Height != target.Height || head.Hash != target.Hash {
		return fmt.Errorf("%w: after sync the head is %d/%s but the leader's snapshot names %d/%s",
			ErrDiverged, head.Height, head.Hash, target.Height, target.Hash)
	}
	b, err := n.store.Block(head.Height)
	if err != nil {
		return err
	}
	sigs, err := n.store.Signatures(head.Height)
	if err != nil {
		return err
	}
	if err := ledger.VerifyQuorum(&b.Header, sigs, n.memberKeys(), n.quorum()); err != nil {
		n.log.Warn("synced head not yet signed by a quorum; signatures will be requested", "err", err)
	}
	n.log.Info("caught up", "height", head.Height)
	return nil
}

// syncPeer picks the leader first, then the other members in turn.
func (n *Node) syncPeer(attempt int) uint64 {
	var ids []uint64
	if st := n.raftSt.Load(); st != nil && st.Lead != 0 && st.Lead != n.me.RaftID {
		ids = append(ids, st.Lead)
	}
	for _, p := range n.Members() {
		if p.RaftID != n.me.RaftID {
			ids = append(ids, p.RaftID)
		}
	}
	if len(ids) == 0 {
		return 0
	}
	return ids[attempt%len(ids)]
}

// replay verifies and re-executes one fetched block on top of the head.
func (n *Node) replay(sb *syncBlock) error {
	head := n.Head()
	hd := &sb.Block.Header
	if hd.Height != head.Height+1 || hd.PrevHash != head.Hash || hd.ChainID != n.cfg.Genesis.ChainID {
		return fmt.Errorf("block %d does not extend head %d", hd.Height, head.Height)
	}
	if ledger.TxRoot(sb.Block.Txs) != hd.TxRoot || ledger.ReceiptRoot(sb.Receipts) != hd.ReceiptRoot || len(sb.Receipts) != len(sb.Block.Txs) {
		return fmt.Errorf("%w: block %d does not match its Merkle roots", ledger.ErrIntegrity, hd.Height)
	}
	cands := make([]blockbuild.Candidate, len(sb.Block.Txs))
	if err := n.pool.Parallel(context.Background(), len(cands), func(i int) {
		cands[i].Raw = sb.Block.Txs[i]
		cands[i].Decode()
	}); err != nil {
		return err
	}
	built, err := n.builder.Replay(n.store, n.policy, builderHead(head), hd, cands)
	if errors.Is(err, blockbuild.ErrDiverged) {
		return fmt.Errorf("%w: %w", ErrDiverged, err)
	}
	if err != nil {
		return err
	}
	if err := n.commitBuilt(head.Applied, built, false, nil); err != nil {
		return err
	}
	ids := built.Included
	keys := n.memberKeys()
	hash := hd.Hash()
	for _, s := range sb.Sigs {
		if k, ok := keys[s.Node]; ok && s.Node != n.cfg.NodeID && k.Alg == s.Alg && k.Verify(ledger.HeaderSignBytes(hash), s.Sig) == nil {
			if err := n.store.AddSignature(hd.Height, s); err != nil {
				return err
			}
		}
	}
	n.pool.Done(ids)
	n.headMu.Lock()
	close(n.headC)
	n.headC = make(chan struct{})
	n.headMu.Unlock()
	return nil
}
