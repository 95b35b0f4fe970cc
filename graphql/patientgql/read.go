package patientgql

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patientdir"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/records"
)

// recordRead is what readRecord and breakGlassRead return.
type recordRead struct {
	access *schema.TxResult
	kind   string // patients.AccessGranted or AccessBreakGlass
	opened *records.Opened
	// note is what became of the break-glass reason's delivery to the
	// custodian (nil when none was given).
	note *noteDelivery
}

// readRecordType builds RecordRead.
func (m *mod) readRecordType(txResult *graphql.Object) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{Name: "RecordRead", Description: "A record released to its reader under a committed access.", Fields: graphql.Fields{
		"access":   field(nn(txResult), func(r *recordRead) any { return r.access }, "The record.access transaction the read relies on (in the patient's access log)."),
		"kind":     field(nn(m.accessKind), func(r *recordRead) any { return r.kind }),
		"recordId": field(nn(graphql.ID), func(r *recordRead) any { return r.opened.RecordID }),
		"version":  field(nn(graphql.Int), func(r *recordRead) any { return int(r.opened.Version) }),
		"content": field(graphql.String, func(r *recordRead) any {
			if !utf8.Valid(r.opened.Plaintext) {
				return nil
			}
			return string(r.opened.Plaintext)
		}, "The decrypted record as text (FHIR JSON); null when it is not UTF-8 (use contentBase64)."),
		"contentBase64": field(nn(graphql.String), func(r *recordRead) any { return base64.StdEncoding.EncodeToString(r.opened.Plaintext) },
			"The decrypted record's bytes, base64."),
		"noteDelivery": field(m.noteDelivery, func(r *recordRead) any { return r.note },
			"breakGlassRead with a note: whether the custodian keeps it (null when no note was given)."),
	}})
}

// accessLeftToLedger: the portal does not precheck a record access; the
// ledger decides every well-formed one and commits a refusal too, so that
// the patient's access log shows it (decision 7).
const accessLeftToLedger = "the ledger decides every record access and records a refusal in the patient's access log"

func (m *mod) registerRecordReads(b *schema.Builder) error {
	rr := m.readRecordType(b.Type("TxResult").(*graphql.Object))
	versionArg := &graphql.ArgumentConfig{Type: graphql.Int, Description: "The version to read (default: the latest)."}
	err := b.TxMutation(schema.TxMutation{Name: "readRecord", Object: "record", Action: "read", Type: nn(rr), Wait: true,
		Description: "record.access, then the record itself: commits an access that names the consent it relies on (or none, for the patient's own record), and on a grant fetches the ciphertext from the custodian and decrypts it with the viewer's key. A refusal is committed too (the patient sees it) and answers FORBIDDEN with the ledger's reason.",
		Args: graphql.FieldConfigArgument{
			"record":  {Type: nn(graphql.ID)},
			"purpose": {Type: nn(graphql.String), Description: "treatment, claims, payment, research, public-health or care-coordination: the consent's."},
			"consent": {Type: graphql.ID, Description: "The consent the read relies on (omit for the patient's own record)."},
			"version": versionArg,
		},
		Plan: func(_ context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
			a := &args{schema.ArgReader{In: in}}
			a.Str("record", recordvocab.ArgRecordID)
			a.Str("purpose", recordvocab.ArgPurpose)
			a.OptStr("consent", recordvocab.ArgConsentID)
			a.version()
			if a.Err != nil {
				return nil, a.Err
			}
			return m.accessing(v, a, ""), nil
		}})
	if err != nil {
		return err
	}
	return b.TxMutation(schema.TxMutation{Name: "breakGlassRead", Object: "record", Action: "break_glass", Type: nn(rr), Wait: true,
		Description: "record.access with break_glass: an emergency read for treatment without the patient's consent (physicians). The reason is required; the access is committed, raises the patient's access alert and waits in the custodian's break-glass review queue. A note (the written reason) goes to the custodian's privacy officer off the ledger, which keeps its SHA-256; noteDelivery says whether it arrived.",
		Args: graphql.FieldConfigArgument{
			"record":   {Type: nn(graphql.ID)},
			"reason":   {Type: graphql.String, Description: "Required: life-threatening, unconscious-patient, urgent-treatment or mass-casualty (a code: details go in an off-ledger note)."},
			"note":     {Type: graphql.String, Description: "The written reason for the custodian's privacy officer (at most 4096 bytes), delivered off the ledger."},
			"noteHash": {Type: graphql.String, Description: "Hex SHA-256 of the off-ledger note (implied by note)."},
			"version":  versionArg,
		},
		Plan: func(_ context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
			a := &args{schema.ArgReader{In: in}}
			a.Str("record", recordvocab.ArgRecordID)
			if r, _ := in["reason"].(string); strings.TrimSpace(r) == "" {
				return nil, schema.BadInput("a break-glass read needs a reason: life-threatening, unconscious-patient, urgent-treatment or mass-casualty")
			}
			note, err := hashedNote(in)
			if err != nil {
				return nil, err
			}
			a.Str("reason", recordvocab.ArgBreakGlass)
			a.Out = append(a.Out, tx.String(recordvocab.ArgPurpose, "treatment")) // the only purpose break-glass serves
			a.Hash("noteHash", recordvocab.ArgNoteHash, false)
			a.version()
			if a.Err != nil {
				return nil, a.Err
			}
			return m.accessing(v, a, note), nil
		}})
}

