package claimdoc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Code systems of the FHIR resources built here.
const (
	// SystemAdjudication is HL7's adjudication value codes (submitted,
	// eligible, benefit, ...): ClaimResponse and ExplanationOfBenefit
	// categories.
	SystemAdjudication = "http://terminology.hl7.org/CodeSystem/adjudication"
	// SystemPaymentType is HL7's example payment types (complete, partial).
	SystemPaymentType = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
	// SystemAdjudicationReason names the claim contract's reason codes
	// (not-covered, plan-limit, ...) in a CodeableConcept.
	SystemAdjudicationReason = "urn:almoner:adjudication-reason"
	// SystemPayment names an insurer's payment reference.
	SystemPayment = "urn:almoner:payment"
	// SystemClaimResponse and SystemExplanationOfBenefit identify the
	// resources built for a claim (their value is the claim id).
	SystemClaimResponse        = "urn:almoner:claim-response"
	SystemExplanationOfBenefit = "urn:almoner:explanation-of-benefit"
)

// Decision is what the ledger holds of an insurer's response to a claim,
// as ClaimResponse and ExplanationOfBenefit render it. The caller maps the
// claim contract's statuses onto it.
type Decision struct {
	ClaimID, Provider, Patient, Insurer, Currency string
	// Items are the ledger's items, in the document's order.
	Items []DecisionItem
	// Complete: an adjudication stands (the claim is adjudicated or
	// paid); before that, or while an appeal is open, the response is
	// queued.
	Complete bool
	// Cancelled: the provider withdrew the claim.
	Cancelled bool
	// Disposition says in words where the claim stands.
	Disposition string
	// Created is when the ledger last changed the claim (block time).
	Created time.Time
	// Payment, once the insurer paid.
	Payment *Payment
}

// DecisionItem is one item's claimed amount and, once adjudicated, the
// approved amount and the reason code of a reduction.
type DecisionItem struct {
	Claimed     uint64
	Adjudicated bool
	Approved    uint64
	Reason      string
}

// Payment is the insurer's payment of a claim.
type Payment struct {
	Ref    string
	Amount uint64
	Date   time.Time // block time
}

// JSON shapes of the resources (field order as the specification lists
// the elements). Identifier, Reference, Coding and Money are the Claim's
// (fhir.go); a CodeableConcept here may also carry a text, which the
// Claim's never do.
type (
	jsonConcept struct {
		Coding []fhirCoding `json:"coding,omitempty"`
		Text   string       `json:"text,omitempty"`
	}
	jsonAdjudication struct {
		Category jsonConcept  `json:"category"`
		Reason   *jsonConcept `json:"reason,omitempty"`
		Amount   *fhirMoney   `json:"amount,omitempty"`
	}
	jsonTotal struct {
		Category jsonConcept `json:"category"`
		Amount   fhirMoney   `json:"amount"`
	}
	jsonPayment struct {
		Type       jsonConcept     `json:"type"`
		Date       string          `json:"date,omitempty"`
		Amount     fhirMoney       `json:"amount"`
		Identifier *fhirIdentifier `json:"identifier,omitempty"`
	}
	responseItem struct {
		ItemSequence int                `json:"itemSequence"`
		Adjudication []jsonAdjudication `json:"adjudication"`
	}
	// decisionHead is how a ClaimResponse and an ExplanationOfBenefit
	// begin: what they are, about which claim and patient.
	decisionHead struct {
		ResourceType string           `json:"resourceType"`
		Identifier   []fhirIdentifier `json:"identifier"`
		Status       string           `json:"status"`
		Type         json.RawMessage  `json:"type"`
		SubType      json.RawMessage  `json:"subType,omitempty"`
		Use          string           `json:"use"`
		Patient      fhirReference    `json:"patient"`
	}
	claimResponse struct {
		decisionHead
		Created     string         `json:"created"`
		Insurer     fhirReference  `json:"insurer"`
		Requestor   fhirReference  `json:"requestor"`
		Request     fhirReference  `json:"request"`
		Outcome     string         `json:"outcome"`
		Disposition string         `json:"disposition,omitempty"`
		Item        []responseItem `json:"item"`
		Total       []jsonTotal    `json:"total"`
		Payment     *jsonPayment   `json:"payment,omitempty"`
	}
	eobInsurance struct {
		Focal    bool            `json:"focal"`
		Coverage json.RawMessage `json:"coverage"`
	}
	eobItem struct {
		Sequence                int                `json:"sequence"`
		Revenue                 json.RawMessage    `json:"revenue,omitempty"`
		Category                json.RawMessage    `json:"category,omitempty"`
		ProductOrService        json.RawMessage    `json:"productOrService"`
		Modifier                json.RawMessage    `json:"modifier,omitempty"`
		ProgramCode             json.RawMessage    `json:"programCode,omitempty"`
		ServicedDate            json.RawMessage    `json:"servicedDate,omitempty"`
		ServicedPeriod          json.RawMessage    `json:"servicedPeriod,omitempty"`
		LocationCodeableConcept json.RawMessage    `json:"locationCodeableConcept,omitempty"`
		LocationAddress         json.RawMessage    `json:"locationAddress,omitempty"`
		Quantity                json.RawMessage    `json:"quantity,omitempty"`
		UnitPrice               json.RawMessage    `json:"unitPrice,omitempty"`
		Factor                  json.RawMessage    `json:"factor,omitempty"`
		Net                     fhirMoney          `json:"net"`
		BodySite                json.RawMessage    `json:"bodySite,omitempty"`
		SubSite                 json.RawMessage    `json:"subSite,omitempty"`
		Adjudication            []jsonAdjudication `json:"adjudication"`
	}
	explanationOfBenefit struct {
		decisionHead
		BillablePeriod json.RawMessage `json:"billablePeriod,omitempty"`
		Created        string          `json:"created"`
		Insurer        fhirReference   `json:"insurer"`
		Provider       fhirReference   `json:"provider"`
		Claim          fhirReference   `json:"claim"`
		Outcome        string          `json:"outcome"`
		Disposition    string          `json:"disposition,omitempty"`
		Insurance      []eobInsurance  `json:"insurance"`
		Item           []eobItem       `json:"item"`
		Total          []jsonTotal     `json:"total"`
		Payment        *jsonPayment    `json:"payment,omitempty"`
	}
)

