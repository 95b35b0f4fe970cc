package patientgql

import (
	"context"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
)

var connArgs = schema.ForwardConnArgs(nil)

// page runs a forward page; keep (may be nil) drops what the viewer may
// not see (a page can then hold fewer than asked).
func page[T any](ctx context.Context, m *mod, args map[string]any, kind string,
	l func(after string, limit int) ([]T, patients.Page, error), keep func(T) (bool, error)) (*schema.Connection, error) {
	c, err := schema.ForwardConnection(m.cfg, args, kind, l, func(err error) error { return m.internal(ctx, kind, err) })
	if err != nil || keep == nil {
		return c, err
	}
	kept := &schema.Connection{HasNext: c.HasNext, HasPrev: c.HasPrev}
	for i, x := range c.Nodes {
		ok, err := keep(x.(T))
		if err != nil {
			return nil, err
		}
		if ok {
			kept.Nodes = append(kept.Nodes, x)
			kept.Cursors = append(kept.Cursors, c.Cursors[i])
		}
	}
	return kept, nil
}

// readableRecord reads record id's metadata for the viewer: nil when
// there is none, FORBIDDEN unless the policy lets the viewer read it (its
// patient, its custodian's staff).
func (m *mod) readableRecord(ctx context.Context, id string) (*patients.Record, error) {
	return schema.Readable(ctx, m.log, "patients: record", m.rd.Record, id, func(_ string, r *patients.Record) error {
		return m.cfg.Require(ctx, schema.Question{Obj: "record", Act: "read_metadata", Owner: r.Patient, Org: r.Custodian},
			"only the patient or the custodian's staff may read this record's metadata")
	})
}

// readableConsent reads consent id for the viewer: nil when there is
// none; its grantee (the member or their organisation) and its requester
// read it, anyone else as the policy says of the patient's consents.
func (m *mod) readableConsent(ctx context.Context, id string) (*patients.Consent, error) {
	return schema.Readable(ctx, m.log, "patients: consent", m.rd.Consent, id, func(v string, c *patients.Consent) error {
		if c.Grantee == v || c.Grantee == schema.OrgOf(v) || c.Requester == v {
			return nil
		}
		return m.cfg.Require(ctx, schema.Question{Obj: "consent", Act: "read", Owner: c.Patient},
			"only the patient, the grantee or the requester may read this consent")
	})
}

var patientArg = &graphql.ArgumentConfig{Type: graphql.ID, Description: "The patient's member id (default: the viewer)."}

func (m *mod) registerQueries(b *schema.Builder) error {
	qs := []struct {
		name string
		f    *graphql.Field
	}{
		{"patientRecords", &graphql.Field{Type: nn(m.recordConn), Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{"patient": patientArg}),
			Description: "A patient's records, metadata only, by id (the patient; the custodian's staff see their hospital's).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				_, patient, err := m.patientArg(p.Context, p.Args, "record", "read_metadata", "the records")
				if err != nil {
					return nil, err
				}
				return page(p.Context, m, p.Args, "prec", func(after string, limit int) ([]*patients.Record, patients.Page, error) {
					return m.rd.PatientRecords(patient, after, limit)
				}, func(r *patients.Record) (bool, error) {
					return m.cfg.Allowed(p.Context, schema.Question{Obj: "record", Act: "read_metadata", Owner: r.Patient, Org: r.Custodian})
				})
			}}},
		{"record", &graphql.Field{Type: m.record, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "A record's metadata (its patient, its custodian's staff; null if none).",
			Resolve:     schema.ByID("id", m.readableRecord)}},
		{"patientConsents", &graphql.Field{Type: nn(m.consentConn), Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{"patient": patientArg}),
			Description: "A patient's consents in every status, newest first (the patient).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				_, patient, err := m.patientArg(p.Context, p.Args, "consent", "read", "the consents")
				if err != nil {
					return nil, err
				}
				return page(p.Context, m, p.Args, "pcon", func(after string, limit int) ([]*patients.Consent, patients.Page, error) {
					return m.rd.PatientConsents(patient, after, limit)
				}, nil)
			}}},
		{"consentsGranted", &graphql.Field{Type: nn(m.consentConn), Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{
			"grantee": {Type: graphql.ID, Description: "The viewer's organisation (default) or the viewer."},
			"status":  {Type: m.consentStatus, Description: "Only consents in this status (default: all)."},
		}),
			Description: "The consents patients granted (or staff requested) to the viewer's organisation or to the viewer, " +
				"newest first: what an adjuster or a clinician may rely on (its grantee's members).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := schema.Account(p.Context)
				if err != nil {
					return nil, err
				}
				grantee, _ := p.Args["grantee"].(string)
				if grantee == "" {
					grantee = schema.OrgOf(v)
				}
				if grantee != v && grantee != schema.OrgOf(v) {
					return nil, schema.Forbidden("only consents granted to your organisation or to you: grantee " +
						schema.OrgOf(v) + " or " + v)
				}
				status, _ := p.Args["status"].(string)
				return page(p.Context, m, p.Args, "gcon", func(after string, limit int) ([]*patients.Consent, patients.Page, error) {
					return m.rd.GranteeConsents(grantee, after, limit)
				}, func(c *patients.Consent) (bool, error) { return status == "" || c.Status == status, nil })
			}}},
		{"consent", &graphql.Field{Type: m.consent, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "A consent (its patient, its grantee and its requester; null if none).",
			Resolve:     schema.ByID("id", m.readableConsent)}},
		{"accessLog", &graphql.Field{Type: nn(m.accessConn), Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{"patient": patientArg}),
			Description: "Who accessed a patient's records and why, newest first: every granted, refused and break-glass access with the consent or emergency it relied on (the patient; the custodian's privacy officer sees their hospital's; auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				_, patient, err := m.patientArg(p.Context, p.Args, "access_log", "read", "the access log")
				if err != nil {
					return nil, err
				}
				return page(p.Context, m, p.Args, "alog", func(after string, limit int) ([]*patients.Access, patients.Page, error) {
					return m.rd.AccessLog(patient, after, limit)
				}, func(a *patients.Access) (bool, error) {
					return m.cfg.Allowed(p.Context, schema.Question{Obj: "access_log", Act: "read", Owner: a.Patient, Org: a.Custodian})
				})
			}}},
		{"breakGlassQueue", &graphql.Field{Type: nn(m.accessConn),
			Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{
				"custodian":      {Type: graphql.ID, Description: "The hospital (default: the viewer's organisation)."},
				"unreviewedOnly": {Type: graphql.Boolean, DefaultValue: false},
			}),
			Description: "A hospital's break-glass accesses to review: unreviewed first, then reviewed, each oldest first (its privacy officers, auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := schema.Account(p.Context)
				if err != nil {
					return nil, err
				}
				custodian, _ := p.Args["custodian"].(string)
				if custodian == "" {
					custodian = schema.OrgOf(v)
				}
				if err := m.cfg.Require(p.Context, schema.Question{Obj: "break_glass", Act: "read", Org: custodian},
					"only a privacy officer of "+custodian+" or an auditor may read its break-glass queue"); err != nil {
					return nil, err
				}
				only, _ := p.Args["unreviewedOnly"].(bool)
				kind := "bgq"
				if only {
					kind = "bgqu"
				}
				return page(p.Context, m, p.Args, kind, func(after string, limit int) ([]*patients.Access, patients.Page, error) {
					return m.rd.BreakGlassQueue(custodian, only, after, limit)
				}, nil)
			}}},
	}
	for _, q := range qs {
		if err := b.Query(q.name, q.f); err != nil {
			return err
		}
	}
	return nil
}
