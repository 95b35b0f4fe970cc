package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// deadAddr returns the address of a server that has been closed: a dial
// to it is refused.
func deadAddr(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close()
	return s.URL
}

// node is a fake node API that counts its requests by path.
type node struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newNode(t *testing.T, h http.HandlerFunc) *node {
	t.Helper()
	n := &node{hits: map[string]int{}}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.hits[r.Method+" "+r.URL.Path]++
		n.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(func() { n.CloseClientConnections(); n.Close() })
	return n
}

func (n *node) count(key string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hits[key]
}

func statusOK(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/status" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(api.Status{ChainID: "test", Height: 42})
}

func multi(t *testing.T, o client.Options, addrs ...string) *client.Client {
	t.Helper()
	c, err := client.NewMulti(addrs, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestFailoverToNextAddress: a refused first address is skipped, the
// request succeeds on the second, which stays current.
func TestFailoverToNextAddress(t *testing.T) {
	dead := deadAddr(t)
	live := newNode(t, statusOK)
	c := multi(t, client.Options{}, dead, live.URL)
	for i := range 3 {
		st, err := c.Status(ctx(t))
		if err != nil || st.Height != 42 {
			t.Fatalf("status %d through the second address: %+v %v", i, st, err)
		}
		if c.Current() != live.URL {
			t.Fatalf("current address %s after failover, want %s", c.Current(), live.URL)
		}
	}
	if n := live.count("GET /v1/status"); n != 3 {
		t.Fatalf("the live node got %d status requests, want 3", n)
	}
}

// TestNoFailoverOnHTTPAnswer: a node's HTTP answer, 5xx or 4xx, is its
// answer: it is returned as is and never sent to another node.
func TestNoFailoverOnHTTPAnswer(t *testing.T) {
	for _, code := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusNotFound,
		http.StatusForbidden} {
		first := newNode(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(api.Error{Error: "no", Code: "x"})
		})
		second := newNode(t, statusOK)
		c := multi(t, client.Options{}, first.URL, second.URL)
		_, err := c.Status(ctx(t))
		var ce *client.Error
		if !errors.As(err, &ce) || ce.StatusCode != code || errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("%d answer: got %v, want *client.Error %d", code, err, code)
		}
		if n := second.count("GET /v1/status"); n != 0 || c.Current() != first.URL {
			t.Fatalf("%d answer was failed over: second node got %d requests, current %s", code, n, c.Current())
		}
	}
}

// TestAllAddressesDead: every address is tried once and the error
// matches ErrUnreachable, with one address as with several.
func TestAllAddressesDead(t *testing.T) {
	a, b := deadAddr(t), deadAddr(t)
	_, err := multi(t, client.Options{}, a, b).Status(ctx(t))
	if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "(2 tried)") {
		t.Fatalf("two dead addresses: %v", err)
	}
	_, err = client.New(a, nil).Status(ctx(t))
	if !errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("one dead address: %v", err)
	}
	if _, err := client.NewMulti(nil, client.Options{}); err == nil {
		t.Fatal("NewMulti accepted no address")
	}
	if _, err := client.NewMulti([]string{a, " "}, client.Options{}); err == nil {
		t.Fatal("NewMulti accepted an empty address")
	}
}

