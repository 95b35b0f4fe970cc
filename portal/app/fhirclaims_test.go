package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/privacy/sign"
)

// claimFixtures are claimdoc's FHIR Claim fixtures: the HL7 example
// claims (hl7/) and Almoner's own.
const claimFixtures = "../../consortium-node/contracts/claim/claimdoc/testdata"

const (
	submitFhirDoc = `mutation($c: String!, $p: ID!, $id: ID) { submitFhirClaim(claim: $c, patient: $p, insurer: "acme", id: $id, wait: true) { ` +
		txFields + ` } }`
	openFhirDoc = `mutation($c: ID!) { openClaimDocument(claim: $c) { verified problem fhir
		items { seq sequence serviceCode system code modifiers display date quantity unitPrice amount } claimResponse explanationOfBenefit } }`
)

func claimFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(claimFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// editClaim decodes a FHIR Claim, changes it and encodes it again.
func editClaim(t *testing.T, claim string, f func(m map[string]any)) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(claim))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	return string(b)
}

func claimItem(m map[string]any, i int) map[string]any { return m["item"].([]any)[i].(map[string]any) }

// addPatient adds a patient member of St Mary's whose keys expire after
// ttl (dr-lee's public keys: the patient never signs here).
func addPatient(t *testing.T, n *testnode.Node, id string, ttl time.Duration) {
	t.Helper()
	sk, ek := publicKeys(t, devKey(t, n.Home, "stmarys/dr-lee"))
	n.Send(t, "stmarys/admin", "identity", "add_member", tx.String("id", id), tx.Strings("roles", []string{"patient"}),
		tx.String("sign_key", sk), tx.String("enc_key", ek), tx.Int("key_expiry", time.Now().Add(ttl).Unix()))
}

// devKey loads member's key file of the dev consortium in home.
func devKey(t *testing.T, home, member string) *genesis.KeyFile {
	t.Helper()
	kf, err := genesis.LoadKeyFile(genesis.KeyPath(home, member))
	if err != nil {
		t.Fatal(err)
	}
	return kf
}

