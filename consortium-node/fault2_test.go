package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// More fault tests on real node processes (see fault_test.go): a follower
// that missed more than the leader's compacted raft log, and nodes whose
// database was tampered with while they were stopped.

// TestFollowerCatchesUpAfterCompaction runs three nodes that snapshot and
// compact their raft log every 5 entries, SIGKILLs a follower and commits
// many more blocks than the log keeps. The restarted follower receives a
// raft snapshot, catches up by block sync (its log says so), converges to
// the same head and state, serves quorum-signed proofs of what it missed,
// and is a full member again: submissions through it commit, block after
// block (past its own next log compactions), and their proofs verify on
// every node.
func TestFollowerCatchesUpAfterCompaction(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	whileDown := 40
	if testing.Short() {
		whileDown = 20
	}
	const snapEvery = 5
	c := newFaultCluster(t, 3, false)
	for i := range c.nodes {
		c.start(i, "--snapshot-every", strconv.Itoa(snapEvery))
	}
	lead, acks := c.warmUp(4, 4)

	followers := c.othersThan(lead)
	f := followers[rng.IntN(len(followers))]
	c.kill(f)
	h0 := c.mustStatus(c.leaderNow()).Height
	t.Logf("SIGKILLed follower %s at height %d (leader %s)", c.nodes[f].id, h0, c.nodes[lead].id)

	// One block per submission: far more raft entries than the 5 the
	// leader keeps after a snapshot.
	tc := time.Now()
	for i := range whileDown {
		c.commitAll(c.newTxs(fmt.Sprintf("down%d", i), 1), acks)
	}
	st := c.mustStatus(c.leaderNow())
	if st.Height < h0+uint64(whileDown) {
		t.Fatalf("%d sequential commits moved the head from %d to %d only", whileDown, h0, st.Height)
	}
	t.Logf("committed %d blocks in %v while %s was down; height %d", st.Height-h0, time.Since(tc).Round(time.Millisecond), c.nodes[f].id, st.Height)

	// Restart it at info level, to see how it caught up.
	tr := time.Now()
	c.start(f, "--snapshot-every", strconv.Itoa(snapEvery), "--log-level", "info")
	synced := c.nodes[f].p
	t.Cleanup(func() { // runs before the process is killed
		if halt := f2ErrorLines(synced); t.Failed() && halt != "" {
			t.Logf("the restarted follower %s halted: %s", c.nodes[f].id, halt)
		}
	})
	c.waitUp(f, 60*time.Second)
	sts := c.converge(90 * time.Second)
	t.Logf("%s converged to height %d (head %s, state %s) in %v", c.nodes[f].id, sts[0].Height, sts[0].HeadHash, sts[0].StateHash,
		time.Since(tr).Round(time.Millisecond))
	if sts[0].Height < st.Height {
		t.Fatalf("converged at height %d, below the %d committed while the follower was down", sts[0].Height, st.Height)
	}
	out := c.nodes[f].p.stderr.String()
	if !strings.Contains(out, "catching up by block sync") {
		t.Errorf("the restarted follower did not catch up by block sync (no raft snapshot from the compacted leader?); its log:\n%s",
			faultTail(c.nodes[f].logPath, 40, 6000))
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "catching up by block sync") {
			t.Logf("follower's log: %s", l)
		}
	}

	// Quorum-signed proofs of everything, including what it missed...
	c.verifyProofs([]int{f}, acks, 60*time.Second)
	// ...and a full member again, through more blocks than it keeps
	// between its own snapshots: it goes on applying and compacting its
	// log past the raft snapshot it installed.
	via := map[tx.ID]faultAck{}
	for i := range 3 * snapEvery {
		if nd := c.nodes[f]; nd.p.exited() {
			t.Fatalf("the caught-up follower %s exited (%v) after %d more blocks: %s", nd.id, nd.p.err, i, f2ErrorLines(nd.p))
		}
		c.commitVia(f, c.newTxs(fmt.Sprintf("via-synced%d", i), 1), via)
	}
	c.converge(60 * time.Second)
	c.verifyProofs(c.all(), via, 60*time.Second)
	c.checkSameHead()
	c.stopAll()
	t.Logf("%d txs, %v", len(acks)+len(via), time.Since(start).Round(time.Millisecond))
}

