package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
)

// The sweep of uploads no registration names (docs/decisions/0018): an
// upload reaches its custodian before record.register reaches the ledger,
// and the ledger may refuse the registration (an unknown category or
// patient, a version another registration took) or never see it (the
// portal stopped). The custodian therefore stages an upload
// (privatestore.Stage) until a committed record.register names its
// ciphertext hash (shred promotes it), and this sweep discards what is
// still staged after a grace period: its ciphertext and data key go, and
// the record id stays free. Every node of the organisation sweeps the
// copies it was sent itself, by the time it received them, so an upload
// leaves no copy anywhere.
//
// Stored versions that no registration names, which uploads left before
// uploads were staged, are dropped too: the first sweep after the node
// starts notes them and the next drops those still unregistered.

// DefaultUploadGrace is how long an unregistered upload stays by default.
const DefaultUploadGrace = time.Hour

// sweepMaxLag is how many raft entries a node may have left to apply and
// still sweep: a node far behind could take a registration it has not
// applied yet for none.
const sweepMaxLag = 16

// SweepConfig configures the sweep of uploads no registration names.
type SweepConfig struct {
	// Grace is how long an upload stays staged without a committed
	// record.register naming it (default DefaultUploadGrace, at least a
	// minute). It must outlast the registration's way to a block: a
	// portal registers at once after the upload, but a registration
	// waiting for a quorum that is down commits only when it is back.
	Grace time.Duration
	// Every is how often the node sweeps (default a quarter of Grace, at
	// most 15 minutes).
	Every time.Duration
	// Now is the node's clock for staging times and the sweep (default
	// time.Now; tests inject one).
	Now func() time.Time
}

// Validate checks the config and fills defaults.
func (c *SweepConfig) Validate() error {
	if c.Grace == 0 {
		c.Grace = DefaultUploadGrace
	}
	if c.Grace < time.Minute {
		return fmt.Errorf("node: the grace period of unregistered uploads (%v) is under a minute", c.Grace)
	}
	if c.Every == 0 {
		c.Every = min(c.Grace/4, 15*time.Minute)
	}
	if c.Every < 0 {
		return fmt.Errorf("node: the sweep interval %v is negative", c.Every)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// sweeper is the sweep loop's state.
type sweeper struct {
	passes int
	// leftovers are stored versions no registration named at the first
	// pass.
	leftovers map[verRef]bool
}

// sweepReport counts what one pass did.
type sweepReport struct {
	Discarded, Promoted, Dropped int
	// Skipped: the node was not caught up with the ledger.
	Skipped bool
}

// sweepLoop sweeps every SweepConfig.Every until Run returns, the node
// halts or (a node closed without running) its database is closed.
func (n *Node) sweepLoop() {
	t := time.NewTicker(n.cfg.Sweep.Every)
	defer t.Stop()
	var sw sweeper
	for {
		select {
		case <-n.bgCtx.Done():
			return
		case <-t.C:
			if n.closed() {
				return
			}
			n.sweep(&sw)
		}
	}
}

// caughtUp reports whether this node follows a leader and has applied
// (nearly) every entry committed.
func (n *Node) caughtUp() bool {
	r := n.raftSt.Load()
	return r != nil && r.Lead != 0 && r.Commit <= n.applied(r)+sweepMaxLag
}

// sweep runs one pass over the staged uploads (and, in the first two
// passes after start, the stored versions): it promotes those the ledger
// registers (a promotion a crash lost), discards those whose version the
// ledger registers with other content, and those older than the grace
// period that no registration names.
func (n *Node) sweep(sw *sweeper) sweepReport {
	var rep sweepReport
	if n.private == nil || n.over() {
		return rep
	}
	if !n.caughtUp() {
		n.log.Debug("not sweeping unregistered uploads: the node is catching up with the ledger")
		rep.Skipped = true
		return rep
	}
	cutoff := n.cfg.Sweep.Now().Add(-n.cfg.Sweep.Grace)
	var staged []privatestore.Staged
	if err := n.private.ListStaged(func(s privatestore.Staged) bool {
		staged = append(staged, s)
		return true
	}); err != nil {
		n.log.Error("listing staged uploads", "err", err)
		return rep
	}
	for _, s := range staged {
		if n.over() {
			return rep
		}
		ver, known, err := n.registered(s.RecordID, s.Version)
		if err != nil {
			n.log.Error("looking up a staged upload's registration", "record", s.RecordID, "version", s.Version, "err", err)
			continue
		}
		switch {
		case known && ver.CiphertextHash == s.Hash:
			if _, err := n.private.Promote(s.RecordID, s.Version, s.Hash); err != nil {
				n.log.Error("promoting a registered upload", "record", s.RecordID, "version", s.Version, "err", err)
				continue
			}
			rep.Promoted++
			continue
		case known: // the version is registered with other content
		case s.At.After(cutoff):
			continue
		}
		if err := n.private.Discard(s.RecordID, s.Version, s.Hash); err != nil {
			n.log.Error("discarding an unregistered upload", "record", s.RecordID, "version", s.Version, "err", err)
			continue
		}
		rep.Discarded++
		n.log.Info("discarded an upload no registration names (ciphertext and data key destroyed)", "record", s.RecordID,
			"version", s.Version, "uploader", s.Uploader, "staged", s.At.UTC().Format(time.RFC3339), "registered_other", known)
	}
	rep.Dropped = n.sweepLeftovers(sw)
	if rep.Discarded+rep.Dropped > 0 {
		n.log.Info("swept unregistered uploads", "discarded", rep.Discarded, "dropped", rep.Dropped, "grace", n.cfg.Sweep.Grace.String())
	}
	return rep
}

// registered returns the ledger's entry for a record version (known:
// false when the ledger registers no such version, or the record is
// erased or another organisation's).
func (n *Node) registered(id string, v uint64) (ver *record.Version, known bool, err error) {
	rec, err := record.LoadRecord(stateReader{n}, id)
	if errors.Is(err, contracts.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if rec.Custodian != n.me.Org || rec.Erased || v > rec.Latest {
		return nil, false, nil
	}
	ver, err = record.LoadVersion(stateReader{n}, id, v)
	if errors.Is(err, contracts.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return ver, true, nil
}

// sweepLeftovers notes, in the first pass after start, the stored
// versions no registration names, and drops in the second pass those
// still unregistered. It reports how many it dropped.
func (n *Node) sweepLeftovers(sw *sweeper) int {
	sw.passes++
	if sw.passes > 2 {
		return 0
	}
	seen := map[verRef]bool{}
	if err := n.private.ListVersions(func(id string, v uint64) bool {
		if _, known, err := n.registered(id, v); err == nil && !known {
			if erased, err := n.private.Erased(id); err == nil && !erased {
				seen[verRef{id: id, v: v}] = true
			}
		}
		return !n.over()
	}); err != nil {
		n.log.Error("listing stored record versions", "err", err)
		return 0
	}
	if sw.passes == 1 {
		sw.leftovers = seen
		return 0
	}
	dropped := 0
	for ref := range seen {
		if !sw.leftovers[ref] {
			continue
		}
		if err := n.private.Drop(ref.id, ref.v); err != nil {
			n.log.Error("dropping an unregistered record version", "record", ref.id, "version", ref.v, "err", err)
			continue
		}
		dropped++
		n.log.Info("dropped a stored record version no registration names (left by an upload before uploads were staged)",
			"record", ref.id, "version", ref.v)
	}
	sw.leftovers = nil
	return dropped
}