// accessing plans the record access in a by reader v: committed, and when
// granted, the record is opened (readRecord) after a break-glass note,
// if any, is delivered.
func (m *mod) accessing(v string, a *args, note string) *schema.TxPlan {
	return &schema.TxPlan{Call: schema.Call{Contract: recordvocab.Name, Method: recordvocab.MethodAccess, Args: a.Out},
		LeftToLedger: accessLeftToLedger,
		Done: func(ctx context.Context, res *schema.TxResult, err error) (any, error) {
			if err != nil {
				return nil, err
			}
			return m.readRecord(ctx, v, res, note)
		}}
}

// readRecord opens the record that the committed access res released to
// reader v. A grant that releases nothing (the custodian cannot be
// reached, or releases another ciphertext) is reported on the ledger, so
// that the patient's access log says nothing was delivered. A break-glass
// note is delivered to the custodian once the access is granted, before
// the record is fetched, so that a record that cannot be released does
// not hold the note back.
func (m *mod) readRecord(ctx context.Context, v string, res *schema.TxResult, note string) (*recordRead, error) {
	if res.Status != api.StatusCommitted || res.Receipt == nil {
		return nil, schema.Errorf(schema.CodeUnavailable, "the access "+res.ID.String()+" did not commit in time; read again")
	}
	if !res.Receipt.OK() {
		return nil, ledgerFailure(res.Receipt.Error)
	}
	ev, ok := accessEvent(res.Receipt.Events)
	if !ok {
		return nil, m.internal(ctx, "record access", errors.New("an access receipt without an access event"))
	}
	switch ev.Type {
	case recordvocab.EventAccessRefused:
		m.log.InfoContext(ctx, "record access refused", "access", res.ID.String(), "record",
			ev.Attr(recordvocab.AttrRecord), "reader", v)
		return nil, schema.Forbidden("the ledger refused the access (committed as " + res.ID.String() + "): " + ev.Attr(recordvocab.AttrReason))
	case recordvocab.EventAccessGranted, recordvocab.EventBreakGlass:
	default:
		return nil, m.internal(ctx, "record access", errors.New("unexpected access event "+ev.Type))
	}
	kind := patients.AccessGranted
	var nd *noteDelivery
	if ev.Type == "break_glass" {
		kind = patients.AccessBreakGlass
		if note != "" {
			nd = &noteDelivery{}
			if err := m.cfg.Records.SendNote(ctx, v, ev.Attr(recordvocab.AttrCustodian), api.NoteReason, res.ID,
				note); err != nil {
				nd.err = schema.NoteErr(ctx, m.log, err)
			}
		}
	}
	opened, err := m.cfg.Records.Open(ctx, v, res.ID)
	if err == nil {
		err = m.checkReleased(ctx, opened, ev.Attr(recordvocab.AttrRecord), ev.Attr(recordvocab.AttrVersion))
	}
	if err != nil {
		return nil, withNote(m.cfg.NotDelivered(ctx, res.ID, err), nd, res.ID)
	}
	// Record ids, versions and readers only: never the content.
	m.log.InfoContext(ctx, "record read", "access", res.ID.String(), "record", opened.RecordID, "version", opened.Version, "reader", v, "kind", kind)
	if rec, err := m.rd.Record(opened.RecordID); err == nil {
		// The patient's name, off the ledger, when this portal's
		// organisation keeps the record: its directory.
		if name, ok := patientdir.PatientName(opened.Plaintext); ok {
			m.cfg.NotePatientName(ctx, schema.OrgOf(v), rec.Custodian, rec.Patient, name)
		}
	}
	return &recordRead{access: res, kind: kind, opened: opened, note: nd}, nil
}

// accessEvent returns the record contract's access decision in events.
func accessEvent(events []ledger.Event) (ledger.Event, bool) {
	for _, e := range events {
		if e.Contract == recordvocab.Name {
			switch e.Type {
			case recordvocab.EventAccessGranted, recordvocab.EventAccessRefused, recordvocab.EventBreakGlass:
				return e, true
			}
		}
	}
	return ledger.Event{}, false
}

// ledgerFailure maps a failed access transaction (a malformed request:
// the ledger decides and records every well-formed one) to a user error
// with the ledger's reason.
func ledgerFailure(msg string) error {
	switch {
	case strings.HasPrefix(msg, "not found"):
		return schema.Errorf(schema.CodeNotFound, "the ledger could not record the access: "+msg)
	case strings.HasPrefix(msg, "permission denied"), strings.HasPrefix(msg, "sender not authenticated"):
		return schema.Forbidden("the ledger refused the access: " + msg)
	default:
		return schema.BadInput("the ledger could not record the access: " + msg)
	}
}

// checkReleased checks the released record against the ledger's record,
// version and ciphertext hash before the reader sees it; a *schema.Error
// is the portal's own failure, anything else what the custodian released.
func (m *mod) checkReleased(ctx context.Context, o *records.Opened, record, version string) error {
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return m.internal(ctx, "record access", fmt.Errorf("access event version %q", version))
	}
	want, err := m.rd.VersionHash(record, v)
	if err != nil {
		return m.internal(ctx, "record version", err)
	}
	return o.Check(record, v, want) // records.ErrNotLedgers: reported as not delivered
}
