// Package delivery is the record contract's vocabulary for a granted
// access that released nothing to its reader (record.report_undelivered,
// event access_undelivered): the reasons a reader reports. The contract
// checks them; portals submit and show them. It imports nothing, so a
// portal may use it without reaching into the node.
package delivery

// The reasons a granted access released nothing.
const (
	// Unreachable: no node of the custodian organisation answered.
	Unreachable = "custodian-unreachable"
	// Missing: the custodian's nodes do not hold the ciphertext.
	Missing = "ciphertext-missing"
	// Mismatch: the released ciphertext is not the one the ledger registered.
	Mismatch = "ciphertext-mismatch"
	// Refused: the custodian refused the release (consent revoked, record
	// erased or access expired since the grant).
	Refused = "custodian-refused"
)

// Failures lists every reason, in the order errors name them.
var Failures = []string{Unreachable, Missing, Mismatch, Refused}

// Contract is the record contract's name; Method and Event are its method
// that reports a failure and the event that method emits.
const (
	Contract = "record"
	Method   = "report_undelivered"
	Event    = "access_undelivered"
)
