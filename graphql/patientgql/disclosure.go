package patientgql

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
)

// The disclosure record: each access log entry says who read (member,
// roles, organisation), what (record, category), why (purpose and legal
// basis), the outcome and when; the log exports as CSV and as a FHIR R4
// AuditEvent bundle for a period (HIPAA 164.528's accounting of
// disclosures, EHDS art. 9's access log).

// Legal bases of an access (AccessEntry.basis).
const (
	basisConsent   = "consent"    // the patient's consent it names
	basisEmergency = "emergency"  // a declared break-glass emergency
	basisOwn       = "own_record" // the patient reading their own record
	basisPolicy    = "policy"     // a policy rule without consent (custodian staff)
	basisNone      = "none"       // refused: nothing was released
)

// basis returns an access's legal basis and its statement in words.
func basis(a *patients.Access) (string, string) {
	switch {
	case a.Kind == patients.AccessRefused:
		return basisNone, "none: refused (" + a.Refusal + ")"
	case a.Kind == patients.AccessBreakGlass:
		return basisEmergency, "emergency access (break-glass): " + a.BreakGlass
	case a.Consent != "":
		return basisConsent, "the patient's consent " + a.Consent + " for " + a.Purpose
	case a.Reader == a.Patient:
		return basisOwn, "the patient's own access"
	default:
		return basisPolicy, "the consortium's policy for " + a.Purpose
	}
}

// outcome is the access's result in words: refused, granted and
// delivered, or granted and not delivered (with the reader's reason).
func outcome(a *patients.Access) string {
	switch {
	case a.Kind == patients.AccessRefused:
		return "refused"
	case a.Undelivered != nil:
		return "granted, not delivered (" + a.Undelivered.Reason + ")"
	default:
		return "granted"
	}
}

// disclosureFields adds the disclosure record's fields to RecordAccess.
func (m *mod) disclosureFields() {
	basisEnum := graphql.NewEnum(graphql.EnumConfig{Name: "AccessBasis",
		Description: "The legal basis an access relied on.", Values: graphql.EnumValueConfigMap{
			"CONSENT":    {Value: basisConsent, Description: "The patient's consent (consentId)."},
			"EMERGENCY":  {Value: basisEmergency, Description: "A declared emergency (breakGlassReason), reviewed by the custodian."},
			"OWN_RECORD": {Value: basisOwn, Description: "The patient reading their own record."},
			"POLICY":     {Value: basisPolicy, Description: "A rule of the consortium's policy without consent."},
			"NONE":       {Value: basisNone, Description: "Refused: nothing was released."},
		}})
	add := func(name string, f *graphql.Field) { m.access.AddFieldConfig(name, f) }
	add("basis", field(graphql.NewNonNull(basisEnum), func(a accessT) any { b, _ := basis(a); return b }))
	add("legalBasis", field(nn(graphql.String), func(a accessT) any { _, s := basis(a); return s },
		"The legal basis in words (the consent and purpose, the emergency, the patient's own access)."))
	add("outcome", field(nn(graphql.String), func(a accessT) any { return outcome(a) },
		"refused, granted, or granted and not delivered (why)."))
	add("readerRoles", field(nn(graphql.NewList(nn(graphql.String))), func(a accessT) any { return orEmpty(a.ReaderRoles) },
		"The reader's roles when the access committed."))
	add("readerOrganisation", &graphql.Field{Type: nn(graphql.String),
		Description: "The name of the reader's organisation (its id when the directory does not know it).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			return m.orgName(schema.OrgOf(p.Source.(accessT).Reader)), nil
		}})
	add("custodianName", &graphql.Field{Type: nn(graphql.String), Description: "The name of the organisation keeping the record.",
		Resolve: func(p graphql.ResolveParams) (any, error) { return m.orgName(p.Source.(accessT).Custodian), nil }})
	add("category", &graphql.Field{Type: graphql.String, Description: "The record's category (lab, imaging, claim, ...).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			if r, err := m.rd.Record(p.Source.(accessT).Record); err == nil {
				return r.Category, nil
			}
			return nil, nil
		}})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// orgName returns an organisation's name from the directory, or its id.
func (m *mod) orgName(id string) string {
	if o, err := m.cfg.Store.Org(id); err == nil && o.Name != "" {
		return o.Name
	}
	return id
}

// maxExport bounds the entries of one export; a longer period is
// exported in parts.
const maxExport = 10000

