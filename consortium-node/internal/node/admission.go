package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// admission decides, for the mempool (mempool.Config.Authenticate), whether
// a transaction is signed by a current key of an active member: its key
// must be its sender's current, unrevoked, unexpired signing key in the
// state the next block is built on (committed state, with the block being
// written if one is: store.Tip), its organisation still in the
// consortium. There is no
// bootstrap exception: genesis writes the first members into state, and
// every later member or organisation is added by a transaction of members
// already there (identity.add_member, governance's add_org).
//
// The rule is identity.Contract's Authenticate, the authenticator
// system.Registry installs for block execution, so a transaction admitted
// here fails authentication at execution only when state changed in
// between (a key rotated, revoked or expired after admission); execution
// decides.
//
// Key expiry is compared with the earliest time the next block can carry:
// block time is max(the proposer's clock, head time + 1ns) (applyProposal),
// so admission uses max(this node's clock, head time + 1ns). A key that
// has expired by this node's clock is refused even while the chain is idle
// and its head time old; within the clock skew between this node and the
// leader around the expiry instant, execution may decide otherwise.
//
// It is safe for concurrent use: the pool calls it on every core.
type admission struct {
	st  *store.Store
	now func() time.Time
	// cache holds what admission read and decided at the current head.
	cache admissionCache
}

func newAdmission(st *store.Store) *admission {
	return &admission{st: st, now: time.Now, cache: admissionCache{max: admissionCacheMax}}
}

// authenticate implements mempool.Config.Authenticate.
func (a *admission) authenticate(s *tx.Signed) error {
	// The tip is taken before any state is read: what is read after it
	// reflects its block or a later one, never an earlier one. It is the
	// state the next block is built on (a block being written included:
	// store.Tip), so that admission and block building decide alike.
	tip := a.st.Tip()
	refusal, err := a.member(s, tip, nextBlockTime(a.now(), tip.Head.Time))
	if err != nil {
		return err
	}
	return refusal
}

// member checks s's signer against state at tip (store.Tip: the block
// being written, if one is, over the store) for a block at time at:
// refusal (matching mempool.ErrNotMember) when it is not a current key of
// an active member, err when state could not be read. Block building asks
// it too (applyProposal), at the block's own time, so an outsider's
// transaction never reaches a block even from a leader that skipped
// admission.
func (a *admission) member(s *tx.Signed, tip store.Tip, at time.Time) (refusal, err error) {
	head := tip.Head
	sender, key := s.Body.Sender, s.Signature.PublicKey()
	if k := a.cache.signer(head, sender); k != nil && k.admits(key, at) {
		return nil, nil
	}
	r := &admissionReader{a: a, tip: tip, member: identity.MemberStateKey(sender)}
	aerr := identity.Contract{}.Authenticate(r, sender, key, at)
	if r.err != nil {
		// The sender stays out of the message: an outsider must not learn
		// from an error which ids were looked up.
		return nil, fmt.Errorf("node: reading a sender's membership: %w", r.err)
	}
	if aerr != nil {
		return fmt.Errorf("%w: %w", mempool.ErrNotMember, aerr), nil
	}
	if r.record != nil {
		a.cache.admit(head, sender, &admittedKey{key: key, record: r.record, reads: r.reads})
	}
	return nil, nil
}

// nextBlockTime is the earliest time a block on a head of headTime (Unix
// nanoseconds) proposed at now can carry: applyProposal's max(proposal
// time, head time + 1ns).
func nextBlockTime(now time.Time, headTime int64) time.Time {
	if headTime >= now.UnixNano() {
		return time.Unix(0, headTime+1).UTC()
	}
	return now
}

// admissionReader reads state at a tip for one admission check through
// the cache, keeps the sender's member record as read and the keys read,
// and keeps the first read error, so that a failing disk is reported as
// such rather than as an unknown sender.
type admissionReader struct {
	a      *admission
	tip    store.Tip
	member string   // the sender's member state key
	record []byte   // its value, once read
	reads  []string // every key read, present or not
	err    error
}

var _ contracts.StateReader = (*admissionReader)(nil)

func (r *admissionReader) Get(key string) ([]byte, bool) {
	r.reads = append(r.reads, key)
	v, ok := r.a.cache.get(r.tip.Head, key)
	if !ok {
		var err error
		if v, ok, err = r.tip.Get(key); err != nil {
			if r.err == nil {
				r.err = err
			}
			return nil, false
		}
		if ok {
			r.a.cache.put(r.tip.Head, key, v)
		}
	}
	if key == r.member {
		r.record = v
	}
	return v, ok
}

