package patientgql

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// MaxRecordBytes bounds a record registered through the portal (the
// request body limit is lower still by default).
const MaxRecordBytes = 4 << 20

// fhirResource checks that content is one FHIR JSON resource (a Bundle
// from an EHR export, or any single resource).
func fhirResource(content string) error {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if len(content) == 0 || len(content) > MaxRecordBytes {
		return schema.BadInput(fmt.Sprintf("content must be 1 to %d bytes of FHIR JSON", MaxRecordBytes))
	}
	if err := json.Unmarshal([]byte(content), &head); err != nil || head.ResourceType == "" {
		return schema.BadInput("content must be a FHIR JSON resource (an object with a resourceType), e.g. a Bundle")
	}
	return nil
}

// registerRecordWrites adds registerRecord and eraseRecord.
func (m *mod) registerRecordWrites(b *schema.Builder) error {
	txResult := b.Type("TxResult").(*graphql.Object)
	wait := &graphql.ArgumentConfig{Type: graphql.Boolean, DefaultValue: false, Description: "Wait for the commit and return the receipt."}
	err := b.Mutation("registerRecord", &graphql.Field{Type: nn(txResult),
		Description: "Register a medical record, or its next version, for the viewer's hospital (physicians, records clerks). The content " +
			"(FHIR JSON) is encrypted in the portal under a fresh key wrapped for the hospital's node and stored there; the ledger gets " +
			"only the record's id, patient, category and the ciphertext's hash (record.register).",
		Args: graphql.FieldConfigArgument{
			"id":       {Type: nn(graphql.ID), Description: "The record's id (a-z, 0-9, '-', '_', '.'); an existing record of the same patient gets a new version."},
			"patient":  {Type: nn(graphql.ID)},
			"category": {Type: nn(graphql.String), Description: "encounter, lab, imaging, medication, discharge-summary, claim-support or bundle."},
			"content":  {Type: nn(graphql.String), Description: "The record: a FHIR JSON resource, e.g. a Bundle."},
			"wait":     wait,
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			v, err := schema.Account(ctx)
			if err != nil {
				return nil, err
			}
			id, _ := p.Args["id"].(string)
			patient, _ := p.Args["patient"].(string)
			category, _ := p.Args["category"].(string)
			content, _ := p.Args["content"].(string)
			org := schema.OrgOf(v)
			if ok, err := m.allowed(ctx, v, "record", "register", patient, org); err != nil {
				return nil, err
			} else if !ok {
				return nil, schema.Forbidden("only a physician or records clerk registers their hospital's records")
			}
			if err := fhirResource(content); err != nil {
				return nil, err
			}
			version := uint64(1)
			if rec, err := m.rd.Record(id); err == nil {
				if rec.Custodian != org || rec.Patient != patient || rec.Erased || len(rec.Versions) == 0 {
					return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("record %q exists and is not a record of %s held by %s; choose another id", id, patient, org))
				}
				version = rec.Versions[len(rec.Versions)-1].Version + 1
			} else if !errors.Is(err, readmodel.ErrNotFound) {
				return nil, m.internal(ctx, "record", err)
			}
			hash, err := m.cfg.Records.Store(ctx, v, org, id, version, []byte(content))
			if err != nil {
				return nil, schema.StoreErr(ctx, m.log, "patients: storing a record", err)
			}
			w, _ := p.Args["wait"].(bool)
			return b.Submit(ctx, patients.RecordContract, "register", []tx.Arg{tx.String("record_id", id), tx.Uint("version", version),
				tx.Bytes("ciphertext_hash", hash[:]), tx.String("patient", patient), tx.String("category", category)}, w)
		}})
	if err != nil {
		return err
	}
	return b.Mutation("eraseRecord", &graphql.Field{Type: nn(txResult),
		Description: "Erase a record (record.erase): the ledger marks it erased and its custodian destroys the ciphertexts and keys; the " +
			"hashes stay as evidence. The patient, or the custodian's records clerks and privacy officers. confirm must repeat the record's id.",
		Args: graphql.FieldConfigArgument{
			"record":  {Type: nn(graphql.ID)},
			"confirm": {Type: nn(graphql.ID), Description: "The record's id again: erasure cannot be undone."},
			"wait":    wait,
		},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			ctx := p.Context
			v, err := schema.Account(ctx)
			if err != nil {
				return nil, err
			}
			id, _ := p.Args["record"].(string)
			if confirm, _ := p.Args["confirm"].(string); confirm != id {
				return nil, schema.BadInput("confirm must repeat the record's id: erasure cannot be undone")
			}
			rec, err := m.rd.Record(id)
			if errors.Is(err, readmodel.ErrNotFound) {
				return nil, schema.Errorf(schema.CodeNotFound, fmt.Sprintf("no record %q", id))
			}
			if err != nil {
				return nil, m.internal(ctx, "record", err)
			}
			if ok, err := m.allowed(ctx, v, "record", "erase", rec.Patient, rec.Custodian); err != nil {
				return nil, err
			} else if !ok {
				return nil, schema.Forbidden("only the record's patient, or its custodian's records clerks and privacy officers, may erase it")
			}
			if rec.Erased {
				return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("record %q is already erased", id))
			}
			w, _ := p.Args["wait"].(bool)
			return b.Submit(ctx, patients.RecordContract, "erase", []tx.Arg{tx.String("record_id", id)}, w)
		}})
}
