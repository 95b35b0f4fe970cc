// Package client is the Go client of the node's HTTP API, used by the
// portal and the CLI. It speaks CBOR for submissions (no JSON on the hot
// path) and checks the internal consistency of every block it receives.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// ErrNotFound is matched (errors.Is) by 404 answers.
var ErrNotFound = errors.New("client: not found")

// Error is an error answer from the node.
type Error struct {
	StatusCode int
	Code       string
	Message    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("node answered %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) work for 404s.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// Client talks to one node, or to several of one consortium with
// failover (NewMulti, failover.go). It is safe for concurrent use.
type Client struct {
	addrs []string      // base URLs, at least one
	cur   atomic.Uint32 // index in addrs of the current one
	hc    *http.Client
	idle  time.Duration // a silent stream is dropped after this (0: never)
	log   *slog.Logger
	auth  *credentials // nil: anonymous
}

// New returns a client for a node API address such as
// "http://127.0.0.1:7070" (a bare host:port gets http://).
func New(addr string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	}
	return &Client{addrs: []string{normalise(addr)}, hc: hc, log: slog.New(slog.DiscardHandler)}
}

// newRequest builds one attempt's request to url (a base address and a
// path); it is called anew for every address tried.
func newRequest(ctx context.Context, method, url, ctype string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req, nil
}

func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	var resp *http.Response
	err := c.failover(ctx, func(base string) error {
		req, err := newRequest(ctx, method, base+path, ctype, body)
		if err != nil {
			return err
		}
		// Per attempt, on the request built for this address.
		c.sign(req)
		resp, err = c.hc.Do(req)
		return unreachable(err)
	})
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("client: reading answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e api.Error
		_ = json.Unmarshal(data, &e)
		// A submission rejected as a whole answers 400 with per-tx results
		// (and no "error" field): hand those back to the caller.
		if sr, ok := out.(*api.SubmitResponse); ok && resp.StatusCode == http.StatusBadRequest && e.Error == "" {
			if json.Unmarshal(data, sr) == nil && len(sr.Results) > 0 {
				return nil
			}
		}
		if e.Error == "" && resp.StatusCode == http.StatusServiceUnavailable {
			// A batch refused for want of room (per-transaction results).
			e.Code, e.Error = "busy", "the node's pool is full; retry after "+resp.Header.Get("Retry-After")+"s"
		}
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &Error{StatusCode: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: decoding answer of %s: %w", path, err)
	}
	return nil
}

// doCBOR sends req, CBOR-encoded, with method to path and expects no answer body.
func (c *Client) doCBOR(ctx context.Context, method, path string, req any) error {
	body, err := codec.Marshal(req)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, "application/cbor", body, nil)
}

