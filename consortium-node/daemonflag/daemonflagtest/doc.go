// Package daemonflagtest holds the test that the node's and the portal's daemons and package daemonflag share:
// --pprof on an address that is not loopback is refused before anything starts.
//
// Only tests import it. Imports: the standard library and pprofserver only.
package daemonflagtest
