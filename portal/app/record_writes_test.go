package app_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/readmodel"
)

const (
	registerDoc = `mutation($id: ID!, $p: ID!, $cat: String!, $c: String!) { registerRecord(id: $id, patient: $p, category: $cat, content: $c, wait: true) { ` + txFields + ` } }`
	eraseDoc    = `mutation($r: ID!, $confirm: ID!) { eraseRecord(record: $r, confirm: $confirm, wait: true) { ` + txFields + ` } }`
)

// TestRegisterAndEraseRecord: a records clerk registers a FHIR bundle
// through the portal — sealed in the portal for St Mary's node, only its
// hash on the ledger — and its next version; the patient reads each back
// exactly; then the patient erases it after confirming, and it can no
// longer be read. Refusals: the adjuster registering, content that is not
// FHIR JSON, an id held for another patient, an unconfirmed erase, a
// physician erasing, erasing twice.
func TestRegisterAndEraseRecord(t *testing.T) {
	n := testnode.Start(t)
	p, logs := startPortalLogged(t, n)
	clerk, ana, adjuster, doctor := as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/dr-lee")

	bundle, err := os.ReadFile("../../../shared/fhir/synthea-1.json")
	if err != nil || len(bundle) > 900<<10 {
		bundle = []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation","id":"marker-4471"}}]}`)
	}
	const marker = `{"resourceType":"Bundle","type":"collection","id":"second-version-marker-8812","entry":[]}`
	vars := func(id, patient, content string) map[string]any {
		return map[string]any{"id": id, "p": patient, "cat": "bundle", "c": content}
	}
	clerk.ok("registerRecord", registerDoc, vars("rec-up", "stmarys/patient-ana", string(bundle)))
	read := func() string {
		t.Helper()
		r := ana.do(readDoc, map[string]any{"r": "rec-up", "p": "treatment"})
		c, _ := dig(r.Data, "readRecord", "content").(string)
		if len(r.Errors) != 0 {
			t.Fatalf("reading rec-up: %s", r.raw)
		}
		return c
	}
	if got := read(); got != string(bundle) {
		t.Fatalf("read back %d bytes, registered %d", len(got), len(bundle))
	}
	clerk.ok("registerRecord", registerDoc, vars("rec-up", "stmarys/patient-ana", marker))
	if got := read(); got != marker {
		t.Fatalf("version 2 reads %q", got)
	}
	r := ana.do(`{ record(id: "rec-up") { versions { version } } }`, nil)
	if vs, _ := dig(r.Data, "record", "versions").([]any); len(vs) != 2 {
		t.Fatalf("versions: %s", r.raw)
	}
	// Only hashes on the ledger, nothing in the logs.
	for h := uint64(1); ; h++ {
		b, err := n.Client.Block(context.Background(), h)
		if err != nil {
			break
		}
		raw, _ := json.Marshal(b)
		if strings.Contains(string(raw), "second-version-marker") || strings.Contains(string(raw), "Bundle") {
			t.Fatalf("block %d carries record content", h)
		}
	}
	if strings.Contains(logs.String(), "second-version-marker") {
		t.Fatal("the portal logged record content")
	}

	for _, c := range []struct {
		who       *client
		vars      map[string]any
		code, say string
	}{
		{adjuster, vars("rec-x", "stmarys/patient-ana", marker), "FORBIDDEN", "physician or records clerk"},
		{clerk, vars("rec-x", "stmarys/patient-ana", "not json"), "BAD_USER_INPUT", "FHIR JSON"},
		{clerk, vars("rec-x", "stmarys/patient-ana", `{"id":"no resource type"}`), "BAD_USER_INPUT", "resourceType"},
		{clerk, vars("rec-up", "stmarys/patient-ben", marker), "CONFLICT", "choose another id"},
	} {
		if r := c.who.do(registerDoc, c.vars); r.code() != c.code || !strings.Contains(string(r.raw), c.say) {
			t.Fatalf("registerRecord %v: %s", c.vars["id"], r.raw)
		}
	}
	// A category the ledger does not know: refused before anything is
	// uploaded, saying which it knows (record.register's vocabulary).
	bad := vars("rec-y", "stmarys/patient-ana", marker)
	bad["cat"] = "gossip"
	if r := clerk.do(registerDoc, bad); r.code() != "BAD_USER_INPUT" || !strings.Contains(string(r.raw), "one of encounter") {
		t.Fatalf("an unknown category: %s", r.raw)
	}

	if r := ana.do(eraseDoc, map[string]any{"r": "rec-up", "confirm": "rec-u"}); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("erase unconfirmed: %s", r.raw)
	}
	if r := doctor.do(eraseDoc, map[string]any{"r": "rec-up", "confirm": "rec-up"}); r.code() != "FORBIDDEN" {
		t.Fatalf("a physician erasing: %s", r.raw)
	}
	if r := ana.do(eraseDoc, map[string]any{"r": "nope", "confirm": "nope"}); r.code() != "NOT_FOUND" {
		t.Fatalf("erasing an unknown record: %s", r.raw)
	}
	ana.ok("eraseRecord", eraseDoc, map[string]any{"r": "rec-up", "confirm": "rec-up"})
	if r := ana.do(readDoc, map[string]any{"r": "rec-up", "p": "treatment"}); len(r.Errors) == 0 {
		t.Fatalf("an erased record was read: %s", r.raw)
	}
	if r := ana.do(eraseDoc, map[string]any{"r": "rec-up", "confirm": "rec-up"}); r.code() != "CONFLICT" {
		t.Fatalf("erasing twice: %s", r.raw)
	}
}

// TestIndexOfAnotherPortalVersionIsRebuilt: a portal whose index was built
// by another set of read-model modules (an older portal, before a module
// was added) rebuilds it from the node at start instead of failing.
func TestIndexOfAnotherPortalVersionIsRebuilt(t *testing.T) {
	n := testnode.Start(t)
	home := t.TempDir()
	p, stop := startPortalAt(t, n, home)
	as(t, p, "stmarys/clerk").ok("registerRecord", registerDoc, map[string]any{"id": "rec-rb", "p": "stmarys/patient-ana", "cat": "lab",
		"c": `{"resourceType":"Observation"}`})
	stop()
	q, _ := runPortal(t, app.Config{Node: n.URL, Home: home, DevHome: n.Home, ReadModules: []readmodel.Module{{Name: "extra"}}})
	if r := as(t, q, "stmarys/patient-ana").do(`{ record(id: "rec-rb") { id category } }`, nil); dig(r.Data, "record", "category") != "lab" {
		t.Fatalf("the rebuilt index: %s", r.raw)
	}
}
