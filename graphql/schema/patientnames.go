package schema

import "context"

// PatientDirectory is the portal's off-ledger patient directory
// (portal/patientdir): patients' names as the records their custodian
// keeps give them, never on the ledger nor in the read model. Safe for
// concurrent use; a missing name is ok false, not an error.
type PatientDirectory interface {
	Put(org, patient, name string) error
	Name(org, patient string) (name string, ok bool, err error)
	AnyName(patient string) (name string, ok bool, err error)
	Forget(org, patient string) error
}

// PatientName is the patientName of a patient whose records custodian
// keeps, for the viewer: the name this portal's directory holds, to the
// patient themself, or to a member of custodian whom the policy lets
// read the metadata of that patient's records there (obj record, act
// read_metadata, owner the patient, org the custodian); null (nil) to
// everyone else, to anonymous callers and when the portal keeps no
// directory or no name. custodian may be empty for the patient's own
// view (their name from any custodian).
func (c *Config) PatientName(ctx context.Context, patient, custodian string) (any, error) {
	if c.Patients == nil || patient == "" {
		return nil, nil
	}
	v, err := Account(ctx)
	if err != nil {
		return nil, nil
	}
	var (
		name string
		ok   bool
	)
	switch {
	case v == patient:
		if custodian != "" {
			name, ok, err = c.Patients.Name(custodian, patient)
		}
		if err == nil && !ok {
			name, ok, err = c.Patients.AnyName(patient)
		}
	case custodian != "" && OrgOf(v) == custodian:
		allowed, perr := c.Allowed(ctx, Question{Obj: "record", Act: "read_metadata", Owner: patient, Org: custodian})
		if perr != nil {
			return nil, perr
		}
		if !allowed {
			return nil, nil
		}
		name, ok, err = c.Patients.Name(custodian, patient)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, internal(ctx, c.Logger, "patient name", err)
	}
	if !ok {
		return nil, nil
	}
	return name, nil
}

// NotePatientName keeps, in the portal's patient directory, the name that
// a record's plaintext (FHIR JSON) gives its patient, when org (the
// member's organisation, which registered or read it) is the record's
// custodian. name is what patientdir.PatientName found in the content
// (the caller extracts it); an empty one keeps nothing. A failure is
// logged (ids only, never the name) and not returned: the ledger
// transaction it follows has committed.
func (c *Config) NotePatientName(ctx context.Context, org, custodian, patient, name string) {
	if c.Patients == nil || name == "" || org == "" || org != custodian {
		return
	}
	if err := c.Patients.Put(custodian, patient, name); err != nil {
		c.Logger.WarnContext(ctx, "keeping a patient's name in the directory", "custodian", custodian, "patient", patient,
			"err", err)
	}
}

// ForgetPatientName drops the name custodian's directory keeps for
// patient (their last record there was erased). A failure is logged (ids
// only) and not returned: the erasure has committed.
func (c *Config) ForgetPatientName(ctx context.Context, custodian, patient string) {
	if c.Patients == nil {
		return
	}
	if err := c.Patients.Forget(custodian, patient); err != nil {
		c.Logger.WarnContext(ctx, "forgetting a patient's name", "custodian", custodian, "patient", patient, "err", err)
	}
}
