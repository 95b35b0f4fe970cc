package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// Custodian replication (docs/decisions/0015): a hospital may run several
// nodes, and each of them keeps every version of the hospital's records,
// so that losing one disk loses nothing. Copies travel only between nodes
// of the custodian organisation, over the node transport (mutual TLS,
// peers identified by their node keys on the ledger): the sender refuses
// to address another organisation's node, and the receiver refuses a
// request whose authenticated sender is not a node of its own
// organisation. A data key is stored wrapped to each node's own X-Wing
// key; the sender unwraps its copy and wraps it for the receiving node's
// key from the ledger's node record (privatestore.Release, as for a
// reader), and the receiver checks it like an upload (privatestore.Put,
// or privatestore.Stage for an upload the ledger does not register yet:
// each node stages the copies it is sent, and sweeps them itself when no
// registration names them; sweep.go).
//
// Two paths move copies:
//   - push: after an upload is stored, the node sends it to its
//     organisation's other custodian nodes, and the upload answers once
//     one of them has stored it (or after replicaAckTimeout, when none
//     answers: the copy then waits for catch-up);
//   - pull (catch-up): a node asks its organisation's peers for versions
//     registered on the ledger under its organisation that it lacks — the
//     versions registered in each block it applies (noteRegistered), and
//     all of them at start and every replicaScanEvery (scanLedger).
//
// Erased records are never copied: a pull is served only for a record the
// ledger holds unerased, and privatestore.Put refuses a record with a
// tombstone. The ledger scan also shreds copies that an erasure left
// behind (a node that stopped between committing the erasure's block and
// shredding).

const (
	kindReplica      byte = 9  // replicaRequest
	kindReplicaReply byte = 10 // replicaReply
)

// Replica operations.
const (
	replicaPush = "push" // store this copy (its key wrapped for you)
	replicaPull = "pull" // send me your copy of this version
)

// Replica reply codes (replicaReply.Code).
const (
	replicaForbidden = "forbidden"     // not a node of the custodian organisation
	replicaNotFound  = "not_found"     // not held here, or not registered
	replicaErased    = "erased"        // tombstones win
	replicaMismatch  = "mismatch"      // the copy does not check
	replicaBusy      = "busy"          // try again shortly
	replicaNoStore   = "not_custodian" // this node keeps no records
	replicaInternal  = "internal"
)

// Limits and periods of replication.
const (
	// replicaAckTimeout bounds how long an upload waits for a peer of the
	// organisation to confirm its stored copy.
	replicaAckTimeout = 5 * time.Second
	// replicaTimeout bounds one push or pull to one peer.
	replicaTimeout = 10 * time.Second
	// replicaMaxBytes bounds a copy (ciphertext and wrapped key): a
	// record of up to api.MaxBodyBytes (16 MiB) sealed, with its key, as
	// the node API bounds an upload (well within the transport's 64 MiB
	// frames).
	replicaMaxBytes = api.MaxBodyBytes + 1<<20
	// replicaServing and replicaSending bound the copies a node stores
	// for peers and sends to them at once.
	replicaServing = 4
	replicaSending = 4
	// The ledger is scanned for missing versions replicaStartDelay after
	// the node opens (its transport connects meanwhile), then every
	// replicaScanEvery.
	replicaStartDelay = 2 * time.Second
	replicaScanEvery  = 10 * time.Minute
	// Every replicaTick the catch-up loop pulls up to replicaPullsPerTick
	// versions that are due; a version noted in an applied block is due
	// after replicaGrace (its push is usually on its way).
	replicaTick         = time.Second
	replicaGrace        = 2 * time.Second
	replicaPullsPerTick = 8
	// At most replicaMaxWants missing versions are tracked at once; one
	// is given up after replicaMaxAttempts pulls (back-off doubling from
	// one second) until the next scan finds it again.
	replicaMaxWants    = 4096
	replicaMaxAttempts = 10
	replicaNotes       = 1024
)

// evRecordRegistered is the record contract's event for a new version.
const evRecordRegistered = "record_registered"

// errCrossOrg marks a record copy addressed to, or coming from, another
// organisation's node: copies stay within the custodian organisation.
var errCrossOrg = errors.New("node: record copies stay within the custodian organisation")

type replicaRequest struct {
	_        struct{} `cbor:",toarray"`
	ID       uint64
	Op       string
	RecordID string
	Version  uint64
	Sealed   []byte // push: the ciphertext
	Wrapped  []byte // push: the data key wrapped for the receiving node
}

