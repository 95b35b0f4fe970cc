package claimdoc_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseFHIRExamples reads the HL7 example claims of every kind and
// Almoner's own fixtures: each is accepted, with the amounts and the
// normalised services the ledger and the fingerprints get, and each
// files (its document validates and SubmitArgs builds the call).
func TestParseFHIRExamples(t *testing.T) {
	cases := []struct {
		file     string
		currency string
		nets     []uint64
		services []string // canonical service codes (Service.Code)
		dates    []string
	}{
		{"hl7/claim-example.json", "USD", []uint64{13557}, []string{"|1200"}, []string{"2014-08-16"}},
		{"hl7/claim-example-oral-contained.json", "USD", []uint64{13557}, []string{"|1200"}, []string{"2014-08-16"}},
		{"hl7/claim-example-oral-bridge.json", "USD", []uint64{105000, 10500, 110000}, []string{
			"http://example.org/fhir/oralservicecodes|67221@http://fdi.org/fhir/oraltoothcodes|01",
			"http://example.org/fhir/oralservicecodes|21211@http://fdi.org/fhir/oralsurfacecodes|L@http://fdi.org/fhir/oraltoothcodes|21",
			"http://example.org/fhir/oralservicecodes|27211@http://fdi.org/fhir/oraltoothcodes|24"}, []string{"2014-08-16", "2014-08-16", "2014-08-16"}},
		{"hl7/claim-example-institutional.json", "USD", []uint64{12500}, []string{"http://hl7.org/fhir/ex-serviceproduct|EXAM"}, []string{"2014-08-16"}},
		{"hl7/claim-example-professional.json", "USD", []uint64{7500}, []string{"http://hl7.org/fhir/ex-serviceproduct|EXAM"}, []string{"2014-08-16"}},
		{"hl7/claim-example-vision.json", "USD", []uint64{8000}, []string{"http://example.org/fhir/codesystem/ex-visionservice|EXAM"}, []string{"2014-08-16"}},
		{"hl7/claim-example-vision-glasses-3tier.json", "USD", []uint64{23540}, []string{"http://example.org/fhir/codesystem/ex-visionservice|GLASSES-ROOH"}, []string{"2014-08-16"}},
		{"hl7/claim-example-pharmacy.json", "USD", []uint64{6000}, []string{"http://hl7.org/fhir/ex-pharmaservice|SMOKECESS"}, []string{"2014-08-16"}},
		// Almoner's own: CPT by its OID and by URL, a lower-case modifier
		// that names a site, a lower-case HCPCS code by https URL, 4 × 2.35.
		{"professional-modifiers.json", "USD", []uint64{15000, 8500, 940}, []string{"99213-25", "73560-LT",
			"http://www.cms.gov/medicare/coding/hcpcsreleasecodesets|J1100"}, []string{"2025-03-14", "2025-03-14", "2025-03-14"}},
		// A compound with details; quantity 1, net given.
		{"pharmacy-compound.json", "EUR", []uint64{5825}, []string{"http://terminology.hl7.org/codesystem/ex-pharmaservice|COMPOUND"}, []string{"2025-04-02"}},
		// A stay over a period, a lower-case ICD-10-PCS code, and a net
		// that follows from 10 × 12.345 (rounded half up to the cent).
		{"institutional-period.json", "EUR", []uint64{240000, 915000, 12345}, []string{"http://terminology.hl7.org/codesystem/ex-serviceproduct|ROOM%20AND%20BOARD",
			"http://www.cms.gov/medicare/coding/icd10|0SRC0J9", "http://terminology.hl7.org/codesystem/ex-serviceproduct|DRUGS"},
			[]string{"2025-02-10/2025-02-13", "2025-02-10", "2025-02-10/2025-02-13"}},
		// One procedure on two teeth: two services.
		{"oral-teeth.json", "USD", []uint64{10500, 10500}, []string{
			"http://example.org/fhir/oralservicecodes|21211@http://fdi.org/fhir/oralsurfacecodes|L@http://fdi.org/fhir/oraltoothcodes|21",
			"http://example.org/fhir/oralservicecodes|21211@http://fdi.org/fhir/oralsurfacecodes|M@http://fdi.org/fhir/oraltoothcodes|22"}, []string{"2025-05-05", "2025-05-05"}},
	}
	k := testKey(t)
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, err := claimdoc.ParseFHIR(fixture(t, tc.file), now)
			if err != nil {
				t.Fatal(err)
			}
			var nets []uint64
			var services, dates []string
			for _, it := range c.Items {
				nets = append(nets, it.Net)
				services = append(services, it.Service.String())
				dates = append(dates, it.Date)
			}
			if c.Currency != tc.currency || !slices.Equal(nets, tc.nets) || !slices.Equal(services, tc.services) || !slices.Equal(dates, tc.dates) {
				t.Fatalf("got %s %v %q %v", c.Currency, nets, services, dates)
			}
			d := c.Document("c-"+strings.TrimSuffix(filepath.Base(tc.file), ".json"), "stmarys", "stmarys/ana", "acme", []string{"rec-1"})
			if err := d.Validate(now); err != nil {
				t.Fatal(err)
			}
			if _, err := k.SubmitArgs(d, claimdoc.RecordID(d.ClaimID), 1, now); err != nil {
				t.Fatal(err)
			}
			if d.Total() != c.Total() {
				t.Fatalf("total %d vs %d", d.Total(), c.Total())
			}
		})
	}
}

