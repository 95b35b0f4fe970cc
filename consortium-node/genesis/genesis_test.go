package genesis_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
)

func TestValidateRejects(t *testing.T) {
	dir := t.TempDir()
	good, err := devnet.Create(dir, devnet.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(f *genesis.File){
		"no chain id":     func(f *genesis.File) { f.ChainID = "" },
		"no time":         func(f *genesis.File) { f.GenesisTime = time.Time{} },
		"no nodes":        func(f *genesis.File) { f.Nodes = nil },
		"dup raft id":     func(f *genesis.File) { f.Nodes[1].RaftID = f.Nodes[0].RaftID },
		"node bad org":    func(f *genesis.File) { f.Nodes[0].Org = "nowhere" },
		"bad policy row":  func(f *genesis.File) { f.Policy = []string{"p, nurse, *, record, read, any, allow"} },
		"member bad role": func(f *genesis.File) { f.Members[0].Roles = []string{"king"} },
	}
	for name, mut := range cases {
		f := *good
		f.Nodes = append([]genesis.Node(nil), good.Nodes...)
		f.Members = append(f.Members[:0:0], good.Members...)
		mut(&f)
		if err := f.Validate(); !errors.Is(err, genesis.ErrInvalid) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	p := filepath.Join(dir, "bad.json")
	os.WriteFile(p, []byte(`{"chain_id":"x","surprise":1}`), 0o644)
	if _, err := genesis.Load(p); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field accepted: %v", err)
	}
}
