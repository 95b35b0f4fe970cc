// Package apitest holds test helpers for the node API's JSON wire forms: what a receipt, a proof or a gift bundle
// becomes in the hands of a JavaScript client or a JSON tool. The node's tests, the CLI's, the portal's and the
// browser tests import it (so it is not under internal/).
//
// Only tests import it. Imports: the standard library only.
package apitest