// get fetches path's JSON answer as a T.
func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	var v T
	if err := c.do(ctx, http.MethodGet, path, "", nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// SubmitOptions control a submission.
type SubmitOptions struct {
	// Wait for each transaction to be committed or left out of a block.
	Wait bool
	// Timeout bounds the wait on the node (default 10s there).
	Timeout time.Duration
}

// Submit sends encoded signed transactions in one request.
func (c *Client) Submit(ctx context.Context, raws [][]byte, o SubmitOptions) ([]api.TxStatus, error) {
	body, err := codec.Marshal(raws)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if o.Wait {
		q.Set("wait", "true")
	}
	if o.Timeout > 0 {
		q.Set("timeout", o.Timeout.String())
	}
	var out api.SubmitResponse
	resent := false
	rctx := context.WithValue(ctx, resentKey{}, &resent)
	if err := c.do(rctx, http.MethodPost, "/v1/txs?"+q.Encode(), "application/cbor", body, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(raws) {
		return nil, fmt.Errorf("client: node answered %d results for %d transactions", len(out.Results), len(raws))
	}
	if resent {
		c.settleResent(ctx, out.Results)
	}
	return out.Results, nil
}

// SubmitTx signs nothing: it sends one signed transaction and returns its
// status, or an error if it was rejected.
func (c *Client) SubmitTx(ctx context.Context, s *tx.Signed, o SubmitOptions) (api.TxStatus, error) {
	raw, err := s.Encode()
	if err != nil {
		return api.TxStatus{}, err
	}
	res, err := c.Submit(ctx, [][]byte{raw}, o)
	if err != nil {
		return api.TxStatus{}, err
	}
	if res[0].Status == api.StatusRejected {
		return res[0], fmt.Errorf("transaction %s rejected: %s", res[0].ID, res[0].Error)
	}
	return res[0], nil
}

// Proof fetches a committed transaction's receipt proof.
func (c *Client) Proof(ctx context.Context, id tx.ID) (*ledger.ReceiptProof, error) {
	return get[ledger.ReceiptProof](ctx, c, "/v1/txs/"+id.String())
}

func (c *Client) block(ctx context.Context, path string) (*api.Block, error) {
	b, err := get[api.Block](ctx, c, path)
	if err != nil {
		return nil, err
	}
	if err := b.Check(); err != nil {
		return nil, err
	}
	return b, nil
}

// Block fetches the block at height.
func (c *Client) Block(ctx context.Context, height uint64) (*api.Block, error) {
	return c.block(ctx, fmt.Sprintf("/v1/blocks/%d", height))
}

// LatestBlock fetches the head block.
func (c *Client) LatestBlock(ctx context.Context) (*api.Block, error) {
	return c.block(ctx, "/v1/blocks/latest")
}

// BlockByHash fetches a block by header hash.
func (c *Client) BlockByHash(ctx context.Context, h ledger.Hash) (*api.Block, error) {
	return c.block(ctx, "/v1/blocks/hash/"+h.String())
}

// Status fetches the node's status.
func (c *Client) Status(ctx context.Context) (*api.Status, error) {
	return get[api.Status](ctx, c, "/v1/status")
}

// Nodes fetches the consortium's current nodes (from ledger state).
func (c *Client) Nodes(ctx context.Context) ([]consortium.Node, error) {
	ns, err := get[[]consortium.Node](ctx, c, "/v1/nodes")
	if err != nil {
		return nil, err
	}
	return *ns, nil
}

// Policy fetches the authorisation rules in force and the governance
// threshold.
func (c *Client) Policy(ctx context.Context) (*api.Policy, error) {
	return get[api.Policy](ctx, c, "/v1/policy")
}

// Proposal fetches a governance proposal with who approved, who rejected
// and who is missing.
func (c *Client) Proposal(ctx context.Context, id string) (*governance.View, error) {
	return get[governance.View](ctx, c, "/v1/proposals/"+url.PathEscape(id))
}

// UploadRecord stores a record version's ciphertext on its custodian node
// (the request must be signed: api.SignPrivate).
func (c *Client) UploadRecord(ctx context.Context, req *api.UploadRequest) error {
	return c.doCBOR(ctx, http.MethodPut, "/v1/private/records", req)
}

// CustodianReachable asks the node whether a node of org that keeps
// records answers now (relayed over the node transport when org is
// another organisation). An *Error with status 503 means it does not.
func (c *Client) CustodianReachable(ctx context.Context, org string) error {
	return c.do(ctx, http.MethodGet, "/v1/private/custodians/"+url.PathEscape(org), "", nil, nil)
}

// FetchRecord fetches a record under a committed access transaction (the
// request must be signed: api.SignPrivate). The node relays it to the
// custodian organisation's nodes when it does not keep the record.
func (c *Client) FetchRecord(ctx context.Context, req *api.FetchRequest) (*api.FetchResponse, error) {
	var out api.FetchResponse
	if err := c.postPrivate(ctx, "/v1/private/fetch", "fetch", api.MaxBodyBytes+1<<20, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeliverNote sends a break-glass note to the custodian of the access's
// record (the request must be signed: api.SignPrivate); the node relays
// it when it is not one of the custodian's. An *Error with Code "exists"
// means the custodian already has it.
func (c *Client) DeliverNote(ctx context.Context, req *api.NoteRequest) error {
	return c.doCBOR(ctx, http.MethodPost, "/v1/private/notes", req)
}

// FetchNote fetches a break-glass note from the custodian (the request
// must be signed: api.SignPrivate).
func (c *Client) FetchNote(ctx context.Context, req *api.NoteFetchRequest) (*api.NoteFetchResponse, error) {
	var out api.NoteFetchResponse
	if err := c.postPrivate(ctx, "/v1/private/notes/fetch", "note fetch", api.MaxNoteRequestBytes, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// postPrivate posts a signed private request (api.SignPrivate: the client adds no signature of its own),
// CBOR-encoded, to path, and decodes the node's CBOR answer of at most limit bytes into out; what names the call
// in errors.
func (c *Client) postPrivate(ctx context.Context, path, what string, limit int64, req, out any) error {
	body, err := codec.Marshal(req)
	if err != nil {
		return err
	}
	var resp *http.Response
	err = c.failover(ctx, func(base string) error {
		httpReq, err := newRequest(ctx, http.MethodPost, base+path, "application/cbor", body)
		if err != nil {
			return err
		}
		resp, err = c.hc.Do(httpReq)
		return unreachable(err)
	})
	if err != nil {
		return fmt.Errorf("client: %s: %w", what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e api.Error
		_ = json.Unmarshal(data, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &Error{StatusCode: resp.StatusCode, Code: e.Code, Message: e.Error}
	}
	if err := codec.API.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: %s answer: %w", what, err)
	}
	return nil
}

// Genesis fetches the node's genesis file.
func (c *Client) Genesis(ctx context.Context) (*genesis.File, error) {
	g, err := get[genesis.File](ctx, c, "/v1/genesis")
	if err != nil {
		return nil, err
	}
	return g, g.Validate()
}

// streamFrom follows the node at base from height *next on, calling fn
// for every block and advancing *next past it; *heard is set once the node
// sends anything (a block or a keep-alive). A stream that cannot be opened,
// breaks, stays silent for c.idle or is ended by the node is a connection
// failure (unreachable): Stream resumes it elsewhere.
func (c *Client) streamFrom(ctx context.Context, base string, next *uint64, heard *bool,
	fn func(*api.Block) error) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := newRequest(sctx, http.MethodGet, fmt.Sprintf("%s/v1/stream?from=%d", base, *next), "", nil)
	if err != nil {
		return err
	}
	// The binary form where the node has it (docs/api.md); JSON otherwise.
	req.Header.Set("Accept", api.StreamFramesType+", application/x-ndjson;q=0.5")
	c.sign(req)
	var idled atomic.Bool
	alive := func() {}
	if c.idle > 0 {
		t := time.AfterFunc(c.idle, func() { idled.Store(true); cancel() })
		defer t.Stop()
		alive = func() { t.Reset(c.idle) }
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return &Error{StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(data))}
	}
	deliver := func(b *api.Block) error {
		if b.Header.Height != *next {
			return fmt.Errorf("client: stream skipped from block %d to %d", *next, b.Header.Height)
		}
		*next++
		return fn(b)
	}
	var err2 error
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == api.StreamFramesType {
		err2 = readFrames(resp.Body, alive, heard, deliver)
	} else {
		err2 = readLines(resp.Body, alive, heard, deliver)
	}
	var se *streamError
	if errors.As(err2, &se) {
		err2 = se.err // the connection broke: below
	} else if err2 != nil {
		return err2
	}
	switch err := err2; {
	case ctx.Err() != nil:
		return ctx.Err()
	case idled.Load():
		return unreachable(fmt.Errorf("client: stream from %s: nothing received for %s", base, c.idle))
	case err != nil:
		return unreachable(fmt.Errorf("client: stream from %s: %w", base, err))
	default:
		return unreachable(fmt.Errorf("client: stream from %s: the node ended it", base))
	}
}

// streamError wraps a failure to read the stream (the connection), as
// opposed to a bad block or fn's error.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }

// readLines reads the JSON stream: one api.Block per line, blank lines as
// keep-alives. It returns nil when the stream ends cleanly.
func readLines(body io.Reader, alive func(), heard *bool, deliver func(*api.Block) error) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 1<<20), api.MaxBodyBytes*2)
	for sc.Scan() {
		alive()
		*heard = true
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue // keep-alive
		}
		var b api.Block
		if err := json.Unmarshal(line, &b); err != nil {
			return fmt.Errorf("client: stream: %w", err)
		}
		if err := b.Check(); err != nil {
			return err
		}
		if err := deliver(&b); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &streamError{err}
	}
	return nil
}

// readFrames reads the binary stream (api.StreamFramesType): a frame per
// block, empty frames as keep-alives. It returns nil when the stream ends
// cleanly between frames.
func readFrames(body io.Reader, alive func(), heard *bool, deliver func(*api.Block) error) error {
	br := bufio.NewReaderSize(body, 1<<16)
	var buf []byte
	for {
		frame, err := api.ReadStreamFrame(br, buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &streamError{err}
		}
		buf = frame
		alive()
		*heard = true
		if len(frame) == 0 {
			continue // keep-alive
		}
		b, err := api.DecodeStreamBlock(frame)
		if err != nil {
			return fmt.Errorf("client: stream: %w", err)
		}
		if err := deliver(b); err != nil {
			return err
		}
	}
}