type replicaReply struct {
	_       struct{} `cbor:",toarray"`
	ID      uint64
	Code    string // "" on success
	Error   string
	Sealed  []byte // pull: the ciphertext
	Wrapped []byte // pull: the data key wrapped for the requesting node
}

// verRef names one record version.
type verRef struct {
	id string
	v  uint64
}

// replicaWant is a missing version the catch-up loop pulls.
type replicaWant struct {
	due      time.Time
	attempts int
}

// replication is a node's state for copying record versions among its
// organisation's nodes. Its channels are made before the transport
// starts; the rest is guarded by mu or atomic.
type replication struct {
	serving chan struct{} // slots for peers' requests being served
	sending chan struct{} // slots for copies being sent
	noted   chan verRef   // versions registered in applied blocks
	rescan  atomic.Bool   // a note was dropped: scan the ledger soon

	calls peerCalls[replicaReply]
}

func newReplication() *replication {
	return &replication{serving: make(chan struct{}, replicaServing), sending: make(chan struct{}, replicaSending),
		noted: make(chan verRef, replicaNotes)}
}

// startReplication starts the catch-up loop of a custodian node that has
// peers, and the sweep of unregistered uploads (sweep.go) of every
// custodian node. The loops end when Run returns, when the node halts, or
// (a node closed without running) when its database is closed.
func (n *Node) startReplication() {
	if n.private != nil && n.tr != nil {
		go n.replicaLoop()
	}
	if n.private != nil {
		go n.sweepLoop()
	}
}

// memberNode returns the current node record of id.
func (n *Node) memberNode(id string) (consortium.Node, bool) {
	for _, p := range n.Members() {
		if p.ID == id {
			return p, true
		}
	}
	return consortium.Node{}, false
}

