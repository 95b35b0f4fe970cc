package readmodel_test

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/seed"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/portal/authz"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/governance"
	"github.com/almoner/almoner/portal/inbox"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

var rebuildSeed = flag.Uint64("rebuild-seed", 0, "seed of TestRebuildBatched (0: a new one)")

// crasher is a module whose block hook, at height at, closes the store
// under the batch being built: the process dies before the batch's
// write. It records whether a block was applied in a batch after others
// (the store's applied height more than one behind it).
type crasher struct {
	mu      sync.Mutex
	at      uint64 // 0: never
	store   *readmodel.Store
	crashed chan struct{}
	batched bool
}

func (c *crasher) module() readmodel.Module {
	return readmodel.Module{Name: "crashtest", Block: func(_ *readmodel.Txn, b *api.Block) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a, ok := c.store.Applied(); ok && a+1 < b.Header.Height {
			c.batched = true
		}
		if c.at != 0 && b.Header.Height == c.at {
			c.at = 0
			c.store.Close()
			close(c.crashed)
			return errors.New("crashed")
		}
		return nil
	}}
}

// openIndex opens the index in dir with every module the portal has
// (portal/app's) and c's.
func openIndex(t *testing.T, dir string, c *crasher) *readmodel.Store {
	t.Helper()
	reg := readmodel.NewRegistry()
	for _, m := range []readmodel.Module{authz.Module(), donations.Module(), claims.Module(), patients.Module(),
		governance.Module(), inbox.Module(), c.module()} {
		if err := reg.Register(m); err != nil {
			t.Fatal(err)
		}
	}
	s, err := readmodel.Open(dir, reg)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.store = s
	c.mu.Unlock()
	return s
}

// follow runs a follower of s over src until s has applied src's last
// block, or until c crashes the store.
func follow(t *testing.T, s *readmodel.Store, src *rmtest.Source, c *crasher, blocks int) {
	t.Helper()
	_, stop := rmtest.RunFollower(t, readmodel.FollowerConfig{Store: s, Source: src, RetryMin: time.Hour,
		StatusEvery: time.Hour, CatchUpBlocks: blocks, Ahead: len(src.Blocks)})
	defer stop()
	last := src.Blocks[len(src.Blocks)-1].Header.Height
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-c.crashed:
			return
		case <-time.After(5 * time.Millisecond):
		}
		if h, ok := s.Applied(); ok && h >= last {
			return
		}
		if time.Now().After(deadline) {
			h, _ := s.Applied()
			t.Fatalf("the read model is at %d after 60 s, want %d", h, last)
		}
	}
}

// TestRebuildBatched: on a real node's demo data (every module's events),
// the index the follower builds from the binary stream in catch-up
// batches equals the one built one block per batch from the JSON API's
// blocks, every key of every module and the applied height. A crash in
// the middle of a batch (the database gone before the batch's write)
// leaves the index at the end of an earlier batch, equal to the
// block-by-block one at that height, and a follower restarted on it
// resumes to the same final index.
func TestRebuildBatched(t *testing.T) {
	rnd := testseed.Rand(t, *rebuildSeed, "-rebuild-seed")

	n := testnode.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := seed.Run(ctx, seed.Config{Home: n.Home, Client: n.Client, Donors: 6, Gifts: 30}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jsonChain := &rmtest.Source{GenesisFile: n.Genesis}
	for h := uint64(0); h <= st.Height; h++ {
		b, err := n.Client.Block(ctx, h) // the JSON API
		if err != nil {
			t.Fatal(err)
		}
		jsonChain.Blocks = append(jsonChain.Blocks, b)
	}
	binChain := &rmtest.Source{GenesisFile: n.Genesis}
	sctx, stop := context.WithCancel(ctx)
	err = n.Client.Stream(sctx, 0, func(b *api.Block) error { // the binary stream
		binChain.Blocks = append(binChain.Blocks, b)
		if b.Header.Height == st.Height {
			stop()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stream: %v", err)
	}
	if len(binChain.Blocks) < 20 {
		t.Fatalf("the demo data made %d blocks; the test needs more to batch", len(binChain.Blocks))
	}
	size := 2 + rnd.IntN(7)
	at := uint64(3 + rnd.IntN(len(binChain.Blocks)-4))
	t.Logf("%d blocks; batches of up to %d; crash while applying block %d", len(binChain.Blocks), size, at)

	// Batched from the binary stream, crashing at block at.
	dirB := filepath.Join(t.TempDir(), "batched")
	cb := &crasher{at: at, crashed: make(chan struct{})}
	follow(t, openIndex(t, dirB, cb), binChain, cb, size)
	select {
	case <-cb.crashed:
	default:
		t.Fatal("the follower never reached the crash")
	}
	b := openIndex(t, dirB, cb) // restarted
	defer b.Close()
	applied, ok := b.Applied()
	if !ok || applied >= at {
		t.Fatalf("after a crash while applying block %d the index is at %d (%v): the batch was partly written",
			at, applied, ok)
	}

	// Block by block from the JSON API, to the same height: the same index.
	ca := &crasher{crashed: make(chan struct{})}
	a := openIndex(t, filepath.Join(t.TempDir(), "blockbyblock"), ca)
	defer a.Close()
	follow(t, a, &rmtest.Source{GenesisFile: n.Genesis, Blocks: jsonChain.Blocks[:applied+1]}, ca, 1)
	if got, want := readmodel.DumpAll(t, b), readmodel.DumpAll(t, a); got != want {
		t.Fatalf("after the crash, at height %d, the batched index differs from the block-by-block one", applied)
	}

	// Both to the head: the same index.
	cb.mu.Lock()
	cb.crashed = make(chan struct{}) // it crashes once
	cb.mu.Unlock()
	follow(t, b, binChain, cb, size)
	follow(t, a, jsonChain, ca, 1)
	if got, want := readmodel.DumpAll(t, b), readmodel.DumpAll(t, a); got != want {
		t.Fatalf("the batched index differs from the block-by-block one:\n%s", diffLines(got, want))
	}
	if !cb.batched {
		t.Error("no block was applied in a batch after another: the follower did not batch")
	}
	if ca.batched {
		t.Error("CatchUpBlocks 1 applied several blocks in one batch")
	}
}

// diffLines returns the first lines where got and want differ.
func diffLines(got, want string) string {
	g, w := splitLines(got), splitLines(want)
	for i := 0; i < max(len(g), len(w)); i++ {
		var x, y string
		if i < len(g) {
			x = g[i]
		}
		if i < len(w) {
			y = w[i]
		}
		if x != y {
			return "got:  " + x + "\nwant: " + y
		}
	}
	return ""
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		s = s[min(i+1, len(s)):]
	}
	return out
}
