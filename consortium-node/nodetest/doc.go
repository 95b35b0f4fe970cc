// Package nodetest runs real consortium nodes in-process for tests outside
// the node package (the portal's, the browser tests', the CLI's, backup
// and restore's): each node is the node package behind the node's own
// HTTP API server, exactly as `consortium-node run` assembles them, on a
// dev consortium's genesis file and key files (devnet.Create). Run runs
// one node and returns its API address; Start creates a one-node dev
// consortium for a test and signs and submits calls on it (Node.Send);
// StartCluster runs one node per organisation over the real mutual-TLS
// transport, each stoppable and restartable, with nodes that governance
// adds joining (Cluster.Join) and a wait for all to agree (Converge).
//
// It is the one public door to the node's engine packages, which live
// under consortium-node/internal/; only tests import it (portal/app
// TestPortalLinksNoNodeEngine fails if the portal binary links it). It may
// import the node's internal packages, the node API (types, server,
// client), genesis and privacy/.
package nodetest
