package schema

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/keyring"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/portal/records"
	"github.com/almoner/almoner/portal/session"
)

// chainSource is a readmodel.Source that serves one chain's blocks from
// memory, then waits.
type chainSource struct {
	g      *genesis.File
	blocks []*api.Block
}

func (c *chainSource) Stream(ctx context.Context, from uint64, fn func(*api.Block) error) error {
	for _, b := range c.blocks[from:] {
		if err := fn(b); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

func (c *chainSource) Status(context.Context) (*api.Status, error) {
	return &api.Status{Height: uint64(len(c.blocks) - 1)}, nil
}

func (c *chainSource) Genesis(context.Context) (*genesis.File, error) { return c.g, nil }

// hashNode is a Node that knows blocks by hash; down makes it
// unreachable. Other methods are not used here.
type hashNode struct {
	Node
	blocks map[ledger.Hash]*api.Block
	down   bool
}

func (n *hashNode) BlockByHash(_ context.Context, h ledger.Hash) (*api.Block, error) {
	if n.down {
		return nil, fmt.Errorf("dial: %w", client.ErrUnreachable)
	}
	if b, ok := n.blocks[h]; ok {
		return b, nil
	}
	return nil, &client.Error{StatusCode: 404, Code: "not_found", Message: "no such block"}
}

type noSigner struct{}

func (noSigner) Sign(tx.Body) (*tx.Signed, error) { return nil, errors.New("no keys") }

type noKeys struct{}

func (noKeys) Has(string) bool { return false }
func (noKeys) EnsureKeys(string) (keyring.PublicKeys, bool, error) {
	return keyring.PublicKeys{}, false, errors.New("no keys")
}
func (noKeys) Discard(string) error { return nil }

type noRecords struct{}

func (noRecords) Open(context.Context, string, tx.ID) (*records.Opened, error) {
	return nil, errors.New("no records")
}
func (noRecords) SendNote(context.Context, string, string, string, tx.ID, string) error {
	return errors.New("no records here")
}
func (noRecords) OpenNote(context.Context, string, string, tx.ID) ([]byte, error) {
	return nil, errors.New("no records here")
}
func (noRecords) Store(context.Context, string, string, string, uint64, []byte) (ledger.Hash, error) {
	return ledger.Hash{}, errors.New("no records")
}

// genesisReadModel returns a dev consortium's genesis file and block, a
// read model that has applied it (its follower runs until the test
// ends) and a session store.
func genesisReadModel(t *testing.T) (*genesis.File, *api.Block, *readmodel.Store, *readmodel.Follower, *session.Store) {
	t.Helper()
	g, err := devnet.Create(t.TempDir(), devnet.Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	gb, _, err := genesisstate.Block(g)
	if err != nil {
		t.Fatal(err)
	}
	b0, err := api.NewBlock(gb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := readmodel.Open("", readmodel.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f, err := readmodel.NewFollower(readmodel.FollowerConfig{Store: store, Source: &chainSource{g: g, blocks: []*api.Block{b0}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := store.Applied(); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read model never applied the genesis block")
		}
	}
	sessions, err := session.Open(session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return g, b0, store, f, sessions
}

type allowAll struct{}

func (allowAll) Allowed(string, string, string, string, string, bool) (bool, error) { return true, nil }

// TestBlockByHash: blockByHash finds a block by its header hash (any
// case, around spaces) through the node and answers it from the read
// model; an unknown hash is null, a malformed one BAD_USER_INPUT and an
// unreachable node UNAVAILABLE.
func TestBlockByHash(t *testing.T) {
	g, b0, store, f, sessions := genesisReadModel(t)
	node := &hashNode{blocks: map[ledger.Hash]*api.Block{b0.Hash: b0}}
	sch, err := Build(Config{ChainID: g.ChainID, Store: store, Blocks: f, Node: node, Signer: noSigner{}, Keys: noKeys{},
		Records: noRecords{}, Sessions: sessions, Policy: allowAll{}})
	if err != nil {
		t.Fatal(err)
	}
	const q = `query($h: String!) { blockByHash(hash: $h) { height hash } }`
	run := func(hash string) (map[string]any, string) {
		t.Helper()
		p, err := sch.Prepare(q, "", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		rctx := sch.WithRequest(context.Background(), &session.Principal{Account: "healthreg/auditor", Via: "session"})
		r := sch.Execute(rctx, p, map[string]any{"h": hash})
		if errs := sch.Sanitize(rctx, r.Errors); len(errs) > 0 {
			code, _ := errs[0].Extensions["code"].(string)
			return nil, code
		}
		b, _ := r.Data.(map[string]any)["blockByHash"].(map[string]any)
		return b, ""
	}
	hash := b0.Hash.String()
	for _, c := range []struct {
		name, hash, code string
		found            bool
		down             bool
	}{
		{"found", hash, "", true, false},
		{"upper case, spaces", "  " + fmt.Sprintf("%X", b0.Hash[:]) + " ", "", true, false},
		{"unknown", fmt.Sprintf("%064x", 7), "", false, false},
		{"too short", hash[:10], CodeBadUserInput, false, false},
		{"not hex", "zz" + hash[2:], CodeBadUserInput, false, false},
		{"node unreachable", hash, CodeUnavailable, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			node.down = c.down
			b, code := run(c.hash)
			if code != c.code {
				t.Fatalf("error code %q, want %q", code, c.code)
			}
			if c.found != (b != nil) {
				t.Fatalf("block %v, want found=%v", b, c.found)
			}
			if b != nil && (b["hash"] != hash || b["height"] != 0) {
				t.Fatalf("block %v, want height 0 hash %s", b, hash)
			}
		})
	}
}
