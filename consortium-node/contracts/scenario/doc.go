// Package scenario holds the end-to-end scenario tests of the system
// contracts: scripts under testdata/ (github.com/cockroachdb/datadriven)
// that walk each workflow — donations, consent, records and break-glass,
// governance, claims — through real signed transactions on contracts/chaintest
// (the production executor, contracts and policy), refusals included. It
// has no code of its own outside its tests; see docs/decisions/0040.
//
// Each file in testdata/ is one chain. Run them with
//
//	go test ./consortium-node/contracts/scenario/
//	go test ./consortium-node/contracts/scenario/ -run TestScenarios/donations -rewrite
//
// (-rewrite regenerates the expected output; review the diff). Every script
// runs twice, on the serial executor and on Block-STM, against the same
// expected output.
//
// # Commands
//
// genesis: the chain, from its input lines, before anything else:
//
//	org <id> <kind> <name...>
//	member <org>/<name> <role>[,<role>...]
//	start <RFC 3339 time>          (optional; default 2026-11-01T09:00:00Z)
//
// tx <member> <contract>.<method> [@label] [args...]: signs and runs one
// transaction in its own block; it must succeed. The output is the
// receipt: "ok" and its events, one a line. expect-error has the same
// form and must fail; its output is the failure's message. A record read
// that the contract refuses is not an error: it commits an access_refused
// event, which the output shows.
//
// file-claim <member> [@label] claim_id= patient= insurer= currency=
// items=(CODE:YYYY-MM-DD:AMOUNT, ...) [records=(...)] [provider=]: files a
// claim as a hospital's portal does (chaintest.FileClaim: the itemised
// document registered as a record of category "claim" in a block of its
// own, then claim.submit with amounts and keyed fingerprints); it must
// succeed, and its output is the submit's receipt. file-claim-refused has
// the same form and its submit must fail. A one-item list is written
// items:strings=(...).
//
// block: the input lines are transactions ("<member> <contract>.<method>
// ..." or "expect-error <member> ..."), run together in one block; with no
// input, an empty block.
//
// advance <duration>: moves the next block's time on ("90s", "2h",
// "31d", "1d12h"). Each block also moves it on by one second.
//
// Views of the committed state (as of the last block): claim <id>, campaign <id>,
// gift <label> (its lineage), disbursement <id>, consent <id>, record
// <id>, access <label>, serve <label> reader=<member> (would the custodian
// serve the ciphertext for this access now?), review <label> (of a
// break-glass access), proposal <label>, state <full key> (the raw value
// in CBOR diagnostic notation).
//
// # Arguments
//
// name=value is a string; name:type=value one of uint, int, bool, bytes
// (base64), hash (the SHA-256 of the text: evidence and note hashes) and
// strings, written name=(a, b) or name:strings=(a). Arguments whose values hold
// spaces go on input lines under the directive, one per line, the value
// running to the end of the line; a strings argument there takes one
// element per line, repeated. In a block, such lines follow their
// transaction's line, indented.
//
// In values, {now} is the Unix seconds of the block the transaction will
// be in, {now+30d} or {now-1h} relative to it, and {label} the id of the
// transaction labelled @label (gifts, accesses and proposals are named by
// their transaction's id). In outputs, transaction ids print as {label}
// (unlabelled ones as {tx<height>}), so outputs stay readable and stable.
//
// # Adding a workflow
//
// A new script is a new file in testdata/ starting with genesis. A
// contract's methods need no code here; a new view is one case in
// view() of scenario_test.go.
package scenario
