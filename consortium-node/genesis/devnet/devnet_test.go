package devnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/genesis"
)

func TestDevConsortium(t *testing.T) {
	dir := t.TempDir()
	_, err := Create(dir, Options{Nodes: 4, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := genesis.Load(filepath.Join(dir, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Quorum() != 3 || len(loaded.Nodes) != 4 || len(loaded.Members) != len(Members) {
		t.Fatalf("unexpected consortium: quorum %d nodes %d members %d", loaded.Quorum(), len(loaded.Nodes), len(loaded.Members))
	}
	for _, m := range Members {
		fi, err := os.Stat(genesis.KeyPath(dir, m.ID))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s key file mode %v", m.ID, fi.Mode())
		}
		kf, err := genesis.LoadKeyFile(genesis.KeyPath(dir, m.ID))
		if err != nil {
			t.Fatal(err)
		}
		sk, _ := kf.SignKey()
		var found bool
		for _, gm := range loaded.Members {
			found = found || (gm.ID == m.ID && gm.SignKey.Equal(sk.Public()))
		}
		if !found {
			t.Fatalf("%s: key file does not match genesis", m.ID)
		}
	}
	if _, err := Create(dir, Options{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote an existing consortium: %v", err)
	}
}
