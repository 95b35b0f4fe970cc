// Package patientdir is a custodian hospital portal's off-ledger patient
// directory: the names of the patients whose records its organisation
// keeps, as the records' own FHIR Patient resources give them
// (Patient.name). The portal notes a name when one of its members
// registers a record of its organisation, or reads one, through the
// portal: the name comes from the plaintext the portal already holds at
// that moment, and nothing is fetched for it.
//
// The ledger holds no person's name (DESIGN decision 4), and neither do
// the read model (rebuildable from the ledger) nor the logs: a name lives
// only here, in the portal's own goleveldb folder, each entry sealed
// (AES-256-GCM) under the portal's organisation key and bound to its
// organisation and patient, so that a copied folder reads as nothing
// without the key and an entry moved to another patient fails to open.
// Who may see a name is the caller's question (graphql/schema asks the
// policy); this package stores and returns.
//
// Imports: goleveldb (opened through portal/internal/smalldb),
// privacy/keystore, portal/defaults, the standard library.
package patientdir
