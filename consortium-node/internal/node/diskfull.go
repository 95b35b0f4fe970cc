package node

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/privacy/integrity"
)

// Disk full and write errors.
//
// A write failure (store.WriteFailure: ENOSPC, EDQUOT, EIO... from
// goleveldb or fsync) is not a halt. Nothing was committed: a block's
// batch is one journal record, whole or absent after a reopen, and the
// raft log is saved before any entry is applied or acknowledged to peers.
// The node therefore stalls: it stops the raft loop where the write
// failed, without advancing raft past the entries it could not apply,
// keeps serving its committed blocks, proofs and status (whose error says
// "disk full: waiting for space; committed up to height H"), refuses
// submissions (ErrStalled, 503), and probes the disk with backoff. When a
// probe write succeeds, Run returns ErrResume; the caller (RunResuming)
// closes the node and opens it again, which reopens the database (the only
// way goleveldb writes again after a failed write) and rebuilds raft from
// its durable log: every committed entry after the last durably applied
// one is applied again, and peers send what was committed meanwhile.
//
// Integrity failures — a stored block that no longer matches its header,
// a state hash that differs from a quorum's, corrupt raft storage — still
// halt for good (halt).

// Errors of a stalled node.
var (
	// ErrStalled refuses submissions while writes fail; it wraps
	// ErrStopped (the API answers 503).
	ErrStalled = fmt.Errorf("node: not committing blocks until the disk takes writes again: %w", ErrStopped)
	// ErrResume is returned by Run once the disk takes writes again after a
	// write failure stalled the node: close it and Open it again
	// (RunResuming does).
	ErrResume = errors.New("node: the disk takes writes again: reopen the node to resume")
)

// Defaults of the stall's probing (Config.DiskRetryMax, Config.ProbeBytes).
const (
	diskRetryMin      = 200 * time.Millisecond
	DefaultDiskRetry  = 5 * time.Second
	DefaultProbeBytes = 8 << 20
)

// stall is why a node stopped committing.
type stall struct {
	err    error
	height uint64
	since  time.Time
}

// reason is the status line of a stalled node.
func (s *stall) reason() string {
	what := "disk write error"
	if errors.Is(s.err, syscall.ENOSPC) || errors.Is(s.err, syscall.EDQUOT) {
		what = "disk full"
	}
	return fmt.Sprintf("%s: waiting for space; committed up to height %d; not committing since %s; it resumes by "+
		"itself when writes succeed again (%v)", what, s.height, s.since.UTC().Format(time.RFC3339), s.err)
}

// writeFailure reports whether err is a failure to write (see
// store.WriteFailure) rather than an integrity failure of the store, the
// raft storage or the chain.
func writeFailure(err error) bool {
	if errors.Is(err, integrity.ErrFailed) || errors.Is(err, ErrDiverged) {
		return false
	}
	return store.WriteFailure(err)
}

// stallOn stalls the node if err is a write failure and reports whether it
// did; the raft loop then stops without advancing raft.
func (n *Node) stallOn(err error) bool {
	if !writeFailure(err) {
		return false
	}
	head, _ := n.store.Head()
	s := &stall{err: err, height: head.Height, since: time.Now()}
	if n.stalled.CompareAndSwap(nil, s) {
		n.log.Error("NOT COMMITTING: a write failed; serving committed blocks and waiting for the disk",
			"reason", s.reason(), "err", err)
	}
	return true
}

// stallErr returns ErrStalled, with the reason, while the node is stalled.
func (n *Node) stallErr() error {
	if s := n.stalled.Load(); s != nil {
		return fmt.Errorf("%w (%s)", ErrStalled, s.reason())
	}
	return nil
}

// awaitSpace probes the disk with backoff until a probe write succeeds
// (ErrResume) or ctx ends (nil).
func (n *Node) awaitSpace(ctx context.Context) error {
	s := n.stalled.Load()
	if n.disk == nil {
		return s.err
	}
	wait := min(diskRetryMin, n.cfg.DiskRetryMax)
	var logged time.Time
	for tries := 1; ; tries++ {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		err := n.disk.Probe(n.cfg.ProbeBytes)
		if err == nil {
			n.log.Warn("the disk takes writes again; reopening the store to resume", "stalled_for",
				time.Since(s.since).Round(time.Millisecond), "probes", tries)
			return ErrResume
		}
		wait = min(2*wait, n.cfg.DiskRetryMax)
		if time.Since(logged) >= time.Minute {
			logged = time.Now()
			n.log.Warn("still waiting for the disk", "reason", s.reason(), "probe", err, "next_probe_in", wait)
		}
	}
}

// RunResuming runs n (see Run) and, each time it returns ErrResume,
// closes it and opens it again with the same Config, so that a node
// stalled by a full disk resumes by itself. serve is called with nil just
// before a node is closed and with each reopened node before it runs (to
// route the API to it); if it fails, RunResuming returns. If reopening
// fails with a write failure (the disk filled again), it retries with
// backoff until ctx ends. It returns the last node (nil if none could be
// opened; the caller closes it) and the last Run's error.
func RunResuming(ctx context.Context, n *Node, serve func(*Node) error) (*Node, error) {
	cfg := n.cfg
	for {
		err := n.Run(ctx)
		if !errors.Is(err, ErrResume) {
			return n, err
		}
		t0 := time.Now()
		if err := serve(nil); err != nil {
			return n, err
		}
		if err := n.Close(); err != nil {
			cfg.Logger.Warn("closing the stalled node", "err", err)
		}
		if n, err = OpenWhenWritable(ctx, cfg); n == nil {
			return nil, err
		}
		if err := serve(n); err != nil {
			return n, err
		}
		head := n.Head()
		n.log.Info("resumed after a write failure", "height", head.Height,
			"reopened_in", time.Since(t0).Round(time.Millisecond))
	}
}

// OpenWhenWritable opens the node as Open does; while that fails with a
// write failure (the disk is full: goleveldb writes when it opens), it
// logs and tries again with backoff until ctx ends (nil, nil).
func OpenWhenWritable(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for wait := min(diskRetryMin, cfg.DiskRetryMax); ; wait = min(2*wait, cfg.DiskRetryMax) {
		n, err := Open(cfg)
		if err == nil || !writeFailure(err) {
			return n, err
		}
		cfg.Logger.Warn("cannot open the store: waiting for the disk", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(wait):
		}
	}
}
