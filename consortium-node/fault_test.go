package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
)

// The fault tests run a consortium of real node processes on 127.0.0.1
// and inject faults the way operators meet them: a SIGKILLed leader under
// load, a follower that was down while the others went on, and a node cut
// off from its peers by a network partition (--fault-drop-file).

var faultSeed = flag.Uint64("fault.seed", 0, "seed of the fault tests' random choices (0: random)")

func faultRNG(t *testing.T) *rand.Rand {
	t.Helper()
	seed := killSeed(t, *faultSeed, "fault.seed")
	return testseed.NewRand(seed)
}

// TestKillLeaderUnderLoad SIGKILLs the leader while clients submit to every
// node. The survivors elect a new leader and keep committing; after the
// killed node restarts, every transaction a client was told is committed
// has a quorum-signed receipt proof on every node, resubmitting the
// unanswered ones commits each exactly once, and all nodes end with the
// same head and state.
func TestKillLeaderUnderLoad(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	workers, preAcks, postAcks := 3, 40, 40
	delay := 500*time.Millisecond + time.Duration(rng.IntN(1500))*time.Millisecond
	if testing.Short() {
		workers, preAcks, postAcks = 2, 12, 12
		delay = 200*time.Millisecond + time.Duration(rng.IntN(500))*time.Millisecond
	}
	c := newFaultCluster(t, 3, false)
	c.startAll()
	lead, lst := c.waitLeader(-1, 60*time.Second)
	t.Logf("cluster up in %v, leader %s (term %d)", time.Since(start).Round(time.Millisecond), c.nodes[lead].id, lst.Raft.Term)

	l := newFaultLoad(c, lst.Height)
	stopLoad := l.start(workers)
	defer stopLoad()

	// Let the load run for a while and reach some commits, then kill the
	// leader in the middle of it.
	t0 := time.Now()
	time.Sleep(delay)
	l.waitAcked(preAcks, 60*time.Second, "before the kill")
	inflight := l.inflight.Load()
	c.kill(lead)
	t.Logf("SIGKILLed leader %s after %v of load, %d submissions in flight, %d txs acknowledged",
		c.nodes[lead].id, time.Since(t0).Round(time.Millisecond), inflight, l.ackedCount())

	// The survivors elect a new leader and keep committing.
	tk := time.Now()
	nl, nst := c.waitLeader(lead, 60*time.Second)
	if nst.Raft.Term <= lst.Raft.Term {
		t.Errorf("new leader %s has term %d, the killed leader had %d", c.nodes[nl].id, nst.Raft.Term, lst.Raft.Term)
	}
	t.Logf("new leader %s (term %d) after %v", c.nodes[nl].id, nst.Raft.Term, time.Since(tk).Round(time.Millisecond))
	base := l.ackedCount()
	l.waitAcked(base+postAcks, 60*time.Second, "after the leader was killed")
	stopLoad()
	t.Logf("load stopped: %d txs sent, %d acknowledged as committed; answers %v", l.sentCount(), l.ackedCount(), l.answerCounts())

	// Every transaction not acknowledged is resubmitted (the same bytes)
	// until it commits or is refused as already committed.
	ts := time.Now()
	l.settle(90 * time.Second)
	t.Logf("settled the unanswered transactions in %v; answers now %s", time.Since(ts).Round(time.Millisecond), l.answerCounts())

	// The killed node comes back and catches up.
	tr := time.Now()
	c.start(lead)
	c.waitUp(lead, 60*time.Second)
	sts := c.converge(90 * time.Second)
	t.Logf("restarted %s: all nodes at height %d (head %s) after %v", c.nodes[lead].id, sts[0].Height, sts[0].HeadHash,
		time.Since(tr).Round(time.Millisecond))

	// Every acknowledged transaction: a valid receipt proof on every node,
	// at the height and index it was acknowledged at. Every transaction
	// sent: in the chain exactly once.
	acked := l.ackedCopy()
	c.verifyProofs(c.all(), acked, 60*time.Second)
	l.checkChain(lead, sts[0].Height)
	c.checkSameHead()
	c.stopAll()
	t.Logf("%d txs committed, %d blocks, %v", len(acked), sts[0].Height, time.Since(start).Round(time.Millisecond))
}