// TestConcurrentFailover: concurrent requests fail over together, each
// trying each address at most once, and all succeed.
func TestConcurrentFailover(t *testing.T) {
	live := newNode(t, statusOK)
	c := multi(t, client.Options{}, deadAddr(t), deadAddr(t), live.URL)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 64 {
		wg.Go(func() {
			if _, err := c.Status(ctx(t)); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || c.Current() != live.URL {
		t.Fatalf("%d failed, current %s", failed.Load(), c.Current())
	}
}

// submitNode answers every submission as refused (already committed) and
// serves the proof of committedID.
func submitNode(t *testing.T, committedID tx.ID) *node {
	return newNode(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/txs":
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(api.SubmitResponse{Results: []api.TxStatus{{ID: committedID,
				Status: api.StatusRejected, Error: "mempool: transaction already committed: " + committedID.String()}}})
		case r.URL.Path == "/v1/txs/"+committedID.String():
			_ = json.NewEncoder(w).Encode(ledger.ReceiptProof{ChainID: "test", Index: 2,
				Header: ledger.Header{ChainID: "test", Height: 7}, Receipt: ledger.Receipt{TxID: committedID}})
		default:
			http.NotFound(w, r)
		}
	})
}

// TestSubmitResentAfterLostAnswer: the first node takes the submission and
// dies before answering; the same bytes go to the second node, which
// refuses them as already committed. The caller learns the truth: it was
// committed (with its height and receipt), not refused.
func TestSubmitResentAfterLostAnswer(t *testing.T) {
	raw := []byte("signed transaction bytes")
	id := tx.HashID(raw)
	var got atomic.Int64
	first := newNode(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(int64(len(b)))
		panic(http.ErrAbortHandler) // the node dies: the connection drops, no answer
	})
	second := submitNode(t, id)
	c := multi(t, client.Options{}, first.URL, second.URL)
	res, err := c.Submit(ctx(t), [][]byte{raw}, client.SubmitOptions{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Load() == 0 || second.count("POST /v1/txs") != 1 {
		t.Fatalf("the submission did not reach both nodes: first read %d bytes, second %d submissions",
			got.Load(), second.count("POST /v1/txs"))
	}
	if res[0].Status != api.StatusCommitted || res[0].Height != 7 || res[0].Index != 2 || res[0].Receipt == nil {
		t.Fatalf("resent transaction: %+v, want committed at height 7 index 2", res[0])
	}
}

// TestSubmitRefusedWithoutResend: a submission that never reached the
// first node (refused dial) and is refused by the second stays refused,
// and its proof is not looked up.
func TestSubmitRefusedWithoutResend(t *testing.T) {
	raw := []byte("signed transaction bytes")
	id := tx.HashID(raw)
	second := submitNode(t, id)
	c := multi(t, client.Options{}, deadAddr(t), second.URL)
	res, err := c.Submit(ctx(t), [][]byte{raw}, client.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != api.StatusRejected || second.count("GET /v1/txs/"+id.String()) != 0 {
		t.Fatalf("refused transaction: %+v, proof looked up %d times", res[0], second.count("GET /v1/txs/"+id.String()))
	}
}

// blocks returns n consistent empty blocks of chain "test".
func blocks(n int) []*api.Block {
	out := make([]*api.Block, n)
	for h := range n {
		hd := ledger.Header{ChainID: "test", Height: uint64(h), TxRoot: ledger.TxRoot(nil),
			ReceiptRoot: ledger.ReceiptRoot(nil)}
		out[h] = &api.Block{Hash: hd.Hash(), Header: hd}
	}
	return out
}

// streamNode serves /v1/stream from ?from= up to and excluding stop, then
// does end(w, r); it records each stream's from.
type streamNode struct {
	*node
	mu    sync.Mutex
	froms []uint64
}

func newStreamNode(t *testing.T, chain []*api.Block, stop uint64,
	end func(http.ResponseWriter, *http.Request)) *streamNode {
	s := &streamNode{}
	s.node = newNode(t, func(w http.ResponseWriter, r *http.Request) {
		from, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
		if r.URL.Path != "/v1/stream" || err != nil {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.froms = append(s.froms, from)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		for h := from; h < stop && h < uint64(len(chain)); h++ {
			b, _ := json.Marshal(chain[h])
			_, _ = fmt.Fprintf(w, "%s\n", b)
		}
		w.(http.Flusher).Flush()
		end(w, r)
	})
	return s
}

func (s *streamNode) streams() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.froms)
}

// die drops the connection without ending the response.
func die(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }

// hang keeps the stream open and silent until the client leaves.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// follow streams from 0 until it has want blocks, and returns their
// heights and Stream's error.
func follow(t *testing.T, c *client.Client, want int) ([]uint64, error) {
	t.Helper()
	sctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	var got []uint64
	err := c.Stream(sctx, 0, func(b *api.Block) error {
		got = append(got, b.Header.Height)
		if len(got) == want {
			cancel()
		}
		return nil
	})
	return got, err
}

func heights(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i)
	}
	return out
}

// TestStreamResumesOnNextNode: the first node's stream dies after block 4;
// the stream resumes on the second from block 5: every block once, in
// order, and Stream goes on until its context ends.
func TestStreamResumesOnNextNode(t *testing.T) {
	chain := blocks(10)
	a := newStreamNode(t, chain, 5, die)
	b := newStreamNode(t, chain, 10, hang)
	c := multi(t, client.Options{}, a.URL, b.URL)
	got, err := follow(t, c, 10)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream returned %v, want context.Canceled", err)
	}
	if !slices.Equal(got, heights(10)) {
		t.Fatalf("blocks seen %v, want 0..9 once each", got)
	}
	if !slices.Equal(a.streams(), []uint64{0}) || !slices.Equal(b.streams(), []uint64{5}) {
		t.Fatalf("streams opened from: first node %v, second %v; want [0] and [5]", a.streams(), b.streams())
	}
}

// TestStreamResumesAfterSilence: a node that stops sending (no block, no
// keep-alive) without closing is left after StreamIdle.
func TestStreamResumesAfterSilence(t *testing.T) {
	chain := blocks(6)
	a := newStreamNode(t, chain, 3, hang)
	b := newStreamNode(t, chain, 6, hang)
	c := multi(t, client.Options{StreamIdle: 200 * time.Millisecond}, a.URL, b.URL)
	start := time.Now()
	got, _ := follow(t, c, 6)
	if !slices.Equal(got, heights(6)) || !slices.Equal(b.streams(), []uint64{3}) {
		t.Fatalf("blocks %v, second node streams %v; want 0..5 and [3]", got, b.streams())
	}
	t.Logf("stream resumed after %s of silence (limit 200ms)", time.Since(start).Round(time.Millisecond))
}

// TestStreamGivesUp: when every address fails in a row with nothing
// received, Stream returns ErrUnreachable (the caller backs off); an HTTP
// error answer ends it at once, without trying another node.
func TestStreamGivesUp(t *testing.T) {
	chain := blocks(3)
	a := newStreamNode(t, chain, 0, die)
	c := multi(t, client.Options{}, a.URL, deadAddr(t))
	if _, err := follow(t, c, 3); !errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("all addresses failing: %v, want ErrUnreachable", err)
	}
	if n := len(a.streams()); n != 1 {
		t.Fatalf("the first node was tried %d times, want once", n)
	}
	refusing := newNode(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	b := newStreamNode(t, chain, 3, hang)
	c = multi(t, client.Options{}, refusing.URL, b.URL)
	var ce *client.Error
	if _, err := follow(t, c, 3); !errors.As(err, &ce) || ce.StatusCode != http.StatusForbidden || len(b.streams()) != 0 {
		t.Fatalf("a 403 answer: %v, second node streams %v; want the 403 and no failover", err, b.streams())
	}
}
