package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/gqlhttp"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/server"
	"github.com/almoner/almoner/portal/session"
	"github.com/almoner/almoner/privacy/envelope"
)

const (
	uploadDoc = `mutation($id: ID!, $p: ID!, $cat: String!, $f: Upload!) { registerRecord(id: $id, patient: $p, category: $cat, file: $f, wait: true) { ` +
		txFields + ` } }`
	readContentDoc = `mutation($r: ID!) { readRecord(record: $r, purpose: "treatment") { recordId version content } }`
)

// multipartRequest builds a GraphQL multipart request
// (graphql-multipart-request-spec) whose variable f is file; it returns
// the body and its Content-Type.
func multipartRequest(query string, vars map[string]any, filename string, file []byte) ([]byte, string) {
	vars["f"] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	body := bytes.NewBuffer(make([]byte, 0, len(file)+len(ops)+1024))
	w := multipart.NewWriter(body)
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0":["variables.f"]}`)
	fw, _ := w.CreateFormFile("0", filename)
	_, _ = fw.Write(file)
	_ = w.Close()
	return body.Bytes(), w.FormDataContentType()
}

// upload sends a GraphQL multipart request whose variable f is file.
func (c *client) upload(query string, vars map[string]any, filename string, file []byte) *gqlResult {
	c.t.Helper()
	body, ct := multipartRequest(query, vars, filename, file)
	return c.result(c.gc.Post(context.Background(), ct, body))
}

// bundleOf returns a FHIR Bundle of exactly size bytes: the entries of
// the Synthea bundles in ../shared/fhir, again and again (or generated
// Observations without them), then white space.
func bundleOf(t *testing.T, size int) []byte {
	t.Helper()
	var entries []json.RawMessage
	for i := 1; i <= 6; i++ {
		b, err := os.ReadFile(fmt.Sprintf("../../../shared/fhir/synthea-%d.json", i))
		if err != nil {
			continue
		}
		var bundle struct{ Entry []json.RawMessage }
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, bundle.Entry...)
	}
	if len(entries) == 0 {
		entries = []json.RawMessage{json.RawMessage(`{"resource":{"resourceType":"Observation","status":"final","valueQuantity":{"value":72,"unit":"beats/min"}}}`)}
	}
	out := []byte(`{"resourceType":"Bundle","type":"collection","entry":[`)
	for i := 0; ; i++ {
		e := entries[i%len(entries)]
		if len(out)+len(e)+3 > size {
			break
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	out = append(out, ']')
	out = append(out, bytes.Repeat([]byte(" "), size-len(out)-1)...)
	out = append(out, '}')
	if len(out) != size || !json.Valid(out) {
		t.Fatalf("a bundle of %d bytes (valid JSON: %v), want %d", len(out), json.Valid(out), size)
	}
	return out
}

// allocsBySide returns the bytes allocated since before (a snapshot of
// runtime.MemProfile), by the side whose code allocated them: "portal"
// when the allocating stack runs through the portal (portal, graphql, the
// node API client, fasthttp, fiber), "node" when through the node
// (consortium-node's node, API server and private store, goleveldb,
// raft), "client" for the test's own HTTP client, else "other". It also
// lists the sites of 8 MiB or more.
func allocsBySide(before map[[32]uintptr]int64) (map[string]int64, []string) {
	out := map[string]int64{}
	var sites []string
	for stk, b := range memProfile() {
		d := b - before[stk]
		if d <= 0 {
			continue
		}
		side, site := "other", ""
		frames := runtime.CallersFrames(stk[:])
		for {
			f, more := frames.Next()
			fn := f.Function
			switch {
			case strings.Contains(fn, "portal/app_test"):
				side = "client"
			case side == "client":
			case strings.Contains(fn, "almoner/portal") || strings.Contains(fn, "almoner/graphql") || strings.Contains(fn, "api/client") ||
				strings.Contains(fn, "fasthttp") || strings.Contains(fn, "gofiber"):
				side = "portal"
			case side == "other" && (strings.Contains(fn, "consortium-node") || strings.Contains(fn, "goleveldb") || strings.Contains(fn, "etcd.io/raft")):
				side = "node"
			}
			if site == "" && strings.Contains(fn, "almoner") {
				site = fn[strings.LastIndex(fn, "/")+1:]
			}
			if !more {
				break
			}
		}
		out[side] += d
		if d >= 8<<20 {
			sites = append(sites, fmt.Sprintf("%s %s %.1f MiB", side, site, float64(d)/(1<<20)))
		}
	}
	slices.Sort(sites)
	return out, sites
}

// memProfile returns the bytes allocated so far by stack (the profile of
// two GC cycles ago: run runtime.GC twice first).
func memProfile() map[[32]uintptr]int64 {
	var recs []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+64)
	}
	out := map[[32]uintptr]int64{}
	for _, r := range recs {
		out[r.Stack0] += r.AllocBytes
	}
	return out
}

