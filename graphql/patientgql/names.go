package patientgql

import (
	"fmt"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/graphql/schema"
)

// patientNameDesc says who gets a patientName (schema.Config.PatientName).
const patientNameDesc = "The patient's name from the custodian's own records (FHIR Patient.name), kept off " +
	"the ledger in the custodian's portal: shown to the patient and to the custodian's members whom the policy lets " +
	"read the patient's record metadata there; null for everyone else, and while the custodian's portal has not seen " +
	"a record of the patient."

// maxPatientNames bounds one patientNames question.
const maxPatientNames = 200

// patientNameFields adds patientName to the types that name a patient
// held by a custodian: record metadata and access entries (the access
// log, the break-glass queue).
func (m *mod) patientNameFields() {
	m.record.AddFieldConfig("patientName", &graphql.Field{Type: graphql.String, Description: patientNameDesc,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			r := p.Source.(recordT)
			return m.cfg.PatientName(p.Context, r.Patient, r.Custodian)
		}})
	m.access.AddFieldConfig("patientName", &graphql.Field{Type: graphql.String, Description: patientNameDesc,
		Resolve: func(p graphql.ResolveParams) (any, error) {
			a := p.Source.(accessT)
			return m.cfg.PatientName(p.Context, a.Patient, a.Custodian)
		}})
}

type patientName struct{ patient, custodian string }

// registerPatientNames adds patientNames: the names a hospital's staff
// may see of the patients they choose among (the patient picker).
func (m *mod) registerPatientNames(b *schema.Builder) error {
	out := graphql.NewObject(graphql.ObjectConfig{Name: "PatientName",
		Description: "A patient and, where the viewer may see it, their name.",
		Fields: graphql.Fields{
			"patient": field(nn(graphql.ID), func(n *patientName) any { return n.patient }),
			"name": {Type: graphql.String, Description: patientNameDesc, Resolve: func(p graphql.ResolveParams) (any, error) {
				n := p.Source.(*patientName)
				return m.cfg.PatientName(p.Context, n.patient, n.custodian)
			}},
		}})
	return b.Query("patientNames", &graphql.Field{Type: schema.List(out),
		Args: graphql.FieldConfigArgument{
			"patients": {Type: schema.List(graphql.ID),
				Description: fmt.Sprintf("Patient member ids (at most %d).", maxPatientNames)},
			"custodian": {Type: graphql.ID,
				Description: "The hospital whose directory answers (default: the viewer's organisation)."},
		},
		Description: "Patients' names as a hospital's own records give them (off the ledger, from its portal's " +
			"directory), in the order asked: to its members whom the policy lets read a patient's record metadata, and " +
			"to the patient; null otherwise. Signed-in members only.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			v, err := schema.Account(p.Context)
			if err != nil {
				return nil, err
			}
			ids, _ := p.Args["patients"].([]any)
			if len(ids) > maxPatientNames {
				return nil, schema.BadInput(fmt.Sprintf("ask for at most %d patients at a time", maxPatientNames))
			}
			custodian, _ := p.Args["custodian"].(string)
			if custodian == "" {
				custodian = schema.OrgOf(v)
			}
			out := make([]*patientName, 0, len(ids))
			for _, id := range ids {
				s, _ := id.(string)
				out = append(out, &patientName{patient: s, custodian: custodian})
			}
			return out, nil
		}})
}
