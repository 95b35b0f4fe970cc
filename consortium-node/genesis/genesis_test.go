package genesis

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDevConsortium(t *testing.T) {
	dir := t.TempDir()
	_, err := Dev(dir, DevOptions{Nodes: 4, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(filepath.Join(dir, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Quorum() != 3 || len(loaded.Nodes) != 4 || len(loaded.Members) != len(DevMembers) {
		t.Fatalf("unexpected consortium: quorum %d nodes %d members %d", loaded.Quorum(), len(loaded.Nodes), len(loaded.Members))
	}
	for _, m := range DevMembers {
		fi, err := os.Stat(KeyPath(dir, m.ID))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s key file mode %v", m.ID, fi.Mode())
		}
		kf, err := LoadKeyFile(KeyPath(dir, m.ID))
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
	if _, err := Dev(dir, DevOptions{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote an existing consortium: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	dir := t.TempDir()
	good, err := Dev(dir, DevOptions{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(f *File){
		"no chain id":     func(f *File) { f.ChainID = "" },
		"no time":         func(f *File) { f.GenesisTime = time.Time{} },
		"no nodes":        func(f *File) { f.Nodes = nil },
		"dup raft id":     func(f *File) { f.Nodes[1].RaftID = f.Nodes[0].RaftID },
		"node bad org":    func(f *File) { f.Nodes[0].Org = "nowhere" },
		"bad policy row":  func(f *File) { f.Policy = []string{"p, nurse, *, record, read, any, allow"} },
		"member bad role": func(f *File) { f.Members[0].Roles = []string{"king"} },
	}
	for name, mut := range cases {
		f := *good
		f.Nodes = append([]Node(nil), good.Nodes...)
		f.Members = append(f.Members[:0:0], good.Members...)
		mut(&f)
		if err := f.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	p := filepath.Join(dir, "bad.json")
	os.WriteFile(p, []byte(`{"chain_id":"x","surprise":1}`), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field accepted: %v", err)
	}
}