// TestKillFollowerAndCatchUp SIGKILLs a follower, commits while it is down,
// restarts it and checks that it catches up to the same head and state
// (from the leader's raft log: no compaction happens at this size) and
// serves valid proofs for what was committed while it was down.
func TestKillFollowerAndCatchUp(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	before, whileDown, batch := 20, 200, 20
	if testing.Short() {
		before, whileDown = 10, 60
	}
	c := newFaultCluster(t, 3, false)
	c.startAll()
	lead, _ := c.waitLeader(-1, 60*time.Second)
	acks := map[tx.ID]faultAck{}
	for i := 0; i < before; i += batch {
		c.commitAll(c.newTxs("before", min(batch, before-i)), acks)
	}
	c.converge(60 * time.Second)

	followers := c.othersThan(lead)
	f := followers[rng.IntN(len(followers))]
	c.kill(f)
	t.Logf("SIGKILLed follower %s at height %d", c.nodes[f].id, c.height.Load())

	tc := time.Now()
	for i := 0; i < whileDown; i += batch {
		c.commitAll(c.newTxs("down", min(batch, whileDown-i)), acks)
	}
	st, err := c.status(c.leaderNow())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("committed %d txs in %v while %s was down; height %d", whileDown, time.Since(tc).Round(time.Millisecond), c.nodes[f].id, st.Height)

	tr := time.Now()
	c.start(f)
	c.waitUp(f, 60*time.Second)
	sts := c.converge(60 * time.Second)
	t.Logf("%s caught up to height %d in %v", c.nodes[f].id, sts[0].Height, time.Since(tr).Round(time.Millisecond))

	// It serves quorum-signed proofs of what it missed, and is a full
	// member again: a submission through it commits.
	c.verifyProofs([]int{f}, acks, 60*time.Second)
	via := map[tx.ID]faultAck{}
	c.commitVia(f, c.newTxs("via-restarted", 3), via)
	c.converge(60 * time.Second)
	c.verifyProofs(c.all(), via, 60*time.Second)
	c.stopAll()
	t.Logf("%d txs, %v", len(acks)+len(via), time.Since(start).Round(time.Millisecond))
}

