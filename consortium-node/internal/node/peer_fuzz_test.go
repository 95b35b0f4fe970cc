package node

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// fuzzPeerNode opens a custodian node (stmarys-node1, with its encryption
// key) of a five-node dev consortium whose peers do not run: what it
// sends them is refused at once. The node is not Run: raft, signature
// and sync messages stop at their queues, and the serving goroutines
// (forwarded admission, block, relay and copy requests) do their work.
// It returns the node, the transport peers a message may come from (a
// node of its organisation, one of another organisation, a stranger),
// and a valid encoded transaction.
func fuzzPeerNode(f *testing.F) (*Node, []transport.Peer, []byte) {
	f.Helper()
	dir := f.TempDir()
	g, err := devnet.Create(dir, devnet.Options{Nodes: 5})
	if err != nil {
		f.Fatal(err)
	}
	for i := range g.Nodes {
		g.Nodes[i].RaftAddr = fmt.Sprintf("127.0.0.1:%d", i+1) // nothing listens: a send fails at once
	}
	kfs := testkeys.Pin(f, g)
	keyFile := func(id string) *genesis.KeyFile { return kfs[id] }
	me := g.Nodes[0]
	kf := keyFile(me.ID)
	key, _ := kf.SignKey()
	ek, err := kf.ReaderKey()
	if err != nil {
		f.Fatal(err)
	}
	n, err := Open(Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: me.ID, Key: key, EncKey: ek,
		RaftListen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := n.Close(); err != nil {
			f.Errorf("Close: %v", err)
		}
	})
	var peers []transport.Peer
	for _, p := range []genesis.Node{g.Nodes[4], g.Nodes[1]} { // stmarys-node5, acme-node2
		if p.Org != []string{me.Org, "acme"}[len(peers)] {
			f.Fatalf("dev genesis changed: node %s is of %s", p.ID, p.Org)
		}
		peers = append(peers, transport.Peer{RaftID: p.RaftID, NodeID: p.ID, Addr: p.RaftAddr, Key: p.SignKey})
	}
	peers = append(peers, transport.Peer{RaftID: 99, NodeID: "stranger-node"})
	admin, _ := keyFile("stmarys/admin").SignKey()
	nk, _ := genesis.NewKeyFile("stmarys/patient-fuzz", nil)
	sk, _ := nk.SignKey()
	enc, _ := nk.EncryptionKey()
	st, err := tx.Sign(tx.Body{ChainID: g.ChainID, Sender: "stmarys/admin", Nonce: 1, Expiry: 1000,
		Call: tx.Call{Contract: identity.Name, Method: "add_member", Args: tx.Args{
			tx.String("id", nk.ID), tx.Strings("roles", []string{identityvocab.RolePatient}),
			tx.String("sign_key", sk.Public().String()), tx.String("enc_key", enc.String()),
		}}}, admin)
	if err != nil {
		f.Fatal(err)
	}
	raw, err := st.Encode()
	if err != nil {
		f.Fatal(err)
	}
	return n, peers, raw
}

