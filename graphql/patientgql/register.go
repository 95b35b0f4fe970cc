package patientgql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patientdir"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// MaxRecordBytes bounds a record registered through the portal: as a
// file of a GraphQL multipart request (registerRecord's file), up to the
// limit of an uploaded file; as the content argument, up to what the JSON
// body limit leaves (schema.MaxJSONBodyBytes by default).
const MaxRecordBytes = schema.MaxUploadFileBytes

// fhirResource checks that content is one FHIR JSON resource (a Bundle
// from an EHR export, or any single resource). It reads content without
// copying it.
func fhirResource(content []byte) error {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if len(content) == 0 || len(content) > MaxRecordBytes {
		return schema.BadInput(fmt.Sprintf("a record must be 1 byte to %s of FHIR JSON", schema.Bytes(MaxRecordBytes)))
	}
	if err := json.Unmarshal(content, &head); err != nil || head.ResourceType == "" {
		return schema.BadInput("content must be a FHIR JSON resource (an object with a resourceType), e.g. a Bundle")
	}
	return nil
}

// recordContent returns registerRecord's record: its content argument or
// its file, exactly one of them.
func recordContent(args map[string]any) ([]byte, error) {
	content, hasContent := args["content"].(string)
	file, hasFile := args["file"].(*schema.Upload)
	switch {
	case hasContent && hasFile:
		return nil, schema.BadInput("give the record as content or as file, not both")
	case hasFile:
		return file.Bytes(), nil // the request body's bytes: read only, not kept
	case hasContent:
		return []byte(content), nil
	}
	return nil, schema.BadInput(fmt.Sprintf("give the record: content (FHIR JSON within the request body limit), or file "+
		"(an Upload of up to %s in a GraphQL multipart request)", schema.Bytes(MaxRecordBytes)))
}

// checkRegistration refuses, before anything is uploaded, a registration
// the ledger would refuse (registration's vocabulary): an unknown
// category, and for a new record a patient who is not an active patient
// member as far as the read model knows.
func (m *mod) checkRegistration(ctx context.Context, category, patient string, newRecord bool) error {
	if !registration.Known(category) {
		return schema.BadInput(fmt.Sprintf("category %q is not one the ledger knows (one of %s)", category, strings.Join(registration.Categories, ", ")))
	}
	if !newRecord {
		return nil
	}
	mem, err := schema.Found(ctx, m.log, "patients: member", m.cfg.Store.Member, patient)
	if err != nil {
		return err
	}
	if mem == nil {
		return schema.BadInput(fmt.Sprintf("patient %q is not a member of the consortium (if they were just added, try again in a moment)", patient))
	}
	if mem.Revoked || !mem.HasRole(registration.PatientRole) {
		return schema.BadInput(fmt.Sprintf("%q is not an active patient member: a record belongs to a patient", patient))
	}
	return nil
}

// registerRecordWrites adds registerRecord and eraseRecord.
func (m *mod) registerRecordWrites(b *schema.Builder) error {
	err := b.TxMutation(schema.TxMutation{Name: "registerRecord", Object: "record", Action: "register",
		Description: "Register a medical record, or its next version, for the viewer's hospital (physicians, records clerks). The content " +
			"(FHIR JSON) is encrypted in the portal under a fresh key wrapped for the hospital's node and stored there; the ledger gets " +
			"only the record's id, patient, category and the ciphertext's hash (record.register).",
		Args: graphql.FieldConfigArgument{
			"id":       {Type: nn(graphql.ID), Description: "The record's id (a-z, 0-9, '-', '_', '.'); an existing record of the same patient gets a new version."},
			"patient":  {Type: nn(graphql.ID)},
			"category": {Type: nn(graphql.String), Description: strings.Join(registration.Categories, ", ") + "."},
			"content": {Type: graphql.String, Description: "The record: a FHIR JSON resource, e.g. a Bundle, within the JSON request body " +
				"limit (1 MiB by default). Give content or file."},
			"file": {Type: schema.UploadScalar, Description: "The record as a file of a GraphQL multipart request: a FHIR JSON resource of up to " +
				"16 MiB. Give content or file."},
		},
		Plan: m.registerRecord})
	if err != nil {
		return err
	}
	return b.TxMutation(schema.TxMutation{Name: "eraseRecord", Object: "record", Action: "erase",
		Description: "Erase a record (record.erase): the ledger marks it erased and its custodian destroys the ciphertexts and keys; the " +
			"hashes stay as evidence. The patient, or the custodian's records clerks and privacy officers. confirm must repeat the record's id.",
		Args: graphql.FieldConfigArgument{
			"record":  {Type: nn(graphql.ID)},
			"confirm": {Type: nn(graphql.ID), Description: "The record's id again: erasure cannot be undone."},
		},
		Plan: m.eraseRecord})
}

