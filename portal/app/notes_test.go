package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	nodeclient "github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest/logbuf"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/privacy/envelope"
)

// twoHospitals is a consortium of two hospitals and a regulator, each
// with its own nodes (St Mary's two) and its own portal holding only its
// own members' keys: City General's physician reads St Mary's records in
// emergencies.
func twoHospitals(t *testing.T, logs map[string]*logbuf.Buffer) *consortium {
	t.Helper()
	orgs := []identity.Org{devnet.Orgs[0], {ID: "citygen", Kind: identityvocab.KindHospital, Name: "City General"},
		devnet.Orgs[3]}
	c := testnode.StartClusterWith(t, devnet.Options{Nodes: len(orgs) + 1, Orgs: orgs,
		ExtraMembers: []devnet.Account{{ID: "citygen/admin", Roles: []string{identityvocab.RoleOrgAdmin}},
			{ID: "citygen/dr-ray", Roles: []string{identityvocab.RolePhysician}}}})
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
		logs[o.ID] = &logbuf.Buffer{}
	}
	return portalsOf(t, c, ids, func(org string) *slog.Logger {
		return slog.New(slog.NewTextHandler(logs[org], &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
}

const (
	bgNoteDoc = `mutation($r: ID!, $note: String, $hash: String) {
		breakGlassRead(record: $r, reason: "unconscious-patient", note: $note, noteHash: $hash) {
		kind content access { id } noteDelivery { delivered error code } } }`
	sendNoteDoc  = `mutation($a: ID!, $note: String!, $k: AccessNoteKind) { sendAccessNote(access: $a, note: $note, kind: $k) { delivered } }`
	noteQueueDoc = `query($c: ID) { breakGlassQueue(custodian: $c) { nodes { id reader recordId recordVersion noteHash
		note { text verified problem } reviewed review { outcome } reviewNote { text verified problem } } } }`
	reviewNoteDoc = `mutation($a: ID!, $note: String) { reviewBreakGlass(access: $a, outcome: "justified", note: $note) { status receipt { status error } } }`
)

// TestBreakGlassNotes: a physician of City General breaks the glass on a
// record St Mary's keeps, with a written reason, on City General's portal.
// The reason reaches St Mary's privacy officer on St Mary's portal (and
// the regulator's auditor on the regulator's), verified against the
// ledger's SHA-256, and the privacy officer's review note is kept the same
// way; the text is on no node, portal or ledger in plain form. A note from
// someone who is not the access's reader, for a consented access, with a
// wrong hash, too big, or a second time is refused with a clear error and
// stores nothing.
func TestBreakGlassNotes(t *testing.T) {
	start := time.Now()
	logs := map[string]*logbuf.Buffer{}
	k := twoHospitals(t, logs)
	t.Logf("%d nodes and 3 portals up in %v", len(k.c.Nodes), time.Since(start).Round(time.Millisecond))
	clerk, ray := k.as(t, "stmarys/clerk"), k.as(t, "citygen/dr-ray")
	privacy, auditor, ana := k.as(t, "stmarys/privacy"), k.as(t, "healthreg/auditor"), k.as(t, "stmarys/patient-ana")
	content := `{"resourceType":"AllergyIntolerance","code":{"text":"Penicillin"}}`
	clerk.ok("registerRecord", registerDoc, map[string]any{"id": "rec-n1", "p": "stmarys/patient-ana", "cat": "lab", "c": content})
	k.synced(t)

	// Distinctive words, so that a search of every store finds them if
	// they were kept in plain form anywhere.
	reason := "Found unresponsive at Quixotic Junction; paramedics report zygomatic fracture, checking allergies before sedation."
	r := ray.do(bgNoteDoc, map[string]any{"r": "rec-n1", "note": reason})
	if len(r.Errors) != 0 || dig(r.Data, "breakGlassRead", "content") != content ||
		dig(r.Data, "breakGlassRead", "noteDelivery", "delivered") != true {
		t.Fatalf("break-glass read with a note on City General's portal: %s", r.raw)
	}
	access1, _ := dig(r.Data, "breakGlassRead", "access", "id").(string)

	// A second access whose note hash is committed but whose note is not
	// sent yet: the refusals below are tried on it.
	later := "Second look: the patient is still unconscious; the ward asked for the medication list."
	r = ray.do(bgNoteDoc, map[string]any{"r": "rec-n1", "hash": sha(later)})
	if len(r.Errors) != 0 || dig(r.Data, "breakGlassRead", "noteDelivery") != nil {
		t.Fatalf("break-glass read with a note hash only: %s", r.raw)
	}
	access2, _ := dig(r.Data, "breakGlassRead", "access", "id").(string)

	// A consented, not break-glass, access by the same physician.
	now := time.Now().UTC()
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-n1", "g": "citygen/dr-ray", "p": "treatment", "r": []string{"rec-n1"},
		"s": now.Add(-time.Hour).Format(time.RFC3339), "e": now.Add(24 * time.Hour).Format(time.RFC3339)})
	k.synced(t)
	r = ray.do(readDoc, map[string]any{"r": "rec-n1", "p": "treatment", "c": "con-n1"})
	consented, _ := dig(r.Data, "readRecord", "access", "id").(string)
	if len(r.Errors) != 0 || consented == "" {
		t.Fatalf("consented read: %s", r.raw)
	}
	k.synced(t)

	// St Mary's privacy officer, on St Mary's portal, sees the reason,
	// verified, and what was read; the second access says its note has
	// not arrived.
	queue := func(c *client, custodian string) map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		for _, e := range nodes(t, c.do(noteQueueDoc, map[string]any{"c": custodian}), "breakGlassQueue") {
			out[dig(e, "id").(string)] = e.(map[string]any)
		}
		return out
	}
	q := queue(privacy, "")
	if e := q[access1]; dig(e, "note", "text") != reason || dig(e, "note", "verified") != true || dig(e, "reader") != "citygen/dr-ray" ||
		dig(e, "recordId") != "rec-n1" || dig(e, "recordVersion") != float64(1) || dig(e, "noteHash") != sha(reason) {
		t.Fatalf("the privacy officer's queue entry of the first access: %v", e)
	}
	if e := q[access2]; dig(e, "note", "verified") != false || dig(e, "note", "text") != nil ||
		!strings.Contains(dig(e, "note", "problem").(string), "not delivered yet") {
		t.Fatalf("the queue entry of an access whose note was not sent: %v", e)
	}
	// The regulator's auditor, on the regulator's portal (its node relays
	// the fetch to St Mary's), reads it too; the patient sees no note.
	if e := queue(auditor, "stmarys")[access1]; dig(e, "note", "text") != reason || dig(e, "note", "verified") != true {
		t.Fatalf("the auditor's queue entry: %v", e)
	}
	log := ana.do(`{ accessLog(first: 20) { nodes { id kind note { text } } } }`, nil)
	for _, e := range nodes(t, log, "accessLog") {
		if dig(e, "note") != nil {
			t.Fatalf("the patient's access log shows a note: %v", e)
		}
	}

	// Refusals, through City General's node (which relays to St Mary's).
	send := func(sender, access, kind, text string) error {
		t.Helper()
		id, err := tx.ParseID(access)
		if err != nil {
			t.Fatal(err)
		}
		req := sealNote(t, k.c.Genesis, "stmarys", kind, id, text)
		req.Sender, req.Time = sender, time.Now().Unix()
		if err := api.SignPrivate(req, devSignKey(t, k.c.Home, sender)); err != nil {
			t.Fatal(err)
		}
		return k.c.Node("citygen").Client.DeliverNote(context.Background(), req)
	}
	refused := func(what string, err error, status int, want string) {
		t.Helper()
		var ce *nodeclient.Error
		if !errors.As(err, &ce) || ce.StatusCode != status || !strings.Contains(ce.Message, want) {
			t.Fatalf("%s: got %v, want %d %q", what, err, status, want)
		}
		t.Logf("%s: %d %s", what, ce.StatusCode, ce.Message)
	}
	refused("a note from someone who is not the reader", send("stmarys/dr-lee", access2, api.NoteReason, later),
		http.StatusForbidden, "only the access's reader")
	refused("a note for a consented access", send("citygen/dr-ray", consented, api.NoteReason, later),
		http.StatusBadRequest, "not a granted break-glass access")
	refused("a note with another hash", send("citygen/dr-ray", access2, api.NoteReason, later+" (edited)"),
		http.StatusBadRequest, "not the one the ledger holds")
	refused("a note too big", send("citygen/dr-ray", access2, api.NoteReason, strings.Repeat("x", api.MaxNoteBytes+1)),
		http.StatusBadRequest, "at most 4096 bytes")
	refused("a review note before any review", send("stmarys/privacy", access2, api.NoteReview, later),
		http.StatusNotFound, "no committed review")
	if e := queue(privacy, "")[access2]; dig(e, "note", "text") != nil {
		t.Fatalf("a refused note was kept: %v", e)
	}
	// Through the portal: another member, a wrong text and a consented
	// access are refused before anything is sent.
	for _, c := range []struct {
		who     *client
		access  string
		note    string
		code    string
		message string
	}{
		{privacy, access2, later, "FORBIDDEN", "only the access's reader"},
		{ray, access2, later + "!", "BAD_USER_INPUT", "not the one committed on the ledger"},
		{ray, consented, later, "BAD_USER_INPUT", "holds no note hash"},
	} {
		r := c.who.do(sendNoteDoc, map[string]any{"a": c.access, "note": c.note})
		if r.code() != c.code || !strings.Contains(r.Errors[0].Message, c.message) {
			t.Fatalf("sendAccessNote refused: %s", r.raw)
		}
	}
	// The right note is delivered once.
	if r := ray.do(sendNoteDoc, map[string]any{"a": access2, "note": later}); dig(r.Data, "sendAccessNote", "delivered") != true {
		t.Fatalf("sendAccessNote: %s", r.raw)
	}
	if r := ray.do(sendNoteDoc, map[string]any{"a": access2, "note": later}); r.code() != "CONFLICT" {
		t.Fatalf("sending the note twice: %s", r.raw)
	}
	refused("the note a second time", send("citygen/dr-ray", access2, api.NoteReason, later), http.StatusConflict, "already")
	if e := queue(privacy, "")[access2]; dig(e, "note", "text") != later || dig(e, "note", "verified") != true {
		t.Fatalf("the second access's note after sendAccessNote: %v", e)
	}

	// The privacy officer reviews with a note, kept by St Mary's nodes.
	review := "Justified: the emergency department confirmed the patient arrived unconscious (Yarrowby ambulance)."
	if r := privacy.do(reviewNoteDoc, map[string]any{"a": access1, "note": review}); len(r.Errors) != 0 ||
		dig(r.Data, "reviewBreakGlass", "receipt", "status") != "OK" {
		t.Fatalf("review with a note: %s", r.raw)
	}
	k.synced(t)
	if e := queue(privacy, "")[access1]; dig(e, "reviewNote", "text") != review || dig(e, "reviewNote", "verified") != true ||
		dig(e, "review", "outcome") != "justified" {
		t.Fatalf("the reviewed entry: %v", e)
	}
	// The review note goes once, from the reviewer, as written.
	for _, c := range []struct {
		who        *client
		note, code string
	}{{privacy, review, "CONFLICT"}, {privacy, review + ".", "BAD_USER_INPUT"}, {ray, review, "FORBIDDEN"}} {
		if r := c.who.do(sendNoteDoc, map[string]any{"a": access1, "note": c.note, "k": "REVIEW"}); r.code() != c.code {
			t.Fatalf("sendAccessNote(kind: REVIEW), want %s: %s", c.code, r.raw)
		}
	}

	// Each of St Mary's nodes keeps every note: with either stopped, the
	// other releases them (to the auditor, through the regulator's node).
	for i, cn := range k.c.Nodes {
		if cn.Org != "stmarys" {
			continue
		}
		k.c.Stop(i)
		for _, n := range []struct{ access, kind, text string }{
			{access1, api.NoteReason, reason}, {access2, api.NoteReason, later}, {access1, api.NoteReview, review},
		} {
			// The other node may have been restarted a moment ago: the
			// regulator's node reconnects to it within seconds.
			got, err := fetchNote(t, k, "healthreg/auditor", n.access, n.kind)
			for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); {
				time.Sleep(100 * time.Millisecond)
				got, err = fetchNote(t, k, "healthreg/auditor", n.access, n.kind)
			}
			if err != nil || got != n.text {
				t.Fatalf("with %s stopped, the %s note of %s: %q, %v", cn.ID, n.kind, n.access, got, err)
			}
		}
		k.c.Start(i)
	}
	// With both down, the auditor reads that they cannot be reached (not
	// that the note was never delivered).
	for i, cn := range k.c.Nodes {
		if cn.Org == "stmarys" {
			k.c.Stop(i)
		}
	}
	if e := queue(auditor, "stmarys")[access1]; dig(e, "note", "text") != nil ||
		!strings.Contains(fmt.Sprint(dig(e, "note", "problem")), "cannot be reached") {
		t.Fatalf("the auditor's queue entry with the custodian down: %v", e)
	}

	// No node, portal or ledger keeps any of the notes in plain form (the
	// search does find what they keep in plain form: member ids), and no
	// portal logs them.
	if findInFiles(t, k.c.Home, "citygen/dr-ray") == "" {
		t.Fatal("the search of the stores finds nothing")
	}
	for org, l := range logs {
		for _, word := range []string{"Quixotic", "medication list", "Yarrowby"} {
			if strings.Contains(l.String(), word) {
				t.Fatalf("%s's portal logged a note", org)
			}
		}
	}
	for _, dir := range []string{k.c.Home, k.homes["stmarys"], k.homes["citygen"], k.homes["healthreg"]} {
		for _, text := range []string{reason, later, review} {
			for _, word := range []string{"Quixotic Junction", "medication list", "Yarrowby"} {
				if strings.Contains(text, word) {
					if f := findInFiles(t, dir, word); f != "" {
						t.Fatalf("%q is stored in plain form in %s", word, f)
					}
				}
			}
		}
	}
}

