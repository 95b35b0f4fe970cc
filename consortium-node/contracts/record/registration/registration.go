// Package registration is the record contract's vocabulary for
// record.register: the categories of records it accepts and the role a
// new record's patient must hold. The contract checks them; a portal
// checks them before it uploads a record to its custodian, so that a
// registration the ledger would refuse leaves nothing behind. It imports
// nothing, so a portal may use it without reaching into the node.
package registration

import "slices"

// Claim is the category of an itemised insurance claim (a FHIR Claim:
// service codes and dates), filed with the claim contract as its document
// (claimdoc.RecordCategory).
const Claim = "claim"

// PatientRole is the role the patient of a new record must hold
// (identity.RolePatient).
const PatientRole = "patient"

// Categories lists the categories of records, in the order messages name
// them (a small code list: no free text on the ledger). Callers must not
// modify it.
var Categories = []string{"encounter", "lab", "imaging", "medication", "discharge-summary", "claim-support", "bundle", Claim}

// Known reports whether category is one of Categories.
func Known(category string) bool { return slices.Contains(Categories, category) }
