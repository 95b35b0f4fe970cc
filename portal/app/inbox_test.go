package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/portal/internal/testnode"
)

// TestInbox: accesses to a patient's records reach the patient's inbox in
// words (a refused try, an emergency access: names and labels, the
// record's id in ref only), not the reader's; a kind
// switched off leaves the inbox and the unread count; marking read sets
// the count to zero; the settings are the patient's own (a read-only
// token may read them, not change them).
func TestInbox(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalLogged(t, n)
	ana, adjuster, drLee := as(t, p, "stmarys/patient-ana"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/dr-lee")
	storeRecord(t, n, "rec-i1", "lab", []byte(`{"resourceType":"Bundle"}`))
	adjuster.do(readDoc, map[string]any{"r": "rec-i1", "p": "claims"}) // refused: no consent
	drLee.do(breakGlassDoc, map[string]any{"r": "rec-i1", "why": "unconscious-patient"})
	ana.do(readDoc, map[string]any{"r": "rec-i1", "p": "treatment"}) // her own: no notice

	const q = `{ inbox(first: 10) { unread notices { id kind text ref } hasNextPage } notificationSettings { kinds muted } }`
	r := ana.do(q, nil)
	notices := dig(r.Data, "inbox", "notices").([]any)
	if len(notices) != 2 || dig(r.Data, "inbox", "unread") != 2.0 {
		t.Fatalf("Ana's inbox: %s", r.raw)
	}
	// In words: names and labels, the ids and codes in ref only.
	inWords := func(n any, want string) bool {
		text := dig(n, "text").(string)
		return strings.Contains(text, want) && dig(n, "ref") == "rec-i1" &&
			!strings.Contains(text, "rec-i1") && !strings.ContainsAny(text, "/_") && !strings.Contains(text, "-patient")
	}
	if n := notices[0]; dig(n, "kind") != "BREAK_GLASS" ||
		!inWords(n, "dr-lee of St Mary's Hospital opened your lab results in an emergency (patient unconscious)") {
		t.Fatalf("the newest notice: %v", n)
	}
	if n := notices[1]; dig(n, "kind") != "ACCESS" ||
		!inWords(n, "adjuster of Acme Health Insurance tried to read your lab results for insurance claims and was refused") {
		t.Fatalf("the refused try: %v", n)
	}
	if r := adjuster.do(q, nil); len(dig(r.Data, "inbox", "notices").([]any)) != 0 {
		t.Fatalf("the adjuster's inbox has Ana's notices: %s", r.raw)
	}

	// Accesses switched off: only the emergency is left, and counted.
	r = ana.do(`mutation { setNotifications(muted: [ACCESS]) { kinds muted } }`, nil)
	if m := dig(r.Data, "setNotifications", "muted").([]any); len(m) != 1 || m[0] != "ACCESS" {
		t.Fatalf("setNotifications: %s", r.raw)
	}
	r = ana.do(q, nil)
	if ns := dig(r.Data, "inbox", "notices").([]any); len(ns) != 1 || dig(r.Data, "inbox", "unread") != 1.0 ||
		dig(ns[0], "kind") != "BREAK_GLASS" {
		t.Fatalf("Ana's inbox with accesses switched off: %s", r.raw)
	}
	if r := ana.do(`mutation { markInboxRead }`, nil); dig(r.Data, "markInboxRead") != 0.0 {
		t.Fatalf("markInboxRead: %s", r.raw)
	}
	if r := ana.do(q, nil); dig(r.Data, "inbox", "unread") != 0.0 || len(dig(r.Data, "inbox", "notices").([]any)) != 1 {
		t.Fatalf("after marking read (the notices stay): %s", r.raw)
	}
	ro := ana.bot("read")
	if r := ro.do(q, nil); dig(r.Data, "inbox", "unread") != 0.0 {
		t.Fatalf("a read-only token reading the inbox: %s", r.raw)
	}
	if r := ro.do(`mutation { setNotifications(muted: []) { muted } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a read-only token changing the settings: %s", r.raw)
	}
	if r := newClient(t, p.URL).do(q, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("an anonymous inbox: %s", r.raw)
	}

	// Live: a new emergency access reaches Ana's open subscription; the
	// refused try before it does not (accesses are still switched off).
	ws := wsOpen(t, p.URL, nil, bearerPayload(ro.gc.BearerToken()))
	wsSubscribe(t, ws, "in", `subscription { inboxAlerts { kind text } }`, nil)
	time.Sleep(200 * time.Millisecond) // the subscription is registered before the blocks below
	adjuster.do(readDoc, map[string]any{"r": "rec-i1", "p": "claims"})
	drLee.do(breakGlassDoc, map[string]any{"r": "rec-i1", "why": "life-threatening"})
	if m := wsRead(t, ws); m["type"] != "next" || dig(m, "payload", "data", "inboxAlerts", "kind") != "BREAK_GLASS" ||
		!strings.Contains(dig(m, "payload", "data", "inboxAlerts", "text").(string), "(life-threatening condition)") {
		t.Fatalf("the live notice: %v", m)
	}
}
