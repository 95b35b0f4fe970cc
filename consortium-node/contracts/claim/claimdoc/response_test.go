package claimdoc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
)

// resource decodes a rendered resource and checks what FHIR R4 requires
// of every ClaimResponse or ExplanationOfBenefit (the 1..1 elements, the
// adjudication categories' code system, amounts in the claim's
// currency), returning it for the case's own checks.
func resource(t *testing.T, b []byte, kind string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", kind, err, b)
	}
	required := []string{"resourceType", "status", "type", "use", "patient", "created", "insurer", "outcome"}
	if kind == "ExplanationOfBenefit" {
		required = append(required, "provider", "insurance")
	}
	for _, r := range required {
		if m[r] == nil {
			t.Fatalf("%s lacks %s:\n%s", kind, r, b)
		}
	}
	if m["resourceType"] != kind || !slices.Contains([]string{"active", "cancelled"}, m["status"].(string)) || m["use"] != "claim" ||
		!slices.Contains([]string{"queued", "complete"}, m["outcome"].(string)) {
		t.Fatalf("%s: resourceType, status, use or outcome: %s", kind, b)
	}
	if _, err := time.Parse(time.RFC3339, m["created"].(string)); err != nil {
		t.Fatalf("%s: created %v", kind, m["created"])
	}
	for _, r := range []string{"patient", "insurer"} {
		if id, _ := m[r].(map[string]any)["identifier"].(map[string]any); id == nil || id["value"] == "" {
			t.Fatalf("%s: %s is not by identifier: %s", kind, r, b)
		}
	}
	items, _ := m["item"].([]any)
	for i, x := range items {
		it := x.(map[string]any)
		seq := "itemSequence"
		if kind == "ExplanationOfBenefit" {
			seq = "sequence"
			if it["productOrService"] == nil {
				t.Fatalf("item %d has no productOrService", i)
			}
		}
		if n, ok := it[seq].(json.Number); !ok || n == "" {
			t.Fatalf("item %d has no %s", i, seq)
		}
		adj, _ := it["adjudication"].([]any)
		if len(adj) == 0 {
			t.Fatalf("item %d has no adjudication", i)
		}
		for _, a := range adj {
			cat := a.(map[string]any)["category"].(map[string]any)["coding"].([]any)[0].(map[string]any)
			if cat["system"] != claimdoc.SystemAdjudication || !slices.Contains([]string{"submitted", "benefit"}, cat["code"].(string)) {
				t.Fatalf("item %d: category %v", i, cat)
			}
		}
	}
	for _, x := range m["total"].([]any) {
		tot := x.(map[string]any)
		if tot["category"] == nil || tot["amount"].(map[string]any)["currency"] == nil {
			t.Fatalf("total %v", tot)
		}
	}
	return m
}

// adjudicated returns the item's adjudication of a category: its amount
// and reason code ("" when none; ok false when there is no such entry).
func adjudicated(it map[string]any, category string) (amount, reason string, ok bool) {
	for _, a := range it["adjudication"].([]any) {
		am := a.(map[string]any)
		if am["category"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"] != category {
			continue
		}
		if r, _ := am["reason"].(map[string]any); r != nil {
			reason = r["coding"].([]any)[0].(map[string]any)["code"].(string)
		}
		return string(am["amount"].(map[string]any)["value"].(json.Number)), reason, true
	}
	return "", "", false
}

