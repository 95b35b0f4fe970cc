package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// fixture is a real one-node dev consortium behind the real HTTP handler.
type fixture struct {
	t    *testing.T
	dir  string
	g    *genesis.File
	n    *node.Node
	srv  *httptest.Server
	c    *client.Client
	keys map[string]*sign.PrivateKey
	seq  atomic.Uint64
	// stop cancels Run and waits for it; it may be called more than once.
	stop func()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir, g, _ := devtest.OneNode(t)
	f := &fixture{t: t, dir: dir, g: g,
		keys: devtest.SignKeys(t, dir, append([]string{g.Nodes[0].ID}, devtest.MemberIDs()...)...)}
	f.n, f.stop = runNode(t, node.Config{
		DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID,
		Key: f.keys[g.Nodes[0].ID], TickInterval: 10 * time.Millisecond,
	})
	h, err := server.New(server.Config{Backend: f.n, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	f.c = client.New(f.srv.URL, nil)
	f.c.Authenticate(g.Nodes[0].ID, f.keys[g.Nodes[0].ID]) // nodes may read everything
	// Registered after runNode's: the server closes before the node stops.
	t.Cleanup(func() {
		f.srv.CloseClientConnections() // ends live streams
		f.srv.Close()
	})
	return f
}

// runNode opens a node with cfg and runs it until the test ends, then closes it. stop (also called then; once is
// enough) cancels Run and waits for it to return, which must be without an error and within 15s.
func runNode(tb testing.TB, cfg node.Config) (n *node.Node, stop func()) {
	tb.Helper()
	n, err := node.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- n.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-runErr:
				if err != nil {
					tb.Errorf("node Run returned %v", err)
				}
			case <-time.After(15 * time.Second):
				tb.Errorf("node Run did not return after cancel")
			}
		})
	}
	tb.Cleanup(func() {
		stop()
		if err := n.Close(); err != nil {
			tb.Errorf("node Close: %v", err)
		}
	})
	return n, stop
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	f.t.Cleanup(cancel)
	return ctx
}

// nextHeight is the height of the next block.
func (f *fixture) nextHeight() uint64 { return f.n.Head().Height + 1 }

