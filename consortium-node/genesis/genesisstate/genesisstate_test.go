package genesisstate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/policies"
)

func TestDevGenesisBlock(t *testing.T) {
	dir := t.TempDir()
	f, err := devnet.Create(dir, devnet.Options{Nodes: 4, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := genesis.Load(filepath.Join(dir, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	b1, st, err := Block(f)
	if err != nil {
		t.Fatal(err)
	}
	b2, _, err := Block(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if b1.Header.Hash() != b2.Header.Hash() {
		t.Fatal("genesis block differs after save and load")
	}
	// orgs+list, members, nodes+raft ids+list, params, policy rules, the
	// claims fingerprint key's id
	want := len(devnet.Orgs) + 1 + len(devnet.Members) + 2*4 + 1 + 1 + len(policies.DefaultRules()) + 1
	if len(st) != want {
		t.Fatalf("genesis state has %d entries, want %d", len(st), want)
	}
	for i := 1; i < len(st); i++ {
		if st[i-1].Key >= st[i].Key {
			t.Fatalf("genesis state not sorted by key: %q before %q", st[i-1].Key, st[i].Key)
		}
	}
}

// FuzzLoad fuzzes genesis file parsing and validation: never a panic, and a
// file that loads always yields a genesis block.
func FuzzLoad(f *testing.F) {
	f.Add(devtest.GenesisJSON(f, devnet.Options{Nodes: 2}))
	f.Add([]byte(`{"chain_id":"x","genesis_time":"2026-01-01T00:00:00Z","nodes":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "g.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := genesis.Load(p)
		if err != nil {
			return
		}
		if _, _, err := Block(g); err != nil {
			t.Fatalf("valid genesis has no block: %v", err)
		}
	})
}

// TestGoldenBlock pins the genesis block of a saved four-node dev genesis
// file: the hash was computed before the genesis state moved out of the
// genesis package, so the split changed no byte of the state or header.
func TestGoldenBlock(t *testing.T) {
	g, err := genesis.Load(filepath.Join("testdata", "dev4.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, st, err := Block(g)
	if err != nil {
		t.Fatal(err)
	}
	const want = "f06cad5eec43ef3f6080eddd81d3cf671ba2c774131a3c378c6eea81c7323725"
	if got := b.Header.Hash().String(); got != want || len(st) != 128 {
		t.Fatalf("genesis block %s with %d state entries, want %s with 128", got, len(st), want)
	}
}
