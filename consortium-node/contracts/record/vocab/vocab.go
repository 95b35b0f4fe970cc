// Package vocab is the record contract's vocabulary, defined once: its
// name, the events the portal's read model follows and the codes of a
// break-glass access and its review (the reasons of an undelivered access
// are package delivery's, a registration's shape package registration's).
// The record contract (consortium-node/contracts/record), the portal's read
// model (portal/patients, portal/claims, portal/inbox) and the web app's
// labels (checked by frontend's tests) use it; it imports only delivery, so
// a portal may use it without reaching into the node.
package vocab

import "github.com/almoner/almoner/consortium-node/contracts/record/delivery"

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