// idle waits until the goroutines that serve peers' requests are done.
func (n *Node) idle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(n.fwdSem) > 0 || len(n.repl.serving) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a peer's request is still being served after 10s")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// FuzzPeerMessage sends what a peer controls — the message kind, its
// payload, and which peer it is — to the node's transport handler, as
// the transport hands over every frame: every decoder of the node
// transport (raft messages, forwarded batches, header signatures and
// their requests, block sync, record release relay, custodian copies)
// and what serves them. No panic, no hang, and nothing a peer sends halts
// the node. A relayed fetch that names a head above this node's is
// skipped: the custodian waits relayWaitHeight for it, by design.
func FuzzPeerMessage(f *testing.F) {
	n, peers, raw := fuzzPeerNode(f)
	me := n.me
	mustCBOR := func(v any) []byte {
		b, err := codec.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	hb, _ := proto.Marshal(&raftpb.Message{Type: raftpb.MessageType_MsgHeartbeat.Enum(),
		From: proto.Uint64(peers[0].RaftID), To: proto.Uint64(me.RaftID), Term: proto.Uint64(1)})
	f.Add(kindRaft, uint8(0), hb)
	f.Add(kindForward, uint8(0), mustCBOR([][]byte{raw}))
	f.Add(kindForward, uint8(1), mustCBOR([][]byte{raw[:len(raw)-1], {}}))
	gb, _, err := genesisstate.Block(n.cfg.Genesis)
	if err != nil {
		f.Fatal(err)
	}
	sig := ledger.HeaderSignature{Node: peers[0].NodeID, Alg: peers[0].Key.Alg, Sig: make([]byte, 64)}
	f.Add(kindHeaderSig, uint8(0), mustCBOR(&headerSigMsg{Height: 0, Hash: gb.Header.Hash(), Sig: sig}))
	f.Add(kindHeaderSig, uint8(0), mustCBOR(&headerSigMsg{Height: 7, Hash: ledger.Hash{7}, Sig: sig}))
	f.Add(kindSigRequest, uint8(0), mustCBOR(&sigRequest{From: 0, To: 10}))
	f.Add(kindBlockRequest, uint8(1), mustCBOR(&blockRequest{From: 0, To: 1 << 62}))
	f.Add(kindBlocks, uint8(0), mustCBOR([]syncBlock{{Block: *gb, Receipts: []ledger.Receipt{}}}))
	fetch := &api.FetchRequest{AccessID: tx.ID{1}, Reader: "stmarys/dr-lee", Time: time.Now().Unix(),
		Sig: make([]byte, 64)}
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 1, Op: relayFetch, Fetch: fetch}))
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 2, Op: relayPing}))
	f.Add(kindRelayReply, uint8(1), mustCBOR(&relayReply{ID: 1, Fetch: &api.FetchResponse{RecordID: "rec-1", Version: 1}}))
	note := &api.NoteRequest{AccessID: tx.ID{1}, Kind: api.NoteReason, Sealed: []byte{1}, Sender: "stmarys/dr-lee",
		Keys: []api.NoteKey{{Node: "stmarys-node1", Wrapped: []byte{2}}}, Time: time.Now().Unix(), Sig: make([]byte, 64)}
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 3, Op: relayNote, Note: note}))
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 4, Op: relayNoteFetch, NoteFetch: &api.NoteFetchRequest{
		AccessID: tx.ID{1}, Kind: api.NoteReview, Reader: "stmarys/privacy", Time: time.Now().Unix()}}))
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 5, Op: relayNote, Fetch: fetch})) // the wrong body
	f.Add(kindRelay, uint8(1), mustCBOR(&relayRequest{ID: 6, Op: relayNoteCopy, Note: note}))
	f.Add(kindRelayReply, uint8(1), mustCBOR(&relayReply{ID: 3, NoteFetch: &api.NoteFetchResponse{AccessID: tx.ID{1}}}))
	sealed, wrapped, err := envelope.SealFor(nil, me.EncKey.Key, me.ID, "rec-1", 1, []byte(`{"note":"x"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kindReplica, uint8(0), mustCBOR(&replicaRequest{ID: 1, Op: replicaPush, RecordID: "rec-1", Version: 1,
		Sealed: sealed, Wrapped: wrapped}))
	f.Add(kindReplica, uint8(0), mustCBOR(&replicaRequest{ID: 2, Op: replicaPull, RecordID: "rec-1", Version: 1}))
	f.Add(kindReplica, uint8(1), mustCBOR(&replicaRequest{ID: 3, Op: replicaPull, RecordID: "rec-1", Version: 1}))
	f.Add(kindReplicaReply, uint8(0), mustCBOR(&replicaReply{ID: 1, Code: replicaBusy}))
	f.Add(byte(0), uint8(2), []byte{})
	f.Fuzz(func(t *testing.T, kind byte, who uint8, payload []byte) {
		var rr relayRequest
		if kind == kindRelay && codec.Peer.Unmarshal(payload, &rr) == nil && rr.Op == relayFetch && rr.MinHeight > n.Head().Height {
			t.Skip("a relayed fetch above this node's head waits relayWaitHeight")
		}
		n.handleMessage(peers[int(who)%len(peers)], kind, payload)
		n.idle(t)
		if err := n.healthy(); err != nil {
			t.Fatalf("a peer's message halted the node: %v", err)
		}
	})
}
