package claimdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Identifier systems of the references in a document: Almoner ids are
// not FHIR resource ids, so the document refers by identifier.
const (
	SystemOrg    = "urn:almoner:org"
	SystemMember = "urn:almoner:member"
	SystemRecord = "urn:almoner:record"
	SystemClaim  = "urn:almoner:claim"
	// SystemService is the code system of service codes (CPT-style).
	SystemService = "http://www.ama-assn.org/go/cpt"
)

// The FHIR R4 Claim subset a document uses.
type (
	fhirIdentifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	fhirReference struct {
		Identifier *fhirIdentifier `json:"identifier,omitempty"`
		Reference  string          `json:"reference,omitempty"`
	}
	fhirCoding struct {
		System string `json:"system,omitempty"`
		Code   string `json:"code"`
	}
	fhirConcept struct {
		Coding []fhirCoding `json:"coding"`
	}
	fhirMoney struct {
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	}
	fhirInsurance struct {
		Sequence int           `json:"sequence"`
		Focal    bool          `json:"focal"`
		Coverage fhirReference `json:"coverage"`
	}
	fhirSupportingInfo struct {
		Sequence       int           `json:"sequence"`
		Category       fhirConcept   `json:"category"`
		ValueReference fhirReference `json:"valueReference"`
	}
	fhirItem struct {
		Sequence         int           `json:"sequence"`
		ProductOrService fhirConcept   `json:"productOrService"`
		Modifier         []fhirConcept `json:"modifier,omitempty"`
		ServicedDate     string        `json:"servicedDate"`
		Net              *fhirMoney    `json:"net"`
	}
	fhirClaim struct {
		ResourceType   string               `json:"resourceType"`
		ID             string               `json:"id"`
		Identifier     []fhirIdentifier     `json:"identifier"`
		Status         string               `json:"status"`
		Type           fhirConcept          `json:"type"`
		Use            string               `json:"use"`
		Patient        fhirReference        `json:"patient"`
		Created        string               `json:"created"`
		Insurer        fhirReference        `json:"insurer"`
		Provider       fhirReference        `json:"provider"`
		Priority       fhirConcept          `json:"priority"`
		Insurance      []fhirInsurance      `json:"insurance"`
		SupportingInfo []fhirSupportingInfo `json:"supportingInfo,omitempty"`
		Item           []fhirItem           `json:"item"`
		Total          *fhirMoney           `json:"total"`
	}
)

func ident(system, value string) fhirReference {
	return fhirReference{Identifier: &fhirIdentifier{System: system, Value: value}}
}

// MarshalFHIR encodes the document as a FHIR R4 Claim (JSON). A service
// code's modifiers ("99213-25") become item.modifier codings.
func (d *Document) MarshalFHIR() ([]byte, error) {
	c := fhirClaim{
		ResourceType: "Claim", ID: d.ClaimID, Identifier: []fhirIdentifier{{System: SystemClaim, Value: d.ClaimID}},
		Status: "active", Use: "claim", Created: d.Created,
		Type:     fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/claim-type", Code: "institutional"}}},
		Patient:  ident(SystemMember, d.Patient),
		Insurer:  ident(SystemOrg, d.Insurer),
		Provider: ident(SystemOrg, d.Provider),
		Priority: fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/processpriority", Code: "normal"}}},
		Insurance: []fhirInsurance{{Sequence: 1, Focal: true,
			Coverage: fhirReference{Identifier: &fhirIdentifier{System: SystemOrg, Value: d.Insurer}}}},
		Total: &fhirMoney{Value: decimal(d.Total(), d.Currency), Currency: d.Currency},
	}
	for i, r := range d.Records {
		c.SupportingInfo = append(c.SupportingInfo, fhirSupportingInfo{Sequence: i + 1,
			Category:       fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/claiminformationcategory", Code: "attachment"}}},
			ValueReference: ident(SystemRecord, r)})
	}
	for i, l := range d.Lines {
		base, mods, _ := strings.Cut(l.Code, "-")
		it := fhirItem{Sequence: i + 1, ProductOrService: fhirConcept{Coding: []fhirCoding{{System: SystemService, Code: base}}},
			ServicedDate: l.Date, Net: &fhirMoney{Value: decimal(l.Amount, d.Currency), Currency: d.Currency}}
		if mods != "" {
			for _, m := range strings.Split(mods, "-") {
				it.Modifier = append(it.Modifier, fhirConcept{Coding: []fhirCoding{{Code: m}}})
			}
		}
		c.Item = append(c.Item, it)
	}
	return json.MarshalIndent(c, "", "  ")
}