// devSignKey is member's signing key of the dev consortium in home.
func devSignKey(t *testing.T, home, member string) *sign.PrivateKey {
	t.Helper()
	sk, err := devKey(t, home, member).SignKey()
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

// publicKeys returns kf's public signing and encryption keys as
// identity.add_member takes them.
func publicKeys(t *testing.T, kf *genesis.KeyFile) (signKey, encKey string) {
	t.Helper()
	sk, err := kf.SignKey()
	if err != nil {
		t.Fatal(err)
	}
	ek, err := kf.EncryptionKey()
	if err != nil {
		t.Fatal(err)
	}
	return sk.Public().String(), ek.String()
}

// TestFhirClaims files hospitals' own FHIR R4 Claims — every HL7 example
// claim and Almoner's fixtures (lower-case codes, modifiers, quantity ×
// unitPrice, a stay over a period, teeth, contained resources) — through
// submitFhirClaim, refuses invalid ones with every problem by path,
// refuses duplicates that differ only in case, code system alias or a
// modifier that names no site (and the same service through submitClaim),
// accepts another site, walks one claim to payment with its FHIR
// ClaimResponse and ExplanationOfBenefit at each read, and finds no
// service code, date or patient detail anywhere on the ledger.
func TestFhirClaims(t *testing.T) {
	n := testnode.Start(t)
	p, _ := startPortalAt(t, n, t.TempDir())
	clerk, adjuster, ana := as(t, p, "stmarys/clerk"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/patient-ana")
	addPatient(t, n, "stmarys/patient-hl7", 30*24*time.Hour)
	const patient, other = "stmarys/patient-ana", "stmarys/patient-hl7"

	file := func(claim, who, id string) (status, errMsg string) {
		t.Helper()
		vars := map[string]any{"c": claim, "p": who}
		if id != "" {
			vars["id"] = id
		}
		r := clerk.do(submitFhirDoc, vars)
		if len(r.Errors) != 0 || dig(r.Data, "submitFhirClaim", "status") != "COMMITTED" {
			t.Fatalf("submitFhirClaim: %s", r.raw)
		}
		msg, _ := dig(r.Data, "submitFhirClaim", "receipt", "error").(string)
		return dig(r.Data, "submitFhirClaim", "receipt", "status").(string), msg
	}
	wantFiled := func(claim, who, id string) {
		t.Helper()
		if st, msg := file(claim, who, id); st != "OK" {
			t.Fatalf("filing %s for %s: %s %s", id, who, st, msg)
		}
		if id == "" {
			return
		}
		if r := clerk.do(claimDoc, map[string]any{"id": id}); dig(r.Data, "claim", "status") != "SUBMITTED" || dig(r.Data, "claim", "patient") != who {
			t.Fatalf("claim %s: %s", id, r.raw)
		}
	}
	wantDuplicate := func(claim, who, id string) {
		t.Helper()
		if st, msg := file(claim, who, id); st != "FAILED" || !strings.Contains(msg, "a claim for these services was already filed") {
			t.Fatalf("a duplicate (%s for %s): %s %s", id, who, st, msg)
		}
	}

	// The HL7 example claims, all for Ana: every one is accepted by the
	// portal; the institutional one bills the professional one's service
	// (ex-serviceproduct "exam" on 2014-08-16) and claim-example-oral-
	// contained claim-example's ("1200", no system, same day), so the
	// ledger refuses them as duplicates — for another patient they file.
	hl7 := []struct {
		file, id string
		dup      bool
	}{
		{"claim-example-professional.json", "hl7-860150", false},
		{"claim-example-institutional.json", "hl7-960150", true},
		{"claim-example-vision.json", "hl7-660150", false},
		{"claim-example-vision-glasses-3tier.json", "hl7-660152", false},
		{"claim-example-pharmacy.json", "hl7-760150", false},
		{"claim-example.json", "hl7-100150", false},
		{"claim-example-oral-contained.json", "hl7-100152", true},
		{"claim-example-oral-bridge.json", "hl7-100156", false},
	}
	for _, h := range hl7 {
		claim := claimFixture(t, "hl7/"+h.file)
		if h.dup {
			wantDuplicate(claim, patient, h.id)
			wantFiled(claim, other, h.id+"-b")
		} else {
			wantFiled(claim, patient, h.id)
		}
	}
	// Without an id argument, the claim's id is derived from the Claim's
	// under the hospital's key: the same Claim again is the same claim.
	nextDay := editClaim(t, claimFixture(t, "hl7/claim-example-vision.json"), func(m map[string]any) { claimItem(m, 0)["servicedDate"] = "2014-08-17" })
	wantFiled(nextDay, patient, "")
	r := clerk.do(`{ providerClaims(first: 50) { nodes { id } } }`, nil)
	var derived []string
	for _, c := range dig(r.Data, "providerClaims", "nodes").([]any) {
		if id := dig(c, "id").(string); !strings.HasPrefix(id, "hl7-") {
			derived = append(derived, id)
		}
	}
	if len(derived) != 1 || len(derived[0]) != len("stmarys-")+20 || strings.Contains(derived[0], "660150") {
		t.Fatalf("derived ids: %v (%s)", derived, r.raw)
	}
	if r := clerk.do(submitFhirDoc, map[string]any{"c": nextDay, "p": other}); r.code() != "CONFLICT" ||
		!strings.Contains(r.raw, derived[0]) {
		t.Fatalf("the same Claim without an id again: %s", r.raw)
	}

	// Almoner's own fixtures.
	pro := claimFixture(t, "professional-modifiers.json")
	const id = "pro-1"
	wantFiled(pro, patient, id)
	for _, f := range []string{"pharmacy-compound.json", "institutional-period.json", "oral-teeth.json"} {
		wantFiled(claimFixture(t, f), patient, "own-"+strings.TrimSuffix(f, ".json")[:6])
	}
	// The same services spelled otherwise are duplicates: the CPT code by
	// URL instead of OID with modifier 59 for 25; the HCPCS code in upper
	// case by OID; the left knee with a repeat modifier (76); and, through
	// submitClaim, the HL7 professional example's "exam" in another case.
	dups := map[string]func(m map[string]any){
		"another modifier": func(m map[string]any) {
			m["item"] = m["item"].([]any)[:1]
			delete(m, "total")
			it := claimItem(m, 0)
			it["productOrService"] = map[string]any{"coding": []any{map[string]any{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}}}
			it["modifier"] = []any{map[string]any{"coding": []any{map[string]any{"code": "59"}}}}
		},
		"upper case, system by OID": func(m map[string]any) {
			m["item"] = m["item"].([]any)[2:]
			delete(m, "total")
			claimItem(m, 0)["productOrService"] = map[string]any{"coding": []any{map[string]any{"system": "urn:oid:2.16.840.1.113883.6.285", "code": "J1100"}}}
		},
		"a repeat modifier": func(m map[string]any) {
			m["item"] = m["item"].([]any)[1:2]
			delete(m, "total")
			claimItem(m, 0)["modifier"] = []any{map[string]any{"coding": []any{map[string]any{"code": "76"}}}, map[string]any{"coding": []any{map[string]any{"code": "LT"}}}}
		},
	}
	for name, f := range dups {
		claim := editClaim(t, pro, f)
		if st, msg := file(claim, patient, "dup-"+strings.Trim(strings.Fields(name)[1], ",")); st != "FAILED" || !strings.Contains(msg, "already filed") {
			t.Fatalf("%s: %s %s", name, st, msg)
		}
	}
	clerk.failed("submitClaim", `mutation { submitClaim(id: "hl7-again", patient: "stmarys/patient-ana", insurer: "acme", currency: "USD",
		items: [{serviceCode: "Exam", system: "http://hl7.org/fhir/ex-serviceproduct", date: "2014-08-16", amount: 7500}], wait: true) { `+txFields+` } }`,
		nil, "already filed")
	// The right knee is another service; so are glasses through
	// submitClaim, which takes any code of any system now.
	wantFiled(editClaim(t, pro, func(m map[string]any) {
		m["item"] = m["item"].([]any)[1:2]
		delete(m, "total")
		claimItem(m, 0)["modifier"] = []any{map[string]any{"coding": []any{map[string]any{"code": "rt"}}}}
	}), patient, "right-knee")
	clerk.ok("submitClaim", `mutation { submitClaim(id: "vision-1", patient: "stmarys/patient-ana", insurer: "acme", currency: "USD",
		items: [{serviceCode: "glasses", system: "http://example.org/fhir/CodeSystem/ex-visionservice", modifiers: ["rooh"], date: "2025-06-01", amount: 23540}],
		wait: true) { `+txFields+` } }`, nil)

	// Invalid claims: BAD_USER_INPUT naming every problem, nothing signed.
	bad := editClaim(t, pro, func(m map[string]any) {
		m["id"] = "bad-1"
		claimItem(m, 2)["productOrService"] = map[string]any{"text": "dexamethasone"}
		delete(m, "priority")
	})
	r = clerk.do(submitFhirDoc, map[string]any{"c": bad, "p": patient, "id": "bad-1"})
	var probs []any
	if len(r.Errors) > 0 {
		probs, _ = r.Errors[0].Extensions["problems"].([]any)
	}
	if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "item[2].productOrService: a CodeableConcept with at least one coding is required") ||
		len(probs) != 2 || dig(probs[0], "path") != "priority" || dig(probs[1], "path") != "item[2].productOrService" {
		t.Fatalf("an invalid claim: %s", r.raw)
	}
	if r := clerk.do(claimDoc, map[string]any{"id": "bad-1"}); dig(r.Data, "claim") != nil {
		t.Fatalf("the invalid claim was filed: %s", r.raw)
	}
	noID := editClaim(t, pro, func(m map[string]any) { delete(m, "id"); delete(m, "identifier") })
	if r := clerk.do(submitFhirDoc, map[string]any{"c": noID, "p": patient}); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, "no id and no identifier") {
		t.Fatalf("a Claim without an id: %s", r.raw)
	}
	if r := clerk.do(submitFhirDoc, map[string]any{"c": pro, "p": patient, "id": id}); r.code() != "CONFLICT" || !strings.Contains(r.raw, "already exists") {
		t.Fatalf("the same claim id again: %s", r.raw)
	}
	if r := adjuster.do(submitFhirDoc, map[string]any{"c": noID, "p": patient, "id": "x-1"}); r.code() != "FORBIDDEN" {
		t.Fatalf("an adjuster filing: %s", r.raw)
	}

	// The insurer reads the professional claim and its FHIR responses at
	// each step; so does the patient; the provider's clerk reads no record.
	now := time.Now().UTC()
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "ana-fhir-claims", "g": "acme", "p": "claims", "c": []string{"claim"},
		"s": now.Add(-time.Hour).Format(time.RFC3339), "e": now.Add(24 * time.Hour).Format(time.RFC3339)})
	open := func(who *client) (doc, cr, eob map[string]any) {
		t.Helper()
		r := who.do(openFhirDoc, map[string]any{"c": id})
		d, _ := dig(r.Data, "openClaimDocument").(map[string]any)
		if len(r.Errors) != 0 || d == nil || d["verified"] != true || d["fhir"] != pro {
			t.Fatalf("opening %s: %s", id, r.raw)
		}
		return d, fhirJSON(t, d["claimResponse"], "ClaimResponse"), fhirJSON(t, d["explanationOfBenefit"], "ExplanationOfBenefit")
	}
	d, cr, eob := open(adjuster)
	items := d["items"].([]any)
	if len(items) != 3 || dig(items[0], "serviceCode") != "99213-25" || dig(items[1], "serviceCode") != "73560-LT" || dig(items[1], "code") != "73560" ||
		dig(items[1], "modifiers").([]any)[0] != "lt" || dig(items[2], "serviceCode") != "J1100" || dig(items[2], "code") != "j1100" ||
		dig(items[2], "quantity") != "4" || dig(items[2], "unitPrice") != "2.35" || dig(items[2], "amount") != "9.40" || dig(items[2], "sequence") != 3.0 ||
		dig(items[0], "date") != "2025-03-14" || dig(items[0], "system") != "urn:oid:2.16.840.1.113883.6.12" {
		t.Fatalf("the items: %v", items)
	}
	if cr["outcome"] != "queued" || len(cr["item"].([]any)) != 3 || cr["payment"] != nil || eob["outcome"] != "queued" {
		t.Fatalf("before adjudication: %v %v", cr, eob)
	}
	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": id})
	adjuster.ok("adjudicateClaim", adjudicateDoc, map[string]any{"c": id, "adj": []map[string]any{{"seq": 1, "approved": 15000},
		{"seq": 2, "approved": 8500}, {"seq": 3, "approved": 500, "reason": "plan-limit"}}})
	adjuster.ok("payClaim", payDoc, map[string]any{"c": id, "a": 24000})
	for _, who := range []*client{adjuster, ana} {
		_, cr, eob := open(who)
		for _, res := range []map[string]any{cr, eob} {
			if res["outcome"] != "complete" || res["status"] != "active" || !strings.Contains(res["disposition"].(string), "partially approved") ||
				dig(res, "payment", "amount", "value") != "240.00" || dig(res, "payment", "identifier", "value") != "ACME-PAY-0001" ||
				dig(res, "patient", "identifier", "value") != patient || dig(res, "insurer", "identifier", "value") != "acme" {
				t.Fatalf("after payment: %v", res)
			}
			third := res["item"].([]any)[2].(map[string]any)
			benefit := third["adjudication"].([]any)[1].(map[string]any)
			if dig(benefit, "category", "coding") == nil || dig(benefit, "amount", "value") != "5.00" ||
				dig(benefit, "reason", "coding").([]any)[0].(map[string]any)["code"] != "plan-limit" {
				t.Fatalf("the reduced item: %v", third)
			}
			totals := res["total"].([]any)
			if dig(totals[0], "amount", "value") != "244.40" || dig(totals[1], "amount", "value") != "240.00" {
				t.Fatalf("totals: %v", totals)
			}
		}
		eit := eob["item"].([]any)[1].(map[string]any)
		if dig(eit, "productOrService", "coding").([]any)[0].(map[string]any)["code"] != "73560" || eit["servicedDate"] != "2025-03-14" ||
			dig(eob["insurance"].([]any)[0], "coverage", "identifier", "value") != "ACME-55-1234" || dig(eob, "provider", "identifier", "value") != "stmarys" {
			t.Fatalf("the explanation's item and insurance: %v", eob)
		}
	}
	if r := clerk.do(openFhirDoc, map[string]any{"c": id}); r.code() != "FORBIDDEN" {
		t.Fatalf("the clerk opening the document: %s", r.raw)
	}
	// The provider's clerk, who reads no record, gets the responses on
	// the hospital's own copy of the Claim — the one filed, as its
	// amounts and (this portal holds St Mary's key) fingerprints show.
	const respDoc = `query($c: ID!, $d: String!) { claimResponse(claim: $c, document: $d) explanationOfBenefit(claim: $c, document: $d) }`
	for _, who := range []*client{clerk, ana, adjuster} {
		r := who.do(respDoc, map[string]any{"c": id, "d": pro})
		if len(r.Errors) != 0 {
			t.Fatalf("claimResponse: %s", r.raw)
		}
		cr, eob := fhirJSON(t, dig(r.Data, "claimResponse"), "ClaimResponse"), fhirJSON(t, dig(r.Data, "explanationOfBenefit"), "ExplanationOfBenefit")
		if cr["outcome"] != "complete" || dig(cr, "payment", "amount", "value") != "240.00" || dig(eob, "total").([]any)[1].(map[string]any)["amount"].(map[string]any)["value"] != "240.00" {
			t.Fatalf("the responses on the hospital's copy: %v %v", cr, eob)
		}
	}
	for name, doc := range map[string]string{
		"another service, the same amounts": editClaim(t, pro, func(m map[string]any) {
			claimItem(m, 0)["productOrService"] = map[string]any{"coding": []any{map[string]any{"system": "http://www.ama-assn.org/go/cpt", "code": "99214"}}}
		}),
		"another amount": editClaim(t, pro, func(m map[string]any) {
			delete(claimItem(m, 0), "unitPrice")
			claimItem(m, 0)["net"] = map[string]any{"value": json.Number("151.00"), "currency": "USD"}
			delete(m, "total")
		}),
	} {
		if r := clerk.do(respDoc, map[string]any{"c": id, "d": doc}); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, "the document is not claim pro-1's") {
			t.Fatalf("%s: %s", name, r.raw)
		}
	}
	if r := clerk.do(respDoc, map[string]any{"c": id, "d": "{}"}); r.code() != "BAD_USER_INPUT" || !strings.Contains(r.raw, "resourceType") {
		t.Fatalf("not a Claim: %s", r.raw)
	}
	if r := as(t, p, "hope/officer").do(respDoc, map[string]any{"c": id, "d": pro}); r.code() != "FORBIDDEN" {
		t.Fatalf("a charity officer: %s", r.raw)
	}
	if r := clerk.do(respDoc, map[string]any{"c": "no-such-claim", "d": pro}); len(r.Errors) != 0 || dig(r.Data, "claimResponse") != nil {
		t.Fatalf("no such claim: %s", r.raw)
	}
	if r := as(t, p, "hope/officer").do(openFhirDoc, map[string]any{"c": id}); r.code() != "FORBIDDEN" {
		t.Fatalf("a charity officer opening the document: %s", r.raw)
	}

	// Nothing of the services, their days or the patient's details is on
	// the ledger: no transaction argument or event attribute names them.
	forbidden := []string{"exam", "glasses", "smokecess", "compound", "drugs", "rooh", "j1100", "99213", "73560", "67221", "21211", "27211",
		"0src0j9", "mrn", "000417", "donald", "duck"}
	phrases := []string{"2014-08-16", "2025-03-14", "2025-02-10", "2025-02-13", "2025-04-02", "2025-05-05", "2025-06-01", "2014-08-17", "room and board",
		"ex-serviceproduct", "fdi.org", "ama-assn", "113883", "ACME-55-1234", "pro-2025-0314", "rx-compound"}
	checkLedger(t, n, forbidden, phrases)
}

