package app_test

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/nodetest/logbuf"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/privacy/envelope"
)

// startPortalLogged runs a portal over n whose logs (debug and up) go to
// the returned buffer.
func startPortalLogged(t *testing.T, n *testnode.Node) (*app.Portal, *logbuf.Buffer) {
	t.Helper()
	logs := &logbuf.Buffer{}
	p, _ := runPortal(t, app.Config{Node: n.URL, Home: t.TempDir(), DevHome: n.Home,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return p, logs
}

// storeRecord seals plaintext as version 1 of record id for St Mary's
// node, uploads it as St Mary's clerk and registers it for patient-ana.
func storeRecord(t *testing.T, n *testnode.Node, id, category string, plaintext []byte) {
	t.Helper()
	clerk := devSignKey(t, n.Home, "stmarys/clerk")
	node := n.Genesis.Nodes[0]
	if node.Org != "stmarys" {
		t.Fatalf("the test node belongs to %s, not the hospital", node.Org)
	}
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Destroy()
	sealed, err := envelope.Seal(nil, dk, id, 1, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := envelope.Wrap(nil, node.EncKey.Key, node.ID, dk, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	up := &api.UploadRequest{RecordID: id, Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: "stmarys/clerk", Time: time.Now().Unix()}
	if err := api.SignPrivate(up, clerk); err != nil {
		t.Fatal(err)
	}
	if err := n.Client.UploadRecord(context.Background(), up); err != nil {
		t.Fatal(err)
	}
	h := envelope.CiphertextHash(sealed)
	n.Send(t, "stmarys/clerk", "record", "register", tx.String("record_id", id), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", h[:]),
		tx.String("patient", "stmarys/patient-ana"), tx.String("category", category))
}

const (
	readDoc = `mutation($r: ID!, $p: String!, $c: ID, $v: Int) { readRecord(record: $r, purpose: $p, consent: $c, version: $v) {
		kind recordId version content contentBase64 access { id status receipt { status } } } }`
	breakGlassDoc = `mutation($r: ID!, $why: String, $note: String) { breakGlassRead(record: $r, reason: $why, noteHash: $note) {
		kind recordId content access { id } } }`
)

// TestRecordReads: reading a record through the portal commits
// record.access signed with the viewer's key and, when the ledger grants
// it, returns the record decrypted with the viewer's key — the same bytes
// the hospital stored. The patient reads her own record, the adjuster
// reads under her consent, a physician breaks the glass (with a reason,
// which is required). Refusals are committed (the patient's access log
// shows them) and answer FORBIDDEN with the ledger's reason naming the
// consent; unknown records NOT_FOUND; read-only tokens FORBIDDEN. The
// record's content appears in no log line and no error.
func TestRecordReads(t *testing.T) {
	n := testnode.Start(t)
	p, logs := startPortalLogged(t, n)
	ana, adjuster, drLee := as(t, p, "stmarys/patient-ana"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/dr-lee")
	const marker = "Zyxwvutsrq-7f3a"
	plaintext := []byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":[{"family":"` + marker + `"}],"birthDate":"1961-07-14"}}]}`)
	storeRecord(t, n, "rec-r1", "lab", plaintext)
	var seen []string // every response, for the content scan

	read := func(c *client, doc string, vars map[string]any) *gqlResult {
		t.Helper()
		r := c.do(doc, vars)
		seen = append(seen, r.raw)
		return r
	}
	wantErr := func(r *gqlResult, code string, msg ...string) {
		t.Helper()
		if r.code() != code {
			t.Fatalf("want %s: %s", code, r.raw)
		}
		t.Logf("%s: %s", code, r.Errors[0].Message)
		for _, m := range msg {
			if !strings.Contains(r.Errors[0].Message, m) {
				t.Fatalf("error %q lacks %q", r.Errors[0].Message, m)
			}
		}
	}
	wantContent := func(r *gqlResult, field, kind string) {
		t.Helper()
		d, _ := r.Data[field].(map[string]any)
		if len(r.Errors) != 0 || d == nil || d["kind"] != kind || d["recordId"] != "rec-r1" || d["content"] != string(plaintext) {
			t.Fatalf("%s: %s", field, r.raw)
		}
		if b64, ok := d["contentBase64"]; ok && b64 != base64.StdEncoding.EncodeToString(plaintext) {
			t.Fatalf("contentBase64: %v", b64)
		}
	}

	// No consent yet: refused, committed, and the reason names the consent.
	wantErr(read(adjuster, readDoc, map[string]any{"r": "rec-r1", "p": "claims", "c": "con-r1"}), "FORBIDDEN", "refused the access", `consent "con-r1"`)
	wantErr(read(adjuster, readDoc, map[string]any{"r": "rec-r1", "p": "claims"}), "FORBIDDEN", "permission denied")

	// Ana's own record, then the adjuster under her consent.
	r := read(ana, readDoc, map[string]any{"r": "rec-r1", "p": "treatment"})
	wantContent(r, "readRecord", "GRANTED")
	if dig(r.Data, "readRecord", "version") != 1.0 || dig(r.Data, "readRecord", "access", "receipt", "status") != "OK" {
		t.Fatalf("own read: %s", r.raw)
	}
	now := time.Now().UTC()
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-r1", "g": "acme/adjuster", "p": "claims", "r": []string{"rec-r1"},
		"s": now.Add(-time.Hour).Format(time.RFC3339), "e": now.Add(24 * time.Hour).Format(time.RFC3339)})
	wantContent(read(adjuster, readDoc, map[string]any{"r": "rec-r1", "p": "claims", "c": "con-r1", "v": 1}), "readRecord", "GRANTED")
	wantErr(read(adjuster, readDoc, map[string]any{"r": "rec-r1", "p": "research", "c": "con-r1"}), "FORBIDDEN", `consent "con-r1" is for purpose "claims"`)

	// Break-glass: the reason is required, and must be a known code.
	for _, vars := range []map[string]any{{"r": "rec-r1"}, {"r": "rec-r1", "why": "  "}} {
		wantErr(read(drLee, breakGlassDoc, vars), "BAD_USER_INPUT", "needs a reason", "unconscious-patient")
	}
	wantErr(read(drLee, breakGlassDoc, map[string]any{"r": "rec-r1", "why": "curious"}), "BAD_USER_INPUT", "break_glass must be one of")
	wantErr(read(drLee, breakGlassDoc, map[string]any{"r": "rec-r1", "why": "unconscious-patient", "note": "xyz"}), "BAD_USER_INPUT", "noteHash")
	wantContent(read(drLee, breakGlassDoc, map[string]any{"r": "rec-r1", "why": "unconscious-patient", "note": sha("note")}), "breakGlassRead", "BREAK_GLASS")
	wantErr(read(adjuster, breakGlassDoc, map[string]any{"r": "rec-r1", "why": "life-threatening"}), "FORBIDDEN", "refused the access")

	// Revoked: refused with the ledger's reason.
	ana.ok("revokeConsent", consentMut("revokeConsent"), map[string]any{"id": "con-r1"})
	wantErr(read(adjuster, readDoc, map[string]any{"r": "rec-r1", "p": "claims", "c": "con-r1"}), "FORBIDDEN", `consent "con-r1" was revoked`)

	wantErr(read(adjuster, readDoc, map[string]any{"r": "rec-none", "p": "claims"}), "NOT_FOUND", `record "rec-none"`)
	wantErr(read(newClient(t, p.URL), readDoc, map[string]any{"r": "rec-r1", "p": "treatment"}), "UNAUTHENTICATED")
	ro := ana.bot("read")
	wantErr(read(ro, readDoc, map[string]any{"r": "rec-r1", "p": "treatment"}), "FORBIDDEN", "write scope")

	// Every read, granted or refused, is in Ana's access log.
	log := nodes(t, ana.do(`{ accessLog(first: 50) { nodes { kind reader } } }`, nil), "accessLog")
	var kinds []string
	for _, e := range log {
		kinds = append(kinds, dig(e, "kind").(string)+":"+dig(e, "reader").(string))
	}
	// Newest first: the read after the revocation, the adjuster's
	// break-glass, dr-lee's, the wrong purpose, the consented read, Ana's
	// own, the two refusals before the consent. Malformed requests (no
	// reason, an unknown code, a bad note hash) record no access.
	want := "REFUSED:acme/adjuster REFUSED:acme/adjuster BREAK_GLASS:stmarys/dr-lee REFUSED:acme/adjuster GRANTED:acme/adjuster " +
		"GRANTED:stmarys/patient-ana REFUSED:acme/adjuster REFUSED:acme/adjuster"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("access log:\n got %s\nwant %s", got, want)
	}

	// The disclosure record: who (roles, organisation), what, why (legal
	// basis) and the outcome, on every entry; exported for a period as
	// CSV and as FHIR AuditEvents, to the patient and not to the adjuster.
	log = nodes(t, ana.do(`{ accessLog(first: 50) { nodes { kind reader readerRoles readerOrganisation custodianName
		category basis legalBasis outcome } } }`, nil), "accessLog")
	for _, e := range log {
		if dig(e, "category") != "lab" || dig(e, "readerOrganisation") == "" || dig(e, "custodianName") == "" ||
			len(dig(e, "readerRoles").([]any)) == 0 || dig(e, "legalBasis") == "" {
			t.Fatalf("access log entry without its disclosure fields: %v", e)
		}
	}
	if e := log[2]; dig(e, "basis") != "EMERGENCY" || dig(e, "legalBasis") != "emergency access (break-glass): unconscious-patient" ||
		!slices.Contains(dig(e, "readerRoles").([]any), any("physician")) || dig(e, "outcome") != "granted" {
		t.Fatalf("the break-glass entry: %v", e)
	}
	if e := log[4]; dig(e, "basis") != "CONSENT" || dig(e, "legalBasis") != "the patient's consent con-r1 for claims" {
		t.Fatalf("the consented entry: %v", e)
	}
	if e := log[5]; dig(e, "basis") != "OWN_RECORD" || dig(e, "readerOrganisation") == "stmarys" {
		t.Fatalf("the patient's own entry (the organisation by name): %v", e)
	}
	if e := log[0]; dig(e, "basis") != "NONE" || dig(e, "outcome") != "refused" {
		t.Fatalf("a refused entry: %v", e)
	}
	exp := func(c *client, format string) *gqlResult {
		return c.do(`query($f: AccessLogFormat) { accessLogExport(patient: "stmarys/patient-ana", format: $f, from: "2000-01-01") {
			filename contentType entries content } }`, map[string]any{"f": format})
	}
	r = exp(ana, "CSV")
	rows, err := csv.NewReader(strings.NewReader(fmt.Sprint(dig(r.Data, "accessLogExport", "content")))).ReadAll()
	if err != nil || len(rows) != 9 || rows[0][0] != "time" || dig(r.Data, "accessLogExport", "entries") != 8.0 ||
		rows[1][1] != "acme/adjuster" || rows[1][13] != "refused" || rows[6][12] != "unconscious-patient" {
		t.Fatalf("CSV export (%v): %s", err, r.raw)
	}
	r = exp(ana, "AUDIT_EVENT")
	var bundle struct {
		ResourceType string
		Entry        []struct {
			Resource struct {
				ResourceType, Outcome string
				PurposeOfEvent        []struct{ Coding []struct{ Code string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(dig(r.Data, "accessLogExport", "content"))), &bundle); err != nil ||
		bundle.ResourceType != "Bundle" || len(bundle.Entry) != 8 || dig(r.Data, "accessLogExport", "contentType") != "application/fhir+json" {
		t.Fatalf("FHIR export (%v): %s", err, r.raw)
	}
	var emergencies, failures int
	for _, e := range bundle.Entry {
		if e.Resource.ResourceType != "AuditEvent" {
			t.Fatalf("a bundle entry that is no AuditEvent: %+v", e)
		}
		for _, p := range e.Resource.PurposeOfEvent {
			for _, c := range p.Coding {
				if c.Code == "ETREAT" {
					emergencies++
				}
			}
		}
		if e.Resource.Outcome == "4" {
			failures++
		}
	}
	if emergencies != 1 || failures != 5 {
		t.Fatalf("FHIR export: %d emergency accesses (want 1), %d refused (want 5)", emergencies, failures)
	}
	wantErr(exp(adjuster, "CSV"), "FORBIDDEN")

	// The consents granted to the adjuster (to the member, not to Acme);
	// another organisation's are refused.
	granted := func(q string) []any {
		return nodes(t, adjuster.do(`{ consentsGranted`+q+` { nodes { id status patient } } }`, nil), "consentsGranted")
	}
	if g := granted(`(grantee: "acme/adjuster")`); len(g) != 1 || dig(g[0], "id") != "con-r1" || dig(g[0], "status") != "INACTIVE" {
		t.Fatalf("consents granted to the adjuster: %v", g)
	}
	if g := granted(`(grantee: "acme/adjuster", status: ACTIVE)`); len(g) != 0 {
		t.Fatalf("active consents granted to the adjuster after the revocation: %v", g)
	}
	if g := granted(""); len(g) != 0 {
		t.Fatalf("consents granted to Acme (none: con-r1 names the adjuster): %v", g)
	}
	wantErr(adjuster.do(`{ consentsGranted(grantee: "stmarys") { nodes { id } } }`, nil), "FORBIDDEN")

	// The content went to its readers only: no log line, no error has it.
	if l := logs.String(); strings.Contains(l, marker) || !strings.Contains(l, "record read") {
		t.Fatalf("the portal's log has the record's content, or no read: %s", l)
	}
	for _, s := range seen {
		if strings.Contains(s, marker) && !strings.Contains(s, `"content"`) {
			t.Fatalf("an error carries the record's content: %s", s)
		}
	}
}
