package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Config configures the handler.
type Config struct {
	Backend Backend
	Logger  *slog.Logger
	// MaxWait caps ?timeout= on submissions (default 60s).
	MaxWait time.Duration
	// Heartbeat is the idle interval between stream keep-alives (default 15s).
	Heartbeat time.Duration
	// Metrics, if set, serves GET /metrics (node.Node.MetricsHandler) to any
	// caller, without authentication.
	Metrics http.Handler
	// MaxInflightBytes bounds the submission bodies being read and
	// admitted (and waited for) at once (default 64 MiB);
	// MaxInflightPerClient the submissions of one caller address at once
	// (default 256: a portal sends its users' mutations from one address,
	// each waiting for its commit). Beyond either the node answers 503
	// busy with Retry-After.
	MaxInflightBytes     int64
	MaxInflightPerClient int64
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Backend == nil {
		return errors.New("server: Backend is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 60 * time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.MaxInflightBytes <= 0 {
		c.MaxInflightBytes = 64 << 20
	}
	if c.MaxInflightBytes < api.MaxBodyBytes {
		return fmt.Errorf("server: MaxInflightBytes %d is below one request's limit %d", c.MaxInflightBytes, api.MaxBodyBytes)
	}
	if c.MaxInflightPerClient <= 0 {
		c.MaxInflightPerClient = 256
	}
	return nil
}

type server struct {
	cfg      Config
	inflight *inflight
	// The backend as each route group sees it (backend.go).
	txs        Submitter
	chain      Chain
	consortium Consortium
	records    Records
	notes      Notes
	auth       Authenticator
}

// busy answers 503 with Retry-After: the node takes no more now.
func busy(w http.ResponseWriter, why string) {
	w.Header().Set("Retry-After", "1")
	writeErr(w, http.StatusServiceUnavailable, "busy", why+"; retry after a second")
}

// New returns the API handler.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := cfg.Backend
	s := &server{cfg: cfg, inflight: newInflight(cfg.MaxInflightBytes, cfg.MaxInflightPerClient),
		txs: b, chain: b, consortium: b, records: b, notes: b, auth: b}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/txs", s.submit)
	mux.HandleFunc("GET /v1/txs/{id}", s.proof)
	mux.HandleFunc("GET /v1/blocks/{height}", s.block)
	mux.HandleFunc("GET /v1/blocks/hash/{hash}", s.blockByHash)
	mux.HandleFunc("GET /v1/stream", s.stream)
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("GET /v1/genesis", s.genesis)
	mux.HandleFunc("PUT /v1/private/records", private(s, MaxUploadBytes, s.upload))
	mux.HandleFunc("POST /v1/private/fetch", private(s, 64<<10, s.fetch))
	mux.HandleFunc("POST /v1/private/notes", private(s, api.MaxNoteRequestBytes, s.note))
	mux.HandleFunc("POST /v1/private/notes/fetch", private(s, 16<<10, s.noteFetch))
	mux.HandleFunc("GET /v1/private/custodians/{org}", func(w http.ResponseWriter, r *http.Request) {
		org := r.PathValue("org")
		if err := identity.ValidateID(org, false); err != nil { // else 503 "try again" for what never answers
			writeErr(w, http.StatusBadRequest, "bad_request", "not an organisation id: "+err.Error())
			return
		}
		if err := s.records.CustodianReachable(r.Context(), org); err != nil {
			s.privateErr(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/keys/expiring", s.expiring)
	mux.HandleFunc("GET /v1/policy", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.consortium.Policy()
		if err != nil {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("GET /v1/proposals/{id}", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.consortium.Proposal(r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	mux.HandleFunc("GET /v1/backup", s.backup())
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.consortium.Members())
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("no endpoint %s %s; see GET /v1/status", r.Method, r.URL.Path))
	})
	return s.authenticate(mux), nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, api.Error{Error: msg, Code: kind})
}

// fail answers a backend error: 404 for what does not exist, else 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, node.ErrNotFound) {
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	s.internal(w, r, err)
}

func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Error("api request failed", "path", r.URL.Path, "err", err)
	writeErr(w, http.StatusInternalServerError, "internal", "internal error; see the node's log")
}

var cborDec, _ = cbor.DecOptions{
	MaxArrayElements: api.MaxTxsPerBatch, IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
}.DecMode()

func (s *server) submit(w http.ResponseWriter, r *http.Request) {
	size := int64(api.MaxBodyBytes)
	if r.ContentLength >= 0 && r.ContentLength < size {
		size = r.ContentLength
	}
	release := s.inflight.acquire(r, size)
	if release == nil {
		busy(w, "the node is admitting as much as it can")
		return
	}
	defer release()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxBodyBytes))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes; send fewer transactions per request", api.MaxBodyBytes))
		return
	}
	var raws [][]byte
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/cbor":
		if err := cborDec.Unmarshal(body, &raws); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", "body must be a CBOR array of encoded signed transactions: "+err.Error())
			return
		}
	case "application/json":
		var req api.SubmitRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err := dec.Decode(&req)
		if err == nil && dec.More() {
			err = errors.New("unexpected data after the JSON object")
		}
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", `body must be {"txs": ["<base64 signed transaction>", ...]}: `+err.Error())
			return
		}
		raws = req.Txs
	default:
		writeErr(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/cbor or application/json")
		return
	}
	if len(raws) == 0 || len(raws) > api.MaxTxsPerBatch {
		writeErr(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("send 1 to %d transactions, got %d", api.MaxTxsPerBatch, len(raws)))
		return
	}
	wait := r.URL.Query().Get("wait") == "true"
	timeout := 10 * time.Second
	if t := r.URL.Query().Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			writeErr(w, http.StatusBadRequest, "bad_request", "timeout must be a positive duration such as 10s")
			return
		}
		timeout = min(d, s.cfg.MaxWait)
	}
	ctx := r.Context()
	if wait {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := s.txs.Submit(ctx, raws, wait)
	if errors.Is(err, node.ErrStopped) {
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "node is stopping")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := api.SubmitResponse{Results: make([]api.TxStatus, len(res))}
	rejected, full := 0, 0
	for i, tr := range res {
		st := api.TxStatus{ID: tr.ID, Status: api.StatusPending}
		switch {
		case tr.Err != nil:
			st.Status, st.Error, st.Reason = api.StatusRejected, tr.Err.Error(), tr.Reason
			rejected++
			if errors.Is(tr.Err, mempool.ErrFull) {
				full++
			}
		case tr.Committed:
			st.Status, st.Height, st.Index, st.Receipt = api.StatusCommitted, tr.Height, tr.Index, tr.Receipt
		}
		out.Results[i] = st
	}
	code := http.StatusOK
	if rejected == len(res) {
		code = http.StatusBadRequest
		if full > 0 {
			// Refused for want of room, not for what they are.
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "1")
		}
	}
	writeJSON(w, code, out)
}

