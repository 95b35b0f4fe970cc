package testnode

import (
	"context"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/shapes"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest"
)

type (
	// Node is a running one-node dev consortium (nodetest.Node).
	Node = nodetest.Node
	// Cluster is a dev consortium of one in-process node per organisation
	// (nodetest.Cluster).
	Cluster = nodetest.Cluster
	// ClusterNode is one node of a Cluster.
	ClusterNode = nodetest.ClusterNode
)

// Start creates a dev consortium in a temporary folder and runs its one
// node until the test ends (nodetest.Start). When the test ends, every
// transaction committed on the node is checked against its contract's
// declared shape (CheckShapes).
func Start(t testing.TB) *Node {
	t.Helper()
	n := nodetest.Start(t)
	t.Cleanup(func() { CheckShapes(t, n.Client) })
	return n
}

// CheckShapes fails t when a successful transaction committed on the
// chain passed an argument its method does not declare, or one of its
// events does not carry exactly the attributes its contract declares
// (package shapes): what the portal's mutations and the demo data send
// must be what the contracts read. It reads the chain from the first of
// nodes that answers; when none does, that is logged, not checked.
func CheckShapes(t testing.TB, nodes ...*client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var c *client.Client
	var last *api.Block
	for _, n := range nodes {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := n.LatestBlock(sctx)
		scancel()
		if err == nil {
			c, last = n, b
			break
		}
		t.Logf("testnode: shapes: %v", err)
	}
	if c == nil {
		t.Logf("testnode: shapes not checked: no node answered")
		return
	}
	for h := uint64(1); h <= last.Header.Height; h++ {
		b, err := c.Block(ctx, h)
		if err != nil {
			t.Logf("testnode: shapes not checked from block %d: %v", h, err)
			return
		}
		for i, x := range b.Txs {
			if i >= len(b.Receipts) || !b.Receipts[i].OK() {
				continue
			}
			call := x.Body.Call
			names := make([]string, len(call.Args))
			for k, a := range call.Args {
				names[k] = a.Name
			}
			if err := shapes.CheckCall(call.Contract, call.Method, names); err != nil {
				t.Errorf("testnode: block %d, transaction %s by %s: %v", h, x.ID, x.Body.Sender, err)
			}
			for _, ev := range b.Receipts[i].Events {
				keys := make([]string, len(ev.Attrs))
				for k, a := range ev.Attrs {
					keys[k] = a.Key
				}
				if err := shapes.CheckEvent(ev.Contract, ev.Type, keys); err != nil {
					t.Errorf("testnode: block %d, transaction %s: %v", h, x.ID, err)
				}
			}
		}
	}
}

// StartCluster creates a dev consortium with n nodes (one per
// organisation for n = 4) and runs them until the test ends
// (nodetest.StartCluster).
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := nodetest.StartCluster(t, n)
	t.Cleanup(func() { CheckShapes(t, clients(c)...) })
	return c
}

// StartClusterWith creates a dev consortium as o says (another set of
// organisations, extra members) and runs its nodes until the test ends
// (nodetest.StartClusterWith).
func StartClusterWith(t testing.TB, o devnet.Options) *Cluster {
	t.Helper()
	c := nodetest.StartClusterWith(t, o)
	t.Cleanup(func() { CheckShapes(t, clients(c)...) })
	return c
}

func clients(c *Cluster) []*client.Client {
	out := make([]*client.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Client
	}
	return out
}
