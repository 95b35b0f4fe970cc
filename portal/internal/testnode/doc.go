// Package testnode gives the portal's tests a real one-node dev consortium
// (Start) or a consortium of one node per organisation (StartCluster)
// in-process, through consortium-node/nodetest: the node behind its own
// HTTP API server, exactly as `consortium-node run` assembles them. The
// node's engine is under consortium-node/internal/ and out of the portal's
// reach; only test files import this package (portal/app's boundary tests
// check that the portal binary links neither it nor the node).
package testnode