// heapPeak samples the heap's objects (live, and dead ones not yet
// swept) until stop is called, which returns the highest sample above
// the level when it started.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		if p := peak.Load(); p > base {
			return p - base
		}
		return 0
	}
}

// TestRecordOfRealSize: a 16 MiB FHIR bundle (the limit) is registered
// through the portal as the file of a GraphQL multipart request, sealed
// and stored on the custodian, and read back by its patient byte for
// byte; a JSON body over its limit, and a file over its limit, answer 413
// PAYLOAD_TOO_LARGE saying the limit.
func TestRecordOfRealSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a 16 MiB record")
	}
	// The portal's HTTP server as configured by default: multipart bodies
	// of up to schema.MaxUploadRequestBytes on /graphql, JSON bodies (and
	// every other route) up to its 1 MiB BodyLimit.
	_, p := startPortal(t, server.Config{RequestTimeout: 2 * time.Minute}) // the race detector slows 16 MiB down
	clerk, ana := as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana")
	bundle := bundleOf(t, schema.MaxUploadFileBytes)

	// Every allocation of 512 KiB or more is in the memory profile.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 512 << 10
	runtime.GC()
	runtime.GC()
	profile := memProfile()
	stop := heapPeak()
	start := time.Now()
	r := clerk.upload(uploadDoc, map[string]any{"id": "rec-16mib", "p": "stmarys/patient-ana", "cat": "bundle"}, "bundle.json", bundle)
	took, peak := time.Since(start), stop()
	if len(r.Errors) != 0 || dig(r.Data, "registerRecord", "receipt", "status") != "OK" {
		t.Fatalf("registering a %d-byte bundle: %.500s", len(bundle), r.raw)
	}
	runtime.GC()
	runtime.GC()
	sides, sites := allocsBySide(profile)
	mib := func(n int64) string {
		return fmt.Sprintf("%.1f MiB (%.1f times the record)", float64(n)/(1<<20), float64(n)/float64(len(bundle)))
	}
	t.Logf("registered a record of %d bytes in %v; the heap (portal, node and test client in one process) peaked %.1f MiB above its level before",
		len(bundle), took.Round(time.Millisecond), float64(peak)/(1<<20))
	t.Logf("allocated for it: by the portal %s, by the node %s, by the test's client %s, other %s; large allocations: %s", mib(sides["portal"]),
		mib(sides["node"]), mib(sides["client"]), mib(sides["other"]), strings.Join(sites, "; "))

	// The portal's own work, without its HTTP server: the GraphQL
	// handler over a request body as the server holds it.
	h, err := gqlhttp.New(gqlhttp.Config{Schema: p.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartRequest(uploadDoc, map[string]any{"id": "rec-16mib-2", "p": "stmarys/patient-ana", "cat": "bundle"}, "bundle.json", bundle)
	runtime.GC()
	runtime.GC()
	profile = memProfile()
	resp := h.Serve(context.Background(), gqlhttp.Request{Method: http.MethodPost, ContentType: ct, Body: body,
		Principal: &session.Principal{Account: "stmarys/clerk", Via: "session", Scopes: []string{session.ScopeRead, session.ScopeWrite}}})
	runtime.GC()
	runtime.GC()
	sides, sites = allocsBySide(profile)
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"status":"OK"`) {
		t.Fatalf("registering through the handler: %d %.300s", resp.Status, resp.Body)
	}
	t.Logf("the portal's GraphQL handler, given the request body, allocated %s to register the record (the node %s): %s",
		mib(sides["portal"]), mib(sides["node"]), strings.Join(slices.DeleteFunc(sites, func(s string) bool { return !strings.HasPrefix(s, "portal") }), "; "))
	// Sealing (1), signing the upload (api.PrivateSignBytes: the
	// encoding and the domain-prefixed message, 2) and the client's
	// encoding (1), with the CBOR encoder's pooled buffer grown again
	// when a GC emptied the pool (up to 1 per encoding): not a copy more
	// per step.
	if sides["portal"] > 7*int64(len(bundle)) {
		t.Errorf("the portal allocated %s for one record: more than sealing, signing and encoding it", mib(sides["portal"]))
	}

	start = time.Now()
	got := ana.do(readContentDoc, map[string]any{"r": "rec-16mib"})
	content, _ := dig(got.Data, "readRecord", "content").(string)
	if len(got.Errors) != 0 || content != string(bundle) {
		t.Fatalf("read back %d bytes of %d: %.300s", len(content), len(bundle), got.raw)
	}
	t.Logf("read it back in %v", time.Since(start).Round(time.Millisecond))

	for _, c := range []struct {
		name string
		do   func() *gqlResult
		say  string
	}{
		{"a JSON body over 1 MiB", func() *gqlResult {
			return clerk.do(registerDoc, map[string]any{"id": "rec-json", "p": "stmarys/patient-ana", "cat": "bundle", "c": string(bundle[:1<<20])})
		}, "the request body is over the limit of 1 MiB (1048576 bytes)"},
		{"a file over 16 MiB", func() *gqlResult {
			return clerk.upload(uploadDoc, map[string]any{"id": "rec-big", "p": "stmarys/patient-ana", "cat": "bundle"}, "big.json",
				append(bytes.Clone(bundle), ' '))
		}, `big.json\" is over the limit of 16 MiB (16777216 bytes)`},
	} {
		r := c.do()
		if r.Status != http.StatusRequestEntityTooLarge || r.code() != schema.CodePayloadTooLarge || !strings.Contains(r.raw, c.say) {
			t.Errorf("%s: %d %.300s", c.name, r.Status, r.raw)
		}
	}
}