// edit decodes a fixture, changes it and encodes it again.
func edit(t testing.TB, name string, f func(m map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(fixture(t, name))))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itemOf(m map[string]any, i int) map[string]any { return m["item"].([]any)[i].(map[string]any) }

// TestParseFHIRRefuses: what a FHIR Claim to file may not be, each with
// the path of what is wrong and why (several problems at once).
func TestParseFHIRRefuses(t *testing.T) {
	const pro = "professional-modifiers.json"
	usd := func(v string) map[string]any { return map[string]any{"value": json.Number(v), "currency": "USD"} }
	cases := []struct {
		name string
		in   []byte
		want []string // "path: reason" prefixes, in order
	}{
		{"a text for the code billed", edit(t, pro, func(m map[string]any) {
			itemOf(m, 2)["productOrService"] = map[string]any{"text": "dexamethasone"}
		}), []string{"item[2].productOrService: a CodeableConcept with at least one coding is required"}},
		{"no code billed", edit(t, pro, func(m map[string]any) { delete(itemOf(m, 0), "productOrService") }),
			[]string{"item[0].productOrService: a CodeableConcept with at least one coding is required"}},
		{"two codings, none selected", edit(t, pro, func(m map[string]any) {
			itemOf(m, 0)["productOrService"] = map[string]any{"coding": []any{map[string]any{"code": "99213"}, map[string]any{"system": "http://snomed.info/sct", "code": "185349003"}}}
		}), []string{"item[0].productOrService.coding: 2 codings, and not exactly one marked userSelected"}},
		{"a typo in an element", edit(t, pro, func(m map[string]any) {
			it := itemOf(m, 1)
			it["servicedDat"] = it["servicedDate"]
			delete(it, "servicedDate")
		}), []string{"item[1].servicedDat: not an element of Claim.item in FHIR R4", "item[1].serviced[x]: the date of service is required"}},
		{"net is not quantity × unitPrice", edit(t, pro, func(m map[string]any) { itemOf(m, 2)["net"] = usd("9.50") }),
			[]string{"item[2].net: 9.50 is not quantity × unitPrice × factor = 4 × 2.35 × 1 = 9.40"}},
		{"a total that is not the sum", edit(t, pro, func(m map[string]any) { m["total"] = usd("245.40") }),
			[]string{"total: 245.40 is not the sum of the items' net amounts (244.40)"}},
		{"a day in the future", edit(t, pro, func(m map[string]any) { itemOf(m, 0)["servicedDate"] = "2026-11-02" }),
			[]string{"item[0].servicedDate: 2026-11-02 is after today (2026-11-01)"}},
		{"a month, not a day", edit(t, pro, func(m map[string]any) { itemOf(m, 0)["servicedDate"] = "2025-03" }),
			[]string{`item[0].servicedDate: "2025-03" names no day`}},
		{"a local reference to nothing", edit(t, pro, func(m map[string]any) { m["patient"] = map[string]any{"reference": "#patient-1"} }),
			[]string{`patient.reference: "#patient-1" names no contained resource (ref-1)`}},
		{"a preauthorization", edit(t, pro, func(m map[string]any) { m["use"] = "preauthorization" }),
			[]string{`use: "preauthorization": a preauthorization asks before care; only a claim (use "claim") is filed for payment`}},
		{"a draft", edit(t, pro, func(m map[string]any) { m["status"] = "draft" }), []string{`status: "draft": only an active claim is filed`}},
		{"no patient, no priority", edit(t, pro, func(m map[string]any) { delete(m, "patient"); delete(m, "priority") }),
			[]string{"patient: required (a Reference)", "priority: required"}},
		{"a contained resource nothing refers to", edit(t, pro, func(m map[string]any) {
			m["contained"] = append(m["contained"].([]any), map[string]any{"resourceType": "Organization", "id": "org-x"})
		}), []string{`contained[2]: contained resource "org-x" is not referred to from the claim (dom-3)`}},
		{"two currencies", edit(t, pro, func(m map[string]any) {
			itemOf(m, 1)["unitPrice"] = map[string]any{"value": json.Number("85.00"), "currency": "EUR"}
		}), []string{"item[1].unitPrice.currency: EUR, but item[0].unitPrice.currency is USD: a claim is in one currency"}},
		{"a quoted amount", edit(t, pro, func(m map[string]any) { itemOf(m, 0)["net"] = map[string]any{"value": "150.00", "currency": "USD"} }),
			[]string{"item[0].net.value: must be a JSON number (a FHIR decimal is not quoted)"}},
		{"a sequence twice", edit(t, pro, func(m map[string]any) { itemOf(m, 1)["sequence"] = json.Number("1") }),
			[]string{"item[1].sequence: 1 is the sequence of item[0] too: item sequences are unique"}},
		{"a careTeam that is not there", edit(t, pro, func(m map[string]any) { itemOf(m, 0)["careTeamSequence"] = []any{json.Number("2")} }),
			[]string{"item[0].careTeamSequence[0]: no careTeam has sequence 2"}},
		{"a modifier extension", edit(t, pro, func(m map[string]any) {
			itemOf(m, 0)["modifierExtension"] = []any{map[string]any{"url": "http://example.org/not-really", "valueBoolean": true}}
		}), []string{"item[0].modifierExtension: this portal understands no modifier extension"}},
		{"a zero amount", edit(t, pro, func(m map[string]any) {
			delete(itemOf(m, 0), "unitPrice")
			itemOf(m, 0)["net"] = usd("0")
		}), []string{"item[0].net: 0: an item claims at least one minor unit"}},
		{"empty and null values", edit(t, pro, func(m map[string]any) { m["identifier"] = []any{}; m["insurer"] = nil }),
			[]string{"identifier: an empty array", "insurer: null"}},
		{"a SimpleQuantity with a comparator", edit(t, pro, func(m map[string]any) { itemOf(m, 2)["quantity"].(map[string]any)["comparator"] = "<" }),
			[]string{"item[2].quantity.comparator: a SimpleQuantity has no comparator"}},
		{"a code with a trailing space", edit(t, pro, func(m map[string]any) {
			itemOf(m, 0)["productOrService"] = map[string]any{"coding": []any{map[string]any{"code": "99213 "}}}
		}), []string{`item[0].productOrService.coding[0].code: "99213 " is not a FHIR code`}},
		{"an identifier's system with a space and a userSelected in words", edit(t, pro, func(m map[string]any) {
			m["identifier"] = []any{map[string]any{"system": "urn:a b", "value": "x"}}
			m["subType"] = map[string]any{"coding": []any{map[string]any{"code": "x", "userSelected": "yes"}}}
		}), []string{`identifier[0].system: "urn:a b" is not a URI`, "subType.coding[0].userSelected: must be true or false"}},
		{"a careTeam sequence twice and a detail's sequence twice", edit(t, pro, func(m map[string]any) {
			m["careTeam"] = append(m["careTeam"].([]any), map[string]any{"sequence": json.Number("1"),
				"provider": map[string]any{"display": "Dr Kim"}})
			detail := func() map[string]any {
				return map[string]any{"sequence": json.Number("1"), "productOrService": map[string]any{"text": "x"}}
			}
			itemOf(m, 0)["detail"] = []any{detail(), detail()}
		}), []string{"careTeam[1].sequence: 1 is the sequence of another Claim.careTeam: sequences are unique",
			"item[0].detail[1].sequence: 1 is the sequence of another detail of this item: sequences are unique"}},
		{"no items", edit(t, pro, func(m map[string]any) { delete(m, "item"); delete(m, "total") }), []string{"item: required: a claim to file has 1 to 50 items"}},
		{"a Bundle", []byte(`{"resourceType":"Bundle","type":"collection"}`), []string{`resourceType: "Bundle", not Claim`}},
		{"a property twice", []byte(strings.Replace(string(fixture(t, pro)), `"use": "claim",`, `"use": "claim", "use": "claim",`, 1)),
			[]string{"use: the property is given twice"}},
		{"not UTF-8", append(fixture(t, pro)[:10:10], 0xff), []string{"the document is not valid UTF-8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := claimdoc.ParseFHIR(tc.in, now)
			var ce *claimdoc.ClaimError
			if !errors.As(err, &ce) || !errors.Is(err, claimdoc.ErrInvalid) {
				t.Fatalf("%v, want a ClaimError", err)
			}
			if len(ce.Problems) != len(tc.want) {
				t.Fatalf("problems %q, want %q", ce.Problems, tc.want)
			}
			for i, w := range tc.want {
				if got := ce.Problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d: %q, want %q", i, got, w)
				}
			}
		})
	}
}