// custodianPeers returns the other current nodes of this node's
// organisation that can keep records (they have an encryption key), in
// random order.
func (n *Node) custodianPeers() []consortium.Node {
	if n.tr == nil {
		return nil
	}
	var out []consortium.Node
	for _, p := range n.Members() {
		if p.Org == n.me.Org && p.ID != n.me.ID && len(p.EncKey.Key) > 0 {
			out = append(out, p)
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// sameOrgPeer returns the node record of an authenticated transport peer
// when it is a current node of this node's organisation, else errCrossOrg.
func (n *Node) sameOrgPeer(from transport.Peer) (consortium.Node, error) {
	p, ok := n.memberNode(from.NodeID)
	if !ok || p.RaftID != from.RaftID {
		return consortium.Node{}, fmt.Errorf("%w: %s is not a current node", errCrossOrg, from.NodeID)
	}
	if p.Org != n.me.Org || p.ID == n.me.ID {
		return consortium.Node{}, fmt.Errorf("%w: %s is a node of %q, this node's organisation is %q",
			errCrossOrg, p.ID, p.Org, n.me.Org)
	}
	return p, nil
}

// replicate copies a version this node has just stored or staged (its
// ciphertext hash is h) to the other custodian nodes of its organisation,
// and returns once one of them has stored it (fsynced), or after
// replicaAckTimeout when none has: the upload then stands on this node
// alone until catch-up copies it. The other pushes go on in the
// background.
func (n *Node) replicate(id string, v uint64, h ledger.Hash) {
	peers := n.custodianPeers()
	if len(peers) == 0 {
		return
	}
	acks := make(chan error, len(peers))
	for _, p := range peers {
		go func() { acks <- n.pushTo(p, id, v, h) }()
	}
	t := time.NewTimer(replicaAckTimeout)
	defer t.Stop()
	var errs []error
	for range peers {
		select {
		case err := <-acks:
			if err == nil {
				return
			}
			errs = append(errs, err)
		case <-t.C:
			n.log.Warn("no other node of the organisation confirmed a copy in time; it is on this node only until catch-up",
				"record", id, "version", v, "waited", replicaAckTimeout.String())
			return
		case <-n.stopped:
			return
		}
	}
	n.log.Warn("no other node of the organisation took a copy; it is on this node only until catch-up",
		"record", id, "version", v, "err", errors.Join(errs...))
}

// pushTo sends this node's copy of a version (stored or staged, with
// ciphertext hash h) to peer, wrapped for peer's key, and waits for peer
// to have stored it.
func (n *Node) pushTo(peer consortium.Node, id string, v uint64, h ledger.Hash) error {
	select {
	case n.repl.sending <- struct{}{}:
	case <-time.After(replicaAckTimeout):
		return fmt.Errorf("%w: this node is busy sending copies", ErrUnavailable)
	case <-n.stopped:
		return ErrStopped
	}
	defer func() { <-n.repl.sending }()
	if _, err := n.sameOrg(peer); err != nil {
		return err
	}
	sealed, wrapped, err := n.private.Release(id, v, h, peer.ID, peer.EncKey.Key)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(replicaTimeout)
	for {
		req := &replicaRequest{Op: replicaPush, RecordID: id, Version: v, Sealed: sealed, Wrapped: wrapped}
		rep, err := n.replicaCall(peer, req, time.Until(deadline))
		if err != nil {
			return err
		}
		if rep.Code == replicaBusy && time.Until(deadline) > 200*time.Millisecond {
			select {
			case <-time.After(100 * time.Millisecond):
				continue
			case <-n.stopped:
				return ErrStopped
			}
		}
		if rep.Code != "" {
			return replicaErr(peer.ID, rep)
		}
		n.log.Info("copied a record version to another node of the organisation", "record", id, "version", v, "peer", peer.ID)
		return nil
	}
}

// sameOrg checks, against the current membership, that p is another node
// of this node's organisation.
func (n *Node) sameOrg(p consortium.Node) (consortium.Node, error) {
	return n.sameOrgPeer(transport.Peer{RaftID: p.RaftID, NodeID: p.ID})
}

// replicaCall sends one request to peer and waits for its reply. Every
// push and pull goes through it, and it refuses any node that is not
// currently another node of this node's organisation (the other way a
// copy leaves, a pull's reply, is sent only by serveReplica, after the
// same check on the authenticated requester).
func (n *Node) replicaCall(peer consortium.Node, req *replicaRequest, timeout time.Duration) (replicaReply, error) {
	p, err := n.sameOrg(peer)
	if err != nil {
		return replicaReply{}, err
	}
	if n.tr == nil {
		return replicaReply{}, fmt.Errorf("%w: this node has no peers", ErrUnavailable)
	}
	return n.repl.calls.call(context.Background(), n, transport.Peer{RaftID: p.RaftID, NodeID: p.ID}, kindReplica, timeout,
		func(id uint64) any {
			req.ID = id
			return req
		})
}

// decodeReplicaRequest decodes and checks the shape of a peer's request.
func decodeReplicaRequest(payload []byte) (*replicaRequest, error) {
	var req replicaRequest
	if err := codec.Peer.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Op == replicaPush && (len(req.Sealed) == 0 || len(req.Wrapped) == 0):
		return nil, errors.New("a push without its ciphertext or key")
	case req.Op == replicaPull && (len(req.Sealed) != 0 || len(req.Wrapped) != 0):
		return nil, errors.New("a pull carrying a copy")
	case req.Op != replicaPush && req.Op != replicaPull:
		return nil, fmt.Errorf("unknown operation %q", req.Op)
	case req.Version == 0:
		return nil, errors.New("version 0")
	case len(req.Sealed)+len(req.Wrapped) > replicaMaxBytes:
		return nil, fmt.Errorf("a copy of %d bytes (at most %d)", len(req.Sealed)+len(req.Wrapped), replicaMaxBytes)
	}
	if err := identity.ValidateID(req.RecordID, false); err != nil {
		return nil, err
	}
	return &req, nil
}

// handleReplica runs on transport goroutines: requests are served on
// their own goroutine (at most replicaServing at once; more are answered
// busy), replies handed to their waiter.
func (n *Node) handleReplica(from transport.Peer, kind byte, payload []byte) {
	switch kind {
	case kindReplica:
		req, err := decodeReplicaRequest(payload)
		if err != nil {
			n.log.Warn("dropping bad record copy request", "peer", from.NodeID, "err", err)
			return
		}
		select {
		case n.repl.serving <- struct{}{}:
		default:
			n.sendReplicaReply(from, replicaReply{ID: req.ID, Code: replicaBusy, Error: "the node is busy; try again"})
			return
		}
		go func() {
			defer func() { <-n.repl.serving }()
			n.sendReplicaReply(from, n.serveReplica(from, req))
		}()
	case kindReplicaReply:
		var rep replicaReply
		if err := codec.Peer.Unmarshal(payload, &rep); err != nil || len(rep.Sealed)+len(rep.Wrapped) > replicaMaxBytes {
			n.log.Warn("dropping bad record copy reply", "peer", from.NodeID, "err", err)
			return
		}
		n.repl.calls.deliver(rep.ID, from.RaftID, rep)
	}
}

func (n *Node) sendReplicaReply(to transport.Peer, rep replicaReply) {
	n.sendMsg(to.RaftID, kindReplicaReply, "a record copy reply", rep)
}

// serveReplica answers a peer's push or pull. Only a current node of this
// node's organisation, as the transport authenticated it, is served.
func (n *Node) serveReplica(from transport.Peer, req *replicaRequest) replicaReply {
	rep := replicaReply{ID: req.ID}
	peer, err := n.sameOrgPeer(from)
	switch {
	case err != nil:
		n.log.Warn("refusing a record copy request from a node outside the organisation",
			"peer", from.NodeID, "op", req.Op, "err", err)
	case n.private == nil:
		err = ErrNotCustodian
	default:
		err = n.healthy()
	}
	if err == nil {
		switch req.Op {
		case replicaPush:
			err = n.acceptCopy(peer, req)
		case replicaPull:
			rep.Sealed, rep.Wrapped, err = n.serveCopy(peer, req)
		}
	}
	if err != nil {
		rep.Code, rep.Error = replicaCodes.code(err), err.Error()
		if rep.Code == replicaInternal {
			n.log.Error("serving a record copy request", "peer", from.NodeID, "op", req.Op, "err", err)
			rep.Error = "internal error; see the node's log"
		}
	}
	return rep
}

// acceptCopy stores a peer's copy after the checks of an upload
// (privatestore.Put) and, when the ledger already knows the record, that
// it is this organisation's, unerased, and has this ciphertext's hash. A
// copy of a version the ledger does not register yet is staged, by this
// node's clock, as its upload was on the peer.
func (n *Node) acceptCopy(peer consortium.Node, req *replicaRequest) error {
	registered := false
	if rec, err := record.LoadRecord(stateReader{n}, req.RecordID); err == nil {
		if rec.Custodian != n.me.Org {
			return fmt.Errorf("%w: record %q is held by %q", errCrossOrg, rec.ID, rec.Custodian)
		}
		if rec.Erased {
			n.shredLeftover(rec.ID)
			return fmt.Errorf("%w: %q", privatestore.ErrErased, rec.ID)
		}
		v, err := record.LoadVersion(stateReader{n}, rec.ID, req.Version)
		if err == nil && ledger.Hash(sha256Sum(req.Sealed)) != v.CiphertextHash {
			return fmt.Errorf("%w: the copy of %q version %d does not have its ledger hash",
				privatestore.ErrMismatch, rec.ID, req.Version)
		}
		registered = err == nil
	}
	if registered {
		if err := n.private.Put(req.RecordID, req.Version, req.Sealed, req.Wrapped); err != nil {
			return err
		}
	} else if _, err := n.private.Stage(req.RecordID, req.Version, req.Sealed, req.Wrapped, "node:"+peer.ID, n.cfg.Sweep.Now()); err != nil {
		return err
	}
	n.log.Info("stored a record version copied from another node of the organisation", "record", req.RecordID,
		"version", req.Version, "peer", peer.ID, "registered", registered)
	return nil
}

// serveCopy releases this node's copy of a version registered on the
// ledger, unerased, to peer, its key wrapped for peer's key: the
// ciphertext the ledger registers, stored or still staged.
func (n *Node) serveCopy(peer consortium.Node, req *replicaRequest) (sealed, wrapped []byte, err error) {
	rec, err := record.LoadRecord(stateReader{n}, req.RecordID)
	if err != nil || req.Version > rec.Latest {
		return nil, nil, fmt.Errorf("%w: version %d of %q is not registered here", ErrNotFound, req.Version, req.RecordID)
	}
	if rec.Custodian != n.me.Org {
		return nil, nil, fmt.Errorf("%w: record %q is held by %q", errCrossOrg, rec.ID, rec.Custodian)
	}
	if rec.Erased {
		return nil, nil, fmt.Errorf("%w: %q", privatestore.ErrErased, rec.ID)
	}
	v, err := record.LoadVersion(stateReader{n}, rec.ID, req.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: version %d of %q is not registered here", ErrNotFound, req.Version, req.RecordID)
	}
	return n.private.Release(rec.ID, req.Version, v.CiphertextHash, peer.ID, peer.EncKey.Key)
}

// replicaCodes are replication's refusals; a node that keeps no records, a busy or failing peer all mean
// ErrUnavailable to the node that asked.
var replicaCodes = codeTable{entries: []codeEntry{
	{code: replicaErased, errs: []error{privatestore.ErrErased}, back: privatestore.ErrErased},
	{code: replicaForbidden, errs: []error{errCrossOrg, ErrForbidden}, back: errCrossOrg},
	{code: replicaMismatch, errs: []error{privatestore.ErrMismatch}, back: privatestore.ErrMismatch},
	{code: replicaNotFound, errs: []error{ErrNotFound, privatestore.ErrNotFound}, back: ErrNotFound},
	{code: replicaNoStore, errs: []error{ErrNotCustodian}},
}, other: replicaInternal, otherErr: ErrUnavailable}

// replicaErr turns a peer's coded refusal back into the node's errors.
func replicaErr(peer string, rep replicaReply) error {
	return replicaCodes.err(rep.Code, peer+" answered: "+rep.Error)
}

// noteRegistered runs on the apply goroutine: it hands the versions that
// a block registered under this node's organisation to the catch-up loop
// (never blocking; when too many are pending, the loop scans the ledger).
func (n *Node) noteRegistered(rs []ledger.Receipt) {
	if n.private == nil || n.tr == nil {
		return
	}
	for _, r := range rs {
		for _, e := range r.Events {
			if e.Contract != record.Name || e.Type != evRecordRegistered || e.Attr(recordvocab.AttrCustodian) != n.me.Org {
				continue
			}
			v, err := strconv.ParseUint(e.Attr(recordvocab.AttrVersion), 10, 64)
			if err != nil {
				continue
			}
			select {
			case n.repl.noted <- verRef{id: e.Attr(recordvocab.AttrRecord), v: v}:
			default:
				n.repl.rescan.Store(true)
			}
		}
	}
}

// over reports whether the background loops should end: Run returned or
// the node halted.
func (n *Node) over() bool { return n.bgCtx.Err() != nil }

// markStopped closes stopped (Run returned) and ends the background loops.
func (n *Node) markStopped() {
	close(n.stopped)
	n.endBg()
}

// closed reports whether the node's database was closed (a node closed
// without running never closes stopped).
func (n *Node) closed() bool {
	_, err := n.store.DB().GetProperty("leveldb.alivesnaps")
	return errors.Is(err, leveldb.ErrClosed)
}

// replicaLoop is the catch-up (anti-entropy) loop of a custodian node: it
// pulls the versions of its organisation's records that the ledger
// registers and this node lacks from the organisation's other nodes, and
// shreds copies of erased records that an erasure left behind.
func (n *Node) replicaLoop() {
	wants := map[verRef]*replicaWant{}
	scan := time.NewTimer(replicaStartDelay)
	defer scan.Stop()
	tick := time.NewTicker(replicaTick)
	defer tick.Stop()
	capped := false // the last scan stopped at replicaMaxWants
	for {
		select {
		case <-n.bgCtx.Done():
			return
		case r := <-n.repl.noted:
			if _, ok := wants[r]; !ok {
				if len(wants) < replicaMaxWants {
					wants[r] = &replicaWant{due: time.Now().Add(replicaGrace)}
				} else {
					n.repl.rescan.Store(true)
				}
			}
		case <-scan.C:
			if n.closed() {
				return
			}
			capped = n.scanLedger(wants)
			scan.Reset(replicaScanEvery)
		case <-tick.C:
			if n.closed() {
				return
			}
			if n.repl.rescan.Swap(false) || (capped && len(wants) == 0) {
				capped = n.scanLedger(wants)
			}
			n.pullDue(wants)
		}
	}
}

// scanLedger adds to wants every version of this organisation's unerased
// records that this node does not hold, up to replicaMaxWants (it then
// reports true), and shreds what is left of erased ones. It reads each
// record entry of the state once; contracts keep no index of records by
// custodian (DESIGN decision 3), and a scan every replicaScanEvery costs
// one decode per record on the ledger.
func (n *Node) scanLedger(wants map[verRef]*replicaWant) (capped bool) {
	now := time.Now()
	missing := 0
	err := n.store.ScanState(contracts.Key(record.Name, "r/"), func(_ string, b []byte) bool {
		if n.over() {
			return false
		}
		var rec record.Record
		if err := codec.State.Unmarshal(b, &rec); err != nil {
			n.log.Error("reading a record entry while looking for missing copies", "err", err)
			return true
		}
		if rec.Custodian != n.me.Org {
			return true
		}
		if rec.Erased {
			n.shredLeftover(rec.ID)
			return true
		}
		for v := uint64(1); v <= rec.Latest; v++ {
			ref := verRef{id: rec.ID, v: v}
			if _, ok := wants[ref]; ok {
				continue
			}
			if has, err := n.private.Has(rec.ID, v); err != nil || has {
				continue
			}
			if len(wants) >= replicaMaxWants {
				capped = true
				return false
			}
			wants[ref] = &replicaWant{due: now}
			missing++
		}
		return true
	})
	if err != nil && !n.over() {
		n.log.Error("scanning the ledger for missing record copies", "err", err)
	}
	if missing > 0 {
		n.log.Info("record versions missing on this node; fetching them from the organisation's other nodes",
			"versions", missing)
	}
	return capped
}

// pullDue pulls up to replicaPullsPerTick due versions, one at a time; it
// stops early when no peer of the organisation answers.
func (n *Node) pullDue(wants map[verRef]*replicaWant) {
	now := time.Now()
	tried := 0
	for ref, w := range wants {
		if tried >= replicaPullsPerTick || n.over() {
			return
		}
		if w.due.After(now) {
			continue
		}
		tried++
		err := n.catchUpVersion(ref)
		if err == nil {
			delete(wants, ref)
			continue
		}
		w.attempts++
		if w.attempts >= replicaMaxAttempts {
			delete(wants, ref)
			n.log.Warn("no other node of the organisation has a record version this node lacks; the next scan looks again",
				"record", ref.id, "version", ref.v, "err", err)
			continue
		}
		w.due = time.Now().Add(time.Second << (w.attempts - 1))
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrStopped) {
			return // the peers are down: try again later
		}
	}
}

// catchUpVersion makes sure this node holds a version the ledger
// registers under its organisation, pulling it from a peer when it does
// not. It returns nil when nothing is left to do (held now, erased, or not
// this organisation's), else why it could not.
func (n *Node) catchUpVersion(ref verRef) error {
	rec, err := record.LoadRecord(stateReader{n}, ref.id)
	if err != nil || rec.Custodian != n.me.Org || ref.v > rec.Latest {
		return nil
	}
	if rec.Erased {
		n.shredLeftover(rec.ID)
		return nil
	}
	ver, err := record.LoadVersion(stateReader{n}, ref.id, ref.v)
	if err != nil {
		return nil
	}
	if has, err := n.private.Has(ref.id, ref.v); err != nil {
		return err
	} else if has {
		return nil
	}
	// Staged here, but not promoted (the node stopped before it could).
	if held, err := n.private.Promote(ref.id, ref.v, ver.CiphertextHash); err != nil {
		return err
	} else if held {
		return nil
	}
	var lastErr error = fmt.Errorf("%w: %q runs no other node that keeps records", ErrUnavailable, n.me.Org)
	for _, p := range n.custodianPeers() {
		rep, err := n.replicaCall(p, &replicaRequest{Op: replicaPull, RecordID: ref.id, Version: ref.v}, replicaTimeout)
		if err != nil {
			lastErr = err
			continue
		}
		if rep.Code == replicaErased {
			return nil // the peer applied the erasure first; this node follows
		}
		if rep.Code != "" {
			lastErr = replicaErr(p.ID, rep)
			continue
		}
		if ledger.Hash(sha256Sum(rep.Sealed)) != ver.CiphertextHash {
			lastErr = fmt.Errorf("%w: %s sent a copy of %q version %d that does not have its ledger hash",
				privatestore.ErrMismatch, p.ID, ref.id, ref.v)
			n.log.Error("refusing a record copy", "peer", p.ID, "err", lastErr)
			continue
		}
		if err := n.private.Put(ref.id, ref.v, rep.Sealed, rep.Wrapped); err != nil {
			if errors.Is(err, privatestore.ErrErased) {
				return nil
			}
			lastErr = err
			continue
		}
		n.log.Info("caught up a record version from another node of the organisation",
			"record", ref.id, "version", ref.v, "peer", p.ID)
		return nil
	}
	return lastErr
}

// shredLeftover erases this node's copies of a record the ledger marks
// erased, unless this node already did.
func (n *Node) shredLeftover(id string) {
	if erased, err := n.private.Erased(id); err != nil || erased {
		return
	}
	k, err := n.private.Erase(id)
	if err != nil {
		n.log.Error("erasing a record's private copies", "record", id, "err", err)
		return
	}
	n.log.Info("erased a record left behind by its erasure (ciphertexts and data keys destroyed)",
		"record", id, "versions", k)
}