func (s *server) proof(w http.ResponseWriter, r *http.Request) {
	id, ok := pathValue(w, r, "id", tx.ParseID)
	if !ok {
		return
	}
	p, err := s.chain.Proof(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c := callerOf(r.Context()); c == nil || !c.Follow {
		// A member reads the proofs of their own transactions only.
		st, err := tx.Decode(p.Tx)
		if err != nil || c == nil || st.Body.Sender != c.ID {
			writeErr(w, http.StatusForbidden, "forbidden", "a member may read the proofs of their own transactions only")
			return
		}
	}
	writeJSON(w, http.StatusOK, p)
}

// pathValue parses the request's path value name with parse; a value parse
// refuses is answered 400 with its error, and reported false.
func pathValue[T any](w http.ResponseWriter, r *http.Request, name string, parse func(string) (T, error)) (T, bool) {
	v, err := parse(r.PathValue(name))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	}
	return v, err == nil
}

func (s *server) sendBlock(w http.ResponseWriter, r *http.Request, b *node.BlockWithReceipts, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := api.NewBlock(b.Block, b.Receipts, b.Signatures)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) block(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("height")
	var h uint64
	if p == "latest" {
		h = s.chain.Head().Height
	} else {
		var err error
		if h, err = strconv.ParseUint(p, 10, 64); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("block height must be a number or \"latest\", got %q", p))
			return
		}
	}
	b, err := s.chain.Block(h)
	s.sendBlock(w, r, b, err)
}

func (s *server) blockByHash(w http.ResponseWriter, r *http.Request) {
	h, ok := pathValue(w, r, "hash", ledger.ParseHash)
	if !ok {
		return
	}
	b, err := s.chain.BlockByHash(h)
	s.sendBlock(w, r, b, err)
}

// stream writes committed blocks from ?from= (default: the next block) as
// newline-delimited JSON, then follows new blocks until the client goes
// away. Blank lines are keep-alives. A client that accepts
// api.StreamFramesType gets the binary form instead: length-prefixed CBOR
// frames of the blocks as stored, empty frames as keep-alives.
func (s *server) stream(w http.ResponseWriter, r *http.Request) {
	next := s.chain.Head().Height + 1
	if f := r.URL.Query().Get("from"); f != "" {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", "from must be a block height")
			return
		}
		next = v
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		s.internal(w, r, errors.New("streaming unsupported"))
		return
	}
	frames := acceptsStreamFrames(r)
	w.Header().Set("Vary", "Accept")
	if frames {
		w.Header().Set("Content-Type", api.StreamFramesType)
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	enc := json.NewEncoder(w)
	keepAlive := []byte("\n")
	if frames {
		keepAlive = []byte{0, 0, 0, 0}
	}
	var frame []byte
	hb := time.NewTicker(s.cfg.Heartbeat)
	defer hb.Stop()
	for {
		changed := s.chain.HeadChanged()
		for next <= s.chain.Head().Height {
			b, err := s.chain.Block(next)
			if err != nil {
				s.cfg.Logger.Error("stream: reading block", "height", next, "err", err)
				return
			}
			if frames {
				frame, err = api.AppendStreamFrame(frame[:0], b.Block, b.Receipts, b.Signatures)
				if err != nil {
					s.cfg.Logger.Error("stream: encoding block", "height", next, "err", err)
					return
				}
				if _, err := w.Write(frame); err != nil {
					return // client went away
				}
				next++
				continue
			}
			out, err := api.NewBlock(b.Block, b.Receipts, b.Signatures)
			if err != nil {
				s.cfg.Logger.Error("stream: encoding block", "height", next, "err", err)
				return
			}
			if err := enc.Encode(out); err != nil {
				return // client went away
			}
			next++
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-hb.C:
			if _, err := w.Write(keepAlive); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.consortium.Status())
}

func (s *server) genesis(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.consortium.Genesis())
}

