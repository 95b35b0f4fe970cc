// Package testnode starts a real one-node dev consortium in-process for the
// portal's tests: the node package behind the node's own HTTP API server,
// exactly as `consortium-node run` assembles them. It is the only portal
// package that imports node internals, and only test files import it (a
// test in portal/server checks that the daemon's dependencies do not
// include it).
package testnode
