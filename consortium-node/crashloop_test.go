package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
)

// The crash-loop test (scripts/crashloop.sh, `make crashloop`): many
// SIGKILLs of random nodes of a 3-node consortium at random moments under
// load. `make test` runs a short form.

var (
	crashLoopKills = flag.Int("crashloop.kills", 4, "number of SIGKILLs in TestCrashLoop")
	crashLoopSeed  = flag.Uint64("crashloop.seed", 0, "seed of TestCrashLoop's kill schedule (0: random)")
)

// TestCrashLoop SIGKILLs a random node of a 3-node consortium,
// -crashloop.kills times, each after a random delay while clients submit
// through the running nodes and wait for acknowledgements; the killed node
// is restarted after a random downtime and must open its store without
// repair (a node that finds its store corrupt refuses to run). Afterwards
// every acknowledged transaction is on every node at the height and index
// it was acknowledged at, with a valid receipt proof, every transaction
// sent is in the chain exactly once, and all nodes have the same head and
// state hash. It logs a summary line "crashloop: kills=… acknowledged=…
// lost=… seed=…" (the loss count is checked before anything else fails).
func TestCrashLoop(t *testing.T) {
	kills := *crashLoopKills
	if kills < 1 {
		t.Fatalf("-crashloop.kills=%d; want at least 1", kills)
	}
	seed := killSeed(t, *crashLoopSeed, "crashloop.seed", fmt.Sprintf("-crashloop.kills=%d", kills))
	rng := testseed.NewRand(seed)

	start := time.Now()
	c := newFaultCluster(t, 3, false)
	c.startAll()
	_, lst := c.waitLeader(-1, 60*time.Second)
	l := newFaultLoad(c, lst.Height)
	stopLoad := l.start(3)
	defer stopLoad()
	l.waitAcked(8, 60*time.Second, "before the first kill")

	torn, killed, summarised := 0, 0, false
	defer func() {
		if !summarised {
			t.Logf("crashloop: FAILED after kills=%d acknowledged=%d lost=unchecked torn-tails-dropped=%d seed=%d time=%v",
				killed, l.ackedCount(), torn, seed, time.Since(start).Round(time.Second))
		}
	}()
	for k := range kills {
		// A random moment under load; then a random node (the leader or a
		// follower), down for a random while. One node is down at a time,
		// so the other two keep a quorum and the load keeps committing.
		delay := time.Duration(100+rng.IntN(1400)) * time.Millisecond
		victim := rng.IntN(len(c.nodes))
		down := time.Duration(rng.IntN(1000)) * time.Millisecond
		time.Sleep(delay)
		role := "follower"
		if st, err := c.status(victim); err == nil && st.Raft.State == "StateLeader" {
			role = "leader"
		}
		inflight := l.inflight.Load()
		c.kill(victim)
		killed++
		acked := l.ackedCount()
		time.Sleep(down)
		c.start(victim)
		crashLoopWaitOpen(t, c, victim, k+1)
		out := c.nodes[victim].p.stderr.String()
		if strings.Contains(out, "dropped a torn journal") {
			torn++
		}
		// The load goes on committing before the next kill.
		c.waitLeader(-1, 60*time.Second)
		l.waitAcked(l.ackedCount()+4, 60*time.Second, fmt.Sprintf("after kill %d", k+1))
		t.Logf("kill %d: SIGKILLed %s %s after %v (%d submissions in flight, %d acknowledged), restarted after %v",
			k+1, role, c.nodes[victim].id, delay, inflight, acked, down)
	}
	stopLoad()
	t.Logf("load stopped: %d txs sent, %d acknowledged; answers %s", l.sentCount(), l.ackedCount(), l.answerCounts())
	acked := l.ackedCopy()
	sts := c.converge(120 * time.Second)
	lost := crashLoopLost(t, c, acked, sts[0].Height)
	summarised = true
	t.Logf("crashloop: kills=%d acknowledged=%d lost=%d torn-tails-dropped=%d blocks=%d seed=%d time=%v",
		kills, len(acked), lost, torn, sts[0].Height, seed, time.Since(start).Round(time.Second))
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged transactions are not on every node", lost, len(acked))
	}

	// The unanswered transactions commit exactly once when resubmitted;
	// then every node serves a valid proof of every acknowledged one.
	l.settle(90 * time.Second)
	sts = c.converge(90 * time.Second)
	c.verifyProofs(c.all(), acked, 120*time.Second)
	l.checkChain(0, sts[0].Height)
	c.checkSameHead()
	c.stopAll()
}

// crashLoopWaitOpen waits until the restarted node i answers; it fails the
// test, saying so, if the node refused to open its store (it needs repair).
func crashLoopWaitOpen(t *testing.T, c *faultCluster, i, kill int) {
	t.Helper()
	nd := c.nodes[i]
	deadline := time.Now().Add(60 * time.Second)
	for {
		if nd.p.exited() {
			nd.alive.Store(false)
			out := nd.p.stderr.String()
			if strings.Contains(out, "corrupt store") {
				t.Fatalf("after kill %d node %s's store needs repair: the node refuses to open it:\n%s", kill, nd.id, out)
			}
			t.Fatalf("after kill %d node %s exited at start: %v\n%s", kill, nd.id, nd.p.err, out)
		}
		if _, err := c.status(i); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after kill %d node %s does not answer within 60s", kill, nd.id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashLoopLost reads blocks 1..height from every node and returns how
// many acknowledged transactions are missing from some node's chain, or
// sit there at another height or index than they were acknowledged at.
func crashLoopLost(t *testing.T, c *faultCluster, acked map[tx.ID]faultAck, height uint64) int {
	t.Helper()
	type loc struct {
		height uint64
		index  int
	}
	lost := map[tx.ID]bool{}
	for i, nd := range c.nodes {
		var (
			mu    sync.Mutex
			where = map[tx.ID]loc{}
		)
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		parallel(t, int(height), func(k int) error {
			h := uint64(k + 1)
			b, err := c.nodes[i].cl.Block(ctx, h)
			if err != nil {
				return fmt.Errorf("node %s: block %d: %w", nd.id, h, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for idx, x := range b.Txs {
				where[x.ID] = loc{h, idx}
			}
			return nil
		})
		cancel()
		if t.Failed() {
			t.FailNow()
		}
		n := 0
		for id, a := range acked {
			if w, ok := where[id]; !ok || w.height != a.height || w.index != a.index {
				if n < 5 {
					t.Errorf("node %s: tx %s acknowledged at %d/%d is at %v (present: %v)", nd.id, id, a.height, a.index, w, ok)
				}
				n++
				lost[id] = true
			}
		}
	}
	return len(lost)
}