// TestPartitionedNodeHeals cuts a follower off from its peers with drop
// files: the majority keeps committing, the isolated node's head does not
// move and a transaction submitted to it is not committed; once the
// partition heals, the node converges and that transaction is committed.
func TestPartitionedNodeHeals(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	during := 20
	if testing.Short() {
		during = 8
	}
	c := newFaultCluster(t, 3, true)
	c.startAll()
	lead, _ := c.waitLeader(-1, 60*time.Second)
	acks := map[tx.ID]faultAck{}
	c.commitAll(c.newTxs("pre", 5), acks)
	c.converge(60 * time.Second)

	followers := c.othersThan(lead)
	iso := followers[rng.IntN(len(followers))]
	c.partition(iso)
	// The drop files are re-read every 200ms; give every node time to
	// load them (there is nothing to poll for: a cut-off node looks just
	// like an idle one).
	time.Sleep(time.Second)
	h0 := c.mustStatus(iso).Height
	t.Logf("isolated follower %s at height %d (leader %s)", c.nodes[iso].id, h0, c.nodes[lead].id)

	// The majority keeps committing; the isolated node does not move.
	majority := map[tx.ID]faultAck{}
	for i := 0; i < during; i += 5 {
		c.commitAll(c.newTxs("partitioned", min(5, during-i)), majority)
		if h := c.mustStatus(iso).Height; h != h0 {
			t.Fatalf("isolated node's height moved from %d to %d", h0, h)
		}
	}

	// A transaction submitted to the isolated node is not committed.
	xs := c.newTxs("via-isolated", 1)
	x := xs[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	res, err := c.nodes[iso].cl.Submit(ctx, [][]byte{x.raw}, client.SubmitOptions{Wait: true, Timeout: 2 * time.Second})
	cancel()
	if err != nil {
		t.Fatalf("submit to the isolated node: %v", err)
	}
	if res[0].Status != api.StatusPending {
		t.Fatalf("tx submitted to the isolated node: status %q (%s) at height %d; want %q", res[0].Status, res[0].Error, res[0].Height, api.StatusPending)
	}
	if _, err := c.proof(c.leaderNow(), x.id); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("tx submitted to the isolated node: proof on the leader: %v; want not found", err)
	}
	// One more block on the majority side while the isolated node holds
	// the transaction.
	c.commitAll(c.newTxs("partitioned-late", 2), majority)
	ist, mst := c.mustStatus(iso), c.mustStatus(c.leaderNow())
	if ist.Height != h0 {
		t.Fatalf("isolated node's height moved from %d to %d", h0, ist.Height)
	}
	if ist.Raft.State == "StateLeader" {
		t.Errorf("isolated node claims to lead: %+v", ist.Raft)
	}
	if mst.Height <= h0 {
		t.Fatalf("majority at height %d, not beyond the isolated node's %d", mst.Height, h0)
	}
	t.Logf("during the partition: majority at height %d, isolated node at %d with %d pending", mst.Height, ist.Height, ist.Pending)

	// Heal: the node converges and its transaction gets committed.
	th := time.Now()
	c.heal()
	xack := map[tx.ID]faultAck{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		p, err := c.proof(c.leaderNow(), x.id)
		if err == nil {
			if err := p.Verify(c.g.ChainID, c.g.NodeKeys(), c.g.Quorum()); err == nil {
				xack[x.id] = faultAck{height: p.Header.Height, index: int(p.Index), receipt: p.Receipt.Encode()}
				if !p.Receipt.OK() {
					t.Fatalf("tx submitted during the partition failed: %+v", p.Receipt)
				}
				break
			}
		} else if !errors.Is(err, client.ErrNotFound) {
			t.Logf("proof of the tx submitted during the partition: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tx submitted to the isolated node was not committed within 60s of healing (last: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sts := c.converge(60 * time.Second)
	t.Logf("healed: tx from the isolated node committed at height %d, all nodes at height %d after %v; leader %s",
		xack[x.id].height, sts[0].Height, time.Since(th).Round(time.Millisecond), c.nodes[c.leaderNow()].id)
	c.verifyProofs(c.all(), majority, 60*time.Second)
	c.verifyProofs(c.all(), xack, 60*time.Second)
	c.stopAll()
	t.Logf("%v", time.Since(start).Round(time.Millisecond))
}

// faultCluster is a consortium of node processes.
type faultCluster struct {
	t     *testing.T
	bin   string
	home  string
	dir   string
	g     *genesis.File
	drops bool
	keys  *submitter // stmarys/admin's keys
	nodes []*faultNode

	nonce  atomic.Uint64
	height highest // for expiries
}

type faultNode struct {
	id       string
	raftID   uint64
	api      string
	logPath  string
	dropPath string
	cl       nodeClient
	p        *proc // the latest process
	alive    atomic.Bool
	procs    []*proc
}

type faultTx struct {
	id     tx.ID
	raw    []byte
	member string
}

type faultAck struct {
	height  uint64
	index   int
	receipt []byte
}

// faultBasePort finds a base port P with P..P+n-1 and P+100..P+100+n-1
// free on 127.0.0.1 (below Linux's ephemeral range).
func faultBasePort(t *testing.T, n int) int {
	t.Helper()
	for range 500 {
		p := 20000 + rand.IntN(12000-100-n)
		var lns []net.Listener
		ok := true
		for i := 0; i < n && ok; i++ {
			for _, off := range []int{i, 100 + i} {
				ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+off))
				if err != nil {
					ok = false
					break
				}
				lns = append(lns, ln)
			}
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free base port found")
	return 0
}

func newFaultCluster(t *testing.T, n int, drops bool) *faultCluster {
	t.Helper()
	dir := t.TempDir()
	tb := time.Now()
	bin := buildDaemon(t, dir)
	home := filepath.Join(dir, "home")
	port := faultBasePort(t, n)
	out, err := exec.Command(bin, "init", "--home", home, "--nodes", strconv.Itoa(n), "--base-port", strconv.Itoa(port)).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != n {
		t.Fatalf("init --nodes %d made %d nodes", n, len(g.Nodes))
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &faultCluster{t: t, bin: bin, home: home, dir: dir, g: g, drops: drops, keys: newSubmitter(t, home, g)}
	for _, gn := range g.Nodes {
		tr := &http.Transport{MaxIdleConnsPerHost: 16}
		nd := &faultNode{id: gn.ID, raftID: gn.RaftID, api: gn.APIAddr,
			logPath:  filepath.Join(dir, "logs", strings.ReplaceAll(gn.ID, "/", "_")+".log"),
			dropPath: filepath.Join(dir, "drop-"+strings.ReplaceAll(gn.ID, "/", "_")),
			cl:       nodeClient{devClient(t, home, gn.APIAddr, &http.Client{Transport: tr, Timeout: 60 * time.Second}), tr}}
		c.nodes = append(c.nodes, nd)
	}
	// Registered before any node starts, so it runs after the nodes are
	// killed and their logs are complete.
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.cl.Close()
		}
		if !t.Failed() {
			return
		}
		for _, nd := range c.nodes {
			t.Logf("tail of node %s's log (%s):\n%s", nd.id, nd.logPath, faultTail(nd.logPath, 40, 6000))
		}
	})
	t.Logf("built the daemon (race detector: %v) and created a consortium of %d nodes at base port %d in %v; logs in %s",
		raceEnabled(), n, port, time.Since(tb).Round(time.Millisecond), filepath.Join(dir, "logs"))
	return c
}

// faultTail returns the last lines of a log file, at most max bytes.
func faultTail(path string, lines, max int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

func (c *faultCluster) all() []int {
	out := make([]int, len(c.nodes))
	for i := range out {
		out[i] = i
	}
	return out
}

func (c *faultCluster) othersThan(i int) []int {
	var out []int
	for j := range c.nodes {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}

func (c *faultCluster) startAll() {
	for i := range c.nodes {
		c.start(i)
	}
}

// start starts node i's process, its output appended to its log file, with extra flags for `run` (a later flag
// overrides an earlier one: --log-level info).
func (c *faultCluster) start(i int, extra ...string) {
	t := c.t
	t.Helper()
	nd := c.nodes[i]
	args := []string{"run", "--home", c.home, "--node", nd.id, "--log-level", "warn"}
	if c.drops {
		args = append(args, "--fault-drop-file", nd.dropPath)
	}
	args = append(args, extra...)
	f, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "=== %s test: start %d: %s\n", time.Now().Format("15:04:05.000"), len(nd.procs), strings.Join(args, " "))
	p := startProc(t, c.bin, args, f)
	nd.p = p
	nd.procs = append(nd.procs, p)
	nd.alive.Store(true)
}

// kill SIGKILLs node i.
func (c *faultCluster) kill(i int) {
	t := c.t
	t.Helper()
	nd := c.nodes[i]
	nd.alive.Store(false)
	if err := nd.p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", nd.id, err)
	}
	nd.p.wait(t, 10*time.Second)
	nd.p.checkLog(t)
}

// stopAll stops the running nodes with SIGTERM (each must exit 0) and
// checks every process's output for data races and panics.
func (c *faultCluster) stopAll() {
	t := c.t
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("stopped the nodes in %v", time.Since(start).Round(time.Millisecond)) }()
	for _, nd := range c.nodes {
		// Idle keep-alive connections, and ones the client dialled but
		// never used (the server holds those open for up to 5s during
		// Shutdown), would slow the stop down.
		nd.cl.Close()
	}
	for _, nd := range c.nodes {
		if nd.alive.Load() {
			nd.alive.Store(false)
			ts := time.Now()
			stop(t, nd.p, syscall.SIGTERM)
			t.Logf("stopped %s in %v", nd.id, time.Since(ts).Round(time.Millisecond))
		}
		for _, p := range nd.procs {
			p.checkLog(t)
		}
	}
}

