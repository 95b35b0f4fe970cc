package testnode

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/node"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// Node is a running in-process node.
type Node struct {
	// Home holds genesis.json and keys/ (one dev key file per member).
	Home    string
	Genesis *genesis.File
	// URL is the node API's base URL.
	URL    string
	Client *client.Client
	nonce  atomic.Uint64
}

// Start creates a dev consortium in a temporary folder and runs its one
// node until the test ends.
func Start(t testing.TB) *Node {
	t.Helper()
	home := t.TempDir()
	g, err := genesis.Dev(home, genesis.DevOptions{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(home, g.Nodes[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	key, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	// With its encryption key the node keeps its organisation's private
	// record ciphertexts (upload, fetch under a granted access).
	encSeed, err := hex.DecodeString(kf.EncSeed)
	if err != nil {
		t.Fatal(err)
	}
	encKey, err := envelope.NewReaderKey(encSeed)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	n, err := node.Open(node.Config{DataDir: filepath.Join(home, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: key, EncKey: encKey, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	h, err := server.New(server.Config{Backend: n, Logger: log, Heartbeat: 200 * time.Millisecond,
		Metrics: n.MetricsHandler()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		<-done
		n.Close()
	})
	nd := &Node{Home: home, Genesis: g, URL: srv.URL, Client: client.New(srv.URL, nil)}
	nd.Client.Authenticate(g.Nodes[0].ID, key) // a node may read everything
	nd.waitReady(t)
	return nd
}

func (n *Node) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := n.Client.Status(ctx)
		cancel()
		if err == nil && st.Raft.State == "StateLeader" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not ready after 30s: %+v %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Send signs a call as member with its dev key file, submits it and waits
// for the commit.
func (n *Node) Send(t testing.TB, member, contract, method string, args ...tx.Arg) api.TxStatus {
	t.Helper()
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(n.Home, member))
	if err != nil {
		t.Fatal(err)
	}
	key, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := n.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tx.Sign(tx.Body{ChainID: n.Genesis.ChainID, Sender: member, Nonce: n.nonce.Add(1), Expiry: st.Height + 100,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Client.SubmitTx(ctx, s, client.SubmitOptions{Wait: true})
	if err != nil || res.Status != api.StatusCommitted {
		t.Fatalf("%s.%s by %s: %+v %v", contract, method, member, res, err)
	}
	return res
}

// String describes the node.
func (n *Node) String() string { return fmt.Sprintf("node %s at %s", n.Genesis.Nodes[0].ID, n.URL) }
