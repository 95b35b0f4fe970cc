package patientgql

import (
	"github.com/graphql-go/graphql"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
)

type (
	recordT  = *patients.Record
	consentT = *patients.Consent
	accessT  = *patients.Access
)

func (m *mod) buildTypes() {
	m.consentStatus = graphql.NewEnum(graphql.EnumConfig{Name: "ConsentStatus", Description: "FHIR Consent.status.", Values: graphql.EnumValueConfigMap{
		"PROPOSED": {Value: consentvocab.StatusProposed, Description: "Requested by staff, awaiting the patient."},
		"ACTIVE":   {Value: consentvocab.StatusActive},
		"REJECTED": {Value: consentvocab.StatusRejected, Description: "The patient declined the request."},
		"INACTIVE": {Value: consentvocab.StatusRevoked, Description: "Revoked by the patient."},
	}})
	m.accessKind = graphql.NewEnum(graphql.EnumConfig{Name: "AccessKind", Values: graphql.EnumValueConfigMap{
		"GRANTED": {Value: patients.AccessGranted}, "REFUSED": {Value: patients.AccessRefused},
		"BREAK_GLASS": {Value: patients.AccessBreakGlass, Description: "An emergency access by a physician, reviewed by the custodian's privacy officer."},
	}})
	version := graphql.NewObject(graphql.ObjectConfig{Name: "RecordVersion", Fields: graphql.Fields{
		"version":        field(nn(graphql.Int), func(v *patients.Version) any { return int(v.Version) }),
		"ciphertextHash": field(nn(graphql.String), func(v *patients.Version) any { return v.CiphertextHash }, "Hex SHA-256 of the sealed record."),
		"registrar":      field(nn(graphql.ID), func(v *patients.Version) any { return v.Registrar }),
		"height":         field(nn(graphql.Int), func(v *patients.Version) any { return int(v.Height) }),
		"time":           field(nn(graphql.String), func(v *patients.Version) any { return schema.RFC3339Nano(v.Time) }, "Block time."),
	}})
	m.record = graphql.NewObject(graphql.ObjectConfig{Name: "RecordMetadata", Description: "A medical record's ledger entry: metadata only, never content.", Fields: graphql.Fields{
		"id":            field(nn(graphql.ID), func(r recordT) any { return r.ID }),
		"patient":       field(nn(graphql.ID), func(r recordT) any { return r.Patient }),
		"custodian":     field(nn(graphql.ID), func(r recordT) any { return r.Custodian }, "The hospital holding it."),
		"category":      field(nn(graphql.String), func(r recordT) any { return r.Category }),
		"latestVersion": field(nn(graphql.Int), func(r recordT) any { return len(r.Versions) }),
		"versions":      field(schema.List(version), func(r recordT) any { return schema.Refs(r.Versions) }),
		"erased":        field(nn(graphql.Boolean), func(r recordT) any { return r.Erased }),
		"erasedBy":      field(graphql.ID, func(r recordT) any { return schema.OptString(r.ErasedBy) }),
		"createdAt":     field(nn(graphql.String), func(r recordT) any { return schema.RFC3339Nano(r.Time) }, "Block time."),
		"createdHeight": field(nn(graphql.Int), func(r recordT) any { return int(r.Height) }),
	}})
	change := graphql.NewObject(graphql.ObjectConfig{Name: "ConsentChange", Fields: graphql.Fields{
		"kind":   field(nn(graphql.String), func(c *patients.ConsentChange) any { return c.Kind }, "granted, requested, accepted, declined, amended or revoked."),
		"by":     field(nn(graphql.ID), func(c *patients.ConsentChange) any { return c.By }),
		"height": field(nn(graphql.Int), func(c *patients.ConsentChange) any { return int(c.Height) }),
		"time":   field(nn(graphql.String), func(c *patients.ConsentChange) any { return schema.RFC3339Nano(c.Time) }),
		"txId":   field(nn(graphql.ID), func(c *patients.ConsentChange) any { return c.TxID }),
	}})
	m.consent = graphql.NewObject(graphql.ObjectConfig{Name: "Consent", Description: "A patient's consent (FHIR R4 Consent).", Fields: graphql.Fields{
		"id":         field(nn(graphql.ID), func(c consentT) any { return c.ID }),
		"patient":    field(nn(graphql.ID), func(c consentT) any { return c.Patient }),
		"grantee":    field(nn(graphql.ID), func(c consentT) any { return c.Grantee }, "A member or an organisation (every member of it)."),
		"purpose":    field(nn(graphql.String), func(c consentT) any { return c.Purpose }),
		"status":     field(nn(m.consentStatus), func(c consentT) any { return c.Status }),
		"records":    field(schema.List(graphql.ID), func(c consentT) any { return c.Records }),
		"categories": field(schema.List(graphql.String), func(c consentT) any { return c.Categories }),
		"start":      field(nn(graphql.String), func(c consentT) any { return unixTime(c.Start) }, "Period start (RFC 3339, compared with block time)."),
		"end":        field(nn(graphql.String), func(c consentT) any { return unixTime(c.End) }, "Period end; the consent lapses then."),
		"scope":      field(nn(graphql.String), func(c consentT) any { return c.Scope }),
		"category":   field(nn(graphql.String), func(c consentT) any { return c.Category }),
		"actorRole":  field(nn(graphql.String), func(c consentT) any { return c.ActorRole }),
		"requester":  field(graphql.ID, func(c consentT) any { return schema.OptString(c.Requester) }),
		"version":    field(nn(graphql.Int), func(c consentT) any { return int(c.Version) }, "Amendments so far."),
		"history":    field(schema.List(change), func(c consentT) any { return schema.Refs(c.History) }),
	}})
	review := graphql.NewObject(graphql.ObjectConfig{Name: "BreakGlassReview", Fields: graphql.Fields{
		"reviewer": field(nn(graphql.ID), func(r *patients.Review) any { return r.Reviewer }),
		"outcome":  field(nn(graphql.String), func(r *patients.Review) any { return r.Outcome }, "justified, unjustified or referred."),
		"noteHash": field(graphql.String, func(r *patients.Review) any { return schema.OptString(r.NoteHash) }),
		"height":   field(nn(graphql.Int), func(r *patients.Review) any { return int(r.Height) }),
		"time":     field(nn(graphql.String), func(r *patients.Review) any { return schema.RFC3339Nano(r.Time) }),
		"txId":     field(nn(graphql.ID), func(r *patients.Review) any { return r.TxID }),
	}})
	undelivered := graphql.NewObject(graphql.ObjectConfig{Name: "UndeliveredReport",
		Description: "The reader's report, on the ledger, that a granted access released nothing.", Fields: graphql.Fields{
			"reason": field(nn(graphql.String), func(u *patients.Undelivered) any { return u.Reason },
				"custodian-unreachable, ciphertext-missing, ciphertext-mismatch or custodian-refused."),
			"height": field(nn(graphql.Int), func(u *patients.Undelivered) any { return int(u.Height) }),
			"time":   field(nn(graphql.String), func(u *patients.Undelivered) any { return schema.RFC3339Nano(u.Time) }),
			"txId":   field(nn(graphql.ID), func(u *patients.Undelivered) any { return u.TxID }),
		}})
	m.access = graphql.NewObject(graphql.ObjectConfig{Name: "RecordAccess", Description: "One access decision on a record, committed either way.", Fields: graphql.Fields{
		"id":                    field(nn(graphql.ID), func(a accessT) any { return a.ID }, "The access transaction's id."),
		"kind":                  field(nn(m.accessKind), func(a accessT) any { return a.Kind }),
		"recordId":              field(nn(graphql.ID), func(a accessT) any { return a.Record }),
		"recordVersion":         field(nn(graphql.Int), func(a accessT) any { return int(a.Version) }),
		"patient":               field(nn(graphql.ID), func(a accessT) any { return a.Patient }),
		"custodian":             field(nn(graphql.ID), func(a accessT) any { return a.Custodian }),
		"reader":                field(nn(graphql.ID), func(a accessT) any { return a.Reader }),
		"purpose":               field(nn(graphql.String), func(a accessT) any { return a.Purpose }),
		"consentId":             field(graphql.ID, func(a accessT) any { return schema.OptString(a.Consent) }, "The consent the access relied on."),
		"consentStatusAtAccess": field(m.consentStatus, func(a accessT) any { return schema.OptString(a.ConsentStatus) }),
		"breakGlassReason":      field(graphql.String, func(a accessT) any { return schema.OptString(a.BreakGlass) }, "The declared emergency."),
		"noteHash":              field(graphql.String, func(a accessT) any { return schema.OptString(a.NoteHash) }, "Hex SHA-256 of the off-ledger note."),
		"refusal":               field(graphql.String, func(a accessT) any { return schema.OptString(a.Refusal) }, "Why it was refused."),
		"expiresAt": field(graphql.String, func(a accessT) any {
			if a.Expires == 0 {
				return nil
			}
			return unixTime(a.Expires)
		}),
		"delivered": field(nn(graphql.Boolean), func(a accessT) any { return a.Kind != patients.AccessRefused && a.Undelivered == nil },
			"False when refused, or when the reader reported that the grant released nothing (see undelivered)."),
		"undelivered": field(undelivered, func(a accessT) any { return a.Undelivered },
			"The reader's report that nothing was released (null when none was made)."),
		"reviewed": field(nn(graphql.Boolean), func(a accessT) any { return a.Review != nil }),
		"review":   field(review, func(a accessT) any { return a.Review }, "The break-glass review (null until reviewed)."),
		"height":   field(nn(graphql.Int), func(a accessT) any { return int(a.Height) }),
		"time":     field(nn(graphql.String), func(a accessT) any { return schema.RFC3339Nano(a.Time) }, "Block time."),
	}})
	m.access.AddFieldConfig("consent", &graphql.Field{Type: m.consent,
		Description: "The consent it relied on, as it is now (part of the audit trail: whoever reads the entry reads its basis).",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			a := p.Source.(accessT)
			if a.Consent == "" {
				return nil, nil
			}
			c, err := schema.Found(p.Context, m.log, "patients: access consent", m.rd.Consent, a.Consent)
			if c == nil || err != nil || c.Patient != a.Patient {
				return nil, err // none, or not a consent of this patient: say nothing of it
			}
			return c, nil
		}})
	m.recordConn = schema.NewConnectionType("RecordMetadata", m.record)
	m.consentConn = schema.NewConnectionType("Consent", m.consent)
	m.accessConn = schema.NewConnectionType("RecordAccess", m.access)
}