// registerRecord plans record.register of a record of patient held by the
// viewer's hospital: once the policy lets the viewer register it, the
// content is checked, sealed for the hospital's node and uploaded, and
// the call carries the ciphertext's hash.
func (m *mod) registerRecord(_ context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
	id, _ := in["id"].(string)
	patient, _ := in["patient"].(string)
	category, _ := in["category"].(string)
	org := schema.OrgOf(v)
	plan := &schema.TxPlan{Call: schema.Call{Contract: recordvocab.Name, Method: recordvocab.MethodRegister},
		On: []schema.Resource{{Owner: patient, Org: org}}, Refused: "only a physician or records clerk registers their hospital's records"}
	var name string // the patient's, from the record (patientdir), once staged
	plan.Stage = func(ctx context.Context, call *schema.Call) (any, error) {
		content, err := recordContent(in)
		if err != nil {
			return nil, err
		}
		if err := fhirResource(content); err != nil {
			return nil, err
		}
		version := uint64(1)
		rec, err := m.rd.Record(id)
		if err == nil {
			if rec.Custodian != org || rec.Patient != patient || rec.Erased || len(rec.Versions) == 0 {
				return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("record %q exists and is not a record of %s held by %s; choose another id", id, patient, org))
			}
			version = rec.Versions[len(rec.Versions)-1].Version + 1
		} else if !errors.Is(err, readmodel.ErrNotFound) {
			return nil, m.internal(ctx, "record", err)
		}
		if err := m.checkRegistration(ctx, category, patient, version == 1); err != nil {
			return nil, err
		}
		// Uploaded first, registered next: an upload the ledger then
		// refuses stays staged on the custodian until its sweep, and the
		// id stays free (docs/decisions/0018).
		hash, err := m.cfg.Records.Store(ctx, v, org, id, version, content)
		if err != nil {
			return nil, schema.StoreErr(ctx, m.log, "patients: storing a record", err)
		}
		call.Args = []tx.Arg{tx.String(recordvocab.ArgRecordID, id), tx.Uint(recordvocab.ArgVersion, version),
			tx.Bytes(recordvocab.ArgCiphertextHash, hash[:]),
			tx.String(recordvocab.ArgPatient, patient), tx.String(recordvocab.ArgCategory, category)}
		name, _ = patientdir.PatientName(content)
		return nil, nil
	}
	plan.Done = func(ctx context.Context, res *schema.TxResult, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		if res.Receipt == nil || res.Receipt.OK() {
			// The patient's name, off the ledger: this portal's directory.
			m.cfg.NotePatientName(ctx, org, org, patient, name)
		}
		return res, nil
	}
	return plan, nil
}

// eraseRecord plans record.erase of a record the read model holds.
func (m *mod) eraseRecord(ctx context.Context, _ string, in map[string]any) (*schema.TxPlan, error) {
	id, _ := in["record"].(string)
	if confirm, _ := in["confirm"].(string); confirm != id {
		return nil, schema.BadInput("confirm must repeat the record's id: erasure cannot be undone")
	}
	rec, err := schema.Found(ctx, m.log, "patients: record", m.rd.Record, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, schema.Errorf(schema.CodeNotFound, fmt.Sprintf("no record %q", id))
	}
	return &schema.TxPlan{Call: schema.Call{Contract: recordvocab.Name, Method: recordvocab.MethodErase,
		Args: []tx.Arg{tx.String(recordvocab.ArgRecordID, id)}},
		On:      []schema.Resource{{Owner: rec.Patient, Org: rec.Custodian}},
		Refused: "only the record's patient, or its custodian's records clerks and privacy officers, may erase it",
		Stage: func(context.Context, *schema.Call) (any, error) {
			if rec.Erased {
				return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("record %q is already erased", id))
			}
			return nil, nil
		},
		Done: func(ctx context.Context, res *schema.TxResult, err error) (any, error) {
			if err != nil {
				return nil, err
			}
			if res.Receipt == nil || res.Receipt.OK() {
				m.forgetPatientName(ctx, rec, id)
			}
			return res, nil
		}}, nil
}

// forgetPatientName drops the patient's name from this portal's directory
// once the record erased was the last of the patient's records that its
// custodian keeps (the name came from those records).
func (m *mod) forgetPatientName(ctx context.Context, rec *patients.Record, erased string) {
	after := ""
	for {
		rs, pg, err := m.rd.PatientRecords(rec.Patient, after, 500)
		if err != nil {
			m.log.WarnContext(ctx, "patient records, to forget a name", "patient", rec.Patient, "err", err)
			return
		}
		for _, r := range rs {
			if r.ID != erased && r.Custodian == rec.Custodian && !r.Erased {
				return
			}
		}
		if !pg.More || len(pg.Cursors) == 0 {
			break
		}
		after = pg.Cursors[len(pg.Cursors)-1]
	}
	m.cfg.ForgetPatientName(ctx, rec.Custodian, rec.Patient)
}
