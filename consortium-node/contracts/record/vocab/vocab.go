// Package vocab is the record contract's vocabulary, defined once: its
// name, the arguments its methods read (Arg*), the events the portal's
// read model follows and their attributes (Attr*), declared per method and
// event by Shape, and the codes of a break-glass access and its review (the reasons of an undelivered access
// are package delivery's, a registration's shape package registration's).
// The record contract (consortium-node/contracts/record), the portal's read
// model (portal/patients, portal/claims, portal/inbox) and the web app's
// labels (checked by frontend's tests) use it; it imports only delivery and contracts/vocab, so
// a portal may use it without reaching into the node.
package vocab

import (
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	"github.com/almoner/almoner/consortium-node/contracts/vocab"
)

// Name is the record contract's name.
const Name = delivery.Contract

// Events the contract emits that others read.
const (
	EventRegistered         = "record_registered"
	EventErased             = "record_erased"
	EventAccessGranted      = "access_granted"
	EventAccessRefused      = "access_refused"
	EventBreakGlass         = "break_glass"
	EventBreakGlassReviewed = "break_glass_reviewed"
	EventAccessUndelivered  = delivery.Event
)

// Events lists every event the contract emits.
func Events() []string {
	return []string{EventRegistered, EventErased, EventAccessGranted, EventAccessRefused, EventBreakGlass,
		EventBreakGlassReviewed, EventAccessUndelivered}
}

// BreakGlassReasons are the emergency codes a physician may declare. Free
// text could carry health data onto an immutable ledger, so the ledger
// holds a code and, optionally, the SHA-256 of a note kept off-ledger.
func BreakGlassReasons() []string {
	return []string{"life-threatening", "unconscious-patient", "urgent-treatment", "mass-casualty"}
}

// ReviewOutcomes are the outcomes of a break-glass access's review (coded:
// no free text on the ledger; details belong in the hospital's own files,
// referenced by hash).
func ReviewOutcomes() []string { return []string{"justified", "unjustified", "referred"} }

// Methods of the contract.
const (
	MethodRegister          = "register"
	MethodAccess            = "access"
	MethodErase             = "erase"
	MethodReviewBreakGlass  = "review_break_glass"
	MethodReportUndelivered = delivery.Method
)

// Arguments of the contract's methods.
const (
	ArgRecordID       = "record_id"
	ArgVersion        = "version"
	ArgCiphertextHash = "ciphertext_hash"
	ArgPatient        = "patient"
	ArgCategory       = "category"
	ArgPurpose        = "purpose"
	ArgConsentID      = "consent_id"
	ArgBreakGlass     = "break_glass" // the emergency's code (BreakGlassReasons)
	ArgNoteHash       = "note_hash"   // SHA-256 of a note kept off the ledger
	ArgAccess         = "access"      // an access transaction's id
	ArgOutcome        = "outcome"
	ArgReason         = "reason"
)

// Attributes of the contract's events.
const (
	AttrRecord         = "record"
	AttrVersion        = "version"
	AttrVersions       = "versions"
	AttrPatient        = "patient"
	AttrCustodian      = "custodian"
	AttrCategory       = "category"
	AttrCiphertextHash = "ciphertext_hash"
	AttrAccess         = "access"
	AttrReader         = "reader"
	AttrPurpose        = "purpose"
	AttrConsent        = "consent"
	AttrReason         = "reason"
	AttrExpires        = "expires"
	AttrBy             = "by"
	AttrOutcome        = "outcome"
	AttrReviewer       = "reviewer"
)

// Shape declares the arguments each method reads and the attributes each
// event carries.
func Shape() vocab.Shape {
	access := func(more ...string) []string {
		return append([]string{AttrAccess, AttrRecord, AttrVersion, AttrPatient, AttrCustodian, AttrReader,
			AttrPurpose}, more...)
	}
	return vocab.Shape{
		Methods: map[string][]string{
			MethodRegister: {ArgRecordID, ArgVersion, ArgCiphertextHash, ArgPatient, ArgCategory},
			MethodAccess: {ArgRecordID, ArgPurpose, ArgConsentID, ArgBreakGlass, ArgNoteHash,
				ArgVersion},
			MethodErase:             {ArgRecordID},
			MethodReviewBreakGlass:  {ArgAccess, ArgOutcome, ArgNoteHash},
			MethodReportUndelivered: {ArgAccess, ArgReason},
		},
		Events: map[string][]string{
			EventRegistered: {AttrRecord, AttrVersion, AttrPatient, AttrCustodian, AttrCategory,
				AttrCiphertextHash},
			EventAccessRefused: access(AttrConsent, AttrReason),
			EventBreakGlass:    access(AttrReason, AttrExpires),
			EventAccessGranted: access(AttrConsent, AttrExpires),
			EventErased:        {AttrRecord, AttrPatient, AttrCustodian, AttrBy, AttrVersions},
			EventBreakGlassReviewed: {AttrAccess, AttrRecord, AttrPatient, AttrCustodian, AttrReader, AttrReason,
				AttrOutcome, AttrReviewer},
			EventAccessUndelivered: {AttrAccess, AttrRecord, AttrPatient, AttrCustodian, AttrReader, AttrReason},
		},
	}
}