// readCBOR decodes a CBOR request body of at most max bytes into v.
func readCBOR(w http.ResponseWriter, r *http.Request, max int64, v any) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/cbor" {
		writeErr(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/cbor")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body over %d bytes", max))
		return false
	}
	if err := codec.API.Unmarshal(body, v); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "malformed request: "+err.Error())
		return false
	}
	return true
}

// privateErr maps private-record errors to HTTP answers; the messages say
// what is wrong but never carry record contents.
func (s *server) privateErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, node.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		writeErr(w, http.StatusServiceUnavailable, "unavailable", err.Error()+"; try again shortly")
	case errors.Is(err, node.ErrNotCustodian):
		writeErr(w, http.StatusServiceUnavailable, "not_custodian", err.Error())
	case errors.Is(err, node.ErrNoteExists):
		writeErr(w, http.StatusConflict, "exists", err.Error())
	case errors.Is(err, node.ErrStale):
		writeErr(w, http.StatusUnauthorized, "stale", err.Error())
	case errors.Is(err, node.ErrInvalid):
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, privatestore.ErrErased):
		writeErr(w, http.StatusGone, "erased", err.Error())
	case errors.Is(err, node.ErrForbidden) && strings.Contains(err.Error(), "erased"):
		writeErr(w, http.StatusGone, "erased", err.Error())
	case errors.Is(err, node.ErrForbidden):
		writeErr(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, node.ErrNotFound), errors.Is(err, privatestore.ErrNotFound):
		writeErr(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, privatestore.ErrMismatch):
		writeErr(w, http.StatusConflict, "mismatch", err.Error())
	default:
		s.internal(w, r, err)
	}
}

// MaxUploadBytes bounds an upload (PUT /v1/private/records): a record of
// up to api.MaxBodyBytes (16 MiB) of content, sealed (a header and a tag
// of under 300 bytes), with its wrapped data key (about 1.2 KiB) and the
// request's other fields.
const MaxUploadBytes = api.MaxBodyBytes + 1<<20

// upload stores a record version's ciphertext (api.UploadRequest).
func (s *server) upload(r *http.Request, req *api.UploadRequest) (any, error) {
	return nil, s.records.UploadRecord(req)
}

// fetch releases a record under a committed access (api.FetchRequest).
func (s *server) fetch(r *http.Request, req *api.FetchRequest) (any, error) {
	return s.records.FetchRecord(r.Context(), req)
}

// note keeps a break-glass note with the custodian (api.NoteRequest).
func (s *server) note(r *http.Request, req *api.NoteRequest) (any, error) {
	return nil, s.notes.DeliverNote(r.Context(), req)
}

// noteFetch releases a break-glass note to its reader
// (api.NoteFetchRequest).
func (s *server) noteFetch(r *http.Request, req *api.NoteFetchRequest) (any, error) {
	return s.notes.FetchNote(r.Context(), req)
}

// private is the handler of a signed private request: it reads a CBOR Req of at most limit bytes, hands it to
// call and answers call's errors as privateErr does, a nil answer with 204 and any other CBOR-encoded, not to be
// cached.
func private[Req any](s *server, limit int64, call func(*http.Request, *Req) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if !readCBOR(w, r, limit, &req) {
			return
		}
		resp, err := call(r, &req)
		if err != nil {
			s.privateErr(w, r, err)
			return
		}
		if resp == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		b, err := codec.Marshal(resp)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	}
}

// expiring lists members whose signing keys expire within ?within=
// (default 720h, i.e. 30 days).
func (s *server) expiring(w http.ResponseWriter, r *http.Request) {
	within := 30 * 24 * time.Hour
	if v := r.URL.Query().Get("within"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			writeErr(w, http.StatusBadRequest, "bad_request", "within must be a duration such as 720h")
			return
		}
		within = d
	}
	keys, err := s.consortium.ExpiringKeys(within)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if keys == nil {
		keys = []api.ExpiringKey{}
	}
	writeJSON(w, http.StatusOK, keys)
}

// acceptsStreamFrames reports whether the request's Accept header names
// the binary block stream (api.StreamFramesType) with a non-zero quality.
func acceptsStreamFrames(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != api.StreamFramesType {
				continue
			}
			if q, ok := params["q"]; ok {
				if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}