// registerExport adds accessLogExport.
func (m *mod) registerExport(b *schema.Builder) error {
	format := graphql.NewEnum(graphql.EnumConfig{Name: "AccessLogFormat", Values: graphql.EnumValueConfigMap{
		"CSV":         {Value: "csv", Description: "One row per access (RFC 4180), with a header row."},
		"AUDIT_EVENT": {Value: "fhir", Description: "A FHIR R4 Bundle (type collection) of AuditEvent resources."},
	}})
	out := graphql.NewObject(graphql.ObjectConfig{Name: "AccessLogExport", Fields: graphql.Fields{
		"filename":    field(nn(graphql.String), func(e *export) any { return e.Filename }),
		"contentType": field(nn(graphql.String), func(e *export) any { return e.ContentType }),
		"entries":     field(nn(graphql.Int), func(e *export) any { return e.Entries }),
		"content":     field(nn(graphql.String), func(e *export) any { return e.Content }),
	}})
	return b.Query("accessLogExport", &graphql.Field{Type: nn(out),
		Description: "A patient's accounting of disclosures for a period: every access to their records (granted, refused, " +
			"emergency), who read (member, roles, organisation), what (record, category), why (purpose, legal basis), the outcome " +
			"and when, oldest first; as CSV or as FHIR AuditEvents. The same readers as accessLog; at most 10,000 entries " +
			"(export a longer period in parts).",
		Args: graphql.FieldConfigArgument{
			"patient": patientArg,
			"from":    {Type: graphql.String, Description: "RFC 3339 or YYYY-MM-DD, inclusive (default: 6 years ago)."},
			"to":      {Type: graphql.String, Description: "RFC 3339 or YYYY-MM-DD, exclusive (default: now)."},
			"format":  {Type: format, DefaultValue: "csv"},
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			_, patient, err := m.patientArg(p.Context, p.Args, "access_log", "read", "the access log")
			if err != nil {
				return nil, err
			}
			now := time.Now().UTC()
			from, err := timeArg(p.Args, "from", now.AddDate(-6, 0, 0))
			if err != nil {
				return nil, err
			}
			to, err := timeArg(p.Args, "to", now)
			if err != nil {
				return nil, err
			}
			if !from.Before(to) {
				return nil, schema.BadInput("from must be before to")
			}
			var entries []*patients.Access
			for after := ""; ; {
				xs, pg, err := m.rd.AccessLog(patient, after, 500) // newest first
				if err != nil {
					return nil, m.internal(p.Context, "access log export", err)
				}
				older := false
				for i, a := range xs {
					t := time.Unix(0, a.Time)
					if !t.Before(from) && t.Before(to) {
						ok, err := m.cfg.Allowed(p.Context, schema.Question{Obj: "access_log", Act: "read", Owner: a.Patient, Org: a.Custodian})
						if err != nil {
							return nil, err
						}
						if ok {
							entries = append(entries, a)
						}
					}
					older = older || t.Before(from)
					after = pg.Cursors[i]
				}
				if len(entries) > maxExport {
					return nil, schema.BadInput(fmt.Sprintf("more than %d accesses in this period: export it in parts", maxExport))
				}
				if older || !pg.More {
					break
				}
			}
			for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 { // oldest first
				entries[i], entries[j] = entries[j], entries[i]
			}
			name := fmt.Sprintf("access-log-%s-%s-%s", strings.ReplaceAll(patient, "/", "_"),
				from.Format(time.DateOnly), to.Format(time.DateOnly))
			if f, _ := p.Args["format"].(string); f == "fhir" {
				return m.auditEvents(name, patient, entries)
			}
			return m.csvExport(name, entries)
		}})
}

type export struct {
	Filename, ContentType, Content string
	Entries                        int
}

