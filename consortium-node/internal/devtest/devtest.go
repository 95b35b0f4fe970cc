package devtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/privacy/sign"
)

// OneNode creates a one-node dev consortium in a temporary folder of tb and returns the folder, its genesis file
// and the node's signing key.
func OneNode(tb testing.TB) (string, *genesis.File, *sign.PrivateKey) {
	tb.Helper()
	dir := tb.TempDir()
	g, err := devnet.Create(dir, devnet.Options{Nodes: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return dir, g, SignKeys(tb, dir, g.Nodes[0].ID)[g.Nodes[0].ID]
}

// GenesisJSON returns the bytes of the genesis file of a new dev consortium of o (created in a temporary folder
// of tb).
func GenesisJSON(tb testing.TB, o devnet.Options) []byte {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := devnet.Create(dir, o); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// SignKeys loads the signing keys of ids (members or nodes) from the key files of the dev consortium in dir.
func SignKeys(tb testing.TB, dir string, ids ...string) map[string]*sign.PrivateKey {
	tb.Helper()
	keys := make(map[string]*sign.PrivateKey, len(ids))
	for _, id := range ids {
		_, key, err := genesis.LoadSignKey(dir, "", id)
		if err != nil {
			tb.Fatal(err)
		}
		keys[id] = key
	}
	return keys
}

// MemberIDs returns the ids of the dev consortium's members (devnet.Members).
func MemberIDs() []string {
	ids := make([]string, 0, len(devnet.Members))
	for _, m := range devnet.Members {
		ids = append(ids, m.ID)
	}
	return ids
}
