// Package testchain serves a real chain as a node would, for the portal's
// tests only (only test files import it): the production contracts run on
// contracts/chaintest over the dev consortium, and every transaction
// becomes a block of its own, with the header, roots and receipt a node
// serves through its API. It also builds blocks with made-up receipts
// (the fuzz targets of the read-model modules) and writes events as text.
//
// It lives under testnode, the portal's one place for node internals
// (the import-boundary test in portal/app skips it), and does not import
// the read model, so that the read model's own tests can use it;
// portal/internal/rmtest adds the read-model side.
package testchain
