package patientgql

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
)

// Module is the patients GraphQL module.
type Module struct{}

var _ schema.Module = Module{}

// New returns the module.
func New() Module { return Module{} }

// Name implements schema.Module.
func (Module) Name() string { return "patients" }

type mod struct {
	cfg *schema.Config
	rd  *patients.Reader
	log *slog.Logger

	consentStatus, accessKind           *graphql.Enum
	record, consent, access             *graphql.Object
	recordConn, consentConn, accessConn *graphql.Object
	noteDelivery, accessNote            *graphql.Object
}

// Register implements schema.Module.
func (Module) Register(b *schema.Builder) error {
	m := &mod{cfg: b.Cfg, rd: patients.NewReader(b.Cfg.Store), log: b.Cfg.Logger}
	if b.Type("TxResult") == nil {
		return errors.New("patientgql: the core module's TxResult type is missing")
	}
	m.buildTypes()
	m.disclosureFields()
	m.buildNoteTypes()
	m.patientNameFields()
	return b.Each(
		m.registerQueries,
		m.registerPatientNames,
		m.registerExport,
		m.registerMutations,
		m.registerNoteMutations,
		m.registerRecordWrites,
		m.registerRecordReads,
		m.registerSubscription,
		m.registerConsentChanges,
	)
}

func (m *mod) internal(ctx context.Context, what string, err error) error {
	return schema.Internal(ctx, m.log, "patients: "+what, err)
}

// patientArg returns the viewer and the patient argument (default: the
// viewer), after checking that the viewer may do act on obj of that
// patient held by the viewer's own organisation (or any, per the policy).
func (m *mod) patientArg(ctx context.Context, args map[string]any, obj, act, what string) (string, string, error) {
	v, err := schema.Account(ctx)
	if err != nil {
		return "", "", err
	}
	patient, _ := args["patient"].(string)
	if patient == "" {
		patient = v
	}
	org := schema.OrgOf(v)
	if obj == "consent" {
		org = ""
	}
	if err := m.cfg.Require(ctx, schema.Question{Obj: obj, Act: act, Owner: patient, Org: org},
		"you may not read "+what+" of this patient"); err != nil {
		return "", "", err
	}
	return v, patient, nil
}

var nn = graphql.NewNonNull

// field is a resolver that only reads its source (see schema.Field).
func field[T any](t graphql.Output, get func(T) any, desc ...string) *graphql.Field {
	return schema.Field("patientgql", t, get, desc...)
}

func unixTime(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
