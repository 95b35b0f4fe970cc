// Package vocab is the consent contract's vocabulary, defined once: its
// name, the statuses it writes for a consent (FHIR Consent.status), the
// purposes a consent may name, the arguments its methods read (Arg*) and
// the events the portal's read model follows and their attributes
// (Attr*), declared per method and event by Shape. The consent contract
// (consortium-node/contracts/consent), the portal's read model
// (portal/patients) and its GraphQL enums (graphql/patientgql) import it;
// it imports only contracts/vocab, so a portal may use it without reaching into the
// node. Tests on each side check that every status the contract can write
// is known to them.
package vocab

import "github.com/almoner/almoner/consortium-node/contracts/vocab"

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

// Methods of the contract.
const (
	MethodGrant   = "grant"
	MethodRequest = "request"
	MethodAccept  = "accept"
	MethodDecline = "decline"
	MethodAmend   = "amend"
	MethodRevoke  = "revoke"
)

// Arguments of the contract's methods.
const (
	ArgConsentID  = "consent_id"
	ArgPatient    = "patient" // a request names the patient
	ArgGrantee    = "grantee" // a member id, or an organisation id: its every member
	ArgPurpose    = "purpose"
	ArgRecords    = "records"
	ArgCategories = "categories"
	ArgStart      = "start" // Unix seconds
	ArgEnd        = "end"   // Unix seconds
	ArgScope      = "scope"
	ArgCategory   = "category"
	ArgActorRole  = "actor_role"
)

// Attributes of the contract's events.
const (
	AttrConsent   = "consent"
	AttrPatient   = "patient"
	AttrGrantee   = "grantee"
	AttrPurpose   = "purpose"
	AttrStart     = "start"
	AttrEnd       = "end"
	AttrRequester = "requester"
	AttrVersion   = "version"
)

// Shape declares the arguments each method reads and the attributes each
// event carries.
func Shape() vocab.Shape {
	grant := []string{ArgConsentID, ArgGrantee, ArgPurpose, ArgRecords, ArgCategories, ArgStart, ArgEnd, ArgScope,
		ArgCategory, ArgActorRole}
	decided := []string{AttrConsent, AttrPatient, AttrGrantee, AttrPurpose, AttrEnd, AttrRequester}
	return vocab.Shape{
		Methods: map[string][]string{
			MethodGrant:   grant,
			MethodRequest: append([]string{ArgPatient}, grant...),
			MethodAccept:  {ArgConsentID},
			MethodDecline: {ArgConsentID},
			MethodAmend:   {ArgConsentID, ArgPurpose, ArgStart, ArgEnd},
			MethodRevoke:  {ArgConsentID},
		},
		Events: map[string][]string{
			EventGranted:   decided,
			EventRequested: decided,
			EventDeclined:  decided,
			EventAmended:   {AttrConsent, AttrPatient, AttrGrantee, AttrPurpose, AttrStart, AttrEnd, AttrVersion},
			EventRevoked:   {AttrConsent, AttrPatient, AttrGrantee},
		},
	}
}