// fetchNote fetches note kind of access from St Mary's through the
// reader's organisation's node, signed by reader, and opens it with the
// reader's key; the error is the node's answer.
func fetchNote(t *testing.T, k *consortium, reader, access, kind string) (string, error) {
	t.Helper()
	kf := devKey(t, k.c.Home, reader)
	id, err := tx.ParseID(access)
	if err != nil {
		t.Fatal(err)
	}
	req := &api.NoteFetchRequest{AccessID: id, Kind: kind, Reader: reader, Time: time.Now().Unix()}
	sk, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SignPrivate(req, sk); err != nil {
		t.Fatal(err)
	}
	org, _, _ := strings.Cut(reader, "/")
	resp, err := k.c.Node(org).Client.FetchNote(context.Background(), req)
	if err != nil {
		return "", err
	}
	rk, err := kf.ReaderKey()
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Destroy()
	nid := api.NoteID(kind, id)
	dk, err := envelope.Unwrap(rk, reader, resp.Wrapped, nid, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Destroy()
	text, err := envelope.Open(dk, resp.Sealed, nid, 1)
	if err != nil {
		t.Fatal(err)
	}
	return string(text), nil
}

// sealNote seals text as note kind of access for custodian's nodes
// (unsigned), as a portal would.
func sealNote(t *testing.T, g *genesis.File, custodian, kind string, access tx.ID, text string) *api.NoteRequest {
	t.Helper()
	dk, err := envelope.NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Destroy()
	id := api.NoteID(kind, access)
	req := &api.NoteRequest{AccessID: access, Kind: kind}
	if req.Sealed, err = envelope.Seal(nil, dk, id, 1, []byte(text)); err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Org == custodian {
			w, err := envelope.Wrap(nil, n.EncKey.Key, n.ID, dk, id, 1)
			if err != nil {
				t.Fatal(err)
			}
			req.Keys = append(req.Keys, api.NoteKey{Node: n.ID, Wrapped: w})
		}
	}
	return req
}

// findInFiles returns the first file under dir that contains word.
func findInFiles(t *testing.T, dir, word string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return nil //nolint:nilerr // files may come and go while nodes run
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(word)) {
			found = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