// TestClaimResponseAndEOB renders the responses of a claim in each state
// the ledger knows — filed, partially approved, denied, paid, cancelled
// — for an HL7 example and Almoner's fixture, and checks their shape and
// numbers.
func TestClaimResponseAndEOB(t *testing.T) {
	decided := time.Date(2026, 10, 31, 15, 4, 5, 0, time.UTC)
	for _, file := range []string{"hl7/claim-example-vision-glasses-3tier.json", "professional-modifiers.json", "hl7/claim-example-oral-contained.json"} {
		c, err := claimdoc.ParseFHIR(fixture(t, file), now)
		if err != nil {
			t.Fatal(err)
		}
		base := claimdoc.Decision{ClaimID: "c-1", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: c.Currency, Created: decided}
		items := func(f func(i int, it *claimdoc.DecisionItem)) []claimdoc.DecisionItem {
			var out []claimdoc.DecisionItem
			for i, it := range c.Items {
				d := claimdoc.DecisionItem{Claimed: it.Net}
				if f != nil {
					f(i, &d)
				}
				out = append(out, d)
			}
			return out
		}
		filed := base
		filed.Items, filed.Disposition = items(nil), "submitted; not adjudicated yet"
		partial := base
		partial.Complete, partial.Disposition = true, "partially approved"
		partial.Items = items(func(i int, d *claimdoc.DecisionItem) {
			d.Adjudicated, d.Approved = true, d.Claimed
			if i == 0 {
				d.Approved, d.Reason = d.Claimed/2, "plan-limit"
			}
		})
		denied := base
		denied.Complete, denied.Disposition = true, "denied: not-covered"
		denied.Items = items(func(_ int, d *claimdoc.DecisionItem) { d.Adjudicated, d.Reason = true, "not-covered" })
		paid := partial
		var approved uint64
		for _, it := range paid.Items {
			approved += it.Approved
		}
		paid.Payment = &claimdoc.Payment{Ref: "ACME-PAY-1", Amount: approved, Date: decided.Add(48 * time.Hour)}
		cancelled := filed
		cancelled.Cancelled = true
		for name, d := range map[string]claimdoc.Decision{"filed": filed, "partial": partial, "denied": denied, "paid": paid, "cancelled": cancelled} {
			t.Run(file+"/"+name, func(t *testing.T) {
				crb, err := c.ClaimResponse(d)
				if err != nil {
					t.Fatal(err)
				}
				eobb, err := c.ExplanationOfBenefit(d)
				if err != nil {
					t.Fatal(err)
				}
				cr, eob := resource(t, crb, "ClaimResponse"), resource(t, eobb, "ExplanationOfBenefit")
				for _, r := range []map[string]any{cr, eob} {
					wantOutcome, wantStatus := "queued", "active"
					if d.Complete || d.Cancelled {
						wantOutcome = "complete"
					}
					if d.Cancelled {
						wantStatus = "cancelled"
					}
					if r["outcome"] != wantOutcome || r["status"] != wantStatus || r["disposition"] != d.Disposition {
						t.Fatalf("outcome %v status %v disposition %v", r["outcome"], r["status"], r["disposition"])
					}
					// The claim's type, from the document, as written.
					if raw, _ := json.Marshal(r["type"]); !strings.Contains(string(raw), "http://terminology.hl7.org/CodeSystem/claim-type") {
						t.Fatalf("type %s", raw)
					}
					if (d.Payment != nil) != (r["payment"] != nil) {
						t.Fatalf("payment %v", r["payment"])
					}
					if d.Payment != nil {
						p := r["payment"].(map[string]any)
						if p["date"] != "2026-11-02" || p["identifier"].(map[string]any)["value"] != "ACME-PAY-1" || p["type"] == nil {
							t.Fatalf("payment %v", p)
						}
					}
					its := r["item"].([]any)
					if len(its) != len(c.Items) {
						t.Fatalf("%d items", len(its))
					}
					for i, x := range its {
						it := x.(map[string]any)
						sub, _, ok := adjudicated(it, "submitted")
						if !ok || sub != string(jsonDecimal(c.Items[i].Net)) {
							t.Fatalf("item %d submitted %s", i, sub)
						}
						ben, reason, ok := adjudicated(it, "benefit")
						if ok != d.Items[i].Adjudicated || ok && (ben != string(jsonDecimal(d.Items[i].Approved)) || reason != d.Items[i].Reason) {
							t.Fatalf("item %d benefit %s %q %v", i, ben, reason, ok)
						}
					}
				}
				// The response's items name the document's sequences.
				if seq := cr["item"].([]any)[0].(map[string]any)["itemSequence"]; seq != json.Number("1") {
					t.Fatalf("itemSequence %v", seq)
				}
				// The explanation carries the services, as the document
				// writes them.
				eit := eob["item"].([]any)[0].(map[string]any)
				if raw, _ := json.Marshal(eit["productOrService"]); !strings.Contains(string(raw), c.Items[0].Code) {
					t.Fatalf("productOrService %s", raw)
				}
				if ins := eob["insurance"].([]any)[len(eob["insurance"].([]any))-1].(map[string]any); ins["focal"] != true || ins["coverage"] == nil {
					t.Fatalf("insurance %v", ins)
				}
			})
		}
	}
	// The contained coverage of a document becomes its identifier.
	c, _ := claimdoc.ParseFHIR(fixture(t, "professional-modifiers.json"), now)
	d := claimdoc.Decision{ClaimID: "c-1", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: "USD", Created: decided}
	for _, it := range c.Items {
		d.Items = append(d.Items, claimdoc.DecisionItem{Claimed: it.Net})
	}
	b, _ := c.ExplanationOfBenefit(d)
	if !strings.Contains(string(b), `"value": "ACME-55-1234"`) || strings.Contains(string(b), `"#cov"`) {
		t.Fatalf("coverage: %s", b)
	}
	// A decision of another claim's items is refused.
	d.Items = d.Items[:1]
	if _, err := c.ClaimResponse(d); !errors.Is(err, claimdoc.ErrMismatch) {
		t.Fatalf("fewer items: %v", err)
	}
}

// jsonDecimal renders USD minor units as the resources write them.
func jsonDecimal(units uint64) json.Number {
	return json.Number(fmt.Sprintf("%d.%02d", units/100, units%100))
}
