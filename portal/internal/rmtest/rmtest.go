package rmtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
	"github.com/almoner/almoner/portal/readmodel"
)

// Harness is a real chain with one module's index after each of its
// blocks.
type Harness struct {
	Chain  *testchain.Chain
	Module readmodel.Module
	// Dumps[i] is the module's index after blocks 0..i (see Dump).
	Dumps []string
	// Check checks the module's invariants over an index.
	Check func(testing.TB, *readmodel.Store)
}

// NewHarness indexes each prefix of c's blocks (as they are now) with m,
// checks each index with check and keeps its dump.
func NewHarness(tb testing.TB, c *testchain.Chain, m readmodel.Module, check func(testing.TB, *readmodel.Store)) *Harness {
	tb.Helper()
	h := &Harness{Chain: c, Module: m, Check: check}
	for i := range c.Blocks {
		s, err := h.Apply(tb, c.Blocks[:i+1])
		if err != nil {
			tb.Fatalf("the real chain up to block %d: %v", i, err)
		}
		h.Dumps = append(h.Dumps, h.Dump(tb, s))
		check(tb, s)
	}
	return h
}

// Apply builds a fresh in-memory index of the module from blocks (block 0
// first) through the follower; it is closed when the test ends.
func (h *Harness) Apply(tb testing.TB, blocks []*api.Block) (*readmodel.Store, error) {
	tb.Helper()
	reg := readmodel.NewRegistry()
	if err := reg.Register(h.Module); err != nil {
		tb.Fatal(err)
	}
	s, err := readmodel.Open("", reg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, h.ApplyMore(s, blocks...)
}

// ApplyMore applies more blocks to s through the follower.
func (h *Harness) ApplyMore(s *readmodel.Store, blocks ...*api.Block) error {
	return Follow(s, h.Chain.Genesis, blocks...)
}

// Dump lists the module's whole key space of s and its applied height.
func (h *Harness) Dump(tb testing.TB, s *readmodel.Store) string {
	tb.Helper()
	return Dump(tb, s, h.Module.Name)
}

// Fuzz runs the fuzz target the modules share: its seeds are the chain's
// own transactions (see testchain.Chain.Seeds), its inputs one
// transaction each (a testchain.Input without failure), checked with
// FuzzBlock.
func (h *Harness) Fuzz(f *testing.F) {
	for _, in := range h.Chain.Seeds() {
		f.Add(in.N, in.Nonce, in.Sender, in.Contract, in.Method, in.Args, in.Events)
	}
	f.Fuzz(func(t *testing.T, n uint8, nonce uint64, sender, contract, method string, rawArgs []byte, evs string) {
		h.FuzzBlock(t, testchain.Input{N: n, Nonce: nonce, Sender: sender, Contract: contract, Method: method, Args: rawArgs, Events: evs})
	})
}

// FuzzBlock is the check the modules' event fuzz targets share. It
// indexes the real chain's first blocks, then in's block after them
// (blocks that do not check are skipped: no node sends one). Whatever the
// input: no panic; a block the module refuses fails with
// readmodel.ErrCorrupt and leaves the index exactly as it was, applied
// height included; the real chain's own block is accepted and gives the
// very index the real chain gives; an accepted block passes Check.
func (h *Harness) FuzzBlock(t *testing.T, in testchain.Input) {
	t.Helper()
	prefix, b, ok := h.Chain.Fuzzed(in) // blocks 0..prefix-1, then the fuzzed one
	if !ok {
		return
	}
	s, err := h.Apply(t, h.Chain.Blocks[:prefix])
	if err != nil {
		t.Fatalf("the real chain's first %d blocks: %v", prefix, err)
	}
	before := h.Dump(t, s)
	err = h.ApplyMore(s, b)
	real := h.Chain.IsReal(prefix, b)
	if err != nil {
		if real {
			t.Fatalf("the real block %d was refused: %v", prefix, err)
		}
		if !errors.Is(err, readmodel.ErrCorrupt) {
			t.Fatalf("a refused block must fail with ErrCorrupt (or the follower retries it forever): %v", err)
		}
		if got, ok := s.Applied(); !ok || got != uint64(prefix-1) {
			t.Fatalf("refused block %d: applied height %d %v, want %d", prefix, got, ok, prefix-1)
		}
		if after := h.Dump(t, s); after != before {
			t.Fatalf("refused block %d (%v) changed the index:\nbefore:\n%s\nafter:\n%s", prefix, err, before, after)
		}
		return
	}
	if real {
		if got := h.Dump(t, s); got != h.Dumps[prefix] {
			t.Fatalf("the real block %d gave another index than the real chain:\ngot:\n%s\nwant:\n%s", prefix, got, h.Dumps[prefix])
		}
	}
	h.Check(t, s)
}

// Dump lists module's whole key space of s and the applied height.
func Dump(tb testing.TB, s *readmodel.Store, module string) string {
	tb.Helper()
	var b strings.Builder
	h, ok := s.Applied()
	fmt.Fprintf(&b, "applied %d %v\n", h, ok)
	if err := s.Scan(module, "", "", false, func(k string, v []byte) bool {
		fmt.Fprintf(&b, "%s = %s\n", k, v)
		return true
	}); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// Follow runs a follower of s on a node that serves g and blocks (block 0
// first when s is empty) until it has applied them all or one failed,
// and returns that failure.
func Follow(s *readmodel.Store, g *genesis.File, blocks ...*api.Block) error {
	src := &Source{GenesisFile: g, Blocks: blocks, done: make(chan error, 1)}
	fl, err := readmodel.NewFollower(readmodel.FollowerConfig{Store: s, Source: src, RetryMin: time.Hour, StatusEvery: time.Hour})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- fl.Run(ctx) }()
	// The follower applies blocks after the source hands them over: done
	// when the last one is applied, or when a failure reaches the source.
	last := blocks[len(blocks)-1].Header.Height
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var res error
	for {
		select {
		case res = <-src.done:
			cancel()
			<-ran
			return res
		case res = <-ran: // gave up before the source saw the failure
			cancel()
			return res
		case <-tick.C:
			if h, ok := s.Applied(); ok && h >= last {
				cancel()
				<-ran
				return nil
			}
		}
	}
}

// Source is a node (a readmodel.Source) that serves a fixed run of
// blocks of the chain of GenesisFile, its last block's height as its
// status; after the blocks, a stream waits for its context to end.
type Source struct {
	GenesisFile *genesis.File
	Blocks      []*api.Block
	done        chan error // the first failure, when not nil (Follow)
}

// Genesis implements readmodel.Source.
func (s *Source) Genesis(context.Context) (*genesis.File, error) { return s.GenesisFile, nil }

// Status implements readmodel.Source.
func (s *Source) Status(context.Context) (*api.Status, error) {
	return &api.Status{ChainID: s.GenesisFile.ChainID, Height: s.Blocks[len(s.Blocks)-1].Header.Height}, nil
}

// Stream implements readmodel.Source.
func (s *Source) Stream(ctx context.Context, from uint64, fn func(*api.Block) error) error {
	for _, b := range s.Blocks {
		if b.Header.Height < from {
			continue
		}
		if err := fn(b); err != nil {
			s.report(err)
			return err
		}
	}
	<-ctx.Done() // the follower's failure, if it stops on one, is the cause
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		s.report(err)
	}
	return ctx.Err()
}

func (s *Source) report(err error) {
	select {
	case s.done <- err:
	default:
	}
}
