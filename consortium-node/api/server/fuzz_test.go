package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// The fuzz targets of this file send what a network client controls
// (request bodies, content types, paths, queries, the Authorization
// header) to the real handler in front of a real, running one-node
// consortium whose node keeps private records. Every answer must be
// well-formed: 2xx, or 4xx with a JSON api.Error; never a panic and never
// a 5xx, which would blame the node for the client's malformed request.

// fuzzServer is a running custodian node behind the real handler, served
// in process (panics reach the fuzzer; net/http would swallow them).
type fuzzServer struct {
	g      *genesis.File
	n      *node.Node
	h      http.Handler
	nodeID string
	keys   map[string]*sign.PrivateKey
	nodeEK *envelope.ReaderKey
	seq    uint64
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	dir, g, _ := devtest.OneNode(f)
	var err error
	s := &fuzzServer{g: g, nodeID: g.Nodes[0].ID, keys: map[string]*sign.PrivateKey{}}
	for id, kf := range testkeys.Pin(f, g) {
		if s.keys[id], err = kf.SignKey(); err != nil {
			f.Fatal(err)
		}
		if id == s.nodeID {
			if s.nodeEK, err = kf.ReaderKey(); err != nil {
				f.Fatal(err)
			}
		}
	}
	s.n, _ = runNode(f, node.Config{
		DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: s.nodeID, Key: s.keys[s.nodeID], EncKey: s.nodeEK,
		TickInterval: 10 * time.Millisecond,
	})
	// A short MaxWait: a fuzzed ?wait=true&timeout= costs little.
	s.h, err = server.New(server.Config{Backend: s.n, MaxWait: 100 * time.Millisecond, Heartbeat: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// serve runs one request through the handler and checks its answer.
func (s *fuzzServer) serve(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	func() {
		defer func() {
			// net/http's way to cut a response short (a backup whose
			// client went away): the server closes the connection.
			if p := recover(); p != nil && p != http.ErrAbortHandler {
				panic(p)
			}
		}()
		s.h.ServeHTTP(w, r)
	}()
	if w.Code < 400 {
		return w
	}
	var e api.Error
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Code == "" {
		// A batch refused as a whole answers 400 with per-tx results.
		var sr api.SubmitResponse
		if r.URL.Path != "/v1/txs" || w.Code != http.StatusBadRequest || json.Unmarshal(w.Body.Bytes(), &sr) != nil ||
			len(sr.Results) == 0 {
			t.Fatalf("%s %s answered %d without a JSON error (%v): %q", r.Method, r.URL, w.Code, err, w.Body.Bytes())
		}
	}
	if w.Code >= 500 && !unavailable(r, e) {
		t.Fatalf("%s %s answered %d: %s", r.Method, r.URL, w.Code, w.Body.Bytes())
	}
	return w
}

// unavailable: the one 5xx a well-formed request may get here, 503 for
// a custodian organisation that runs no node this node reaches (a portal
// asks before it commits an access; a single node reaches no other).
func unavailable(r *http.Request, e api.Error) bool {
	org, ok := strings.CutPrefix(r.URL.Path, "/v1/private/custodians/")
	return ok && e.Code == "unavailable" && identity.ValidateID(org, false) == nil
}

// post builds a request with a body and Content-Type; nil when target is
// not a URL a client could send.
func post(method, target, ctype string, body []byte) *http.Request {
	r, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		return nil
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	r.RemoteAddr = "192.0.2.1:1234"
	return r
}

// goodTx is a fresh transaction that commits.
func (s *fuzzServer) goodTx(f *testing.F) []byte {
	f.Helper()
	s.seq++
	kf, err := genesis.NewKeyFile(fmt.Sprintf("stmarys/fuzz-%d", s.seq), nil)
	if err != nil {
		f.Fatal(err)
	}
	sk, _ := kf.SignKey()
	ek, _ := kf.EncryptionKey()
	st, err := tx.Sign(tx.Body{ChainID: s.g.ChainID, Sender: "stmarys/admin", Nonce: s.seq,
		Expiry: s.n.NextHeight() + 1000,
		Call: tx.Call{Contract: identity.Name, Method: "add_member", Args: tx.Args{
			tx.String("id", kf.ID), tx.Strings("roles", []string{identityvocab.RolePatient}),
			tx.String("sign_key", sk.Public().String()), tx.String("enc_key", ek.String()),
		}}}, s.keys["stmarys/admin"])
	if err != nil {
		f.Fatal(err)
	}
	raw, err := st.Encode()
	if err != nil {
		f.Fatal(err)
	}
	return raw
}

// FuzzSubmit: POST /v1/txs with any Content-Type, query and body.
func FuzzSubmit(f *testing.F) {
	s := newFuzzServer(f)
	raw := s.goodTx(f)
	cb, _ := codec.Marshal([][]byte{raw})
	jb, _ := json.Marshal(api.SubmitRequest{Txs: [][]byte{s.goodTx(f)}})
	f.Add("application/cbor", "", cb)
	f.Add("application/cbor", "wait=true&timeout=50ms", cb)
	f.Add("application/json; charset=utf-8", "wait=true", jb)
	f.Add("application/json", "timeout=-1s", []byte(`{"txs":["AAEC"]}`))
	f.Add("application/cbor", "", []byte{0x9f, 0x41, 0x00, 0xff}) // indefinite length
	f.Add("text/plain", "", []byte("hello"))
	f.Fuzz(func(t *testing.T, ctype, query string, body []byte) {
		if r := post(http.MethodPost, "/v1/txs?"+query, ctype, body); r != nil {
			w := s.serve(t, r)
			if w.Code/100 == 2 {
				var out api.SubmitResponse
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Results) == 0 {
					t.Fatalf("accepted submission answered %q (%v)", w.Body.Bytes(), err)
				}
			}
		}
	})
}

// fuzzSigners sign fuzzed uploads and fetches: records staff, a physician,
// a patient, another organisation's admin, and someone who is no member.
var fuzzSigners = []string{"stmarys/clerk", "stmarys/dr-lee", "stmarys/patient-ana", "acme/admin", "nobody/x"}

// signPrivate signs req as id (a key that is no member's for an unknown id).
func (s *fuzzServer) signPrivate(t testing.TB, id string, req any) {
	t.Helper()
	k := s.keys[id]
	if k == nil {
		k = s.keys[s.nodeID] // a node key: no member's
	}
	if err := api.SignPrivate(req, k); err != nil {
		t.Fatal(err)
	}
}

// upload seals plaintext properly for the node under recordID/version and
// returns the signed request.
func (s *fuzzServer) upload(t testing.TB, who, recordID string, version uint64, plaintext []byte) *api.UploadRequest {
	t.Helper()
	sealed, wrapped, err := envelope.SealFor(nil, s.g.Nodes[0].EncKey.Key, s.nodeID, recordID, version, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	req := &api.UploadRequest{RecordID: recordID, Version: version, Sealed: sealed, Wrapped: wrapped, Uploader: who,
		Time: time.Now().Unix()}
	s.signPrivate(t, who, req)
	return req
}

// FuzzUpload: PUT /v1/private/records with any Content-Type and body.
func FuzzUpload(f *testing.F) {
	s := newFuzzServer(f)
	good, _ := codec.Marshal(s.upload(f, "stmarys/clerk", "rec-1", 1, []byte(`{"note":"x"}`)))
	f.Add("application/cbor", good)
	f.Add("application/cbor", []byte{0x87, 0x60, 0x00, 0x40, 0x40, 0x60, 0x00, 0x40})
	f.Add("application/json", []byte(`{}`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		if r := post(http.MethodPut, "/v1/private/records", ctype, body); r != nil {
			s.serve(t, r)
		}
	})
}

// FuzzUploadSigned: uploads correctly signed by members (records staff
// and others) at the node's time, carrying fuzzed record ids, versions,
// ciphertexts and wrapped keys, or (seal) a fuzzed plaintext sealed and
// wrapped properly for the node under the fuzzed id and version.
func FuzzUploadSigned(f *testing.F) {
	s := newFuzzServer(f)
	f.Add(uint8(0), true, "rec-1", uint64(1), []byte(`{"note":"x"}`), []byte{})
	f.Add(uint8(0), true, "rec-1", uint64(2), []byte(`{}`), []byte{})
	f.Add(uint8(1), false, "rec-2", uint64(1), []byte{1, 2, 3}, []byte{4, 5, 6})
	f.Add(uint8(3), true, "rec-3", uint64(1), []byte(`{}`), []byte{})
	f.Fuzz(func(t *testing.T, who uint8, seal bool, recordID string, version uint64, sealed, wrapped []byte) {
		id := fuzzSigners[int(who)%len(fuzzSigners)]
		var req *api.UploadRequest
		if seal {
			if req = s.upload(t, id, recordID, version, sealed); req == nil {
				return // envelope refuses to seal under this id or version
			}
		} else {
			req = &api.UploadRequest{RecordID: recordID, Version: version, Sealed: sealed, Wrapped: wrapped, Uploader: id,
				Time: time.Now().Unix()}
			s.signPrivate(t, id, req)
		}
		body, err := codec.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		s.serve(t, post(http.MethodPut, "/v1/private/records", "application/cbor", body))
	})
}

// FuzzFetch: POST /v1/private/fetch with any Content-Type and body, and
// fetches correctly signed by members naming fuzzed access ids.
func FuzzFetch(f *testing.F) {
	s := newFuzzServer(f)
	req := &api.FetchRequest{AccessID: tx.ID{1}, Reader: "stmarys/dr-lee", Time: time.Now().Unix()}
	s.signPrivate(f, req.Reader, req)
	good, _ := codec.Marshal(req)
	f.Add(uint8(0), "application/cbor", good)
	f.Add(uint8(1), "", bytes.Repeat([]byte{2}, 32))
	f.Add(uint8(0), "application/cbor", []byte{0x84, 0x58, 0x20})
	f.Add(uint8(0), "application/json", []byte(`{"access_id":"00"}`))
	f.Fuzz(func(t *testing.T, mode uint8, ctype string, body []byte) {
		if mode%2 == 1 { // body is the access id; the request is signed
			var access tx.ID
			copy(access[:], body)
			req := &api.FetchRequest{AccessID: access, Reader: fuzzSigners[int(mode/2)%len(fuzzSigners)],
				Time: time.Now().Unix()}
			s.signPrivate(t, req.Reader, req)
			ctype = "application/cbor"
			body, _ = codec.Marshal(req)
		}
		if r := post(http.MethodPost, "/v1/private/fetch", ctype, body); r != nil {
			w := s.serve(t, r)
			if w.Code == http.StatusOK {
				var resp api.FetchResponse
				if err := codec.API.Unmarshal(w.Body.Bytes(), &resp); err != nil {
					t.Fatalf("fetch answered 200 with %x: %v", w.Body.Bytes(), err)
				}
			}
		}
	})
}

// FuzzNote: POST /v1/private/notes and /v1/private/notes/fetch with any
// Content-Type and body (the decoders of api.NoteRequest and
// api.NoteFetchRequest), and note deliveries correctly signed by members,
// carrying fuzzed access ids, kinds, sealed notes and wrapped keys. No
// access of the fuzz consortium is a break-glass access with a note hash,
// so nothing may ever be accepted.
func FuzzNote(f *testing.F) {
	s := newFuzzServer(f)
	req := &api.NoteRequest{AccessID: tx.ID{1}, Kind: api.NoteReason, Sealed: []byte{1}, Sender: "stmarys/dr-lee",
		Keys: []api.NoteKey{{Node: s.nodeID, Wrapped: []byte{2}}}, Time: time.Now().Unix()}
	s.signPrivate(f, req.Sender, req)
	good, _ := codec.Marshal(req)
	fr := &api.NoteFetchRequest{AccessID: tx.ID{1}, Kind: api.NoteReview, Reader: "stmarys/patient-ana", Time: time.Now().Unix()}
	s.signPrivate(f, fr.Reader, fr)
	goodFetch, _ := codec.Marshal(fr)
	f.Add(uint8(0), "application/cbor", good, "")
	f.Add(uint8(2), "application/cbor", goodFetch, "")
	f.Add(uint8(1), "", bytes.Repeat([]byte{2}, 40), api.NoteReason)
	f.Add(uint8(3), "", bytes.Repeat([]byte{3}, 40), "review")
	f.Add(uint8(0), "application/cbor", []byte{0x88, 0x58, 0x20}, "")
	f.Add(uint8(0), "application/json", []byte(`{"kind":"reason"}`), "")
	f.Fuzz(func(t *testing.T, mode uint8, ctype string, body []byte, kind string) {
		path := "/v1/private/notes"
		if mode&2 != 0 {
			path += "/fetch"
		}
		if mode&1 == 1 { // body is the access id and the note; the request is signed
			var access tx.ID
			copy(access[:], body)
			who := fuzzSigners[int(mode/4)%len(fuzzSigners)]
			var req any = &api.NoteFetchRequest{AccessID: access, Kind: kind, Reader: who, Time: time.Now().Unix()}
			if mode&2 == 0 {
				req = &api.NoteRequest{AccessID: access, Kind: kind, Sealed: body, Sender: who, Time: time.Now().Unix(),
					Keys: []api.NoteKey{{Node: s.nodeID, Wrapped: body}}}
			}
			s.signPrivate(t, who, req)
			ctype = "application/cbor"
			body, _ = codec.Marshal(req)
		}
		if r := post(http.MethodPost, path, ctype, body); r != nil {
			w := s.serve(t, r)
			if w.Code/100 == 2 {
				t.Fatalf("POST %s accepted a note no access carries: %d %s", path, w.Code, w.Body.Bytes())
			}
		}
	})
}

// fuzzRoutes are the GET routes; %s is the fuzzed path parameter.
var fuzzRoutes = []string{
	"/v1/txs/%s", "/v1/blocks/%s", "/v1/blocks/hash/%s", "/v1/stream", "/v1/keys/expiring", "/v1/proposals/%s",
	"/v1/private/custodians/%s", "/v1/nodes", "/v1/policy", "/v1/status", "/v1/genesis", "/v1/%s",
}

// FuzzGet: the GET routes with fuzzed path parameters (escaped as the
// client does, or raw) and queries, signed by the node (which may read
// everything), by a member (who may read some), or anonymous.
func FuzzGet(f *testing.F) {
	s := newFuzzServer(f)
	head := s.n.Head()
	f.Add(uint8(0), uint8(0), tx.ID{1}.String(), "")
	f.Add(uint8(1), uint8(0), "latest", "")
	f.Add(uint8(1), uint8(1), "0", "")
	f.Add(uint8(1), uint8(0), "18446744073709551615", "")
	f.Add(uint8(2), uint8(0), head.Hash.String(), "")
	f.Add(uint8(3), uint8(0), "", "from=0")
	f.Add(uint8(3), uint8(0), "", "from=18446744073709551615")
	f.Add(uint8(4), uint8(0), "", "within=720h")
	f.Add(uint8(4), uint8(0), "", "within=2562047h")
	f.Add(uint8(5), uint8(1), "prop-1", "")
	f.Add(uint8(6), uint8(1), "stmarys", "")
	f.Add(uint8(6), uint8(0), "acme", "")
	f.Add(uint8(7), uint8(2), "", "")
	f.Add(uint8(8), uint8(1), "", "")
	f.Add(uint8(0x80|11), uint8(0), "blocks/../txs/%zz", "a=%zz")
	f.Fuzz(func(t *testing.T, route, who uint8, param, query string) {
		tmpl := fuzzRoutes[int(route&0x7f)%len(fuzzRoutes)]
		p := url.PathEscape(param)
		if route&0x80 != 0 {
			p = param
		}
		target := tmpl
		if strings.Contains(tmpl, "%s") {
			target = fmt.Sprintf(tmpl, p)
		}
		if query != "" {
			target += "?" + query
		}
		// A cancelled request: a stream writes what is committed and ends.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return
		}
		switch who % 3 {
		case 0:
			r.Header.Set(api.AuthHeader, api.AuthValue(s.nodeID, s.keys[s.nodeID], r.Method, r.URL.RequestURI(),
				time.Now(), nil))
		case 1:
			r.Header.Set(api.AuthHeader, api.AuthValue("stmarys/dr-lee", s.keys["stmarys/dr-lee"], r.Method,
				r.URL.RequestURI(), time.Now(), nil))
		}
		s.serve(t, r)
	})
}

// FuzzAuthorization: the Authorization header of a read, raw or built
// from a fuzzed caller id, time offset and signature.
func FuzzAuthorization(f *testing.F) {
	s := newFuzzServer(f)
	good := api.AuthValue(s.nodeID, s.keys[s.nodeID], http.MethodGet, "/v1/nodes", time.Now(), nil)
	goodID, goodT, goodSig, err := api.ParseAuth(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(false, good, int64(0), []byte{})
	f.Add(true, "stmarys/admin", int64(0), bytes.Repeat([]byte{1}, 64))
	f.Add(true, s.nodeID, int64(-400), bytes.Repeat([]byte{2}, 64))
	f.Add(true, "identity/member/x", int64(0), []byte{})
	f.Add(false, api.AuthScheme+" id=,t=,sig=", int64(0), []byte{})
	f.Fuzz(func(t *testing.T, build bool, v string, offset int64, sig []byte) {
		if build {
			v = fmt.Sprintf("%s id=%s,t=%s,sig=%s", api.AuthScheme, v, strconv.FormatInt(time.Now().Unix()+offset, 10),
				base64.RawURLEncoding.EncodeToString(sig))
		}
		r, _ := http.NewRequest(http.MethodGet, "/v1/nodes", http.NoBody)
		r.Header.Set(api.AuthHeader, v)
		w := s.serve(t, r)
		if w.Code == http.StatusOK {
			id, at, sig, err := api.ParseAuth(v)
			if err != nil || id != goodID || at != goodT || !bytes.Equal(sig, goodSig) {
				body, _ := io.ReadAll(w.Body)
				t.Fatalf("a forged Authorization %q was let in: %s", v, body)
			}
		}
	})
}