// signBody fills in chain id, nonce and a comfortable expiry where unset,
// then signs with sender's key.
func (f *fixture) signBody(b tx.Body) *tx.Signed {
	f.t.Helper()
	if b.ChainID == "" {
		b.ChainID = f.g.ChainID
	}
	if b.Nonce == 0 {
		b.Nonce = f.seq.Add(1)
	}
	if b.Expiry == 0 {
		b.Expiry = f.nextHeight() + 100
	}
	k := f.keys[b.Sender]
	if k == nil {
		f.t.Fatalf("no key for %q", b.Sender)
	}
	s, err := tx.Sign(b, k)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// addMember returns identity.add_member of a new patient id sent by sender.
func (f *fixture) addMember(sender, id string) *tx.Signed {
	f.t.Helper()
	kf, err := genesis.NewKeyFile(id, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	sk, err := kf.SignKey()
	if err != nil {
		f.t.Fatal(err)
	}
	ek, err := kf.EncryptionKey()
	if err != nil {
		f.t.Fatal(err)
	}
	return f.signBody(tx.Body{Sender: sender, Call: tx.Call{Contract: identity.Name, Method: "add_member", Args: tx.Args{
		tx.String("id", id), tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", sk.Public().String()), tx.String("enc_key", ek.String()),
	}}})
}

// goodTx is a fresh, valid transaction that would succeed.
func (f *fixture) goodTx() *tx.Signed {
	return f.addMember("stmarys/admin", fmt.Sprintf("stmarys/patient-%d", f.seq.Add(1)))
}

func enc(t *testing.T, s *tx.Signed) []byte {
	t.Helper()
	b, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cborBody(t *testing.T, raws ...[]byte) []byte {
	t.Helper()
	return submitBody(t, raws, func(raws [][]byte) ([]byte, error) { return codec.Marshal(raws) })
}

func jsonBody(t *testing.T, raws ...[]byte) []byte {
	t.Helper()
	return submitBody(t, raws, func(raws [][]byte) ([]byte, error) { return json.Marshal(api.SubmitRequest{Txs: raws}) })
}

// sameJSON reports whether got and want encode to the same JSON, and returns both encodings.
func sameJSON(got, want any) (gotJSON, wantJSON []byte, same bool) {
	gotJSON, _ = json.Marshal(got)
	wantJSON, _ = json.Marshal(want)
	return gotJSON, wantJSON, bytes.Equal(gotJSON, wantJSON)
}

// submitBody is a submit request's body: raws (none: an empty list) encoded with marshal.
func submitBody(t *testing.T, raws [][]byte, marshal func([][]byte) ([]byte, error)) []byte {
	t.Helper()
	if raws == nil {
		raws = [][]byte{}
	}
	b, err := marshal(raws)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// commit submits s and waits for it to be committed.
func (f *fixture) commit(s *tx.Signed) api.TxStatus {
	f.t.Helper()
	st, err := f.c.SubmitTx(f.ctx(), s, client.SubmitOptions{Wait: true})
	if err != nil {
		f.t.Fatal(err)
	}
	if st.Status != api.StatusCommitted || st.Receipt == nil {
		f.t.Fatalf("tx %s: status %q (receipt %v), want committed with a receipt", st.ID, st.Status, st.Receipt)
	}
	return st
}

// settle waits until no admitted transaction is pending, so that status
// snapshots taken around a request are stable.
func (f *fixture) settle() {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.n.Status().Pending != 0 {
		if time.Now().After(deadline) {
			f.t.Fatalf("%d transactions still pending", f.n.Status().Pending)
		}
		time.Sleep(time.Millisecond)
	}
}

// snapshot is what must not change when a request is rejected.
type snapshot struct {
	Height    uint64
	HeadHash  ledger.Hash
	StateHash ledger.Hash
	Pending   int
}

func (f *fixture) snapshot() snapshot {
	f.t.Helper()
	st, err := f.c.Status(f.ctx())
	if err != nil {
		f.t.Fatal(err)
	}
	if ns := f.n.Status(); ns.Height != st.Height || ns.StateHash != st.StateHash {
		f.t.Fatalf("HTTP status (height %d) disagrees with the node (height %d)", st.Height, ns.Height)
	}
	return snapshot{Height: st.Height, HeadHash: st.HeadHash, StateHash: st.StateHash, Pending: st.Pending}
}

func (f *fixture) unchanged(t *testing.T, before snapshot) {
	t.Helper()
	if after := f.snapshot(); after != before {
		t.Errorf("node changed after a rejected request: before %+v, after %+v", before, after)
	}
}

// request sends a raw HTTP request.
func (f *fixture) request(t *testing.T, method, path, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(f.ctx(), method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method == http.MethodGet {
		id := f.g.Nodes[0].ID
		req.Header.Set(api.AuthHeader, api.AuthValue(id, f.keys[id], method, req.URL.RequestURI(), time.Now(), nil))
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// wantError checks an api.Error answer.
func wantError(t *testing.T, resp *http.Response, data []byte, code int, kind string, msg ...string) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, code, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e api.Error
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, data)
	}
	if e.Code != kind {
		t.Errorf("error code %q, want %q (message %q)", e.Code, kind, e.Error)
	}
	for _, m := range msg {
		if !strings.Contains(e.Error, m) {
			t.Errorf("error %q does not say %q", e.Error, m)
		}
	}
}

func (f *fixture) wantNotCommitted(t *testing.T, ids ...tx.ID) {
	t.Helper()
	for _, id := range ids {
		if p, err := f.c.Proof(f.ctx(), id); err == nil {
			t.Errorf("tx %s of a rejected request: committed at height %d; want not found", id, p.Header.Height)
		} else if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("tx %s: %v; want not found", id, err)
		}
	}
}

// ready commits two blocks, so that heights below the next one exist.
func (f *fixture) ready() {
	f.t.Helper()
	f.commit(f.goodTx())
	f.commit(f.goodTx())
	f.settle()
}

func TestSubmitBadRequests(t *testing.T) {
	f := newFixture(t)
	f.ready()
	var goodIDs []tx.ID
	good := func() []byte {
		raw := enc(t, f.goodTx())
		goodIDs = append(goodIDs, tx.HashID(raw))
		return raw
	}
	many := func(n int) [][]byte {
		raw := good()
		out := make([][]byte, n)
		for i := range out {
			out[i] = raw
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		ctype string
		body  []byte
		code  int
		kind  string
		msg   []string
	}{
		{name: "wrong content type", ctype: "text/plain", body: cborBody(t, good()),
			code: 415, kind: "unsupported_media_type", msg: []string{"Content-Type must be application/cbor or application/json"}},
		{name: "no content type", body: cborBody(t, good()),
			code: 415, kind: "unsupported_media_type", msg: []string{"Content-Type must be application/cbor or application/json"}},
		{name: "form content type", ctype: "application/x-www-form-urlencoded", body: []byte("txs=1"),
			code: 415, kind: "unsupported_media_type", msg: []string{"application/cbor", "application/json"}},
		{name: "content type with a suffix", ctype: "application/cbor-seq", body: cborBody(t, good()),
			code: 415, kind: "unsupported_media_type", msg: []string{"Content-Type must be application/cbor or application/json"}},
		{name: "body over limit", ctype: "application/cbor", body: append(cborBody(t, good()), make([]byte, api.MaxBodyBytes)...),
			code: 413, kind: "too_large", msg: []string{fmt.Sprintf("request body over %d bytes", api.MaxBodyBytes)}},
		{name: "malformed CBOR", ctype: "application/cbor", body: []byte{0xff, 0x01, 0x02},
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions"}},
		{name: "CBOR map not array", ctype: "application/cbor", body: []byte{0xa1, 0x61, 'a', 0x01},
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions"}},
		{name: "CBOR array of ints", ctype: "application/cbor", body: []byte{0x82, 0x01, 0x02},
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions"}},
		{name: "CBOR trailing bytes", ctype: "application/cbor", body: append(cborBody(t, good()), 0x00),
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions", "extraneous data"}},
		{name: "CBOR indefinite length", ctype: "application/cbor", body: append(append([]byte{0x9f}, cborBody(t, good())[1:]...), 0xff),
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions", "indefinite"}},
		{name: "empty CBOR body", ctype: "application/cbor", body: nil,
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array of encoded signed transactions", "EOF"}},
		{name: "empty CBOR array", ctype: "application/cbor", body: cborBody(t),
			code: 400, kind: "bad_request", msg: []string{fmt.Sprintf("send 1 to %d transactions, got 0", api.MaxTxsPerBatch)}},
		{name: "too many txs CBOR", ctype: "application/cbor", body: cborBody(t, many(api.MaxTxsPerBatch+1)...),
			code: 400, kind: "bad_request", msg: []string{"body must be a CBOR array", fmt.Sprint(api.MaxTxsPerBatch)}},
		{name: "empty JSON array", ctype: "application/json", body: jsonBody(t),
			code: 400, kind: "bad_request", msg: []string{fmt.Sprintf("send 1 to %d transactions, got 0", api.MaxTxsPerBatch)}},
		{name: "JSON without txs", ctype: "application/json", body: []byte(`{}`),
			code: 400, kind: "bad_request", msg: []string{fmt.Sprintf("send 1 to %d transactions, got 0", api.MaxTxsPerBatch)}},
		{name: "too many txs JSON", ctype: "application/json; charset=utf-8", body: jsonBody(t, many(api.MaxTxsPerBatch+1)...),
			code: 400, kind: "bad_request", msg: []string{fmt.Sprintf("send 1 to %d transactions, got %d", api.MaxTxsPerBatch, api.MaxTxsPerBatch+1)}},
		{name: "JSON unknown field", ctype: "application/json",
			body: []byte(fmt.Sprintf(`{"txs":[%q],"wait":true}`, base64.StdEncoding.EncodeToString(good()))),
			code: 400, kind: "bad_request", msg: []string{`body must be {"txs": [`, `unknown field "wait"`}},
		{name: "JSON malformed", ctype: "application/json", body: []byte(`{"txs": [`),
			code: 400, kind: "bad_request", msg: []string{`body must be {"txs": [`}},
		{name: "JSON tx not base64", ctype: "application/json", body: []byte(`{"txs": ["!!not base64!!"]}`),
			code: 400, kind: "bad_request", msg: []string{`body must be {"txs": [`, "base64"}},
		{name: "JSON array at top level", ctype: "application/json", body: []byte(`["AAAA"]`),
			code: 400, kind: "bad_request", msg: []string{`body must be {"txs": [`}},
		{name: "JSON trailing data", ctype: "application/json",
			body: append(jsonBody(t, good()), []byte(` {"txs":[]}`)...),
			code: 400, kind: "bad_request", msg: []string{`body must be {"txs": [`}},
		{name: "timeout not a duration", query: "?wait=true&timeout=abc", ctype: "application/cbor", body: cborBody(t, good()),
			code: 400, kind: "bad_request", msg: []string{"timeout must be a positive duration such as 10s"}},
		{name: "timeout zero", query: "?wait=true&timeout=0s", ctype: "application/cbor", body: cborBody(t, good()),
			code: 400, kind: "bad_request", msg: []string{"timeout must be a positive duration such as 10s"}},
		{name: "timeout negative", query: "?wait=true&timeout=-1s", ctype: "application/cbor", body: cborBody(t, good()),
			code: 400, kind: "bad_request", msg: []string{"timeout must be a positive duration such as 10s"}},
		{name: "timeout without unit", query: "?timeout=10", ctype: "application/cbor", body: cborBody(t, good()),
			code: 400, kind: "bad_request", msg: []string{"timeout must be a positive duration such as 10s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot()
			resp, data := f.request(t, http.MethodPost, "/v1/txs"+tc.query, tc.ctype, tc.body)
			wantError(t, resp, data, tc.code, tc.kind, tc.msg...)
			f.unchanged(t, before)
		})
	}
	// Anything admitted by mistake would be committed no later than a
	// transaction submitted after it.
	f.commit(f.goodTx())
	f.wantNotCommitted(t, goodIDs...)
}

// TestSubmitJSONTrailingData is the bug case above on its own: it shows
// that the transaction of a malformed body gets committed.
func TestSubmitJSONTrailingData(t *testing.T) {
	f := newFixture(t)
	f.settle()
	raw := enc(t, f.goodTx())
	before := f.snapshot()
	resp, data := f.request(t, http.MethodPost, "/v1/txs", "application/json", append(jsonBody(t, raw), " garbage"...))
	wantError(t, resp, data, http.StatusBadRequest, "bad_request", `body must be {"txs": [`)
	f.unchanged(t, before)
	f.commit(f.goodTx())
	f.wantNotCommitted(t, tx.HashID(raw))
}

// rejected decodes a submission answer and checks that it carries one
// rejected result per transaction.
func rejectedResults(t *testing.T, resp *http.Response, data []byte, raws [][]byte) []api.TxStatus {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", resp.StatusCode, data)
	}
	var out api.SubmitResponse
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("body is not a SubmitResponse: %v: %s", err, data)
	}
	if len(out.Results) != len(raws) {
		t.Fatalf("%d results for %d txs: %s", len(out.Results), len(raws), data)
	}
	for i, r := range out.Results {
		if r.ID != tx.HashID(raws[i]) {
			t.Errorf("result %d is for %s, want %s", i, r.ID, tx.HashID(raws[i]))
		}
		if r.Status != api.StatusRejected || r.Error == "" || r.Receipt != nil {
			t.Errorf("result %d: %+v, want rejected with an error and no receipt", i, r)
		}
	}
	return out.Results
}

func TestSubmitRejectsBadTransactions(t *testing.T) {
	f := newFixture(t)
	f.ready()
	next := f.nextHeight()
	window := f.g.Params.ReplayWindow

	badSig := f.goodTx()
	badSig.Signature.Sig = append([]byte(nil), badSig.Signature.Sig...)
	badSig.Signature.Sig[7] ^= 0x01

	canonical := enc(t, f.goodTx())
	// The outer array header 0x82 re-encoded with a needless length byte.
	if canonical[0] != 0x82 {
		t.Fatalf("signed tx does not start with a 2-array header: %x", canonical[:4])
	}
	nonCanonical := append([]byte{0x98, 0x02}, canonical[1:]...)

	v2 := f.goodTx()
	v2.Body.Version = 2
	msg, err := v2.Body.SignBytes()
	if err != nil {
		t.Fatal(err)
	}
	v2.Signature.Sig = f.keys["stmarys/admin"].Sign(msg)

	shortKey := f.goodTx()
	shortKey.Signature.PubKey = shortKey.Signature.PubKey[:31]

	cases := []struct {
		name string
		raw  []byte
		msg  []string
	}{
		{"malformed bytes", []byte{0x01, 0x02, 0x03}, []string{"tx: malformed transaction"}},
		{"empty bytes", []byte{}, []string{"tx: malformed transaction"}},
		{"truncated", canonical[:len(canonical)/2], []string{"tx: malformed transaction"}},
		{"over size limit", make([]byte, tx.MaxTxBytes+1), []string{"tx: limit exceeded", fmt.Sprintf("transaction is %d bytes, max %d", tx.MaxTxBytes+1, tx.MaxTxBytes)}},
		{"other chain", enc(t, f.signBody(tx.Body{ChainID: "other-chain", Sender: "stmarys/admin",
			Call: tx.Call{Contract: identity.Name, Method: "add_member"}})),
			[]string{"transaction is for another chain", `"other-chain"`, fmt.Sprintf("this node runs %q", f.g.ChainID)}},
		{"expired", enc(t, f.signBody(tx.Body{Sender: "stmarys/admin", Expiry: next - 1,
			Call: tx.Call{Contract: identity.Name, Method: "add_member"}})),
			[]string{"expiry outside the replay window", fmt.Sprintf("expired at height %d, next block is %d", next-1, next)}},
		{"expiry beyond window", enc(t, f.signBody(tx.Body{Sender: "stmarys/admin", Expiry: next + window + 1,
			Call: tx.Call{Contract: identity.Name, Method: "add_member"}})),
			[]string{"expiry outside the replay window", fmt.Sprintf("expiry %d is more than %d blocks after the next block %d", next+window+1, window, next)}},
		{"bad signature", enc(t, badSig), []string{"tx: bad signature", "signature does not verify"}},
		{"non-canonical encoding", nonCanonical, []string{"not canonical CBOR"}},
		{"wrong version", enc(t, v2), []string{"tx: malformed transaction", "version 2, want 1"}},
		{"short public key", enc(t, shortKey), []string{"tx: malformed transaction", "ed25519 public key is 31 bytes, want 32"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ctype := range []string{"application/cbor", "application/json"} {
				before := f.snapshot()
				body := cborBody(t, tc.raw)
				if ctype == "application/json" {
					body = jsonBody(t, tc.raw)
				}
				resp, data := f.request(t, http.MethodPost, "/v1/txs", ctype, body)
				res := rejectedResults(t, resp, data, [][]byte{tc.raw})
				for _, m := range tc.msg {
					if !strings.Contains(res[0].Error, m) {
						t.Errorf("%s: error %q does not say %q", ctype, res[0].Error, m)
					}
				}
				f.unchanged(t, before)
			}
		})
	}
	// The same ids must never be committed.
	f.commit(f.goodTx())
	for _, tc := range cases {
		f.wantNotCommitted(t, tx.HashID(tc.raw))
	}
}

// TestSubmitExpiryEdges checks the accepted ends of the window.
func TestSubmitExpiryEdges(t *testing.T) {
	f := newFixture(t)
	f.ready()
	next := f.nextHeight()
	for _, exp := range []uint64{next, next + f.g.Params.ReplayWindow} {
		s := f.signBody(tx.Body{Sender: "stmarys/admin", Expiry: exp, Call: tx.Call{Contract: identity.Name, Method: "set_roles"}})
		res, err := f.c.Submit(f.ctx(), [][]byte{enc(t, s)}, client.SubmitOptions{Wait: true})
		if err != nil {
			t.Fatalf("expiry %d (next %d): %v", exp, next, err)
		}
		if res[0].Status != api.StatusCommitted {
			t.Fatalf("expiry %d (next %d): %+v, want committed", exp, next, res[0])
		}
		next = f.nextHeight()
	}
}

// TestSubmitShortTimeout: a wait that times out leaves admitted
// transactions pending; it is never an internal error.
func TestSubmitShortTimeout(t *testing.T) {
	f := newFixture(t)
	var ids []tx.ID
	for i := 0; i < 20; i++ {
		raw := enc(t, f.goodTx())
		resp, data := f.request(t, http.MethodPost, "/v1/txs?wait=true&timeout=1ns", "application/cbor", cborBody(t, raw))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("try %d: status %d, want 200 (pending or committed); body %s", i, resp.StatusCode, data)
		}
		var out api.SubmitResponse
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Results) != 1 || (out.Results[0].Status != api.StatusPending && out.Results[0].Status != api.StatusCommitted) {
			t.Fatalf("try %d: %s, want pending or committed", i, data)
		}
		ids = append(ids, tx.HashID(raw))
	}
	f.commit(f.goodTx())
	for _, id := range ids {
		if _, err := f.c.Proof(f.ctx(), id); err != nil {
			t.Errorf("tx %s answered pending was not committed: %v", id, err)
		}
	}
}

func TestSubmitReplayRejected(t *testing.T) {
	f := newFixture(t)
	s := f.goodTx()
	st := f.commit(s)
	f.settle()
	raw := enc(t, s)
	for _, ctype := range []string{"application/cbor", "application/json"} {
		before := f.snapshot()
		body := cborBody(t, raw)
		if ctype == "application/json" {
			body = jsonBody(t, raw)
		}
		resp, data := f.request(t, http.MethodPost, "/v1/txs?wait=true", ctype, body)
		res := rejectedResults(t, resp, data, [][]byte{raw})
		for _, m := range []string{"transaction already committed", st.ID.String()} {
			if !strings.Contains(res[0].Error, m) {
				t.Errorf("%s: error %q does not say %q", ctype, res[0].Error, m)
			}
		}
		f.unchanged(t, before)
	}
	// Still exactly one inclusion, at the original place.
	p, err := f.c.Proof(f.ctx(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.Height != st.Height || p.Index != uint64(st.Index) {
		t.Errorf("proof at %d/%d, want %d/%d", p.Header.Height, p.Index, st.Height, st.Index)
	}
}

func TestSubmitSameTxTwiceInBatch(t *testing.T) {
	f := newFixture(t)
	raw := enc(t, f.goodTx())
	res, err := f.c.Submit(f.ctx(), [][]byte{raw, raw}, client.SubmitOptions{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != api.StatusCommitted || res[0].Receipt == nil || !res[0].Receipt.OK() {
		t.Errorf("first copy: %+v, want committed OK", res[0])
	}
	if res[1].Status != api.StatusRejected || !strings.Contains(res[1].Error, "duplicate transaction") ||
		!strings.Contains(res[1].Error, tx.HashID(raw).String()) {
		t.Errorf("second copy: %+v, want rejected as a duplicate naming the id", res[1])
	}
	b, err := f.c.Block(f.ctx(), res[0].Height)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, bt := range b.Txs {
		if bt.ID == tx.HashID(raw) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("tx appears %d times in block %d, want once", n, b.Header.Height)
	}
}

func TestSubmitMixedBatch(t *testing.T) {
	f := newFixture(t)
	f.ready()
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("wait=%v", wait), func(t *testing.T) {
			good := enc(t, f.goodTx())
			bad := f.goodTx()
			bad.Signature.Sig = append([]byte(nil), bad.Signature.Sig...)
			bad.Signature.Sig[0] ^= 0x80
			raws := [][]byte{good, enc(t, bad)}
			q := ""
			if wait {
				q = "?wait=true"
			}
			resp, data := f.request(t, http.MethodPost, "/v1/txs"+q, "application/cbor", cborBody(t, raws...))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", resp.StatusCode, data)
			}
			var out api.SubmitResponse
			if err := json.Unmarshal(data, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 2 {
				t.Fatalf("%d results, want 2", len(out.Results))
			}
			for i, r := range out.Results {
				if r.ID != tx.HashID(raws[i]) {
					t.Errorf("result %d id %s, want %s", i, r.ID, tx.HashID(raws[i]))
				}
			}
			want := api.StatusPending
			if wait {
				want = api.StatusCommitted
			}
			if r := out.Results[0]; r.Status != want || r.Error != "" {
				t.Errorf("good tx: %+v, want %s", r, want)
			}
			if wait && (out.Results[0].Receipt == nil || !out.Results[0].Receipt.OK()) {
				t.Errorf("good tx receipt %+v, want OK", out.Results[0].Receipt)
			}
			if r := out.Results[1]; r.Status != api.StatusRejected || !strings.Contains(r.Error, "tx: bad signature") {
				t.Errorf("bad tx: %+v, want rejected for its signature", r)
			}
			// The good one commits; the bad one never does.
			f.commit(f.goodTx())
			if _, err := f.c.Proof(f.ctx(), tx.HashID(good)); err != nil {
				t.Errorf("good tx of the mixed batch not committed: %v", err)
			}
			f.wantNotCommitted(t, tx.HashID(raws[1]))
		})
	}
}

func TestSubmitWaitCommitted(t *testing.T) {
	f := newFixture(t)
	head := f.n.Head().Height
	s := f.addMember("stmarys/admin", "stmarys/patient-new")
	st, err := f.c.SubmitTx(f.ctx(), s, client.SubmitOptions{Wait: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	id := tx.HashID(enc(t, s))
	if st.ID != id || st.Status != api.StatusCommitted || st.Error != "" {
		t.Fatalf("status %+v, want committed %s", st, id)
	}
	if st.Height <= head || st.Receipt == nil {
		t.Fatalf("committed at height %d (head was %d) with receipt %v", st.Height, head, st.Receipt)
	}
	r := st.Receipt
	if r.TxID != id || r.Status != ledger.StatusOK || r.Error != "" {
		t.Errorf("receipt %+v, want OK for %s", r, id)
	}
	if len(r.Events) != 1 || r.Events[0].Type != "member_added" || r.Events[0].Attr("member") != "stmarys/patient-new" {
		t.Errorf("events %+v, want one member_added for stmarys/patient-new", r.Events)
	}
	// The receipt matches the one in the block.
	b, err := f.c.Block(f.ctx(), st.Height)
	if err != nil {
		t.Fatal(err)
	}
	if st.Index >= len(b.Txs) || b.Txs[st.Index].ID != id {
		t.Fatalf("block %d has no tx %s at index %d", st.Height, id, st.Index)
	}
	if got, want, same := sameJSON(b.Receipts[st.Index], r); !same {
		t.Errorf("block receipt %s, submit receipt %s", got, want)
	}
}

func TestSubmitFailedCallCommitted(t *testing.T) {
	f := newFixture(t)
	const id = "stmarys/patient-zed"
	st := f.commit(f.addMember("stmarys/dr-lee", id))
	r := st.Receipt
	if r.Status != ledger.StatusFailed || r.OK() {
		t.Fatalf("receipt status %d, want %d (failed)", r.Status, ledger.StatusFailed)
	}
	for _, m := range []string{"permission denied", `stmarys/dr-lee (roles member,physician in organisation stmarys) "add" on member`, "allowed for: " + identityvocab.RoleOrgAdmin} {
		if !strings.Contains(r.Error, m) {
			t.Errorf("receipt error %q does not say %q", r.Error, m)
		}
	}
	if len(r.Events) != 0 {
		t.Errorf("failed tx emitted %+v", r.Events)
	}
	// The failed call wrote nothing: the admin can add the same id...
	st2 := f.commit(f.addMember("stmarys/admin", id))
	if !st2.Receipt.OK() {
		t.Fatalf("admin add_member after the failed one: %q", st2.Receipt.Error)
	}
	// ...exactly once.
	st3 := f.commit(f.addMember("stmarys/admin", id))
	if st3.Receipt.OK() || !strings.Contains(st3.Receipt.Error, "already exists") {
		t.Errorf("second admin add_member: status %d %q, want failed: already exists", st3.Receipt.Status, st3.Receipt.Error)
	}
	// The failed transaction is still provably committed.
	p, err := f.c.Proof(f.ctx(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(f.g.ChainID, f.g.NodeKeys(), f.g.Quorum()); err != nil {
		t.Fatal(err)
	}
	if p.Receipt.Status != ledger.StatusFailed {
		t.Errorf("proof receipt status %d, want failed", p.Receipt.Status)
	}
}

// TestClientSubmitAllRejected: a batch rejected as a whole still carries
// per-transaction results, and the client must return them.
func TestClientSubmitAllRejected(t *testing.T) {
	f := newFixture(t)
	s := f.goodTx()
	s.Body.ChainID = "other-chain" // signature no longer matters: chain check comes first
	raw := enc(t, s)
	res, err := f.c.Submit(f.ctx(), [][]byte{raw}, client.SubmitOptions{})
	if err != nil {
		t.Fatalf("Submit of a rejected batch: %v; want per-tx results", err)
	}
	if len(res) != 1 || res[0].Status != api.StatusRejected || !strings.Contains(res[0].Error, "another chain") {
		t.Fatalf("results %+v, want one rejected for its chain", res)
	}
	_, err = f.c.SubmitTx(f.ctx(), s, client.SubmitOptions{})
	if err == nil || !strings.Contains(err.Error(), "rejected: mempool: transaction is for another chain") {
		t.Fatalf("SubmitTx: %v, want the rejection reason", err)
	}
}

func TestProof(t *testing.T) {
	f := newFixture(t)
	st := f.commit(f.goodTx())
	f.commit(f.goodTx()) // a second block, so the head is not the proof's block
	f.settle()
	unknown := tx.HashID([]byte("never submitted"))
	cases := []struct {
		name string
		id   string
		code int
		kind string
		msg  []string
	}{
		{"too short", "abc", 400, "bad_request", []string{"tx id must be 64 hex characters, got 3"}},
		{"too long", strings.Repeat("a", 65), 400, "bad_request", []string{"tx id must be 64 hex characters, got 65"}},
		{"not hex", strings.Repeat("z", 64), 400, "bad_request", []string{"tx id", "invalid byte"}},
		{"unknown", unknown.String(), 404, "not_found", []string{"transaction " + unknown.String() + " is not committed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot()
			resp, data := f.request(t, http.MethodGet, "/v1/txs/"+tc.id, "", nil)
			wantError(t, resp, data, tc.code, tc.kind, tc.msg...)
			f.unchanged(t, before)
		})
	}
	if _, err := f.c.Proof(f.ctx(), unknown); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("client.Proof(unknown) = %v, want ErrNotFound", err)
	}

	p, err := f.c.Proof(f.ctx(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(f.g.ChainID, f.g.NodeKeys(), f.g.Quorum()); err != nil {
		t.Fatalf("proof does not verify: %v", err)
	}
	if p.Header.Height != st.Height || p.Index != uint64(st.Index) || p.Receipt.TxID != st.ID || !p.Receipt.OK() {
		t.Errorf("proof for %d/%d %s, want %d/%d %s", p.Header.Height, p.Index, p.Receipt.TxID, st.Height, st.Index, st.ID)
	}
	// Tampering is caught.
	bad := *p
	bad.Receipt.Status = ledger.StatusFailed
	if err := bad.Verify(f.g.ChainID, f.g.NodeKeys(), f.g.Quorum()); !errors.Is(err, ledger.ErrIntegrity) {
		t.Errorf("tampered receipt verifies: %v", err)
	}
	if err := p.Verify("other-chain", f.g.NodeKeys(), f.g.Quorum()); err == nil {
		t.Error("proof verifies for another chain")
	}
	if err := p.Verify(f.g.ChainID, map[string]sign.PublicKey{}, f.g.Quorum()); !errors.Is(err, ledger.ErrQuorum) {
		t.Errorf("proof verifies without node keys: %v", err)
	}
}

func TestBlocks(t *testing.T) {
	f := newFixture(t)
	f.ready()
	head := f.n.Head()
	far := head.Height + 1_000_000
	unknown := ledger.Hash{1, 2, 3}
	cases := []struct {
		name string
		path string
		code int
		kind string
		msg  []string
	}{
		{"height not a number", "/v1/blocks/abc", 400, "bad_request", []string{`block height must be a number or "latest", got "abc"`}},
		{"negative height", "/v1/blocks/-1", 400, "bad_request", []string{`got "-1"`}},
		{"height overflows", "/v1/blocks/18446744073709551616", 400, "bad_request", []string{`got "18446744073709551616"`}},
		{"fractional height", "/v1/blocks/1.5", 400, "bad_request", []string{`got "1.5"`}},
		{"far future", fmt.Sprintf("/v1/blocks/%d", far), 404, "not_found", []string{fmt.Sprintf("block %d", far)}},
		{"next height", fmt.Sprintf("/v1/blocks/%d", head.Height+1), 404, "not_found", []string{fmt.Sprintf("block %d", head.Height+1)}},
		{"hash too short", "/v1/blocks/hash/abc", 400, "bad_request", []string{"hash must be 64 hex characters, got 3"}},
		{"hash not hex", "/v1/blocks/hash/" + strings.Repeat("g", 64), 400, "bad_request", []string{"hash", "invalid byte"}},
		{"hash unknown", "/v1/blocks/hash/" + unknown.String(), 404, "not_found", []string{"block " + unknown.String()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot()
			resp, data := f.request(t, http.MethodGet, tc.path, "", nil)
			wantError(t, resp, data, tc.code, tc.kind, tc.msg...)
			f.unchanged(t, before)
		})
	}
	if _, err := f.c.Block(f.ctx(), far); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("client.Block(far) = %v, want ErrNotFound", err)
	}
	if _, err := f.c.BlockByHash(f.ctx(), unknown); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("client.BlockByHash(unknown) = %v, want ErrNotFound", err)
	}

	g0, err := f.c.Block(f.ctx(), 0)
	if err != nil {
		t.Fatal(err)
	}
	gb, _, err := genesisstate.Block(f.g)
	if err != nil {
		t.Fatal(err)
	}
	if g0.Header.Height != 0 || g0.Hash != gb.Header.Hash() || len(g0.Txs) != 0 || len(g0.Receipts) != 0 {
		t.Errorf("block 0 = %+v, want the genesis block %s", g0.Header, gb.Header.Hash())
	}
	latest, err := f.c.LatestBlock(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if latest.Header.Height != head.Height || latest.Hash != head.Hash || latest.Header.StateHash != head.StateHash {
		t.Errorf("latest = %d %s, want head %d %s", latest.Header.Height, latest.Hash, head.Height, head.Hash)
	}
	if len(latest.Txs) == 0 {
		t.Error("latest block has no transactions")
	}
	if err := ledger.VerifyQuorum(&latest.Header, latest.Signatures, f.g.NodeKeys(), f.g.Quorum()); err != nil {
		t.Errorf("latest block signatures: %v", err)
	}
	for h := uint64(1); h <= head.Height; h++ {
		byHeight, err := f.c.Block(f.ctx(), h)
		if err != nil {
			t.Fatal(err)
		}
		byHash, err := f.c.BlockByHash(f.ctx(), byHeight.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if a, b, same := sameJSON(byHeight, byHash); !same {
			t.Errorf("block %d by hash differs from by height:\n%s\n%s", h, b, a)
		}
		prev, err := f.c.Block(f.ctx(), h-1)
		if err != nil {
			t.Fatal(err)
		}
		if byHeight.Header.PrevHash != prev.Hash {
			t.Errorf("block %d prev hash %s, want %s", h, byHeight.Header.PrevHash, prev.Hash)
		}
	}
	// "latest" over raw HTTP too.
	resp, data := f.request(t, http.MethodGet, "/v1/blocks/latest", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("latest: %d %s", resp.StatusCode, data)
	}
	var raw api.Block
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if err := raw.Check(); err != nil || raw.Hash != head.Hash {
		t.Errorf("raw latest block: %v, hash %s want %s", err, raw.Hash, head.Hash)
	}
}

func TestStream(t *testing.T) {
	f := newFixture(t)
	f.ready()
	head := f.n.Head().Height

	ctx, cancel := context.WithCancel(f.ctx())
	defer cancel()
	blocks := make(chan *api.Block, 64)
	done := make(chan error, 1)
	go func() {
		done <- f.c.Stream(ctx, 0, func(b *api.Block) error {
			blocks <- b
			return nil
		})
	}()
	recv := func() *api.Block {
		t.Helper()
		select {
		case b := <-blocks:
			return b
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("no block from the stream")
		}
		return nil
	}
	for h := uint64(0); h <= head; h++ {
		b := recv()
		if b.Header.Height != h {
			t.Fatalf("stream gave block %d, want %d", b.Header.Height, h)
		}
		want, err := f.c.Block(f.ctx(), h)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash != want.Hash {
			t.Errorf("streamed block %d hash %s, want %s", h, b.Hash, want.Hash)
		}
		// The client reads the binary form; it must give the very block
		// the JSON API gives.
		if got, wantJSON, same := sameJSON(b, want); !same {
			t.Errorf("streamed block %d:\n%s\nthe JSON API's:\n%s", h, got, wantJSON)
		}
	}
	// Idle for a few heartbeats: keep-alive lines must not disturb it.
	select {
	case b := <-blocks:
		t.Fatalf("unexpected block %d before any new commit", b.Header.Height)
	case <-time.After(200 * time.Millisecond):
	}
	// A block committed while streaming arrives live.
	s := f.goodTx()
	if _, err := f.c.SubmitTx(f.ctx(), s, client.SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	b := recv()
	if b.Header.Height != head+1 {
		t.Fatalf("live block %d, want %d", b.Header.Height, head+1)
	}
	if len(b.Txs) != 1 || b.Txs[0].ID != tx.HashID(enc(t, s)) || !b.Receipts[0].OK() {
		t.Errorf("live block txs %+v, want the submitted tx", b.Txs)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Stream returned %v after cancel, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
}

func TestStreamRaw(t *testing.T) {
	f := newFixture(t)
	f.settle()
	for _, from := range []string{"abc", "-1", "1.0", "18446744073709551616"} {
		t.Run("from="+from, func(t *testing.T) {
			before := f.snapshot()
			resp, data := f.request(t, http.MethodGet, "/v1/stream?from="+from, "", nil)
			wantError(t, resp, data, 400, "bad_request", "from must be a block height")
			f.unchanged(t, before)
		})
	}
	t.Run("default from is the next block", func(t *testing.T) {
		ctx, cancel := context.WithCancel(f.ctx())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/v1/stream", nil)
		id := f.g.Nodes[0].ID
		req.Header.Set(api.AuthHeader, api.AuthValue(id, f.keys[id], http.MethodGet, "/v1/stream", time.Now(), nil))
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("stream answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		lines := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// First a keep-alive (nothing new yet), then the next block only.
		select {
		case l := <-lines:
			if strings.TrimSpace(l) != "" {
				t.Fatalf("first line %q, want a keep-alive before any new block", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no keep-alive")
		}
		next := f.nextHeight()
		f.commit(f.goodTx())
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("stream closed")
				}
				if strings.TrimSpace(l) == "" {
					continue
				}
				var b api.Block
				if err := json.Unmarshal([]byte(l), &b); err != nil {
					t.Fatal(err)
				}
				if err := b.Check(); err != nil {
					t.Fatal(err)
				}
				if b.Header.Height != next {
					t.Fatalf("first streamed block %d, want %d", b.Header.Height, next)
				}
				return
			case <-time.After(10 * time.Second):
				t.Fatal("no block")
			}
		}
	})
}

// TestStreamFramesRaw: a client that accepts the binary form gets
// length-prefixed CBOR frames (an empty one as a keep-alive), each the
// block the JSON stream would give.
func TestStreamFramesRaw(t *testing.T) {
	f := newFixture(t)
	f.ready()
	head := f.n.Head().Height
	ctx, cancel := context.WithCancel(f.ctx())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/v1/stream?from=0", nil)
	id := f.g.Nodes[0].ID
	req.Header.Set(api.AuthHeader, api.AuthValue(id, f.keys[id], http.MethodGet, "/v1/stream?from=0", time.Now(), nil))
	req.Header.Set("Accept", "application/x-ndjson;q=0.5, "+api.StreamFramesType)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != api.StreamFramesType {
		t.Fatalf("stream answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type frame struct {
		data []byte
		err  error
	}
	frames := make(chan frame, 16)
	go func() {
		for {
			data, err := api.ReadStreamFrame(resp.Body, nil)
			frames <- frame{data, err}
			if err != nil {
				return
			}
		}
	}()
	next := func() []byte {
		t.Helper()
		select {
		case fr := <-frames:
			if fr.err != nil {
				t.Fatal(fr.err)
			}
			return fr.data
		case <-time.After(10 * time.Second):
			t.Fatal("no frame")
		}
		return nil
	}
	for h := uint64(0); h <= head; h++ {
		b, err := api.DecodeStreamBlock(next())
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.c.Block(f.ctx(), h)
		if err != nil {
			t.Fatal(err)
		}
		if got, wantJSON, same := sameJSON(b, want); !same {
			t.Fatalf("frame of block %d:\n%s\nthe JSON API's:\n%s", h, got, wantJSON)
		}
	}
	if k := next(); len(k) != 0 { // nothing new: a keep-alive
		t.Fatalf("a frame of %d bytes before any new commit, want a keep-alive", len(k))
	}
	// Accept without the binary type, or with q=0: JSON.
	for _, accept := range []string{"", "application/json", api.StreamFramesType + ";q=0"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/v1/stream?from=0", nil)
		req.Header.Set(api.AuthHeader, api.AuthValue(id, f.keys[id], http.MethodGet, "/v1/stream?from=0", time.Now(), nil))
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("Accept %q: Content-Type %q, want application/x-ndjson", accept, ct)
		}
	}
}

func TestStatusAndGenesis(t *testing.T) {
	f := newFixture(t)
	st0 := f.commit(f.goodTx())
	f.settle()
	st, err := f.c.Status(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	head := f.n.Head()
	if st.ChainID != f.g.ChainID || st.NodeID != f.g.Nodes[0].ID || st.Nodes != 1 {
		t.Errorf("status %+v, want chain %s node %s of 1", st, f.g.ChainID, f.g.Nodes[0].ID)
	}
	if st.Height != head.Height || st.Height < st0.Height || st.HeadHash != head.Hash || st.StateHash != head.StateHash {
		t.Errorf("status head %d %s, want %d %s", st.Height, st.HeadHash, head.Height, head.Hash)
	}
	if !st.HeadTime.Equal(time.Unix(0, head.Time)) {
		t.Errorf("status head time %v, want %v", st.HeadTime, time.Unix(0, head.Time))
	}
	if st.Raft.State != "StateLeader" || st.Raft.Leader != f.g.Nodes[0].RaftID || st.Raft.ID != f.g.Nodes[0].RaftID {
		t.Errorf("raft status %+v, want the only node leading", st.Raft)
	}
	if st.Pending != 0 || st.Error != "" {
		t.Errorf("status pending %d error %q, want 0 and none", st.Pending, st.Error)
	}

	g, err := f.c.Genesis(f.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if got, want, same := sameJSON(g, f.g); !same {
		t.Errorf("genesis over the API differs:\n%s\nwant\n%s", got, want)
	}
	loaded, err := genesis.Load(filepath.Join(f.dir, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	gb1, _, _ := genesisstate.Block(loaded)
	gb2, _, _ := genesisstate.Block(g)
	if gb1.Header.Hash() != gb2.Header.Hash() {
		t.Error("genesis over the API yields another genesis block than the file")
	}
}

func TestUnknownEndpoints(t *testing.T) {
	f := newFixture(t)
	f.settle()
	cases := []struct{ method, path string }{
		{http.MethodGet, "/v1/nope"},
		{http.MethodGet, "/"},
		{http.MethodGet, "/v2/status"},
		{http.MethodGet, "/v1/txs"},
		{http.MethodPut, "/v1/status"},
		{http.MethodDelete, "/v1/blocks/1"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			before := f.snapshot()
			resp, data := f.request(t, tc.method, tc.path, "", nil)
			wantError(t, resp, data, 404, "not_found", fmt.Sprintf("no endpoint %s %s", tc.method, tc.path), "GET /v1/status")
			f.unchanged(t, before)
		})
	}
}

// TestStoppedNode: once Run has returned, submissions answer 503 and
// reads still work.
func TestStoppedNode(t *testing.T) {
	f := newFixture(t)
	st := f.commit(f.goodTx())
	f.settle()
	f.stop()
	before := f.snapshot()
	raw := enc(t, f.goodTx())
	resp, data := f.request(t, http.MethodPost, "/v1/txs?wait=true", "application/cbor", cborBody(t, raw))
	wantError(t, resp, data, http.StatusServiceUnavailable, "unavailable", "node is stopping")
	f.unchanged(t, before)
	if _, err := f.c.Proof(f.ctx(), st.ID); err != nil {
		t.Errorf("proof after stop: %v", err)
	}
	f.wantNotCommitted(t, tx.HashID(raw))
}

func TestServerConfig(t *testing.T) {
	if _, err := server.New(server.Config{}); err == nil || !strings.Contains(err.Error(), "Backend is required") {
		t.Errorf("New without backend: %v", err)
	}
}
