package nodetest

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest/freeport"
	"github.com/almoner/almoner/privacy/sign"
)

// Cluster is a dev consortium of one in-process node per organisation,
// each with its own data folder and its own API listener serving TLS with
// its node key's certificate (as --api-tls), talking raft, block sync and
// record release over the real mutual-TLS transport. Nodes can be stopped
// and started again (same data, same address).
type Cluster struct {
	// Home holds genesis.json and keys/ (one dev key file per member).
	Home    string
	Genesis *genesis.File
	Nodes   []*ClusterNode
	t       testing.TB
	log     *slog.Logger
}

// ClusterNode is one node of a Cluster.
type ClusterNode struct {
	ID, Org string
	// URL is the node API's base URL (https://); it stays the same
	// across restarts.
	URL string
	// Client reads as the node itself (nodes may read everything),
	// trusting the consortium's node keys.
	Client *client.Client
	ln     net.Listener
	srv    *Server
}

// StartCluster creates a dev consortium with n nodes (one per
// organisation for n = 4) and runs them until the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartClusterWith(t, devnet.Options{Nodes: n})
}

// StartClusterWith creates a dev consortium as o says (another set of
// organisations, extra members) and runs its nodes until the test ends.
func StartClusterWith(t testing.TB, o devnet.Options) *Cluster {
	t.Helper()
	home := t.TempDir()
	g, err := devnet.Create(home, o)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Home: home, Genesis: g, t: t, log: slog.New(slog.DiscardHandler)}
	for i := range g.Nodes {
		g.Nodes[i].RaftAddr = freeport.Addr(t)
	}
	for i, gn := range g.Nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cn := &ClusterNode{ID: gn.ID, Org: gn.Org, URL: "https://" + ln.Addr().String(), ln: ln}
		key := c.signKey(gn.ID)
		cn.Client = client.New(cn.URL, client.HTTPClient(client.NewNodeKeys(g.NodeKeys())))
		cn.Client.Authenticate(gn.ID, key)
		c.Nodes = append(c.Nodes, cn)
		c.Start(i)
	}
	t.Cleanup(func() {
		for i := range c.Nodes {
			c.Stop(i)
		}
	})
	c.waitLeader()
	return c
}

func (c *Cluster) signKey(id string) *sign.PrivateKey {
	_, key, err := genesis.LoadSignKey(c.Home, "", id)
	if err != nil {
		c.t.Fatal(err)
	}
	return key
}

// Start runs node i (again, after Stop) on its data folder and address.
func (c *Cluster) Start(i int) {
	t, cn := c.t, c.Nodes[i]
	if cn.ln == nil { // restarted: listen on the same address again
		var err error
		if cn.ln, err = net.Listen("tcp", cn.URL[len("https://"):]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Run(Config{Home: c.Home, Genesis: c.Genesis, NodeID: cn.ID, DataDir: filepath.Join(c.Home, "data", cn.ID),
		Logger: c.log, TickInterval: 20 * time.Millisecond, Listener: cn.ln, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	cn.srv = s
}

// Stop stops node i, as a crash would for its callers (connections cut).
func (c *Cluster) Stop(i int) {
	cn := c.Nodes[i]
	if cn.srv != nil {
		cn.srv.Close()
		cn.srv, cn.ln = nil, nil
	}
}

// Node returns the first node of org.
func (c *Cluster) Node(org string) *ClusterNode {
	for _, cn := range c.Nodes {
		if cn.Org == org {
			return cn
		}
	}
	c.t.Fatalf("no node of %s", org)
	return nil
}

func (c *Cluster) waitLeader() {
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, cn := range c.Nodes {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cn.Client.Status(ctx)
			cancel()
			if err == nil && st.Raft.State == "StateLeader" {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatal("no raft leader after 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
