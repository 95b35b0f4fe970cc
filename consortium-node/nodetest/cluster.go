package nodetest

import (
	"context"
	"fmt"
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
// and started again (same data, same address), and nodes added by
// governance can join (Join).
type Cluster struct {
	// Home holds genesis.json and keys/ (one dev key file per member).
	Home    string
	Genesis *genesis.File
	Nodes   []*ClusterNode
	t       testing.TB
	cfg     ClusterConfig
	// keys are the node keys every client of the cluster trusts: the
	// genesis nodes' and those of the nodes that joined.
	keys *client.NodeKeys
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
	join   *genesis.Node // the node's record when it joined after genesis
	ln     net.Listener
	srv    *Server
}

// ClusterConfig configures StartClusterConfig.
type ClusterConfig struct {
	// Devnet is the consortium to create (its nodes, organisations and members).
	Devnet devnet.Options
	// SnapshotEvery and RetryAfter are every node's (default: the node's).
	SnapshotEvery uint64
	RetryAfter    time.Duration
	// Logger is every node's (default: discard).
	Logger *slog.Logger
}

// StartCluster creates a dev consortium with n nodes (one per
// organisation for n = 4) and runs them until the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartClusterConfig(t, ClusterConfig{Devnet: devnet.Options{Nodes: n}})
}

// StartClusterWith creates a dev consortium as o says (another set of
// organisations, extra members) and runs its nodes until the test ends.
func StartClusterWith(t testing.TB, o devnet.Options) *Cluster {
	t.Helper()
	return StartClusterConfig(t, ClusterConfig{Devnet: o})
}

// StartClusterConfig creates a dev consortium as cfg.Devnet says and runs
// its nodes as cfg says until the test ends; it returns once one leads.
func StartClusterConfig(t testing.TB, cfg ClusterConfig) *Cluster {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	home := t.TempDir()
	g, err := devnet.Create(home, cfg.Devnet)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Home: home, Genesis: g, t: t, cfg: cfg, keys: client.NewNodeKeys(g.NodeKeys())}
	for i := range g.Nodes {
		g.Nodes[i].RaftAddr = freeport.Addr(t)
	}
	t.Cleanup(func() { // registered first: a node that fails to start still stops the others
		for i := range c.Nodes {
			c.Stop(i)
		}
	})
	for _, gn := range g.Nodes {
		c.add(gn.ID, gn.Org, nil)
	}
	c.waitLeader()
	return c
}

// Join starts a node that governance added after genesis (rec, as
// committed by almoner node-change add; its key file in Home's keys/) and
// returns it. It catches up with the others by itself; the cluster's
// clients trust it from now on.
func (c *Cluster) Join(rec genesis.Node) *ClusterNode {
	c.t.Helper()
	c.keys.Add(map[string]sign.PublicKey{rec.ID: rec.SignKey})
	return c.add(rec.ID, rec.Org, &rec)
}

// add listens for node id's API, starts it and appends it to Nodes.
func (c *Cluster) add(id, org string, join *genesis.Node) *ClusterNode {
	t := c.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cn := &ClusterNode{ID: id, Org: org, URL: "https://" + ln.Addr().String(), join: join, ln: ln}
	cn.Client = c.Client(cn, id)
	c.Nodes = append(c.Nodes, cn)
	c.Start(len(c.Nodes) - 1)
	return cn
}

// Client returns a client of cn signing as member (a member or a node
// with a key file in Home's keys/; "" reads anonymously), trusting the
// cluster's nodes.
func (c *Cluster) Client(cn *ClusterNode, member string) *client.Client {
	c.t.Helper()
	cl := client.New(cn.URL, client.HTTPClient(c.keys))
	if member != "" {
		cl.Authenticate(member, c.signKey(member))
	}
	return cl
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
	t.Helper()
	if cn.ln == nil { // restarted: listen on the same address again
		var err error
		if cn.ln, err = net.Listen("tcp", cn.URL[len("https://"):]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Run(Config{Home: c.Home, Genesis: c.Genesis, NodeID: cn.ID, Join: cn.join,
		DataDir: filepath.Join(c.Home, "data", cn.ID), Logger: c.cfg.Logger.With("node", cn.ID),
		TickInterval: 20 * time.Millisecond, SnapshotEvery: c.cfg.SnapshotEvery, RetryAfter: c.cfg.RetryAfter,
		Listener: cn.ln, TLS: true})
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

// Running reports whether node i runs (started and not stopped).
func (c *Cluster) Running(i int) bool { return c.Nodes[i].srv != nil }

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

// Converge waits until every running node has the same head and state
// hash, and returns it ("height/head hash/state hash").
func (c *Cluster) Converge(within time.Duration) string {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var heads []string
		for i, cn := range c.Nodes {
			if !c.Running(i) {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			st, err := cn.Client.Status(ctx)
			cancel()
			head := fmt.Sprintf("%s: %v", cn.ID, err)
			if err == nil {
				head = fmt.Sprintf("%d/%s/%s", st.Height, st.HeadHash, st.StateHash)
			}
			heads = append(heads, head)
		}
		same := true
		for _, h := range heads {
			same = same && h == heads[0]
		}
		if same && len(heads) > 0 {
			return heads[0]
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("nodes did not converge within %v: %v", within, heads)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