func timeArg(args map[string]any, name string, def time.Time) (time.Time, error) {
	s, _ := args[name].(string)
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, schema.BadInput(name + ": a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	return t, nil
}

func (m *mod) category(record string) string {
	if r, err := m.rd.Record(record); err == nil {
		return r.Category
	}
	return ""
}

func (m *mod) csvExport(name string, entries []*patients.Access) (*export, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows := [][]string{{"time", "reader", "reader_roles", "reader_organisation", "record", "record_version", "category",
		"custodian", "purpose", "basis", "legal_basis", "consent", "emergency", "outcome", "access_tx", "block"}}
	for _, a := range entries {
		b, bs := basis(a)
		rows = append(rows, []string{time.Unix(0, a.Time).UTC().Format(time.RFC3339), a.Reader,
			strings.Join(a.ReaderRoles, " "), m.orgName(schema.OrgOf(a.Reader)), a.Record, strconv.FormatUint(a.Version, 10),
			m.category(a.Record), m.orgName(a.Custodian), a.Purpose, b, bs, a.Consent, a.BreakGlass, outcome(a), a.ID,
			strconv.FormatUint(a.Height, 10)})
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return &export{Filename: name + ".csv", ContentType: "text/csv; charset=utf-8", Content: buf.String(),
		Entries: len(entries)}, nil
}

// The FHIR R4 AuditEvent codes used (hl7.org/fhir/R4/auditevent.html).
const (
	dicomSystem     = "http://dicom.nema.org/resources/ontology/DCM"
	actReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	entityTypeSys   = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	objectRoleSys   = "http://terminology.hl7.org/CodeSystem/object-role"
	memberIDSystem  = "urn:almoner:member"
	recordIDSystem  = "urn:almoner:record"
)

// purposeOfUse maps a purpose to its v3 ActReason code.
var purposeOfUse = map[string]string{"treatment": "TREAT", "claims": "CLMATTCH", "payment": "HPAYMT",
	"research": "HRESCH", "public-health": "PUBHLTH", "care-coordination": "COC"}

func (m *mod) auditEvents(name, patient string, entries []*patients.Access) (*export, error) {
	type coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code"`
		Display string `json:"display,omitempty"`
	}
	type ident struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	type ref struct {
		Identifier *ident `json:"identifier,omitempty"`
		Display    string `json:"display,omitempty"`
	}
	type concept struct {
		Coding []coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	bundle := map[string]any{"resourceType": "Bundle", "type": "collection",
		"timestamp": time.Now().UTC().Format(time.RFC3339)}
	var out []map[string]any
	for _, a := range entries {
		// Outcome: 0 success, 4 minor failure (refused or not delivered).
		code, desc := "0", outcome(a)
		if a.Kind == patients.AccessRefused || a.Undelivered != nil {
			code = "4"
		}
		purpose := concept{Text: a.Purpose}
		if c, ok := purposeOfUse[a.Purpose]; ok {
			purpose.Coding = []coding{{System: actReasonSystem, Code: c}}
		}
		if a.Kind == patients.AccessBreakGlass {
			purpose.Coding = append(purpose.Coding, coding{System: actReasonSystem, Code: "ETREAT", Display: "Emergency Treatment"})
		}
		roles := []concept{}
		for _, r := range a.ReaderRoles {
			roles = append(roles, concept{Text: r})
		}
		_, legal := basis(a)
		ev := map[string]any{
			"resourceType": "AuditEvent", "id": a.ID,
			"type":     coding{System: dicomSystem, Code: "110110", Display: "Patient Record"},
			"action":   "R",
			"recorded": time.Unix(0, a.Time).UTC().Format(time.RFC3339Nano), "outcome": code, "outcomeDesc": desc,
			"purposeOfEvent": []concept{purpose},
			"agent": []map[string]any{{"who": ref{Identifier: &ident{memberIDSystem, a.Reader},
				Display: a.Reader + " (" + m.orgName(schema.OrgOf(a.Reader)) + ")"}, "role": roles, "requestor": true,
				"purposeOfUse": []concept{purpose}}},
			"source": map[string]any{"observer": ref{Display: m.orgName(a.Custodian)},
				"type": []coding{{System: "http://terminology.hl7.org/CodeSystem/security-source-type", Code: "4",
					Display: "Application Server"}}},
			"entity": []map[string]any{
				{"what": ref{Identifier: &ident{recordIDSystem, a.Record}}, "type": coding{System: entityTypeSys, Code: "2",
					Display: "System Object"}, "role": coding{System: objectRoleSys, Code: "4", Display: "Domain Resource"},
					"description": fmt.Sprintf("version %d, category %s", a.Version, m.category(a.Record)),
					"detail": []map[string]any{{"type": "legal basis", "valueString": legal},
						{"type": "ledger transaction", "valueString": a.ID}}},
				{"what": ref{Identifier: &ident{memberIDSystem, patient}}, "type": coding{System: entityTypeSys, Code: "1",
					Display: "Person"}, "role": coding{System: objectRoleSys, Code: "1", Display: "Patient"}},
			},
		}
		out = append(out, map[string]any{"resource": ev})
	}
	bundle["entry"] = out
	b, err := json.MarshalIndent(bundle, "", "  ")
	if err != nil {
		return nil, err
	}
	return &export{Filename: name + ".json", ContentType: "application/fhir+json", Content: string(b),
		Entries: len(entries)}, nil
}
