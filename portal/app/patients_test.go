package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// sendApplied sends a call straight to the node (as testnode.Send) and
// waits until the portal's read model applied its block.
func sendApplied(t *testing.T, n *testnode.Node, p *app.Portal, member, contract, method string, args ...tx.Arg) {
	t.Helper()
	res := n.Send(t, member, contract, method, args...)
	if res.Receipt == nil || !res.Receipt.OK() {
		t.Fatalf("%s.%s by %s: %+v", contract, method, member, res)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h, ok := p.Store.Applied(); !ok || h < res.Height; h, ok = p.Store.Applied() {
		if time.Now().After(deadline) {
			t.Fatalf("read model at %d, want %d", h, res.Height)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	grantDoc = `mutation($id: ID!, $g: ID!, $p: String!, $r: [ID!], $c: [String!], $s: String!, $e: String!) {
		grantConsent(id: $id, grantee: $g, purpose: $p, records: $r, categories: $c, start: $s, end: $e, wait: true) { ` + txFields + ` } }`
	requestDoc = `mutation($id: ID!, $p: String!, $c: [String!], $s: String!, $e: String!) {
		requestConsent(id: $id, patient: "stmarys/patient-ana", purpose: $p, categories: $c, start: $s, end: $e, wait: true) { ` + txFields + ` } }`
	consentIDDoc = `mutation($id: ID!) { %s(id: $id, wait: true) { ` + txFields + ` } }`
	amendDoc     = `mutation($id: ID!, $e: String!) { amendConsent(id: $id, end: $e, wait: true) { ` + txFields + ` } }`
	reviewBGDoc  = `mutation($a: ID!) { reviewBreakGlass(access: $a, outcome: "justified", wait: true) { ` + txFields + ` } }`
	accessLogDoc = `query($p: ID) { accessLog(patient: $p) { nodes { id kind recordId reader purpose consentId consentStatusAtAccess
		consent { id purpose status grantee end } refusal breakGlassReason expiresAt reviewed review { reviewer outcome } } } }`
	consentsDoc = `query($p: ID) { patientConsents(patient: $p) { nodes { id status purpose grantee start end records categories requester version history { kind by } } } }`
	bgQueueDoc  = `query($u: Boolean) { breakGlassQueue(unreviewedOnly: $u) { nodes { id kind reader breakGlassReason reviewed review { outcome reviewer } } } }`
)

func consentMut(name string) string { return strings.Replace(consentIDDoc, "%s", name, 1) }

func nodes(t *testing.T, r *gqlResult, field string) []any {
	t.Helper()
	ns, ok := dig(r.Data, field, "nodes").([]any)
	if len(r.Errors) != 0 || !ok {
		t.Fatalf("%s: %s", field, r.raw)
	}
	return ns
}

// TestPatientPrivacy: patient-ana's records (metadata), consents in every
// status (granted, requested and declined, requested and accepted,
// amended, revoked) and "who accessed my data and why": a consented read
// by Acme's adjuster, a refused one (the consent does not cover the
// record) and a break-glass by dr-lee, each joined to its consent or
// emergency; St Mary's privacy officer's queue shows the break-glass until
// reviewed, and the review shows in Ana's log. Another patient, the
// adjuster and a physician get FORBIDDEN where the policy says so.
func TestPatientPrivacy(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	ana, clerk, drLee, privacy := as(t, p, "stmarys/patient-ana"), as(t, p, "stmarys/clerk"), as(t, p, "stmarys/dr-lee"), as(t, p, "stmarys/privacy")
	adjuster, auditor := as(t, p, "acme/adjuster"), as(t, p, "healthreg/auditor")
	registerRecord(t, n, "rec-a1", "lab")
	registerRecord(t, n, "rec-a2", "imaging")

	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Format(time.RFC3339), now.Add(30*24*time.Hour).Format(time.RFC3339)
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-claims", "g": "acme/adjuster", "p": "claims", "r": []string{"rec-a1"}, "s": start, "e": end})
	clerk.ok("requestConsent", requestDoc, map[string]any{"id": "con-research", "p": "research", "c": []string{"lab"}, "s": start, "e": end})
	ana.ok("declineConsent", consentMut("declineConsent"), map[string]any{"id": "con-research"})
	drLee.ok("requestConsent", requestDoc, map[string]any{"id": "con-care", "p": "care-coordination", "c": []string{"imaging"}, "s": start, "e": end})
	if r := clerk.do(consentMut("acceptConsent"), map[string]any{"id": "con-care"}); r.code() != "FORBIDDEN" {
		t.Fatalf("clerk accepting for the patient: %s", r.raw)
	}
	ana.ok("acceptConsent", consentMut("acceptConsent"), map[string]any{"id": "con-care"})
	later := now.Add(60 * 24 * time.Hour).Truncate(time.Second)
	ana.ok("amendConsent", amendDoc, map[string]any{"id": "con-claims", "e": later.Format(time.RFC3339)})
	ana.ok("revokeConsent", consentMut("revokeConsent"), map[string]any{"id": "con-care"})

	// Ana follows access alerts over graphql-transport-ws: each access
	// decision reaches her as its block is applied.
	ws := wsAs(t, ana)
	wsSubscribe(t, ws, "al", `subscription { accessAlerts { reader kind recordId } }`, nil)

	// Accesses, decided and committed by the record contract either way.
	sendApplied(t, n, p, "acme/adjuster", "record", "access", tx.String("record_id", "rec-a1"), tx.String("purpose", "claims"), tx.String("consent_id", "con-claims"))
	sendApplied(t, n, p, "acme/adjuster", "record", "access", tx.String("record_id", "rec-a2"), tx.String("purpose", "claims"), tx.String("consent_id", "con-claims"))
	sendApplied(t, n, p, "stmarys/dr-lee", "record", "access", tx.String("record_id", "rec-a2"), tx.String("purpose", "treatment"), tx.String("break_glass", "unconscious-patient"))
	for _, want := range []string{"acme/adjuster GRANTED rec-a1", "acme/adjuster REFUSED rec-a2", "stmarys/dr-lee BREAK_GLASS rec-a2"} {
		m := wsRead(t, ws)
		got := fmt.Sprint(dig(m, "payload", "data", "accessAlerts", "reader"), " ", dig(m, "payload", "data", "accessAlerts", "kind"), " ",
			dig(m, "payload", "data", "accessAlerts", "recordId"))
		if m["type"] != "next" || got != want {
			t.Fatalf("access alert %q, want %q (%v)", got, want, m)
		}
	}
	wsSend(t, ws, `{"type":"complete","id":"al"}`)

	cs := nodes(t, ana.do(consentsDoc, nil), "patientConsents")
	got := []string{}
	for _, c := range cs {
		got = append(got, dig(c, "id").(string)+"="+dig(c, "status").(string))
	}
	if strings.Join(got, " ") != "con-care=INACTIVE con-research=REJECTED con-claims=ACTIVE" {
		t.Fatalf("consents: %v", got)
	}
	if c := cs[2]; dig(c, "purpose") != "claims" || dig(c, "grantee") != "acme/adjuster" || dig(c, "end") != later.Format(time.RFC3339) ||
		dig(c, "start") != start || dig(c, "version") != 1.0 || dig(c, "records").([]any)[0] != "rec-a1" || len(dig(c, "history").([]any)) != 2 {
		t.Fatalf("amended consent: %v", c)
	}
	if c := cs[0]; dig(c, "requester") != "stmarys/dr-lee" || len(dig(c, "history").([]any)) != 3 || dig(c, "history").([]any)[1].(map[string]any)["kind"] != "accepted" {
		t.Fatalf("accepted then revoked consent: %v", c)
	}
	r := ana.do(`{ patientRecords { nodes { id custodian category latestVersion erased versions { ciphertextHash registrar } } } }`, nil)
	if rs := nodes(t, r, "patientRecords"); len(rs) != 2 || dig(rs[0], "id") != "rec-a1" || dig(rs[0], "custodian") != "stmarys" ||
		dig(rs[0], "category") != "lab" || dig(rs[0], "latestVersion") != 1.0 || dig(rs[0], "erased") != false ||
		dig(rs[0], "versions").([]any)[0].(map[string]any)["registrar"] != "stmarys/clerk" {
		t.Fatalf("records: %s", r.raw)
	}

	checkLog := func(c *client, reviewed bool) {
		t.Helper()
		log := nodes(t, c.do(accessLogDoc, map[string]any{"p": "stmarys/patient-ana"}), "accessLog")
		if len(log) != 3 {
			t.Fatalf("access log: %v", log)
		}
		bg, refused, granted := log[0], log[1], log[2]
		if dig(bg, "kind") != "BREAK_GLASS" || dig(bg, "reader") != "stmarys/dr-lee" || dig(bg, "breakGlassReason") != "unconscious-patient" ||
			dig(bg, "reviewed") != reviewed || dig(bg, "consent") != nil || dig(bg, "expiresAt") == nil {
			t.Fatalf("break-glass entry: %v", bg)
		}
		if reviewed && (dig(bg, "review", "outcome") != "justified" || dig(bg, "review", "reviewer") != "stmarys/privacy") {
			t.Fatalf("break-glass review: %v", bg)
		}
		if dig(refused, "kind") != "REFUSED" || dig(refused, "reader") != "acme/adjuster" || dig(refused, "recordId") != "rec-a2" ||
			!strings.Contains(dig(refused, "refusal").(string), "does not cover record") || dig(refused, "consent", "id") != "con-claims" {
			t.Fatalf("refused entry: %v", refused)
		}
		if dig(granted, "kind") != "GRANTED" || dig(granted, "purpose") != "claims" || dig(granted, "consentId") != "con-claims" ||
			dig(granted, "consentStatusAtAccess") != "ACTIVE" || dig(granted, "consent", "purpose") != "claims" || dig(granted, "refusal") != nil {
			t.Fatalf("granted entry: %v", granted)
		}
	}
	checkLog(ana, false)
	checkLog(auditor, false)
	checkLog(privacy, false)

	// The privacy officer's queue holds the break-glass until reviewed.
	q := nodes(t, privacy.do(bgQueueDoc, map[string]any{"u": true}), "breakGlassQueue")
	if len(q) != 1 || dig(q[0], "reader") != "stmarys/dr-lee" || dig(q[0], "reviewed") != false {
		t.Fatalf("break-glass queue: %v", q)
	}
	bgID := dig(q[0], "id").(string)
	for _, c := range []*client{drLee, adjuster} {
		if r := c.do(reviewBGDoc, map[string]any{"a": bgID}); r.code() != "FORBIDDEN" {
			t.Fatalf("review by someone else than the privacy officer: %s", r.raw)
		}
	}
	if r := adjuster.do(`{ breakGlassQueue(custodian: "stmarys") { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("adjuster reading the queue: %s", r.raw)
	}
	privacy.ok("reviewBreakGlass", reviewBGDoc, map[string]any{"a": bgID})
	if q := nodes(t, privacy.do(bgQueueDoc, map[string]any{"u": true}), "breakGlassQueue"); len(q) != 0 {
		t.Fatalf("unreviewed queue after the review: %v", q)
	}
	if q := nodes(t, privacy.do(bgQueueDoc, nil), "breakGlassQueue"); len(q) != 1 || dig(q[0], "review", "outcome") != "justified" {
		t.Fatalf("queue after the review: %v", q)
	}
	checkLog(ana, true)

	// Who may not read Ana's privacy data.
	for _, c := range []*client{adjuster, drLee, clerk} {
		if r := c.do(consentsDoc, map[string]any{"p": "stmarys/patient-ana"}); r.code() != "FORBIDDEN" {
			t.Fatalf("reading Ana's consents: %s", r.raw)
		}
	}
	if r := adjuster.do(accessLogDoc, map[string]any{"p": "stmarys/patient-ana"}); r.code() != "FORBIDDEN" {
		t.Fatalf("adjuster reading Ana's access log: %s", r.raw)
	}
	// Another patient: St Mary's admin makes the clerk a patient.
	admin := as(t, p, "stmarys/admin")
	admin.ok("setMemberRoles", `mutation { setMemberRoles(member: "stmarys/clerk", roles: ["patient"], wait: true) { `+txFields+` } }`, nil)
	for _, doc := range []string{consentsDoc, accessLogDoc, `query($p: ID) { patientRecords(patient: $p) { nodes { id } } }`} {
		if r := clerk.do(doc, map[string]any{"p": "stmarys/patient-ana"}); r.code() != "FORBIDDEN" {
			t.Fatalf("another patient reading Ana's data: %s", r.raw)
		}
	}
	if r := clerk.do(`{ consent(id: "con-claims") { id } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("another patient reading Ana's consent: %s", r.raw)
	}
	if log := nodes(t, clerk.do(accessLogDoc, nil), "accessLog"); len(log) != 0 {
		t.Fatalf("the other patient's own log: %v", log)
	}
}

// consentUpdate reads the next message of the consentChanges
// subscription id and returns its data; it fails on anything else.
func consentUpdate(t *testing.T, ws *websocket.Conn, id string) map[string]any {
	t.Helper()
	m := wsRead(t, ws)
	u, ok := dig(m, "payload", "data", "consentChanges").(map[string]any)
	if m["type"] != "next" || m["id"] != id || !ok || dig(m, "payload", "errors") != nil {
		t.Fatalf("consentChanges message: %v", m)
	}
	return u
}

// changesOf sums up an update's changes as "kind:consent:status:by".
func changesOf(u map[string]any) string {
	var out []string
	for _, c := range u["changes"].([]any) {
		by, _ := dig(c, "by").(string)
		out = append(out, fmt.Sprint(dig(c, "kind"), ":", dig(c, "consent", "id"), ":", dig(c, "consent", "status"), ":", by))
	}
	return strings.Join(out, " ")
}

func consentIDs(u map[string]any) string {
	var out []string
	for _, c := range u["consents"].([]any) {
		out = append(out, fmt.Sprint(dig(c, "id"), "=", dig(c, "status")))
	}
	return strings.Join(out, " ")
}

// TestConsentChangesSubscription follows patient-ana's consents over
// graphql-transport-ws: the state first, then one message per block that
// changes one of her consents — granted, requested, declined, accepted,
// amended, revoked, and lapsed when a block's time passes a consent's
// end — and none for blocks that do not. Other members get FORBIDDEN,
// anonymous sockets UNAUTHENTICATED; a subscriber who loses the right to
// read the consents gets no further message and the subscription
// completes.
func TestConsentChangesSubscription(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	ana, clerk, drLee, admin := as(t, p, "stmarys/patient-ana"), as(t, p, "stmarys/clerk"), as(t, p, "stmarys/dr-lee"), as(t, p, "stmarys/admin")
	now := time.Now().UTC().Truncate(time.Second)
	start, end := now.Add(-time.Hour).Format(time.RFC3339), now.Add(30*24*time.Hour).Format(time.RFC3339)
	// Two consents that lapse during the test.
	lapse1, lapse2 := now.Add(6*time.Second), now.Add(9*time.Second)
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-lapse1", "g": "acme/adjuster", "p": "claims", "c": []string{"lab"}, "s": start, "e": lapse1.Format(time.RFC3339)})
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-lapse2", "g": "acme/adjuster", "p": "claims", "c": []string{"lab"}, "s": start, "e": lapse2.Format(time.RFC3339)})

	dial := func(c *client) *websocket.Conn {
		t.Helper()
		if c == nil {
			return wsOpen(t, p.URL, nil, `{}`)
		}
		return wsAs(t, c)
	}
	const sub = `{"type":"subscribe","id":"c","payload":{"query":"subscription($p: ID, $f: Int) { consentChanges(patient: $p, first: $f) { patient height time changes { kind by txId consent { id status end } } consents { id status } } }","variables":%s}}`

	// Refusals: others may not follow Ana's consents.
	for _, tc := range []struct {
		who  *client
		vars string
		code string
	}{
		{nil, `{"p":"stmarys/patient-ana"}`, "UNAUTHENTICATED"},
		{drLee, `{"p":"stmarys/patient-ana"}`, "FORBIDDEN"},
		{as(t, p, "acme/adjuster"), `{"p":"stmarys/patient-ana"}`, "FORBIDDEN"},
		{ana, `{"f":1000}`, "BAD_USER_INPUT"},
	} {
		ws := dial(tc.who)
		wsSend(t, ws, fmt.Sprintf(sub, tc.vars))
		m := wsRead(t, ws)
		errs, _ := m["payload"].([]any)
		if m["type"] != "error" || len(errs) != 1 || dig(errs[0], "extensions", "code") != tc.code {
			t.Fatalf("%s: %v", tc.vars, m)
		}
	}

	ws := dial(ana)
	wsSend(t, ws, fmt.Sprintf(sub, `{"f":10}`))
	u := consentUpdate(t, ws, "c")
	if u["patient"] != "stmarys/patient-ana" || changesOf(u) != "" || consentIDs(u) != "con-lapse2=ACTIVE con-lapse1=ACTIVE" {
		t.Fatalf("first message: %v", u)
	}
	h0 := u["height"].(float64)

	step := func(want string, do func()) map[string]any {
		t.Helper()
		do()
		u := consentUpdate(t, ws, "c")
		if got := changesOf(u); got != want {
			t.Fatalf("changes %q, want %q (%v)", got, want, u)
		}
		if u["height"].(float64) <= h0 {
			t.Fatalf("height %v not after %v", u["height"], h0)
		}
		h0 = u["height"].(float64)
		return u
	}
	u = step("granted:con-claims:ACTIVE:stmarys/patient-ana", func() {
		ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-claims", "g": "acme/adjuster", "p": "claims", "r": []string{"rec-x"}, "s": start, "e": end})
	})
	if consentIDs(u) != "con-claims=ACTIVE con-lapse2=ACTIVE con-lapse1=ACTIVE" || dig(u["changes"].([]any)[0], "txId") == nil {
		t.Fatalf("after the grant: %v", u)
	}
	// A block that touches none of Ana's consents sends nothing: the next
	// message is the request's.
	n.Send(t, "acme/admin", "identity", "set_roles", tx.String("id", "acme/adjuster"), tx.Strings("roles", []string{"claims_adjuster"}))
	step("requested:con-research:PROPOSED:stmarys/clerk", func() {
		clerk.ok("requestConsent", requestDoc, map[string]any{"id": "con-research", "p": "research", "c": []string{"lab"}, "s": start, "e": end})
	})
	step("declined:con-research:REJECTED:stmarys/patient-ana", func() {
		ana.ok("declineConsent", consentMut("declineConsent"), map[string]any{"id": "con-research"})
	})
	step("requested:con-care:PROPOSED:stmarys/dr-lee", func() {
		drLee.ok("requestConsent", requestDoc, map[string]any{"id": "con-care", "p": "care-coordination", "c": []string{"imaging"}, "s": start, "e": end})
	})
	step("accepted:con-care:ACTIVE:stmarys/patient-ana", func() {
		ana.ok("acceptConsent", consentMut("acceptConsent"), map[string]any{"id": "con-care"})
	})
	later := now.Add(60 * 24 * time.Hour)
	u = step("amended:con-claims:ACTIVE:stmarys/patient-ana", func() {
		ana.ok("amendConsent", amendDoc, map[string]any{"id": "con-claims", "e": later.Format(time.RFC3339)})
	})
	if dig(u["changes"].([]any)[0], "consent", "end") != later.Format(time.RFC3339) {
		t.Fatalf("amended end: %v", u)
	}
	u = step("revoked:con-care:INACTIVE:stmarys/patient-ana", func() {
		ana.ok("revokeConsent", consentMut("revokeConsent"), map[string]any{"id": "con-care"})
	})
	if consentIDs(u) != "con-care=INACTIVE con-research=REJECTED con-claims=ACTIVE con-lapse2=ACTIVE con-lapse1=ACTIVE" {
		t.Fatalf("state after the revocation: %v", u)
	}

	// The first block at or after con-lapse1's end reports its lapse
	// (no transaction of Ana's consents: by and txId are null).
	time.Sleep(time.Until(lapse1) + 500*time.Millisecond)
	u = step("lapsed:con-lapse1:ACTIVE:", func() {
		n.Send(t, "acme/admin", "identity", "set_roles", tx.String("id", "acme/adjuster"), tx.Strings("roles", []string{"claims_adjuster"}))
	})
	if c := u["changes"].([]any)[0]; dig(c, "by") != nil || dig(c, "txId") != nil {
		t.Fatalf("lapse: %v", u)
	}

	// Ana stops being a patient: con-lapse2's lapse is not sent to her,
	// and the subscription completes.
	admin.ok("setMemberRoles", `mutation { setMemberRoles(member: "stmarys/patient-ana", roles: ["records_clerk"], wait: true) { `+txFields+` } }`, nil)
	time.Sleep(time.Until(lapse2) + 500*time.Millisecond)
	n.Send(t, "acme/admin", "identity", "set_roles", tx.String("id", "acme/adjuster"), tx.Strings("roles", []string{"claims_adjuster"}))
	if m := wsRead(t, ws); m["type"] != "complete" || m["id"] != "c" {
		t.Fatalf("after losing the right to read: %v", m)
	}
}
