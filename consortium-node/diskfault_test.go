package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Full disks and corrupted stores on real node processes (see
// fault_test.go, fault2_test.go).
//
// A full filesystem cannot be made without root (a small tmpfs), so each
// node runs with --fault-disk-file: its database sits on goleveldb's real
// file storage wrapped in a store.FaultStorage, which fails every write
// with ENOSPC — a short write, then the error, as write(2) on a full
// filesystem does — while the file says "full", and lets writes through
// again once the file is emptied ("space returns"). goleveldb, the raft
// log and the block store meet exactly the errors a full disk gives them.

// diskFile is node i's --fault-disk-file.
func diskFile(c *faultCluster, i int) string {
	return filepath.Join(c.dir, "disk-"+strings.ReplaceAll(c.nodes[i].id, "/", "_"))
}

func setDisk(c *faultCluster, i int, content string) {
	c.t.Helper()
	tmp := diskFile(c, i) + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, diskFile(c, i)); err != nil {
		c.t.Fatal(err)
	}
}

// rawStatus fetches node i's status without judging its error.
func rawStatus(c *faultCluster, i int) (*api.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.nodes[i].cl.Status(ctx)
}

// waitStatus polls node i's status until ok accepts it.
func waitStatus(c *faultCluster, i int, within time.Duration, what string, ok func(*api.Status) bool) *api.Status {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if p := c.nodes[i].p; p.exited() {
			c.t.Fatalf("node %s exited (%v) while waiting for %s\n%s", c.nodes[i].id, p.err, what,
				faultTail(c.nodes[i].logPath, 40, 6000))
		}
		st, err := rawStatus(c, i)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("node %s: no %s within %v (last status %+v, %v)\n%s", c.nodes[i].id, what, within, st, err,
				faultTail(c.nodes[i].logPath, 40, 6000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDiskFullResumes runs three node processes. A follower's disk fills:
// it stops committing and says so in its status ("disk full: waiting for
// space; committed up to height H"), keeps serving its committed blocks
// and quorum-signed proofs, has nothing above its head (no half-written
// block), and refuses submissions with 503, while the other two commit
// on. When space returns it resumes by itself — the same process, no
// operator action — and reaches the same head and state hash. Then every
// disk fills at once: nothing commits and no node halts or exits; when
// space returns all resume and commit again. It reports both recovery
// times.
func TestDiskFullResumes(t *testing.T) {
	rng := faultRNG(t)
	start := time.Now()
	c := newFaultCluster(t, 3, false)
	for i := range c.nodes {
		c.start(i, "--fault-disk-file", diskFile(c, i))
	}
	lead, acks := c.warmUp(3, 2)

	// --- One follower's disk fills ---
	followers := c.othersThan(lead)
	f := followers[rng.IntN(len(followers))]
	nd := c.nodes[f]
	pid := nd.p.cmd.Process.Pid
	nd.alive.Store(false) // the cluster helpers leave it alone while it is stalled
	setDisk(c, f, "full")
	time.Sleep(300 * time.Millisecond) // the node re-reads the file every 100ms
	for i := range 4 {
		c.commitAll(c.newTxs(fmt.Sprintf("while-full-%d", i), 1), acks)
	}
	st := waitStatus(c, f, 30*time.Second, "disk-full status", func(st *api.Status) bool { return st.Error != "" })
	want := fmt.Sprintf("disk full: waiting for space; committed up to height %d", st.Height)
	if !strings.Contains(st.Error, want) || !strings.Contains(st.Error, "no space left on device") {
		t.Fatalf("status error of the full node = %q; want it to contain %q and the cause", st.Error, want)
	}
	t.Logf("%s stalled: %s", nd.id, st.Error)
	lst := c.mustStatus(c.leaderNow())
	if lst.Height <= st.Height {
		t.Fatalf("the others did not commit on: leader at %d, the full node at %d", lst.Height, st.Height)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	b, err := nd.cl.Block(ctx, st.Height)
	cancel()
	if err != nil || b.Hash != st.HeadHash {
		t.Fatalf("the full node does not serve its head block %d: %v", st.Height, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	_, err = nd.cl.Block(ctx, st.Height+1)
	cancel()
	if statusCode(err) != http.StatusNotFound {
		t.Fatalf("block %d above the full node's head: %v; want 404 (nothing half-written)", st.Height+1, err)
	}
	var early tx.ID
	for id, a := range acks {
		if a.height <= st.Height {
			early = id
		}
	}
	if p, err := c.proof(f, early); err != nil {
		t.Fatalf("the full node does not prove committed tx %s: %v", early, err)
	} else if err := p.Verify(c.g.ChainID, c.g.NodeKeys(), c.g.Quorum()); err != nil {
		t.Fatalf("the full node's proof of %s: %v", early, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	_, err = nd.cl.Submit(ctx, [][]byte{c.newTxs("refused", 1)[0].raw}, client.SubmitOptions{})
	cancel()
	if statusCode(err) != http.StatusServiceUnavailable {
		t.Fatalf("submission to the full node: %v; want 503", err)
	}

	t0 := time.Now()
	setDisk(c, f, "")
	target := c.mustStatus(c.leaderNow())
	waitStatus(c, f, 60*time.Second, "resume", func(st *api.Status) bool {
		return st.Error == "" && st.Height >= target.Height
	})
	single := time.Since(t0)
	nd.alive.Store(true)
	sts := c.converge(60 * time.Second)
	c.checkSameHead()
	if nd.p.exited() || nd.p.cmd.Process.Pid != pid || len(nd.procs) != 1 {
		t.Fatalf("%s was restarted (exited %v): it must resume by itself", nd.id, nd.p.exited())
	}
	t.Logf("RECOVERY after a full disk (one follower): %s committed again and caught up to height %d (state %s) %v after "+
		"space returned, in the same process", nd.id, sts[0].Height, sts[0].StateHash, single.Round(time.Millisecond))
	c.verifyProofs([]int{f}, acks, 60*time.Second)
	c.commitVia(f, c.newTxs("via-resumed", 2), acks)

	// --- Every disk fills at once ---
	before := c.converge(60 * time.Second)[0]
	for i := range c.nodes {
		c.nodes[i].alive.Store(false)
		setDisk(c, i, "full")
	}
	time.Sleep(300 * time.Millisecond) // the nodes re-read the file every 100ms
	lead = -1
	for i := range c.nodes {
		if st, err := rawStatus(c, i); err == nil && st.Raft.State == "StateLeader" {
			lead = i
		}
	}
	if lead < 0 {
		lead = 0
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	res, err := c.nodes[lead].cl.Submit(ctx, [][]byte{c.newTxs("all-full", 1)[0].raw},
		client.SubmitOptions{Wait: true, Timeout: 3 * time.Second})
	cancel()
	if err == nil && res[0].Status == api.StatusCommitted {
		t.Fatal("committed with every disk full")
	}
	waitStatus(c, lead, 30*time.Second, "disk-full status", func(st *api.Status) bool {
		return strings.Contains(st.Error, "disk full")
	})
	time.Sleep(time.Second)
	for i := range c.nodes {
		st, err := rawStatus(c, i)
		if err != nil {
			t.Fatalf("%s does not answer with its disk full: %v", c.nodes[i].id, err)
		}
		if st.Height != before.Height || (st.Error != "" && !strings.Contains(st.Error, "disk full")) {
			t.Fatalf("%s with its disk full: height %d (was %d), error %q", c.nodes[i].id, st.Height, before.Height, st.Error)
		}
		t.Logf("%s with every disk full: %q", c.nodes[i].id, st.Error)
	}
	t0 = time.Now()
	for i := range c.nodes {
		setDisk(c, i, "")
	}
	for i := range c.nodes {
		waitStatus(c, i, 60*time.Second, "resume", func(st *api.Status) bool { return st.Error == "" })
		c.nodes[i].alive.Store(true)
	}
	all := time.Since(t0)
	c.commitAll(c.newTxs("after-all-full", 2), acks)
	sts = c.converge(60 * time.Second)
	t.Logf("RECOVERY after full disks on every node: all committing again %v after space returned; now at height %d",
		all.Round(time.Millisecond), sts[0].Height)
	for i, nd := range c.nodes {
		if len(nd.procs) != 1 || nd.p.exited() {
			t.Errorf("node %d was restarted or exited", i)
		}
	}
	c.verifyProofs(c.all(), acks, 60*time.Second)
	c.stopAll()
	t.Logf("%d txs, %v", len(acks), time.Since(start).Round(time.Millisecond))
}

// TestCorruptStoreRefusesToStartAndRecovers runs three node processes that
// compact their raft logs every 5 entries. A follower is stopped and one
// byte of a real table file of its database (one holding blocks) is
// flipped. It then refuses to start, naming the file and the recovery;
// `consortium-node check` names the file too; `consortium-node recover
// --from LEADER-API` rebuilds its ledger (keeping its raft log), after
// which check passes, and the node starts, converges to the same head and
// state hash as the others, proves what was committed, and commits on.
func TestCorruptStoreRefusesToStartAndRecovers(t *testing.T) {
	start := time.Now()
	c := newFaultCluster(t, 3, false)
	run := func(i int) { c.start(i, "--snapshot-every", "5") }
	for i := range c.nodes {
		run(i)
	}
	lead, _ := c.waitLeader(-1, 60*time.Second)
	acks := map[tx.ID]faultAck{}
	for i := range 12 {
		c.commitAll(c.newTxs(fmt.Sprintf("before%d", i), 1), acks)
	}
	c.converge(60 * time.Second)
	f := c.othersThan(lead)[0]
	nd := c.nodes[f]
	// Stopped, started (goleveldb turns its journal into a table file)
	// and stopped again.
	f2Stop(c, f)
	run(f)
	c.waitUp(f, 60*time.Second)
	c.converge(60 * time.Second)
	f2Stop(c, f)
	for i := range 6 {
		c.commitAll(c.newTxs(fmt.Sprintf("while-down%d", i), 1), acks)
	}

	dir := filepath.Join(c.home, "data", nd.id, "db")
	file := ""
	tables, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	for _, p := range tables {
		if first, _, err := store.TableKeys(p); err == nil && bytes.HasPrefix(first, []byte("b/")) {
			file = p
		}
	}
	if file == "" {
		t.Fatalf("no table of blocks in %s: %v", dir, tables)
	}
	fh, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	one := []byte{0}
	fh.ReadAt(one, 60)
	one[0] ^= 0x10
	if _, err := fh.WriteAt(one, 60); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	t.Logf("flipped byte 60 of %s", file)

	// It refuses to start, naming the file and the recovery.
	run(f)
	nd.alive.Store(false)
	nd.p.wait(t, 60*time.Second)
	var ee *exec.ExitError
	out := nd.p.stderr.String()
	if !errors.As(nd.p.err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, file) ||
		!strings.Contains(out, "consortium-node check") || !strings.Contains(out, "consortium-node recover") {
		t.Fatalf("a node with a flipped table byte: exit %v; want status 1 naming %s and the recovery:\n%s",
			nd.p.err, file, out)
	}
	t.Logf("it refused to start: %s", f2ErrorLines(nd.p))

	// check names the file.
	ck, err := exec.Command(c.bin, "check", "--home", c.home, "--node", nd.id).CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(ck), file) ||
		!strings.Contains(string(ck), "consortium-node recover --home "+c.home+" --node "+nd.id) {
		t.Fatalf("check on the damaged store: %v; want status 1 naming %s and the recovery:\n%s", err, file, ck)
	}
	t.Logf("check:\n%s", ck)

	// recover, from the leader.
	tr := time.Now()
	rc, err := exec.Command(c.bin, "recover", "--home", c.home, "--node", nd.id, "--from", c.nodes[lead].api).CombinedOutput()
	if err != nil {
		t.Fatalf("recover: %v\n%s", err, rc)
	}
	t.Logf("recover (%v):\n%s", time.Since(tr).Round(time.Millisecond), rc)
	if ck, err := exec.Command(c.bin, "check", "--home", c.home, "--node", nd.id).CombinedOutput(); err != nil {
		t.Fatalf("check after recover: %v\n%s", err, ck)
	} else {
		t.Logf("check after recover:\n%s", ck)
	}

	// It starts and catches up to the same head and state.
	run(f)
	c.waitUp(f, 60*time.Second)
	sts := c.converge(90 * time.Second)
	c.checkSameHead()
	t.Logf("the recovered node converged to height %d (state %s) %v after recover began", sts[0].Height, sts[0].StateHash,
		time.Since(tr).Round(time.Millisecond))
	c.verifyProofs([]int{f}, acks, 60*time.Second)
	c.commitVia(f, c.newTxs("via-recovered", 2), acks)
	c.converge(60 * time.Second)
	c.stopAll()
	t.Logf("%d txs, %v; %s", len(acks), time.Since(start).Round(time.Millisecond), strconv.Quote(filepath.Base(file)))
}
