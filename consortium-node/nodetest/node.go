package nodetest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Node is a running one-node dev consortium.
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
// node (with its metrics) until the test ends; it returns once the node
// leads.
func Start(t testing.TB) *Node {
	t.Helper()
	home := t.TempDir()
	g, err := devnet.Create(home, devnet.Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(Config{Home: home, Genesis: g, NodeID: g.Nodes[0].ID, DataDir: filepath.Join(home, "data"),
		Logger: slog.New(slog.DiscardHandler), Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	nd := &Node{Home: home, Genesis: g, URL: s.URL, Client: client.New(s.URL, nil)}
	nd.Client.Authenticate(g.Nodes[0].ID, s.Key) // a node may read everything
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := WaitLeader(ctx, nd.Client); err != nil {
		t.Fatal(err)
	}
	return nd
}

// WaitLeader waits until the node behind c leads its raft group.
func WaitLeader(ctx context.Context, c *client.Client) error {
	for {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := c.Status(sctx)
		cancel()
		if err == nil && st.Raft.State == "StateLeader" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node not ready: %+v %v (%w)", st, err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Send signs a call as member with its dev key file, submits it and waits
// for the commit.
func (n *Node) Send(t testing.TB, member, contract, method string, args ...tx.Arg) api.TxStatus {
	t.Helper()
	_, key, err := genesis.LoadSignKey(n.Home, "", member)
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