// fhirJSON decodes a ClaimResponse or ExplanationOfBenefit and checks
// the elements FHIR R4 requires of it.
func fhirJSON(t *testing.T, v any, kind string) map[string]any {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("no %s: %v", kind, v)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	required := []string{"resourceType", "status", "type", "use", "patient", "created", "insurer", "outcome", "item", "total"}
	if kind == "ExplanationOfBenefit" {
		required = append(required, "provider", "insurance")
	}
	for _, r := range required {
		if m[r] == nil {
			t.Fatalf("%s lacks %s: %s", kind, r, s)
		}
	}
	if m["resourceType"] != kind || m["use"] != "claim" || dig(m, "type", "coding") == nil {
		t.Fatalf("%s: %s", kind, s)
	}
	for _, x := range m["item"].([]any) {
		for _, a := range x.(map[string]any)["adjudication"].([]any) {
			c := dig(a, "category", "coding").([]any)[0].(map[string]any)
			if c["system"] != "http://terminology.hl7.org/CodeSystem/adjudication" || !slices.Contains([]string{"submitted", "benefit"}, c["code"].(string)) {
				t.Fatalf("%s: adjudication category %v", kind, c)
			}
		}
	}
	// Amounts as JSON numbers: compare their text.
	return numbersAsText(m).(map[string]any)
}