// admissionCacheMax bounds the state values, and separately the keys,
// admission keeps for one head; beyond it, admission reads the store.
const admissionCacheMax = 1 << 16

// admittedKey is a sender's key that identity.Contract.Authenticate
// accepted at a head, with the member record it accepted.
type admittedKey struct {
	key    sign.PublicKey
	record []byte
	reads  []string // the state keys Authenticate read to accept it

	once   sync.Once // decodes record's key expiry, on the first reuse
	expiry int64
	err    error
}

// admits reports whether key, at time at, passes what Authenticate checked
// of k's record at its head: what depends on state (member, not revoked,
// organisation present, current key) holds for as long as the head does;
// only the key's expiry depends on time (identity.Member.KeyExpiry, Unix
// seconds compared with at, 0 for none). A false answer is no refusal:
// the caller asks Authenticate.
func (k *admittedKey) admits(key sign.PublicKey, at time.Time) bool {
	if !k.key.Equal(key) {
		return false
	}
	k.once.Do(func() {
		var m *identity.Member
		if m, k.err = identity.DecodeMember(k.record); k.err == nil {
			k.expiry = m.KeyExpiry
		}
	})
	return k.err == nil && (k.expiry == 0 || at.Unix() < k.expiry)
}

// admissionCache keeps, for one head, the state values admission found
// (members and organisations; never absences, so outsiders' made-up ids do
// not fill it) and the keys it admitted. An entry is used only at the head it
// was read under, or at a later head the node carried it to (advance)
// because no block since wrote what it depends on: a block that revokes or
// rotates a key or removes an organisation drops what it touched, and any
// other head empties the cache, so it never admits what committed state
// refuses. The cache only ever shortens an admission;
// every refusal comes from Authenticate. Values are shared, never
// modified.
type admissionCache struct {
	max     int // most values, and most keys, kept; 0 keeps none
	mu      sync.RWMutex
	head    store.Head // Height and Hash are compared; the rest is ignored
	vals    map[string][]byte
	signers map[string]*admittedKey
}

func sameBlock(a, b store.Head) bool { return a.Height == b.Height && a.Hash == b.Hash }

func (c *admissionCache) get(head store.Head, key string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.vals == nil || !sameBlock(c.head, head) {
		return nil, false
	}
	v, ok := c.vals[key]
	return v, ok
}

// signer returns the key admitted for sender at head, or nil.
func (c *admissionCache) signer(head store.Head, sender string) *admittedKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.vals == nil || !sameBlock(c.head, head) {
		return nil
	}
	return c.signers[sender]
}

// advance carries the cache from head from to the block to that extends
// it, whose state writes are writes: values of keys the block wrote are
// dropped, and so are the keys admitted on reading any of them; the rest
// holds at to exactly as it did at from, since state changes only by a
// block's writes. Block building, which asks at the head it builds on,
// then finds a sender admitted in an earlier block without reading and
// decoding its records again. A cache at another head is left alone (its
// next use empties it). The node calls it when it stages each block
// (store.Stage), before the block is durable: the next block is built,
// and admission decides, on the staged block's state (store.Tip).
func (c *admissionCache) advance(from, to store.Head, writes []ledger.StateWrite) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vals == nil || !sameBlock(c.head, from) || to.Height != from.Height+1 {
		return
	}
	written := make(map[string]struct{}, len(writes))
	for _, w := range writes {
		written[w.Key] = struct{}{}
		delete(c.vals, w.Key)
	}
	for sender, k := range c.signers {
		for _, key := range k.reads {
			if _, ok := written[key]; ok {
				delete(c.signers, sender)
				break
			}
		}
	}
	c.head = to
}

// at empties the cache when head is newer than its head, and reports
// whether head is its head (false for an older one). c.mu must be held.
func (c *admissionCache) at(head store.Head) bool {
	if c.vals == nil || head.Height > c.head.Height {
		c.head, c.vals, c.signers = head, make(map[string][]byte), make(map[string]*admittedKey)
	}
	return sameBlock(c.head, head)
}

func (c *admissionCache) put(head store.Head, key string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at(head) && len(c.vals) < c.max {
		c.vals[key] = v
	}
}

func (c *admissionCache) admit(head store.Head, sender string, k *admittedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at(head) && len(c.signers) < c.max {
		c.signers[sender] = k
	}
}
