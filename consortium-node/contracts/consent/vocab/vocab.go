// Package vocab is the consent contract's vocabulary, defined once: its
// name, the statuses it writes for a consent (FHIR Consent.status), the
// purposes a consent may name and the events the portal's read model
// follows. The consent contract
// (consortium-node/contracts/consent), the portal's read model
// (portal/patients) and its GraphQL enums (graphql/patientgql) import it;
// it imports nothing, so a portal may use it without reaching into the
// node. Tests on each side check that every status the contract can write
// is known to them.
package vocab

// Name is the consent contract's name.
const Name = "consent"

// Statuses of a consent (FHIR Consent.status).
const (
	StatusProposed = "proposed" // requested by staff, awaiting the patient
	StatusActive   = "active"
	StatusRejected = "rejected" // the patient declined a request
	StatusRevoked  = "inactive" // FHIR: the patient withdrew the consent
)

// Statuses lists every status a consent can have.
func Statuses() []string {
	return []string{StatusProposed, StatusActive, StatusRejected, StatusRevoked}
}

// Events the contract emits that others read.
const (
	EventGranted   = "consent_granted"
	EventRequested = "consent_requested"
	EventDeclined  = "consent_declined"
	EventAmended   = "consent_amended"
	EventRevoked   = "consent_revoked"
)

// Events lists every event the contract emits.
func Events() []string {
	return []string{EventGranted, EventRequested, EventDeclined, EventAmended, EventRevoked}
}

// Purposes a consent may name (FHIR v3 ActReason subset).
func Purposes() []string {
	return []string{"treatment", "claims", "payment", "research", "public-health", "care-coordination"}
}