// checkAlive fails the test if a node that should run has exited.
func (c *faultCluster) checkAlive() {
	t := c.t
	t.Helper()
	for _, nd := range c.nodes {
		if nd.alive.Load() && nd.p.exited() {
			t.Fatalf("node %s exited unexpectedly: %v\n%s", nd.id, nd.p.err, faultTail(nd.logPath, 40, 6000))
		}
	}
}

// status fetches node i's status; a node that reports an error (it halted,
// e.g. diverged) fails the test.
func (c *faultCluster) status(i int) (*api.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.nodes[i].cl.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.Error != "" {
		c.t.Fatalf("node %s reports an error: %s", c.nodes[i].id, st.Error)
	}
	c.height.see(st.Height)
	return st, nil
}

func (c *faultCluster) mustStatus(i int) *api.Status {
	c.t.Helper()
	st, err := c.status(i)
	if err != nil {
		c.t.Fatalf("status of %s: %v", c.nodes[i].id, err)
	}
	return st
}

// waitUp waits until node i answers.
func (c *faultCluster) waitUp(i int, within time.Duration) {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c.checkAlive()
		_, err := c.status(i)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s does not answer after %v: %v", c.nodes[i].id, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLeader waits until a running node other than exclude says it leads.
func (c *faultCluster) waitLeader(exclude int, within time.Duration) (int, *api.Status) {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(within)
	var last []string
	for {
		c.checkAlive()
		last = last[:0]
		for i, nd := range c.nodes {
			if !nd.alive.Load() {
				continue
			}
			st, err := c.status(i)
			if err != nil {
				last = append(last, fmt.Sprintf("%s: %v", nd.id, err))
				continue
			}
			last = append(last, fmt.Sprintf("%s: %s term %d leader %d", nd.id, st.Raft.State, st.Raft.Term, st.Raft.Leader))
			if i != exclude && st.Raft.State == "StateLeader" {
				return i, st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader after %v: %s", within, strings.Join(last, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaderNow returns the current leader among the running nodes.
func (c *faultCluster) leaderNow() int {
	i, _ := c.waitLeader(-1, 60*time.Second)
	return i
}

// converge waits until every running node has the same head and state and
// nothing pending, and returns their statuses.
func (c *faultCluster) converge(within time.Duration) []*api.Status {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c.checkAlive()
		var (
			sts  []*api.Status
			desc []string
			same = true
		)
		for i, nd := range c.nodes {
			if !nd.alive.Load() {
				continue
			}
			st, err := c.status(i)
			if err != nil {
				same = false
				desc = append(desc, fmt.Sprintf("%s: %v", nd.id, err))
				continue
			}
			desc = append(desc, fmt.Sprintf("%s: height %d head %s state %s pending %d raft %s commit %d applied %d",
				nd.id, st.Height, st.HeadHash, st.StateHash, st.Pending, st.Raft.State, st.Raft.Commit, st.Raft.Applied))
			if len(sts) > 0 && (st.Height != sts[0].Height || st.HeadHash != sts[0].HeadHash || st.StateHash != sts[0].StateHash) {
				same = false
			}
			if st.Pending != 0 {
				same = false
			}
			sts = append(sts, st)
		}
		if same && len(sts) > 0 {
			return sts
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes did not converge within %v:\n  %s", within, strings.Join(desc, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkSameHead checks that every running node has the same head now.
func (c *faultCluster) checkSameHead() {
	t := c.t
	t.Helper()
	var first *api.Status
	for i, nd := range c.nodes {
		if !nd.alive.Load() {
			continue
		}
		st := c.mustStatus(i)
		if first == nil {
			first = st
		} else if st.Height != first.Height || st.HeadHash != first.HeadHash || st.StateHash != first.StateHash {
			t.Errorf("node %s at %d %s state %s; another at %d %s state %s", nd.id, st.Height, st.HeadHash, st.StateHash,
				first.Height, first.HeadHash, first.StateHash)
		}
	}
}

// writeDrop atomically replaces node i's drop file with the given raft ids.
func (c *faultCluster) writeDrop(i int, ids []uint64) {
	t := c.t
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintln(&b, id)
	}
	tmp := c.nodes[i].dropPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, c.nodes[i].dropPath); err != nil {
		t.Fatal(err)
	}
}

// partition cuts node iso off: it drops everyone's traffic, and everyone
// drops its.
func (c *faultCluster) partition(iso int) {
	var others []uint64
	for _, j := range c.othersThan(iso) {
		others = append(others, c.nodes[j].raftID)
		c.writeDrop(j, []uint64{c.nodes[iso].raftID})
	}
	c.writeDrop(iso, others)
}

func (c *faultCluster) heal() {
	for i := range c.nodes {
		c.writeDrop(i, nil)
	}
}

// newTxs signs n identity.add_member transactions with unique member ids.
func (c *faultCluster) newTxs(tag string, n int) []*faultTx {
	c.t.Helper()
	out, err := c.makeTxs(tag, n)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func (c *faultCluster) makeTxs(tag string, n int) ([]*faultTx, error) {
	out := make([]*faultTx, n)
	for i := range out {
		nonce := c.nonce.Add(1)
		member := fmt.Sprintf("stmarys/f-%s-%d", tag, nonce)
		raw, err := c.keys.addMember(member, nonce, c.height.Load()+500)
		if err != nil {
			return nil, err
		}
		out[i] = &faultTx{id: tx.HashID(raw), raw: raw, member: member}
	}
	return out, nil
}

// warmUp waits for a leader, commits a batch of transactions tagged "before" for each size in batches and waits
// until the nodes agree on their head; it returns the leader and the acknowledgements.
func (c *faultCluster) warmUp(batches ...int) (lead int, acks map[tx.ID]faultAck) {
	c.t.Helper()
	lead, _ = c.waitLeader(-1, 60*time.Second)
	acks = map[tx.ID]faultAck{}
	for _, n := range batches {
		c.commitAll(c.newTxs("before", n), acks)
	}
	c.converge(60 * time.Second)
	return lead, acks
}

// commitAll commits txs through the current leader.
func (c *faultCluster) commitAll(txs []*faultTx, acks map[tx.ID]faultAck) {
	c.t.Helper()
	c.commitVia(-1, txs, acks)
}

// commitVia submits txs through node via (-1: the current leader) and
// waits until every one is committed with a successful receipt, resending
// those still pending. A resent one refused as already committed is looked
// up by proof.
func (c *faultCluster) commitVia(via int, txs []*faultTx, acks map[tx.ID]faultAck) {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	todo := txs
	var last string
	for len(todo) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d txs not committed after 90s (last answer: %s)", len(todo), len(txs), last)
		}
		i := via
		if i < 0 {
			i = c.leaderNow()
		}
		raws := make([][]byte, len(todo))
		for k, x := range todo {
			raws[k] = x.raw
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := c.nodes[i].cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: 20 * time.Second})
		cancel()
		if err != nil {
			last = err.Error()
			c.checkAlive()
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var next []*faultTx
		for k, r := range res {
			x := todo[k]
			if r.ID != x.id {
				t.Fatalf("result %d is for tx %s, sent %s", k, r.ID, x.id)
			}
			switch {
			case r.Status == api.StatusCommitted:
				if r.Receipt == nil || !r.Receipt.OK() {
					t.Fatalf("tx %s (%s) committed with receipt %+v; want success", x.id, x.member, r.Receipt)
				}
				c.recordAck(acks, x.id, faultAck{height: r.Height, index: r.Index, receipt: r.Receipt.Encode()})
			case r.Status == api.StatusRejected && strings.Contains(r.Error, "already committed"):
				p, err := c.proof(i, x.id)
				if err != nil {
					t.Fatalf("tx %s refused as already committed, but: %v", x.id, err)
				}
				c.recordAck(acks, x.id, faultAck{height: p.Header.Height, index: int(p.Index), receipt: p.Receipt.Encode()})
			case r.Status == api.StatusPending, r.Status == api.StatusRejected && strings.Contains(r.Error, "already pending"):
				last = fmt.Sprintf("%s %s", r.Status, r.Error)
				next = append(next, x)
			default:
				t.Fatalf("tx %s (%s) via %s: %s %s", x.id, x.member, c.nodes[i].id, r.Status, r.Error)
			}
		}
		todo = next
	}
}

func (c *faultCluster) recordAck(acks map[tx.ID]faultAck, id tx.ID, a faultAck) {
	c.t.Helper()
	if prev, ok := acks[id]; ok && (prev.height != a.height || prev.index != a.index) {
		c.t.Errorf("tx %s committed twice: at %d/%d and at %d/%d", id, prev.height, prev.index, a.height, a.index)
	}
	acks[id] = a
	c.height.see(a.height)
}

func (c *faultCluster) proof(i int, id tx.ID) (*ledger.ReceiptProof, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.nodes[i].cl.Proof(ctx, id)
}

// verifyProofs checks that every tx in acks has, on each of the given
// nodes, a receipt proof that verifies against the genesis node keys and
// quorum, at the acknowledged height and index with the acknowledged
// receipt. Header signatures arrive asynchronously: it polls.
func (c *faultCluster) verifyProofs(nodes []int, acks map[tx.ID]faultAck, within time.Duration) {
	t := c.t
	t.Helper()
	start := time.Now()
	type job struct {
		node int
		id   tx.ID
	}
	var todo []job
	for _, i := range nodes {
		for id := range acks {
			todo = append(todo, job{i, id})
		}
	}
	total := len(todo)
	deadline := time.Now().Add(within)
	keys, quorum := c.g.NodeKeys(), c.g.Quorum()
	for round := 0; len(todo) > 0; round++ {
		var (
			mu    sync.Mutex
			retry []job
			errs  []string
			next  atomic.Int64
			wg    sync.WaitGroup
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := int(next.Add(1) - 1)
					if k >= len(todo) {
						return
					}
					j := todo[k]
					a := acks[j.id]
					p, err := c.proof(j.node, j.id)
					if err == nil {
						if tx.HashID(p.Tx) != j.id {
							err = fmt.Errorf("proof carries tx %s", tx.HashID(p.Tx))
						} else if err = p.Verify(c.g.ChainID, keys, quorum); err == nil &&
							(p.Header.Height != a.height || p.Index != uint64(a.index) || !bytes.Equal(p.Receipt.Encode(), a.receipt)) {
							// Not a matter of waiting: fail now.
							mu.Lock()
							errs = append(errs, fmt.Sprintf("node %s: tx %s acknowledged at %d/%d, proof says %d/%d with receipt %+v",
								c.nodes[j.node].id, j.id, a.height, a.index, p.Header.Height, p.Index, p.Receipt))
							mu.Unlock()
							continue
						}
					}
					if err != nil {
						mu.Lock()
						retry = append(retry, j)
						if len(errs) < 10 && time.Now().After(deadline) {
							errs = append(errs, fmt.Sprintf("node %s: tx %s (height %d): %v", c.nodes[j.node].id, j.id, a.height, err))
						}
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			for k, e := range errs {
				if k == 10 {
					break
				}
				t.Error(e)
			}
			t.Fatalf("%d of %d receipt proofs do not verify after %v", len(retry)+len(errs), total, time.Since(start).Round(time.Millisecond))
		}
		todo = retry
		if len(todo) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d receipt proofs do not verify after %v", len(todo), total, within)
			}
			c.checkAlive()
			time.Sleep(250 * time.Millisecond)
		}
	}
	t.Logf("%d receipt proofs verified on %d node(s) in %v", total, len(nodes), time.Since(start).Round(time.Millisecond))
}

// faultLoad is the steady load of TestKillLeaderUnderLoad: workers submit
// batches round-robin to the running nodes, resubmitting (the same bytes)
// what was not acknowledged.
type faultLoad struct {
	c        *faultCluster
	inflight atomic.Int64
	rr       atomic.Uint64

	mu      sync.Mutex
	sent    map[tx.ID]*faultTx
	acked   map[tx.ID]faultAck
	refused map[tx.ID]bool // resubmission refused as already committed
	retry   []*faultTx
	answers map[string]int
}

// start runs n workers until the returned stop, which waits for them (calling it again does nothing more).
func (l *faultLoad) start(n int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(ctx, w)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

func newFaultLoad(c *faultCluster, height uint64) *faultLoad {
	c.height.see(height)
	return &faultLoad{c: c, sent: map[tx.ID]*faultTx{}, acked: map[tx.ID]faultAck{}, refused: map[tx.ID]bool{}, answers: map[string]int{}}
}

const faultLoadBatch = 4

// pick returns the next running node, round-robin.
func (l *faultLoad) pick() int {
	n := len(l.c.nodes)
	for {
		i := int(l.rr.Add(1) % uint64(n))
		if l.c.nodes[i].alive.Load() {
			return i
		}
	}
}

func (l *faultLoad) worker(ctx context.Context, w int) {
	for ctx.Err() == nil {
		l.mu.Lock()
		k := min(len(l.retry), faultLoadBatch/2)
		batch := append([]*faultTx(nil), l.retry[:k]...)
		l.retry = l.retry[k:]
		l.mu.Unlock()
		fresh, err := l.c.makeTxs(fmt.Sprintf("w%d", w), faultLoadBatch-len(batch))
		if err != nil {
			l.c.t.Error(err)
			return
		}
		l.mu.Lock()
		for _, x := range fresh {
			l.sent[x.id] = x
		}
		l.mu.Unlock()
		batch = append(batch, fresh...)
		raws := make([][]byte, len(batch))
		for i, x := range batch {
			raws[i] = x.raw
		}
		i := l.pick()
		l.inflight.Add(1)
		res, err := l.c.nodes[i].cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: 10 * time.Second})
		l.inflight.Add(-1)
		if err != nil {
			// The node was killed, or the load stopped: try again later.
			l.mu.Lock()
			l.answers["error"]++
			l.retry = append(l.retry, batch...)
			l.mu.Unlock()
			if ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		l.record(i, batch, res)
	}
}

// record takes in the answers to a submission of batch via node i.
func (l *faultLoad) record(i int, batch []*faultTx, res []api.TxStatus) {
	t := l.c.t
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, r := range res {
		x := batch[k]
		if r.ID != x.id {
			t.Errorf("result %d is for tx %s, sent %s", k, r.ID, x.id)
			continue
		}
		switch {
		case r.Status == api.StatusCommitted:
			l.answers["committed"]++
			if r.Receipt == nil || !r.Receipt.OK() {
				t.Errorf("tx %s (%s) committed via %s with receipt %+v; want success (member ids are unique)", x.id, x.member, l.c.nodes[i].id, r.Receipt)
				continue
			}
			a := faultAck{height: r.Height, index: r.Index, receipt: r.Receipt.Encode()}
			if prev, ok := l.acked[x.id]; ok && (prev.height != a.height || prev.index != a.index) {
				t.Errorf("tx %s acknowledged as committed twice: at %d/%d and at %d/%d", x.id, prev.height, prev.index, a.height, a.index)
			}
			if l.refused[x.id] && !l.hasAck(x.id) {
				// Refused as already committed before, now committed:
				// checkChain tells whether it is in the chain twice.
				l.answers["committed after refusal"]++
			}
			l.acked[x.id] = a
			l.c.height.see(r.Height)
		case r.Status == api.StatusRejected && strings.Contains(r.Error, "already committed"):
			l.answers["rejected: already committed"]++
			if _, ok := l.acked[x.id]; !ok {
				l.refused[x.id] = true
			}
		case r.Status == api.StatusRejected && strings.Contains(r.Error, "already pending"):
			l.answers["rejected: already pending"]++
			l.retryLocked(x)
		case r.Status == api.StatusRejected:
			l.answers["rejected: other"]++
			if l.answers["rejected: other"] <= 5 {
				t.Logf("tx %s rejected by %s: %s", x.id, l.c.nodes[i].id, r.Error)
			}
			l.retryLocked(x)
		default:
			l.answers[r.Status]++
			l.retryLocked(x)
		}
	}
}

func (l *faultLoad) hasAck(id tx.ID) bool {
	_, ok := l.acked[id]
	return ok
}

func (l *faultLoad) retryLocked(x *faultTx) {
	if _, ok := l.acked[x.id]; !ok && !l.refused[x.id] {
		l.retry = append(l.retry, x)
	}
}

func (l *faultLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *faultLoad) sentCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

func (l *faultLoad) ackedCopy() map[tx.ID]faultAck {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[tx.ID]faultAck, len(l.acked))
	for id, a := range l.acked {
		out[id] = a
	}
	return out
}

func (l *faultLoad) answerCounts() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.answers))
	for k := range l.answers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, l.answers[k])
	}
	return strings.TrimSpace(b.String())
}

