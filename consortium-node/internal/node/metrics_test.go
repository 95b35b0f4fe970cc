package node

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/tx"
)

// scrape fetches n's metrics through MetricsHandler and returns each
// sample line's value by its series ("name" or `name{label="v"}`).
func scrape(t *testing.T, n *Node) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(n.MetricsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s: %s", resp.Status, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("unparsable sample %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// metric returns a series' value, failing when it is not exported.
func metric(t *testing.T, m map[string]float64, series string) float64 {
	t.Helper()
	v, ok := m[series]
	if !ok {
		t.Fatalf("metric %s is not exported", series)
	}
	return v
}

func refusedSeries(r mempool.Reason) string {
	return `almoner_node_mempool_refused_total{reason="` + string(r) + `"}`
}

// badSignature returns raw with one bit of its signature flipped.
func badSignature(t *testing.T, raw []byte) []byte {
	t.Helper()
	s, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.Signature.Sig[5] ^= 0x01
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMetrics runs a node, commits transactions, has others refused, and
// reads the effects back from its metrics endpoint.
func TestMetrics(t *testing.T) {
	h := newHarness(t, nil)
	before := scrape(t, h.n)
	for _, s := range []string{"almoner_node_block_execute_seconds_count", "almoner_node_block_commit_seconds_count",
		refusedSeries(mempool.ReasonBadSignature), refusedSeries(mempool.ReasonExpired)} {
		if v := metric(t, before, s); v != 0 {
			t.Fatalf("%s = %v before any transaction, want 0", s, v)
		}
	}

	for i := range 3 {
		if r := h.submit(h.addMember("stmarys/admin", "stmarys/m"+strconv.Itoa(i)))[0]; r.Err != nil || !r.Committed {
			t.Fatalf("add_member %d: %+v", i, r)
		}
	}
	refused := h.submit(badSignature(t, h.addMember("stmarys/admin", "stmarys/bad1")),
		badSignature(t, h.addMember("stmarys/admin", "stmarys/bad2")),
		h.sign("stmarys/admin", 1, "add_member", tx.String("id", "stmarys/late")))
	for i, want := range []error{tx.ErrSignature, tx.ErrSignature, mempool.ErrExpired} {
		if !errors.Is(refused[i].Err, want) {
			t.Fatalf("refused tx %d: %v, want %v", i, refused[i].Err, want)
		}
	}

	m := scrape(t, h.n)
	head := h.n.Head()
	if got := metric(t, m, "almoner_node_chain_height"); got != float64(head.Height) || got < 3 {
		t.Errorf("chain height %v, want the head's %d (at least 3)", got, head.Height)
	}
	for reason, want := range map[mempool.Reason]float64{mempool.ReasonBadSignature: 2, mempool.ReasonExpired: 1,
		mempool.ReasonDuplicate: 0, mempool.ReasonMalformed: 0} {
		if got := metric(t, m, refusedSeries(reason)); got != want {
			t.Errorf("refused %s = %v, want %v", reason, got, want)
		}
	}
	labels := 0
	for s := range m {
		if strings.HasPrefix(s, "almoner_node_mempool_refused_total{") {
			labels++
		}
	}
	if labels != len(mempool.Reasons()) {
		t.Errorf("%d refusal series, want one per reason (%d)", labels, len(mempool.Reasons()))
	}
	for _, s := range []string{"almoner_node_block_execute_seconds", "almoner_node_block_commit_seconds"} {
		c := metric(t, m, s+"_count")
		if c < 3 || c > float64(head.Height) {
			t.Errorf("%s_count = %v, want one per block (3..%d)", s, c, head.Height)
		}
		if metric(t, m, s+"_sum") <= 0 || metric(t, m, s+`_bucket{le="+Inf"}`) != c {
			t.Errorf("%s: sum %v, +Inf bucket %v, count %v", s, m[s+"_sum"], m[s+`_bucket{le="+Inf"}`], c)
		}
	}
	// Each block but the last was waited for by the next one's commit.
	if w, c := metric(t, m, "almoner_node_block_commit_wait_seconds_count"),
		metric(t, m, "almoner_node_block_commit_seconds_count"); w < 2 || w > c {
		t.Errorf("almoner_node_block_commit_wait_seconds_count = %v, want one per block written in the background "+
			"and waited for (2..%v)", w, c)
	}
	st := h.n.Status()
	if metric(t, m, "almoner_node_raft_term") < 1 || metric(t, m, "almoner_node_raft_applied_index") < 4 ||
		metric(t, m, "almoner_node_raft_commit_index") < metric(t, m, "almoner_node_raft_applied_index") ||
		metric(t, m, "almoner_node_raft_term") != float64(st.Raft.Term) {
		t.Errorf("raft term %v commit %v applied %v; status %+v", m["almoner_node_raft_term"],
			m["almoner_node_raft_commit_index"], m["almoner_node_raft_applied_index"], st.Raft)
	}
	for s, want := range map[string]float64{"almoner_node_raft_is_leader": 1, "almoner_node_raft_voters": 1,
		"almoner_node_peers_known": 0, "almoner_node_halted": 0, "almoner_node_mempool_txs": 0,
		"almoner_node_mempool_bytes": 0, "almoner_node_mempool_queued_txs": 0} {
		if got := metric(t, m, s); got != want {
			t.Errorf("%s = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"go_goroutines", "process_start_time_seconds"} {
		metric(t, m, s)
	}

	// Reopened and not running, the node admits transactions that stay in
	// its mempool: the gauges count them and their exact size.
	h.stop()
	n, err := Open(Config{DataDir: filepath.Join(h.dir, "data"), Genesis: h.g, NodeID: h.g.Nodes[0].ID,
		Key: h.keys[h.g.Nodes[0].ID], Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	h.n = n
	raws := [][]byte{h.addMember("stmarys/admin", "stmarys/q1"), h.addMember("stmarys/admin", "stmarys/queued-two")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := n.Submit(ctx, append(raws, raws[0]), false)
	if err != nil || res[0].Err != nil || res[1].Err != nil || !errors.Is(res[2].Err, mempool.ErrDuplicate) {
		t.Fatalf("Submit: %v %+v", err, res)
	}
	m = scrape(t, n)
	for s, want := range map[string]float64{"almoner_node_mempool_txs": 2, "almoner_node_mempool_queued_txs": 2,
		"almoner_node_mempool_bytes": float64(len(raws[0]) + len(raws[1])),
		"almoner_node_chain_height":  float64(head.Height), refusedSeries(mempool.ReasonDuplicate): 1,
		refusedSeries(mempool.ReasonBadSignature): 0} {
		if got := metric(t, m, s); got != want {
			t.Errorf("reopened: %s = %v, want %v", s, got, want)
		}
	}
}

// TestMetricsCluster: in a cluster of three, each node counts its two
// peers, exactly one says it leads, and followers time the blocks they
// execute too.
func TestMetricsCluster(t *testing.T) {
	c := newCluster(t, 3)
	if r := c.addMember(0, "stmarys/p1"); r.Err != nil || !r.Committed {
		t.Fatalf("add_member: %+v", r)
	}
	c.converge()
	leaders := 0.0
	for i, cn := range c.nodes {
		m := scrape(t, cn.n)
		leaders += metric(t, m, "almoner_node_raft_is_leader")
		for s, want := range map[string]float64{"almoner_node_peers_known": 2, "almoner_node_raft_voters": 3} {
			if got := metric(t, m, s); got != want {
				t.Errorf("node %d: %s = %v, want %v", i, s, got, want)
			}
		}
		if metric(t, m, "almoner_node_chain_height") < 1 || metric(t, m, "almoner_node_block_execute_seconds_count") < 1 ||
			metric(t, m, "almoner_node_block_commit_seconds_count") < 1 {
			t.Errorf("node %d: height %v, executed %v, committed %v", i, m["almoner_node_chain_height"],
				m["almoner_node_block_execute_seconds_count"], m["almoner_node_block_commit_seconds_count"])
		}
	}
	if leaders != 1 {
		t.Errorf("%v nodes say they lead, want 1", leaders)
	}
}