// TestTamperedNodeHalts tampers with stopped followers' databases and
// restarts them.
//
// State: the stmarys/admin member record is deleted from a follower's
// state. The next transaction signed by stmarys/admin commits on the
// majority, but executes differently on the tampered node; it sees a
// quorum sign another header at that height and halts: GET /v1/status
// shows the reason, blocks and proofs are refused, and on SIGTERM the
// daemon exits with status 1. The halt is recorded, so after a restart the
// node is halted at once rather than carry on. The other two keep
// committing.
//
// Stored block: the receipts of a committed block are changed on the other
// follower, restarted without the start-up check (--verify-blocks 0; with
// it, it refuses to start). Asked for that block, it answers 500 rather
// than serve it, will not prove a transaction of it, and halts ("does not
// match its header's Merkle roots"); restarted as it is, it still refuses.
func TestTamperedNodeHalts(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	c := newFaultCluster(t, 3, false)
	c.startAll()
	lead, acks := c.warmUp(3, 2)
	followers := c.othersThan(lead)
	k := rng.IntN(2)
	victim, other := followers[k], followers[1-k]

	// --- Tampered state ---
	f2Stop(c, victim)
	f2Tamper(c, victim, func(db *leveldb.DB) error {
		key := []byte("s/" + identity.MemberStateKey("stmarys/admin"))
		if _, err := db.Get(key, nil); err != nil {
			return fmt.Errorf("the admin's member record %q: %w", key, err)
		}
		return db.Delete(key, nil)
	})
	c.start(victim)
	c.waitUp(victim, 60*time.Second) // answers, no error yet
	t.Logf("deleted stmarys/admin's member record from %s's state and restarted it (leader %s)", c.nodes[victim].id, c.nodes[lead].id)

	// From here on the victim is expected to halt: the cluster helpers
	// leave it alone.
	c.nodes[victim].alive.Store(false)
	watch := f2WatchStatus(c, victim)
	after := c.newTxs("after-tamper", 1)
	majority := map[tx.ID]faultAck{}
	c.commitAll(after, majority)
	t.Logf("the majority committed an admin tx at height %d", majority[after[0].id].height)
	f2ExpectHalt(c, victim, 60*time.Second, "state diverged from the consortium")
	seen := watch()
	if seen != "" && !strings.Contains(seen, "diverged") {
		t.Errorf("%s's status error = %q; want it to mention the divergence", c.nodes[victim].id, seen)
	}
	t.Logf("%s halted and exited with status 1 (status error seen while it was still up: %q)", c.nodes[victim].id, seen)
	for id := range majority {
		if _, err := c.proof(victim, id); err == nil {
			t.Errorf("halted node %s serves a proof of tx %s", c.nodes[victim].id, id)
		}
	}

	// The others keep committing.
	c.commitAll(c.newTxs("still-going", 3), majority)
	c.converge(60 * time.Second)
	c.verifyProofs([]int{lead, other}, majority, 60*time.Second)

	// Restarted as it is, the diverged node halts again. Until it does, a
	// proof it serves of the transaction it executed differently must not
	// verify against the genesis quorum.
	tr := time.Now()
	c.start(victim)
	c.nodes[victim].alive.Store(false)
	served := 0
	for !c.nodes[victim].p.exited() && time.Since(tr) < 60*time.Second {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, serr := c.nodes[victim].cl.Status(sctx)
		scancel()
		if serr == nil && st.Error != "" {
			break // it remembered the halt
		}
		p, err := c.proof(victim, after[0].id)
		if err == nil {
			served++
			if err := p.Verify(c.g.ChainID, c.g.NodeKeys(), c.g.Quorum()); err == nil {
				t.Fatalf("restarted diverged node %s served a proof of tx %s that verifies (receipt %+v, height %d)",
					c.nodes[victim].id, after[0].id, p.Receipt, p.Header.Height)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	f2ExpectHalt(c, victim, 60*time.Second, "state diverged from the consortium")
	t.Logf("restarted without restoring its data, %s halted again after %v (it served %d unverifiable proofs of its diverged block meanwhile)",
		c.nodes[victim].id, time.Since(tr).Round(time.Millisecond), served)

	// --- Tampered stored block (the majority is gone now: the remaining
	// follower is tampered with, too) ---
	var target tx.ID
	for id := range acks {
		target = id
		break
	}
	ta := acks[target]
	f2Stop(c, other)
	f2Tamper(c, other, func(db *leveldb.DB) error {
		key := append([]byte("r/"), binary.BigEndian.AppendUint64(nil, ta.height)...)
		raw, err := db.Get(key, nil)
		if err != nil {
			return fmt.Errorf("receipts of block %d: %w", ta.height, err)
		}
		var rs []ledger.Receipt
		if err := codec.Ledger.Unmarshal(raw, &rs); err != nil {
			return err
		}
		if ta.index >= len(rs) || rs[ta.index].Status != ledger.StatusOK {
			return fmt.Errorf("block %d: receipt %d of %d is not the acknowledged success", ta.height, ta.index, len(rs))
		}
		rs[ta.index].Status, rs[ta.index].Error, rs[ta.index].Events = ledger.StatusFailed, "forged", []ledger.Event{}
		b, err := codec.Marshal(rs)
		if err != nil {
			return err
		}
		return db.Put(key, b, nil)
	})
	// Without the start-up check, which would refuse to start on it
	// (TestCorruptStoreRefusesToStartAndRecovers), to see the check on
	// every read.
	c.start(other, "--verify-blocks", "0")
	c.waitUp(other, 60*time.Second)
	c.nodes[other].alive.Store(false)
	t.Logf("forged receipt %d of block %d on %s and restarted it", ta.index, ta.height, c.nodes[other].id)
	watch = f2WatchStatus(c, other)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	b, err := c.nodes[other].cl.Block(ctx, ta.height)
	cancel()
	var ce *client.Error
	switch {
	case err == nil:
		t.Errorf("tampered node served block %d (%d txs, receipt %d status %v)", ta.height, len(b.Txs), ta.index, b.Receipts[ta.index].Status)
	case !errors.As(err, &ce) || ce.StatusCode < 500:
		t.Errorf("tampered block %d: %v; want a 5xx answer", ta.height, err)
	default:
		t.Logf("GET /v1/blocks/%d on the tampered node: %v", ta.height, err)
	}
	if p, err := c.proof(other, target); err == nil {
		t.Errorf("tampered node served a proof of tx %s in block %d (receipt %+v)", target, p.Header.Height, p.Receipt)
	}
	f2ExpectHalt(c, other, 60*time.Second, "does not match its header's Merkle roots")
	seen = watch()
	if seen != "" && !strings.Contains(seen, "does not match") {
		t.Errorf("%s's status error = %q; want it to say the block does not match its header", c.nodes[other].id, seen)
	}
	t.Logf("%s halted and exited with status 1 (status error seen while it was still up: %q)", c.nodes[other].id, seen)

	// Restarted as it is, it remembers the halt: it answers its status
	// with the reason and refuses the proof (5xx).
	c.start(other, "--verify-blocks", "0")
	c.nodes[other].alive.Store(false)
	for up := time.Now(); ; {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, serr := c.nodes[other].cl.Status(sctx)
		scancel()
		if serr == nil {
			break
		}
		if time.Since(up) > 60*time.Second {
			t.Fatalf("restarted node %s does not answer: %v", c.nodes[other].id, serr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p, err := c.proof(other, target); err == nil {
		t.Errorf("restarted tampered node served a proof of tx %s in block %d (receipt %+v)", target, p.Header.Height, p.Receipt)
	} else if !errors.As(err, &ce) || ce.StatusCode < 500 {
		t.Errorf("proof of tx %s in the tampered block %d: %v; want a 5xx answer", target, ta.height, err)
	} else {
		t.Logf("proof of tx %s in the tampered block on the restarted node: %v", target, err)
	}
	f2ExpectHalt(c, other, 60*time.Second, "does not match its header's Merkle roots")

	// The untouched node still serves that block and its proof.
	c.verifyProofs([]int{lead}, map[tx.ID]faultAck{target: ta}, 30*time.Second)
	c.stopAll()
	t.Logf("%v", time.Since(start).Round(time.Millisecond))
}

// f2Stop stops node i with SIGTERM; it must exit 0.
func f2Stop(c *faultCluster, i int) {
	c.t.Helper()
	nd := c.nodes[i]
	nd.alive.Store(false)
	nd.cl.Close()
	stop(c.t, nd.p, syscall.SIGTERM)
}

// f2Tamper changes stopped node i's database with f.
func f2Tamper(c *faultCluster, i int, f func(db *leveldb.DB) error) {
	t := c.t
	t.Helper()
	if !c.nodes[i].p.exited() {
		t.Fatalf("tampering with %s's database while it runs", c.nodes[i].id)
	}
	db, err := store.OpenDB(filepath.Join(c.home, "data", c.nodes[i].id, "db"))
	if err != nil {
		t.Fatal(err)
	}
	ferr := f(db)
	if err := db.Close(); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		t.Fatalf("tampering with %s's database: %v", c.nodes[i].id, ferr)
	}
}

// f2ExpectHalt waits until node i reports a halt whose reason contains
// want in GET /v1/status (a halted daemon keeps serving its status and
// refuses blocks, proofs and submissions), checks that it refuses a
// submission-free read of the latest block, then stops it with SIGTERM:
// it must exit with status 1 and have logged the halt.
func f2ExpectHalt(c *faultCluster, i int, within time.Duration, want string) {
	t := c.t
	t.Helper()
	nd := c.nodes[i]
	deadline := time.Now().Add(within)
	for {
		if nd.p.exited() {
			t.Fatalf("halted node %s exited (%v) instead of serving its status\n%s", nd.id, nd.p.err, faultTail(nd.logPath, 40, 6000))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := nd.cl.Status(ctx)
		cancel()
		if err == nil && strings.Contains(st.Error, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s did not report a halt (%q) within %v (last status error %q, %v)\n%s", nd.id, want, within,
				func() string {
					if st != nil {
						return st.Error
					}
					return ""
				}(), err, faultTail(nd.logPath, 40, 6000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := nd.cl.LatestBlock(ctx)
	cancel()
	if err == nil {
		t.Errorf("halted node %s still serves blocks", nd.id)
	}
	nd.cl.Close()
	if err := nd.p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-nd.p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("halted node %s did not stop on SIGTERM\n%s", nd.id, faultTail(nd.logPath, 40, 6000))
	}
	nd.p.checkLog(t)
	out := nd.p.stderr.String()
	var ee *exec.ExitError
	if !errors.As(nd.p.err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("halted node %s exited with %v; want exit status 1\n%s", nd.id, nd.p.err, faultTail(nd.logPath, 40, 6000))
	}
	if !strings.Contains(out, "NODE HALTED") || !strings.Contains(out, "error: ") || !strings.Contains(out, want) {
		t.Fatalf("halted node %s's output does not report the halt (%q):\n%s", nd.id, want, faultTail(nd.logPath, 40, 6000))
	}
	t.Logf("%s: %s", nd.id, f2ErrorLines(nd.p))
}

// f2ErrorLines returns the halt and "error: " lines a node process printed.
func f2ErrorLines(p *proc) string {
	var out []string
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		if strings.HasPrefix(l, "error: ") || strings.Contains(l, "NODE HALTED") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// f2WatchStatus polls node i's status until it stops answering (or the
// returned function is called, which returns the first non-empty status
// error seen, if any).
func f2WatchStatus(c *faultCluster, i int) func() string {
	var (
		mu   sync.Mutex
		seen string
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	nd := c.nodes[i]
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-nd.p.done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, err := nd.cl.Status(ctx)
			cancel()
			if err == nil && st.Error != "" {
				mu.Lock()
				if seen == "" {
					seen = st.Error
				}
				mu.Unlock()
			}
		}
	}()
	return func() string {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}