// waitAcked waits until at least n txs were acknowledged as committed.
func (l *faultLoad) waitAcked(n int, within time.Duration, when string) {
	t := l.c.t
	t.Helper()
	deadline := time.Now().Add(within)
	for l.ackedCount() < n {
		l.c.checkAlive()
		if time.Now().After(deadline) {
			t.Fatalf("only %d txs committed %s within %v (answers: %s)", l.ackedCount(), when, within, l.answerCounts())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settle resubmits, through the current leader, every tx sent but neither
// acknowledged nor refused as already committed, until each is one or the
// other.
func (l *faultLoad) settle(within time.Duration) {
	t := l.c.t
	t.Helper()
	deadline := time.Now().Add(within)
	for round := 0; ; round++ {
		l.mu.Lock()
		var todo []*faultTx
		for id, x := range l.sent {
			if _, ok := l.acked[id]; !ok && !l.refused[id] {
				todo = append(todo, x)
			}
		}
		l.retry = nil
		l.mu.Unlock()
		if round == 0 {
			t.Logf("resubmitting %d unacknowledged txs", len(todo))
		}
		if len(todo) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d txs neither committed nor refused as already committed %v after the load stopped (answers: %s); e.g. %s",
				len(todo), within, l.answerCounts(), todo[0].id)
		}
		for len(todo) > 0 {
			n := min(len(todo), 100)
			batch := todo[:n]
			todo = todo[n:]
			raws := make([][]byte, len(batch))
			for k, x := range batch {
				raws[k] = x.raw
			}
			i := l.c.leaderNow()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			res, err := l.c.nodes[i].cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: 20 * time.Second})
			cancel()
			if err != nil {
				t.Logf("resubmitting via %s: %v", l.c.nodes[i].id, err)
				time.Sleep(200 * time.Millisecond)
				continue
			}
			l.record(i, batch, res)
		}
	}
}

