package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// What the subcommands read from a consortium folder (--home): the genesis
// file, key files or a keystore, and the node API of a running node.

// defaultHome is --home's default: the development consortium of make run.
const defaultHome = ".almoner/dev"

// homeFlag declares --home, the consortium folder; holds lists, for --help,
// what the command uses in it ("genesis.json, keys/"; "" for nothing).
func homeFlag(fs *flag.FlagSet, holds string) *string {
	usage := "consortium folder"
	if holds != "" {
		usage += " (" + holds + ")"
	}
	return fs.String("home", defaultHome, usage)
}

// keystoreFlag declares --keystore, the keystore to read what ("the node's
// keys") from instead of the key files in HOME/keys.
func keystoreFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("keystore", "", "read "+what+" from this keystore (passphrase in $"+genesis.PassphraseEnv+
		") instead of HOME/keys")
}

// nodeFlag declares --node for a command that acts as one of the
// consortium's nodes, the first one in genesis.json by default.
func nodeFlag(fs *flag.FlagSet) *string {
	return fs.String("node", "", "node id (default: the first node in genesis.json)")
}

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

// nodeConfig is the node.Config of node id of home, as run and recover open it: its data in HOME/data/ID, its keys
// (nodeKeys; ksDir: a keystore instead of HOME/keys), logging to log.
func nodeConfig(home, ksDir string, g *genesis.File, id string, log *slog.Logger) (node.Config, error) {
	key, encKey, err := nodeKeys(home, ksDir, id)
	if err != nil {
		return node.Config{}, err
	}
	return node.Config{DataDir: filepath.Join(home, "data", id), Genesis: g, NodeID: id, Key: key, EncKey: encKey,
		Logger: log}, nil
}

// consortiumClient is a client of the node API at addr that authenticates the
// consortium's genesis node keys and signs as node id (the node directory
// and blocks are served to the consortium's nodes).
func consortiumClient(g *genesis.File, addr, id string, key *sign.PrivateKey) *client.Client {
	c := client.New(addr, client.HTTPClient(client.NewNodeKeys(g.NodeKeys())))
	c.Authenticate(id, key)
	return c
}

// currentNodes reads the consortium's nodes now (genesis's and those added since) from c, a consortiumClient of the
// node API at addr, waiting at most 10 s; the error names addr.
func currentNodes(ctx context.Context, c *client.Client, addr string) ([]genesis.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching the consortium's nodes from %s: %w", addr, err)
	}
	return nodes, nil
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
