package node

import (
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/privacy/sign"
)

// stateReader adapts the store to contracts.StateReader (read errors read
// as absent and are logged: membership is re-read after every change).
type stateReader struct{ n *Node }

func (r stateReader) Get(key string) ([]byte, bool) {
	v, ok, err := r.n.store.Get(key)
	if err != nil {
		r.n.log.Error("reading state", "key", key, "err", err)
		return nil, false
	}
	return v, ok
}

// loadMembers reads the current nodes from state.
func (n *Node) loadMembers() error {
	nodes, err := consortium.LoadNodes(stateReader{n})
	if err != nil {
		return fmt.Errorf("node: reading membership: %w", err)
	}
	n.members.Store(&nodes)
	return nil
}

// Members returns the consortium's current nodes.
func (n *Node) Members() []consortium.Node { return *n.members.Load() }

func (n *Node) memberKeys() map[string]sign.PublicKey {
	m := map[string]sign.PublicKey{}
	for _, p := range n.Members() {
		m[p.ID] = p.SignKey
	}
	return m
}

// quorum is a majority of the current nodes.
func (n *Node) quorum() int { return len(n.Members())/2 + 1 }

func (n *Node) peers() []transport.Peer {
	ms := n.Members()
	out := make([]transport.Peer, 0, len(ms)+1)
	self := false
	for _, p := range ms {
		self = self || p.RaftID == n.me.RaftID
		out = append(out, transport.Peer{RaftID: p.RaftID, NodeID: p.ID, Addr: p.RaftAddr, Key: p.SignKey})
	}
	if !self { // a joining node, not yet in its own (stale) state
		out = append(out, transport.Peer{RaftID: n.me.RaftID, NodeID: n.me.ID, Addr: n.me.RaftAddr, Key: n.me.SignKey})
	}
	return out
}

// membershipChanged reports whether a block's receipts change the nodes.
func membershipChanged(rs []ledger.Receipt) bool {
	for _, r := range rs {
		for _, e := range r.Events {
			if e.Contract == consortium.Name && (e.Type == "node_added" || e.Type == "node_removed") {
				return true
			}
		}
	}
	return false
}

// reconcile runs on the raft goroutine: the leader proposes one raft
// configuration change at a time until raft's voters are the nodes in
// state (the ledger decides membership; raft follows).
func (n *Node) reconcile() {
	if n.rn.BasicStatus().RaftState.String() != "StateLeader" || time.Since(n.lastConfProp) < time.Second {
		return
	}
	want := map[uint64]consortium.Node{}
	for _, p := range n.Members() {
		want[p.RaftID] = p
	}
	voters := n.conf.GetVoters()
	var cc *raftpb.ConfChange
	for id, p := range want {
		if !slices.Contains(voters, id) {
			cc = &raftpb.ConfChange{Type: raftpb.ConfChangeType_ConfChangeAddNode.Enum(), NodeId: proto.Uint64(id), Context: []byte(p.ID)}
			break
		}
	}
	if cc == nil {
		for _, id := range voters {
			if _, ok := want[id]; !ok {
				cc = &raftpb.ConfChange{Type: raftpb.ConfChangeType_ConfChangeRemoveNode.Enum(), NodeId: proto.Uint64(id)}
				break
			}
		}
	}
	if cc == nil {
		return
	}
	n.lastConfProp = time.Now()
	if err := n.rn.ProposeConfChange(cc); err != nil {
		n.log.Warn("proposing membership change", "err", err)
		return
	}
	n.log.Info("proposed raft membership change", "type", cc.GetType().String(), "raft_id", cc.GetNodeId())
}
