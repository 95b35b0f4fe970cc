package main

import (
	"fmt"
	"path/filepath"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// What the subcommands read from a consortium folder (--home): the genesis
// file, key files or a keystore, and the node API of a running node.

// loadGenesis reads home's genesis.json and returns it with the node to act
// as: nodeID, or the first genesis node when nodeID is empty.
func loadGenesis(home, nodeID string) (*genesis.File, string, error) {
	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		return nil, "", err
	}
	if nodeID == "" {
		nodeID = g.Nodes[0].ID
	}
	return g, nodeID, nil
}

// nodeKeys reads node id's keys (genesis.LoadKeys): its signing key and, when
// the file has one, the X-Wing key that keeps its organisation's private
// records (nil without).
func nodeKeys(home, ksDir, id string) (*sign.PrivateKey, *envelope.ReaderKey, error) {
	kf, key, err := genesis.LoadSignKey(home, ksDir, id)
	if err != nil || kf.EncSeed == "" {
		return key, nil, err
	}
	enc, err := kf.ReaderKey()
	if err != nil {
		return nil, nil, fmt.Errorf("node key file: %w", err)
	}
	return key, enc, nil
}

// consortiumClient is a client of the node API at addr that authenticates the
// consortium's genesis node keys and signs as node id (the node directory
// and blocks are served to the consortium's nodes).
func consortiumClient(g *genesis.File, addr, id string, key *sign.PrivateKey) *client.Client {
	c := client.New(addr, client.HTTPClient(client.NewNodeKeys(g.NodeKeys())))
	c.Authenticate(id, key)
	return c
}

// findNode returns id's record among nodes (a node directory read with
// consortiumClient), nil when it is not there.
func findNode(nodes []genesis.Node, id string) *genesis.Node {
	for i := range nodes {
		if nodes[i].ID == id {
			return &nodes[i]
		}
	}
	return nil
}
