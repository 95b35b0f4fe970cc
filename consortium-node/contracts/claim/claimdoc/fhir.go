package claimdoc

import (
	"cmp"
	"encoding/json"
	"strings"
	"time"
)

// Identifier systems of the references in a document: Almoner ids are
// not FHIR resource ids, so the document refers by identifier.
const (
	SystemOrg    = "urn:almoner:org"
	SystemMember = "urn:almoner:member"
	SystemRecord = "urn:almoner:record"
	SystemClaim  = "urn:almoner:claim"
	// SystemService is the code system of CPT codes, the default of a
	// service code (ServiceCode.String leaves it out).
	SystemService = "http://www.ama-assn.org/go/cpt"
)

// The FHIR R4 Claim subset MarshalFHIR writes.
type (
	fhirIdentifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	// fhirReference is a Reference: the Claim's refer by identifier only
	// (byIdentifier); a decision's may refer to a resource or carry a
	// display instead.
	fhirReference struct {
		Reference  string          `json:"reference,omitempty"`
		Identifier *fhirIdentifier `json:"identifier,omitempty"`
		Display    string          `json:"display,omitempty"`
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
	fhirPeriod struct {
		Start string `json:"start"`
		End   string `json:"end"`
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
		ServicedDate     string        `json:"servicedDate,omitempty"`
		ServicedPeriod   *fhirPeriod   `json:"servicedPeriod,omitempty"`
		Net              *fhirMoney    `json:"net"`
		BodySite         *fhirConcept  `json:"bodySite,omitempty"`
		SubSite          []fhirConcept `json:"subSite,omitempty"`
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

// byIdentifier is a Reference to what an Almoner id of system names.
func byIdentifier(system, value string) fhirReference {
	return fhirReference{Identifier: &fhirIdentifier{System: system, Value: value}}
}

// MarshalFHIR encodes the document as a FHIR R4 Claim (JSON) that names
// the consortium's parties by identifier. A service code's system, code,
// modifiers and sites (ServiceCode) become the item's productOrService,
// modifier, bodySite and subSite codings; a period of service its
// servicedPeriod. A code that is not canonical is written as it is (Parse
// then refuses nothing, and Validate refuses it).
func (d *Document) MarshalFHIR() ([]byte, error) {
	c := fhirClaim{
		ResourceType: "Claim", ID: d.ClaimID, Identifier: []fhirIdentifier{{System: SystemClaim, Value: d.ClaimID}},
		Status: "active", Use: "claim", Created: d.Created,
		Type:     fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/claim-type", Code: "institutional"}}},
		Patient:  byIdentifier(SystemMember, d.Patient),
		Insurer:  byIdentifier(SystemOrg, d.Insurer),
		Provider: byIdentifier(SystemOrg, d.Provider),
		Priority: fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/processpriority", Code: "normal"}}},
		Insurance: []fhirInsurance{{Sequence: 1, Focal: true,
			Coverage: byIdentifier(SystemOrg, d.Insurer)}},
		Total: &fhirMoney{Value: decimal(d.Total(), d.Currency), Currency: d.Currency},
	}
	for i, r := range d.Records {
		c.SupportingInfo = append(c.SupportingInfo, fhirSupportingInfo{Sequence: i + 1,
			Category:       fhirConcept{Coding: []fhirCoding{{System: "http://terminology.hl7.org/CodeSystem/claiminformationcategory", Code: "attachment"}}},
			ValueReference: byIdentifier(SystemRecord, r)})
	}
	for i, l := range d.Lines {
		it := fhirItem{Sequence: i + 1, Net: &fhirMoney{Value: decimal(l.Amount, d.Currency), Currency: d.Currency}}
		if start, end, ok := strings.Cut(l.Date, "/"); ok {
			it.ServicedPeriod = &fhirPeriod{Start: start, End: end}
		} else {
			it.ServicedDate = l.Date
		}
		sc, err := ParseServiceCode(l.Code)
		if err != nil {
			sc = ServiceCode{System: SystemCPT, Code: l.Code}
		}
		it.ProductOrService = fhirConcept{Coding: []fhirCoding{{System: sc.System, Code: sc.Code}}}
		for _, m := range sc.Modifiers {
			it.Modifier = append(it.Modifier, fhirConcept{Coding: []fhirCoding{{Code: m}}})
		}
		for j, x := range sc.Sites {
			cc := fhirConcept{Coding: []fhirCoding{{System: x.System, Code: x.Code}}}
			if j == 0 {
				it.BodySite = &cc
			} else {
				it.SubSite = append(it.SubSite, cc)
			}
		}
		c.Item = append(c.Item, it)
	}
	return json.MarshalIndent(c, "", "  ")
}

// identifierValue returns the value of reference r (a decoded FHIR
// Reference) when it refers by identifier of the given system.
func identifierValue(r any, system string) (string, bool) {
	m, _ := r.(map[string]any)
	id, _ := m["identifier"].(map[string]any)
	if sys, _ := id["system"].(string); sys != system {
		return "", false
	}
	v, ok := id["value"].(string)
	return v, ok && v != ""
}

// named returns what a FHIR Claim says of the consortium itself, by the
// identifiers MarshalFHIR writes: the claim id, the patient (a member),
// the insurer and provider (organisations) and the linked records, each
// "" (nil) when it does not say.
func (c *FHIRClaim) named() (claimID, patient, insurer, provider string, records []string) {
	ids, _ := c.res["identifier"].([]any)
	for _, x := range ids {
		if v, ok := identifierValue(map[string]any{"identifier": x}, SystemClaim); ok {
			claimID = v
			break
		}
	}
	patient, _ = identifierValue(c.res["patient"], SystemMember)
	insurer, _ = identifierValue(c.res["insurer"], SystemOrg)
	provider, _ = identifierValue(c.res["provider"], SystemOrg)
	infos, _ := c.res["supportingInfo"].([]any)
	for _, si := range infos {
		m, _ := si.(map[string]any)
		if v, ok := identifierValue(m["valueReference"], SystemRecord); ok {
			records = append(records, v)
		}
	}
	return claimID, patient, insurer, provider, records
}

// Parse decodes a claim document that names the consortium's parties
// itself — made by MarshalFHIR, or by a billing system that refers to
// Almoner ids the same way: the patient by identifier of system
// SystemMember, the insurer and provider of SystemOrg, linked records as
// supportingInfo of SystemRecord, the claim id as the resource id. The
// Claim must pass ParseFHIR's checks (dates are not checked against
// today: call Validate). A hospital's own FHIR Claim names its own
// parties instead: read it with ParseFHIR, or Read for a filed claim.
func Parse(b []byte) (*Document, error) {
	c, err := ParseFHIR(b, time.Time{})
	if err != nil {
		return nil, err
	}
	_, patient, insurer, provider, records := c.named()
	for _, x := range []struct{ what, v, system string }{{"patient", patient, SystemMember}, {"insurer", insurer, SystemOrg},
		{"provider", provider, SystemOrg}} {
		if x.v == "" {
			return nil, invalid("%s must be a reference by identifier with system %s", x.what, x.system)
		}
	}
	infos, _ := c.res["supportingInfo"].([]any)
	if len(records) != len(infos) {
		return nil, invalid("supportingInfo must each be a linked record (valueReference by identifier with system %s)", SystemRecord)
	}
	return c.Document(c.ID, provider, patient, insurer, records), nil
}

// Read reads claim f's document as its reader gets it: any FHIR R4 Claim
// that ParseFHIR accepts (dates are not checked against today: Validate
// does). The consortium's claim id, parties and linked records are f's,
// except what the document names itself by Almoner identifier (a
// document made by MarshalFHIR): those are the document's, for
// VerifyContent to compare with f. It returns the document and the FHIR
// Claim it was read from; an error is a *ClaimError.
func Read(b []byte, f Filed) (*Document, *FHIRClaim, error) {
	c, err := ParseFHIR(b, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	claimID, patient, insurer, provider, records := c.named()
	if records == nil {
		records = f.Records
	}
	d := c.Document(cmp.Or(claimID, f.ID), cmp.Or(provider, f.Provider), cmp.Or(patient, f.Patient), cmp.Or(insurer, f.Insurer), records)
	return d, c, nil
}