// refValue reads an identifier reference of the given system.
func refValue(what string, r fhirReference, system string) (string, error) {
	if r.Identifier == nil || r.Identifier.System != system || r.Identifier.Value == "" {
		return "", invalid("%s must be a reference by identifier with system %s", what, system)
	}
	return r.Identifier.Value, nil
}

// Parse decodes a FHIR R4 Claim made by MarshalFHIR (or by a billing
// system that refers to Almoner ids the same way). It checks the shape,
// not the values: call Validate for those.
func Parse(b []byte) (*Document, error) {
	if len(b) > MaxDocumentBytes {
		return nil, invalid("the document is %d bytes; the most is %d", len(b), MaxDocumentBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c fhirClaim
	if err := dec.Decode(&c); err != nil {
		return nil, invalid("not JSON of a FHIR Claim: %v", err)
	}
	if dec.More() {
		return nil, invalid("trailing data after the FHIR Claim")
	}
	if c.ResourceType != "Claim" {
		return nil, invalid("resourceType is %.40q, not Claim", c.ResourceType)
	}
	d := &Document{ClaimID: c.ID, Created: c.Created}
	var err error
	if d.Patient, err = refValue("patient", c.Patient, SystemMember); err != nil {
		return nil, err
	}
	if d.Insurer, err = refValue("insurer", c.Insurer, SystemOrg); err != nil {
		return nil, err
	}
	if d.Provider, err = refValue("provider", c.Provider, SystemOrg); err != nil {
		return nil, err
	}
	for i, si := range c.SupportingInfo {
		r, err := refValue(fmt.Sprintf("supportingInfo %d", i+1), si.ValueReference, SystemRecord)
		if err != nil {
			return nil, err
		}
		d.Records = append(d.Records, r)
	}
	if len(c.Item) == 0 || len(c.Item) > MaxItems {
		return nil, invalid("a claim has 1 to %d items, got %d", MaxItems, len(c.Item))
	}
	for i, it := range c.Item {
		if it.Sequence != i+1 {
			return nil, invalid("item %d has sequence %d; items must be numbered 1, 2, ... in order", i+1, it.Sequence)
		}
		if len(it.ProductOrService.Coding) != 1 || it.ProductOrService.Coding[0].Code == "" {
			return nil, invalid("item %d needs exactly one productOrService coding", i+1)
		}
		code := it.ProductOrService.Coding[0].Code
		for j, m := range it.Modifier {
			if len(m.Coding) != 1 {
				return nil, invalid("item %d: modifier %d needs exactly one coding", i+1, j+1)
			}
			code += "-" + m.Coding[0].Code
		}
		if it.Net == nil {
			return nil, invalid("item %d has no net amount", i+1)
		}
		if d.Currency == "" {
			d.Currency = it.Net.Currency
		}
		if it.Net.Currency != d.Currency {
			return nil, invalid("item %d is in %.8q but the claim in %.8q: one currency per claim", i+1, it.Net.Currency, d.Currency)
		}
		amt, ok := minorUnits(it.Net.Value, d.Currency)
		if !ok {
			return nil, invalid("item %d: net value %.40q is not a positive amount in whole minor units of %.8q", i+1, it.Net.Value, d.Currency)
		}
		d.Lines = append(d.Lines, Line{Service: Service{Code: code, Date: it.ServicedDate}, Amount: amt})
	}
	if c.Total != nil {
		if t, ok := minorUnits(c.Total.Value, d.Currency); !ok || c.Total.Currency != d.Currency || t != d.Total() {
			return nil, invalid("total is not the sum of the items' net amounts")
		}
	}
	return d, nil
}