func numbersAsText(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = numbersAsText(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbersAsText(e)
		}
	case json.Number:
		return string(t)
	}
	return v
}

// checkLedger reads every block and fails if a transaction argument or an
// event attribute holds one of the forbidden words (as a whole word, any
// case) or phrases (anywhere).
func checkLedger(t *testing.T, n *testnode.Node, words, phrases []string) {
	t.Helper()
	bad := func(where, s string) {
		low := strings.ToLower(s)
		for _, p := range phrases {
			if strings.Contains(low, strings.ToLower(p)) {
				t.Fatalf("%s holds %q: %s", where, p, s)
			}
		}
		for _, w := range strings.FieldsFunc(low, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
			if slices.Contains(words, w) {
				t.Fatalf("%s holds %q: %s", where, w, s)
			}
		}
	}
	blocks := 0
	for h := uint64(1); ; h++ {
		b, err := n.Client.Block(context.Background(), h)
		if err != nil {
			break // past the head
		}
		blocks++
		for _, x := range b.Txs {
			raw, _ := json.Marshal(x.Body.Call.Args)
			bad(fmt.Sprintf("a transaction of block %d", h), string(raw))
		}
		for _, rc := range b.Receipts {
			for _, e := range rc.Events {
				for _, a := range e.Attrs {
					bad("event "+e.Type, a.Value)
				}
			}
			bad("a receipt's error", rc.Error)
		}
	}
	if blocks < 20 {
		t.Fatalf("only %d blocks read", blocks)
	}
}