func adjudicationCategory(code string) jsonConcept {
	return jsonConcept{Coding: []fhirCoding{{System: SystemAdjudication, Code: code}}}
}

// raw re-encodes a value of the decoded document (nil when absent).
func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil // a decoded JSON tree always encodes
	}
	return b
}

// check refuses a decision that is not of this document's claim.
func (c *FHIRClaim) check(d Decision) error {
	if len(d.Items) != len(c.Items) || d.Currency != c.Currency {
		return fmt.Errorf("%w: the ledger has %d items in %s, the document %d in %s", ErrMismatch, len(d.Items), d.Currency, len(c.Items), c.Currency)
	}
	for i, it := range d.Items {
		if it.Claimed != c.Items[i].Net {
			return fmt.Errorf("%w: item %d's amount differs", ErrMismatch, i+1)
		}
	}
	return nil
}

func (d Decision) money(v uint64) fhirMoney {
	return fhirMoney{Value: decimal(v, d.Currency), Currency: d.Currency}
}

func (d Decision) status() string {
	if d.Cancelled {
		return "cancelled"
	}
	return "active"
}

// outcome is FHIR's processing outcome: complete once an adjudication
// stands (or the claim is withdrawn), queued before.
func (d Decision) outcome() string {
	if d.Complete || d.Cancelled {
		return "complete"
	}
	return "queued"
}

func (d Decision) adjudication(i int) []jsonAdjudication {
	it := d.Items[i]
	sub := d.money(it.Claimed)
	out := []jsonAdjudication{{Category: adjudicationCategory("submitted"), Amount: &sub}}
	if it.Adjudicated {
		ben := d.money(it.Approved)
		a := jsonAdjudication{Category: adjudicationCategory("benefit"), Amount: &ben}
		if it.Reason != "" {
			a.Reason = &jsonConcept{Coding: []fhirCoding{{System: SystemAdjudicationReason, Code: it.Reason}}, Text: strings.ReplaceAll(it.Reason, "-", " ")}
		}
		out = append(out, a)
	}
	return out
}

func (d Decision) totals() []jsonTotal {
	var claimed, approved uint64
	adjudicated := false
	for _, it := range d.Items {
		claimed += it.Claimed
		approved += it.Approved
		adjudicated = adjudicated || it.Adjudicated
	}
	out := []jsonTotal{{Category: adjudicationCategory("submitted"), Amount: d.money(claimed)}}
	if adjudicated {
		out = append(out, jsonTotal{Category: adjudicationCategory("benefit"), Amount: d.money(approved)})
	}
	return out
}

func (d Decision) payment() *jsonPayment {
	if d.Payment == nil {
		return nil
	}
	var approved uint64
	for _, it := range d.Items {
		approved += it.Approved
	}
	kind := "complete"
	if d.Payment.Amount < approved {
		kind = "partial"
	}
	p := &jsonPayment{Type: jsonConcept{Coding: []fhirCoding{{System: SystemPaymentType, Code: kind}}}, Amount: d.money(d.Payment.Amount)}
	if !d.Payment.Date.IsZero() {
		p.Date = d.Payment.Date.UTC().Format(time.DateOnly)
	}
	if d.Payment.Ref != "" {
		p.Identifier = &fhirIdentifier{System: SystemPayment, Value: d.Payment.Ref}
	}
	return p
}

func fhirTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// ClaimResponse renders decision d on claim document c as a FHIR R4
// ClaimResponse (JSON): the claim's type, subType and use from the
// document; the consortium's patient, insurer, provider (requestor) and
// claim (request) by identifier; the outcome (queued until an
// adjudication stands, then complete) and disposition; per item (by the
// document's item sequence) the submitted amount and, once adjudicated,
// the benefit amount with the reason code of a reduction; the totals; and
// the payment. It refuses a decision whose items or currency are not the
// document's (ErrMismatch).
func (c *FHIRClaim) ClaimResponse(d Decision) ([]byte, error) {
	if err := c.check(d); err != nil {
		return nil, err
	}
	r := claimResponse{
		decisionHead: c.decisionHead(d, "ClaimResponse", SystemClaimResponse),
		Created:      fhirTime(d.Created), Insurer: byIdentifier(SystemOrg, d.Insurer),
		Requestor: byIdentifier(SystemOrg, d.Provider), Request: byIdentifier(SystemClaim, d.ClaimID),
		Outcome: d.outcome(), Disposition: d.Disposition, Total: d.totals(), Payment: d.payment(),
	}
	for i, it := range c.Items {
		r.Item = append(r.Item, responseItem{ItemSequence: it.Sequence, Adjudication: d.adjudication(i)})
	}
	return json.MarshalIndent(r, "", "  ")
}

// decisionHead begins a resourceType resource on decision d, identified
// in system by the claim's id.
func (c *FHIRClaim) decisionHead(d Decision, resourceType, system string) decisionHead {
	return decisionHead{
		ResourceType: resourceType, Identifier: []fhirIdentifier{{System: system, Value: d.ClaimID}},
		Status: d.status(), Type: raw(c.res["type"]), SubType: raw(c.res["subType"]), Use: "claim",
		Patient: byIdentifier(SystemMember, d.Patient),
	}
}

// coverage renders a document's insurance coverage reference for another
// resource: a reference to a resource contained in the document becomes
// that resource's first identifier (or a display), since the contained
// resource does not travel along.
func (c *FHIRClaim) coverage(v any) json.RawMessage {
	m, _ := v.(map[string]any)
	ref, _ := m["reference"].(string)
	id, local := strings.CutPrefix(ref, "#")
	if !local {
		return raw(v)
	}
	out := fhirReference{Display: "coverage " + id + " of the claim document"}
	contained, _ := c.res["contained"].([]any)
	for _, x := range contained {
		r, _ := x.(map[string]any)
		if r["id"] != id {
			continue
		}
		if ids, _ := r["identifier"].([]any); len(ids) > 0 {
			im, _ := ids[0].(map[string]any)
			sys, _ := im["system"].(string)
			val, _ := im["value"].(string)
			if val != "" {
				out.Identifier = &fhirIdentifier{System: sys, Value: val}
			}
		}
	}
	return raw(out)
}

// ExplanationOfBenefit renders decision d on claim document c as a FHIR
// R4 ExplanationOfBenefit (JSON): what ClaimResponse says, with the
// document's items (code billed, modifiers, date of service, quantity,
// unit price, factor, net, body site) beside their adjudication, the
// document's billable period, and its insurance (focal, coverage).
func (c *FHIRClaim) ExplanationOfBenefit(d Decision) ([]byte, error) {
	if err := c.check(d); err != nil {
		return nil, err
	}
	e := explanationOfBenefit{
		decisionHead:   c.decisionHead(d, "ExplanationOfBenefit", SystemExplanationOfBenefit),
		BillablePeriod: raw(c.res["billablePeriod"]), Created: fhirTime(d.Created),
		Insurer: byIdentifier(SystemOrg, d.Insurer), Provider: byIdentifier(SystemOrg, d.Provider), Claim: byIdentifier(SystemClaim, d.ClaimID),
		Outcome: d.outcome(), Disposition: d.Disposition, Total: d.totals(), Payment: d.payment(),
	}
	ins, _ := c.res["insurance"].([]any)
	for _, x := range ins {
		m, _ := x.(map[string]any)
		focal, _ := m["focal"].(bool)
		e.Insurance = append(e.Insurance, eobInsurance{Focal: focal, Coverage: c.coverage(m["coverage"])})
	}
	for i, it := range c.Items {
		m := it.raw
		e.Item = append(e.Item, eobItem{Sequence: it.Sequence, Revenue: raw(m["revenue"]), Category: raw(m["category"]),
			ProductOrService: raw(m["productOrService"]), Modifier: raw(m["modifier"]), ProgramCode: raw(m["programCode"]),
			ServicedDate: raw(m["servicedDate"]), ServicedPeriod: raw(m["servicedPeriod"]), LocationCodeableConcept: raw(m["locationCodeableConcept"]),
			LocationAddress: raw(m["locationAddress"]), Quantity: raw(m["quantity"]), UnitPrice: raw(m["unitPrice"]), Factor: raw(m["factor"]),
			Net: d.money(it.Net), BodySite: raw(m["bodySite"]), SubSite: raw(m["subSite"]), Adjudication: d.adjudication(i)})
	}
	return json.MarshalIndent(e, "", "  ")
}
