// Package vocab is the record contract's vocabulary, defined once: its name
// and the events the portal's read model follows (the reasons of an
// undelivered access are package delivery's, a registration's shape
// package registration's). The record contract
// (consortium-node/contracts/record) and the portal's read model
// (portal/patients, portal/claims) import it; it imports only delivery, so
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