// checkChain reads blocks 1..height from node i and checks that every tx
// sent is in the chain exactly once, at the height and index it was
// acknowledged at, and that the chain holds nothing else.
func (l *faultLoad) checkChain(i int, height uint64) {
	t := l.c.t
	t.Helper()
	start := time.Now()
	type loc struct {
		height uint64
		index  int
	}
	var (
		mu    sync.Mutex
		where = map[tx.ID][]loc{}
		ntx   int
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	parallel(t, int(height), func(k int) error {
		h := uint64(k + 1)
		b, err := l.c.nodes[i].cl.Block(ctx, h)
		if err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for idx, x := range b.Txs {
			where[x.ID] = append(where[x.ID], loc{h, idx})
			ntx++
		}
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for id, x := range l.sent {
		ls := where[id]
		switch {
		case len(ls) == 0:
			report("tx %s (%s) is not in the chain (acknowledged: %v, refused as already committed: %v)", id, x.member, l.hasAck(id), l.refused[id])
		case len(ls) > 1:
			report("tx %s (%s) is in the chain %d times: %v", id, x.member, len(ls), ls)
		default:
			if a, ok := l.acked[id]; ok && (a.height != ls[0].height || a.index != ls[0].index) {
				report("tx %s acknowledged at %d/%d, in the chain at %d/%d", id, a.height, a.index, ls[0].height, ls[0].index)
			}
		}
	}
	for id := range where {
		if _, ok := l.sent[id]; !ok {
			report("the chain holds tx %s that was never sent", id)
		}
	}
	if bad > 0 {
		t.Fatalf("%d problems in the chain of %d blocks", bad, height)
	}
	t.Logf("chain of %d blocks holds each of the %d txs sent exactly once (%d acknowledged during the load or its resubmission) (%v)",
		height, ntx, len(l.acked), time.Since(start).Round(time.Millisecond))
}