// TestServiceIdentity pins what makes two services the same (decision
// 0019): case, white space, system aliases, modifier order and the
// modifiers that name no site change nothing an item fingerprint
// covers; the system, the code, the day and the site do. The claim
// fingerprint covers every modifier.
func TestServiceIdentity(t *testing.T) {
	k := testKey(t)
	sc := func(system, code string, mods []string, sites ...claimdoc.Site) string {
		t.Helper()
		s, err := claimdoc.NewServiceCode(system, code, mods, sites)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := claimdoc.ParseServiceCode(s.String()); err != nil || back.String() != s.String() {
			t.Fatalf("%s does not read back: %v", s, err)
		}
		return s.String()
	}
	item := func(code, date string) string {
		return k.ItemFingerprints("stmarys", "stmarys/ana", []claimdoc.Service{{Code: code, Date: date}})[0].String()
	}
	claimFP := func(code string) string {
		return k.Fingerprint("stmarys", "stmarys/ana", []claimdoc.Service{{Code: code, Date: "2025-03-14"}}).String()
	}
	base := sc("http://www.ama-assn.org/go/cpt", "99213", nil)
	if base != "99213" {
		t.Fatalf("CPT reads as before: %s", base)
	}
	tooth21 := claimdoc.Site{System: "http://fdi.org/fhir/oraltoothcodes", Code: "21"}
	same := map[string]string{
		"the CPT OID":                      sc("urn:oid:2.16.840.1.113883.6.12", "99213", nil),
		"https and a trailing slash":       sc("HTTPS://www.ama-assn.org/go/cpt/", "99213", nil),
		"white space":                      sc("http://www.ama-assn.org/go/cpt", " 99213\t", nil),
		"modifier 25":                      sc("http://www.ama-assn.org/go/cpt", "99213", []string{"25"}),
		"modifiers 59 and 76 in any order": sc("http://www.ama-assn.org/go/cpt", "99213", []string{"76", "59"}),
		"a lower-case modifier":            sc("http://www.ama-assn.org/go/cpt", "99213", []string{"gA"}),
	}
	for name, code := range same {
		if item(code, "2025-03-14") != item(base, "2025-03-14") {
			t.Errorf("%s (%s): another service to the item fingerprints", name, code)
		}
	}
	if claimFP(same["modifier 25"]) == claimFP(base) {
		t.Error("the claim fingerprint does not cover the modifiers")
	}
	if claimFP(sc("http://www.ama-assn.org/go/cpt", "99213", []string{"76", "59"})) != claimFP(sc("http://www.ama-assn.org/go/cpt", "99213", []string{"59", "76", "59"})) {
		t.Error("the claim fingerprint depends on the modifiers' order or repeats")
	}
	hcpcs := sc("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "j1100", nil)
	if hcpcs != sc("urn:oid:2.16.840.1.113883.6.285", "J1100", nil) {
		t.Errorf("HCPCS by URL and by OID differ: %s", hcpcs)
	}
	lt := sc("http://www.ama-assn.org/go/cpt", "73560", []string{"lt", "59"})
	other := map[string]string{
		"another day":                  item(base, "2025-03-15"),
		"another code":                 item(sc("http://www.ama-assn.org/go/cpt", "99214", nil), "2025-03-14"),
		"another system":               item(sc("http://hl7.org/fhir/ex-serviceproduct", "99213", nil), "2025-03-14"),
		"no system":                    item(sc("", "99213", nil), "2025-03-14"),
		"a period, not a day":          item(base, "2025-03-14/2025-03-15"),
		"a site (tooth 21)":            item(sc("http://www.ama-assn.org/go/cpt", "99213", nil, tooth21), "2025-03-14"),
		"a site modifier (LT)":         item(sc("http://www.ama-assn.org/go/cpt", "99213", []string{"LT"}), "2025-03-14"),
		"the right side (RT after LT)": item(lt, "2025-03-14"),
	}
	seen := map[string]string{item(base, "2025-03-14"): "the base service"}
	for name, fp := range other {
		if prev, dup := seen[fp]; dup {
			t.Errorf("%s: the same service as %s", name, prev)
		}
		seen[fp] = name
	}
	if item(lt, "2025-03-14") != item(sc("http://www.ama-assn.org/go/cpt", "73560", []string{"LT"}), "2025-03-14") {
		t.Error("modifier 59 made the left knee another service")
	}
	if item(lt, "2025-03-14") == item(sc("http://www.ama-assn.org/go/cpt", "73560", []string{"RT"}), "2025-03-14") {
		t.Error("the left and the right knee are one service")
	}
	// Repeats within a claim still count by occurrence, modifiers or not.
	two := k.ItemFingerprints("stmarys", "stmarys/ana", []claimdoc.Service{{Code: "99213", Date: "2025-03-14"}, {Code: "99213-76", Date: "2025-03-14"}})
	if two[0] == two[1] || !slices.Contains(two, k.ItemFingerprints("stmarys", "stmarys/ana", []claimdoc.Service{{Code: "99213-91", Date: "2025-03-14"}})[0]) {
		t.Error("a repeat within one claim is not its second occurrence")
	}
	for _, bad := range []string{"", "99213-25-25", "99213-59-25", "99213-25 ", "|office visit", "http://X|EXAM", "|EXAM@|", "%zz", "99213-"} {
		if err := claimdoc.ValidateServiceCode(bad); !errors.Is(err, claimdoc.ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestReadDocuments: Read takes the consortium's parties from the claim
// on the ledger for a hospital's own FHIR Claim, and from the document
// for one made by MarshalFHIR; VerifyContent then compares them.
func TestReadDocuments(t *testing.T) {
	b := fixture(t, "professional-modifiers.json")
	fc, err := claimdoc.ParseFHIR(b, now)
	if err != nil {
		t.Fatal(err)
	}
	filed := func(d *claimdoc.Document) claimdoc.Filed {
		f := claimdoc.Filed{ID: d.ClaimID, Provider: d.Provider, Patient: d.Patient, Insurer: d.Insurer, Currency: d.Currency, Records: d.Records}
		for _, l := range d.Lines {
			f.Amounts = append(f.Amounts, l.Amount)
		}
		return f
	}
	d := fc.Document("stmarys-pro-2025-0314", "stmarys", "stmarys/ana", "acme", []string{"rec-1"})
	back, c, err := claimdoc.Read(b, filed(d))
	if err != nil || c.ID != "pro-2025-0314" || !slices.Equal(back.Lines, d.Lines) || back.Patient != "stmarys/ana" {
		t.Fatalf("%+v %v", back, err)
	}
	if err := claimdoc.VerifyContent(filed(d), back); err != nil {
		t.Fatal(err)
	}
	// A document made by MarshalFHIR names its parties: another patient
	// in it is a mismatch.
	own := anaDoc()
	ob, _ := own.MarshalFHIR()
	f := filed(own)
	f.Patient = "stmarys/bob"
	od, _, err := claimdoc.Read(ob, f)
	if err != nil || od.Patient != "stmarys/ana" {
		t.Fatalf("%+v %v", od, err)
	}
	if err := claimdoc.VerifyContent(f, od); !errors.Is(err, claimdoc.ErrMismatch) {
		t.Fatalf("another patient: %v", err)
	}
	if _, _, err := claimdoc.Read([]byte(`{"resourceType":"Claim"}`), f); !errors.Is(err, claimdoc.ErrInvalid) || !strings.Contains(err.Error(), "status: required") {
		t.Fatalf("an empty Claim: %v", err)
	}
}

// FuzzParseFHIR fuzzes the FHIR Claim reader (claims arrive from
// hospitals' billing systems and from custodians' stores): no panic; a
// refusal is a ClaimError with problems; an accepted claim files (its
// document validates) and renders a ClaimResponse and an
// ExplanationOfBenefit that are JSON.
func FuzzParseFHIR(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/hl7/*.json")
	for _, p := range append(paths, more...) {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"resourceType":"Claim","item":[{"sequence":1,"net":{"value":1e400,"currency":"USD"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := claimdoc.ParseFHIR(data, now)
		if err != nil {
			var ce *claimdoc.ClaimError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("refusal %v is not a ClaimError with problems", err)
			}
			return
		}
		d := c.Document("fuzz-claim", "stmarys", "stmarys/ana", "acme", nil)
		if err := d.Validate(now); err != nil {
			t.Fatalf("an accepted claim does not validate: %v", err)
		}
		dec := claimdoc.Decision{ClaimID: "fuzz-claim", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: c.Currency, Created: now}
		for _, it := range c.Items {
			dec.Items = append(dec.Items, claimdoc.DecisionItem{Claimed: it.Net, Adjudicated: true, Approved: it.Net / 2, Reason: "plan-limit"})
		}
		for _, render := range []func(claimdoc.Decision) ([]byte, error){c.ClaimResponse, c.ExplanationOfBenefit} {
			b, err := render(dec)
			if err != nil || !json.Valid(b) {
				t.Fatalf("%s %v", b, err)
			}
		}
	})
}

// TestClaimID: a claim id derived from a FHIR Claim's own id is stable,
// the provider's, and shows nothing of the hospital's id.
func TestClaimID(t *testing.T) {
	k := testKey(t)
	c, err := claimdoc.ParseFHIR(fixture(t, "pharmacy-compound.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	id := k.ClaimID("stmarys", c.Key())
	if c.Key() != "id:rx-compound-0042" || id != k.ClaimID("stmarys", "id:rx-compound-0042") || !strings.HasPrefix(id, "stmarys-") ||
		len(id) != len("stmarys-")+20 || strings.Contains(id, "compound") {
		t.Fatalf("%q from %q", id, c.Key())
	}
	other, _ := claimdoc.NewKey(nil)
	for _, x := range []string{k.ClaimID("city", c.Key()), k.ClaimID("stmarys", "id:rx-compound-0043"), other.ClaimID("stmarys", c.Key())} {
		if x == id {
			t.Fatalf("%s collides", x)
		}
	}
	noID, _ := claimdoc.ParseFHIR(edit(t, "pharmacy-compound.json", func(m map[string]any) {
		delete(m, "id")
		m["identifier"] = []any{map[string]any{"system": "http://stmarys.example/claim", "value": "RX-42"}}
	}), now)
	if noID.Key() != "identifier:http://stmarys.example/claim|RX-42" {
		t.Fatalf("key %q", noID.Key())
	}
}