// TestRefusedRegistrationLeavesTheIDUsable: what the ledger would refuse
// (an unknown category, a patient who is no member, a member who is no
// patient) the portal refuses before uploading anything; an upload whose
// registration the ledger refused anyway (sent around the portal) does
// not keep its id: the portal registers the same id with other content
// next, and the patient reads that content.
func TestRefusedRegistrationLeavesTheIDUsable(t *testing.T) {
	n, p := startPortal(t, server.Config{})
	clerk, ana := as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana")
	const content = `{"resourceType":"Bundle","type":"collection","id":"the-registered-one"}`
	height := func() uint64 {
		st, err := n.Client.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.Height
	}
	before := height()
	for _, c := range []struct{ patient, category, say string }{
		{"stmarys/patient-ana", "gossip", "one of encounter, lab"},
		{"stmarys/nobody", "lab", "is not a member"},
		{"stmarys/dr-lee", "lab", "not an active patient member"},
	} {
		r := clerk.do(registerDoc, map[string]any{"id": "rec-again", "p": c.patient, "cat": c.category, "c": content})
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, c.say) {
			t.Fatalf("registering for %s as %s: %s", c.patient, c.category, r.raw)
		}
	}
	if h := height(); h != before {
		t.Fatalf("refused registrations reached the ledger: height %d, was %d", h, before)
	}

	// Around the portal: an upload of version 1, and a registration the
	// ledger refuses.
	refused := uploadAround(t, n, "stmarys/clerk", "rec-again", `{"resourceType":"Bundle","id":"refused"}`)
	st := n.Send(t, "stmarys/clerk", "record", "register", tx.String("record_id", "rec-again"), tx.Uint("version", 1),
		tx.Bytes("ciphertext_hash", refused[:]), tx.String("patient", "stmarys/patient-ana"), tx.String("category", "gossip"))
	if st.Receipt == nil || st.Receipt.OK() {
		t.Fatalf("the ledger took a registration with an unknown category: %+v", st)
	}
	clerk.ok("registerRecord", registerDoc, map[string]any{"id": "rec-again", "p": "stmarys/patient-ana", "cat": "lab", "c": content})
	got := ana.do(readContentDoc, map[string]any{"r": "rec-again"})
	if c, _ := dig(got.Data, "readRecord", "content").(string); c != content || dig(got.Data, "readRecord", "version") != float64(1) {
		t.Fatalf("reading the record registered after a refusal: %s", got.raw)
	}
}

// uploadAround seals plaintext as version 1 of record id for the dev
// node and uploads it as member, without the portal; it returns the
// ciphertext hash.
func uploadAround(t *testing.T, n *testnode.Node, member, id, plaintext string) [32]byte {
	t.Helper()
	key := devSignKey(t, n.Home, member)
	node := n.Genesis.Nodes[0]
	dk, _ := envelope.NewDataKey(nil)
	sealed, err := envelope.Seal(nil, dk, id, 1, []byte(plaintext))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := envelope.Wrap(nil, node.EncKey.Key, node.ID, dk, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	req := &api.UploadRequest{RecordID: id, Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: member, Time: time.Now().Unix()}
	if err := api.SignPrivate(req, key); err != nil {
		t.Fatal(err)
	}
	if err := n.Client.UploadRecord(context.Background(), req); err != nil {
		t.Fatalf("uploading %s around the portal: %v", id, err)
	}
	h := envelope.CiphertextHash(sealed)
	t.Logf("uploaded %s around the portal: ciphertext %s", id, hex.EncodeToString(h[:8]))
	return h
}
