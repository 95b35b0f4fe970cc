package genesis

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad fuzzes genesis file parsing and validation: never a panic, and a
// file that loads always yields a genesis block.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	if _, err := Dev(dir, DevOptions{Nodes: 2}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"chain_id":"x","genesis_time":"2026-01-01T00:00:00Z","nodes":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "g.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := Load(p)
		if err != nil {
			return
		}
		if _, _, err := g.Block(); err != nil {
			t.Fatalf("valid genesis has no block: %v", err)
		}
	})
}
