package testnode

import (
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest"
)

type (
	// Node is a running one-node dev consortium (nodetest.Node).
	Node = nodetest.Node
	// Cluster is a dev consortium of one in-process node per organisation
	// (nodetest.Cluster).
	Cluster = nodetest.Cluster
	// ClusterNode is one node of a Cluster.
	ClusterNode = nodetest.ClusterNode
)

// Start creates a dev consortium in a temporary folder and runs its one
// node until the test ends (nodetest.Start).
func Start(t testing.TB) *Node { t.Helper(); return nodetest.Start(t) }

// StartCluster creates a dev consortium with n nodes (one per
// organisation for n = 4) and runs them until the test ends
// (nodetest.StartCluster).
func StartCluster(t testing.TB, n int) *Cluster { t.Helper(); return nodetest.StartCluster(t, n) }

// StartClusterWith creates a dev consortium as o says (another set of
// organisations, extra members) and runs its nodes until the test ends
// (nodetest.StartClusterWith).
func StartClusterWith(t testing.TB, o devnet.Options) *Cluster {
	t.Helper()
	return nodetest.StartClusterWith(t, o)
}
