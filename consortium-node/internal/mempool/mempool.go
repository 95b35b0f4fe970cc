package mempool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Errors returned by Add, wrapped with detail.
var (
	ErrWrongChain = errors.New("mempool: transaction is for another chain")
	ErrExpired    = errors.New("mempool: transaction expiry outside the replay window")
	ErrDuplicate  = errors.New("mempool: duplicate transaction")
	ErrFull       = errors.New("mempool: full, retry later")
	ErrCommitted  = errors.New("mempool: transaction already committed")
	// ErrNotMember refuses a transaction whose key is not its sender's
	// current signing key. It is returned bare, with the same message
	// whether the sender is unknown, signed with another key, revoked or
	// expired, so that a refusal never tells whether a member id exists.
	ErrNotMember = errors.New("mempool: the transaction is not signed by a current key of an active member")
)

// Reason says why admission refused a transaction: the node API's wire
// vocabulary (api.Refusal), which clients read in TxStatus.Reason.
type Reason = api.Refusal

// Reasons for refusing a transaction.
const (
	ReasonMalformed    = api.RefusedMalformed    // undecodable, non-canonical or over the size limits
	ReasonWrongChain   = api.RefusedWrongChain   // ErrWrongChain
	ReasonExpired      = api.RefusedExpired      // ErrExpired: outside the replay window
	ReasonPrecheck     = api.RefusedPrecheck     // refused by Config.Precheck
	ReasonCommitted    = api.RefusedCommitted    // ErrCommitted
	ReasonBadSignature = api.RefusedBadSignature // tx.ErrSignature
	ReasonNotMember    = api.RefusedNotMember    // ErrNotMember
	ReasonDuplicate    = api.RefusedDuplicate    // ErrDuplicate: already pending
	ReasonFull         = api.RefusedFull         // ErrFull
	ReasonOther        = api.RefusedOther        // e.g. the ledger could not be read
)

// Reasons returns every Reason, each once.
func Reasons() []Reason { return api.Refusals() }

// ErrPrecheck matches a refusal by Config.Precheck (its message is the
// precheck's own).
var ErrPrecheck = errors.New("mempool: refused by the contract's precheck")

type precheckErr struct{ err error }

func (e precheckErr) Error() string        { return e.err.Error() }
func (e precheckErr) Unwrap() error        { return e.err }
func (e precheckErr) Is(target error) bool { return target == ErrPrecheck }

// ReasonOf classifies a refusal of admission or block building by the
// errors it wraps (ReasonOther for none of them).
func ReasonOf(err error) Reason {
	for _, c := range []struct {
		err error
		r   Reason
	}{{ErrNotMember, ReasonNotMember}, {ErrDuplicate, ReasonDuplicate}, {ErrCommitted, ReasonCommitted},
		{ErrExpired, ReasonExpired}, {ErrWrongChain, ReasonWrongChain}, {ErrFull, ReasonFull},
		{tx.ErrSignature, ReasonBadSignature}, {ErrPrecheck, ReasonPrecheck}} {
		if errors.Is(err, c.err) {
			return c.r
		}
	}
	return ReasonOther
}

// Ledger is what admission needs to know about committed state.
type Ledger interface {
	// NextHeight is the height of the next block.
	NextHeight() uint64
	// Committed reports whether a transaction id is in a committed block.
	// expiry is the transaction's expiry height, which the caller has
	// checked against the replay window of the next block (Check): a
	// ledger may look only at the blocks a transaction with that expiry can
	// be in (from expiry-window on), the answer is the same.
	Committed(id tx.ID, expiry uint64) (bool, error)
}

// Config configures a pool.
type Config struct {
	ChainID      string
	ReplayWindow uint64
	// MaxPending bounds queued transactions (default 200,000).
	MaxPending int
	// MaxPendingBytes bounds their encoded size (default 64 MiB): a
	// flood of large transactions fills the pool in bytes long before
	// its count, and is refused with ErrFull.
	MaxPendingBytes int
	// MaxPerSender bounds one sender's pending transactions (default
	// 5,000), so that one member cannot fill the pool for everyone.
	MaxPerSender int
	// Workers verifying signatures (default GOMAXPROCS).
	Workers int
	// VerifyBatch is the most signatures one worker verifies as one batch
	// (tx.VerifyBatch; default 64). Add spreads a request's signatures over
	// the workers in batches of up to this many; 1 verifies them one by
	// one. Batches and single checks accept the same signatures.
	VerifyBatch int
	// Precheck, if set, refuses a call by its shape before admission
	// (contracts.Registry.Precheck).
	Precheck func(c tx.Call) error
	// Authenticate is required: it decides whether a transaction whose
	// signature checked out was signed by its sender's current key, by the
	// rule block execution applies (contracts.Authenticator) over
	// committed state, so that no outsider's transaction reaches a block.
	// It returns nil, an error wrapping ErrNotMember to refuse (Add then
	// returns ErrNotMember alone, never the detail), or any other error
	// when it could not decide (ReasonOther). Add calls it on every worker
	// at once: it must be safe for concurrent use and cheap (point reads).
	Authenticate func(s *tx.Signed) error
	// Refused, if set, is called once for every transaction Add refuses,
	// after Add has released the pool's lock; it must be cheap (a metric
	// counter) and safe for concurrent use.
	Refused func(r Reason)
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.ChainID == "" {
		return errors.New("mempool: chain id is required")
	}
	if c.ReplayWindow == 0 {
		return errors.New("mempool: replay window is required")
	}
	if c.Authenticate == nil {
		return errors.New("mempool: Authenticate is required: admission must refuse transactions of non-members")
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 200_000
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = 64 << 20
	}
	if c.MaxPerSender <= 0 {
		c.MaxPerSender = 5_000
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.VerifyBatch <= 0 {
		c.VerifyBatch = 64
	}
	return nil
}

// Entry is an admitted, verified transaction.
type Entry struct {
	ID  tx.ID
	Raw []byte
	Tx  *tx.Signed

	inQueue bool // guarded by Pool.mu
}

// Pool is the mempool. All methods are safe for concurrent use.
type Pool struct {
	cfg    Config
	ledger Ledger
	jobs   chan func()
	wg     sync.WaitGroup

	mu       sync.Mutex
	queue    []*Entry         // waiting to be proposed, in arrival order
	known    map[tx.ID]*Entry // queued or proposed, not yet committed
	bytes    int              // sum of len(Raw) over known
	senders  map[string]int   // known transactions per sender
	notEmpty chan struct{}    // closed and replaced when the queue grows
}

// New starts a pool with its verification workers; Close stops them.
func New(cfg Config, l Ledger) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, ledger: l, jobs: make(chan func()), known: map[tx.ID]*Entry{}, senders: map[string]int{},
		notEmpty: make(chan struct{})}
	for i := 0; i < cfg.Workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				j()
			}
		}()
	}
	return p, nil
}

// Close stops the workers.
func (p *Pool) Close() {
	close(p.jobs)
	p.wg.Wait()
}

// Result is the admission result of one transaction.
type Result struct {
	ID  tx.ID
	Err error
	// Reason is set when Err is.
	Reason Reason
}

// Parallel runs f(i) for i in [0,n) on the pool's workers and waits.
func (p *Pool) Parallel(ctx context.Context, n int, f func(i int)) error {
	var wg sync.WaitGroup
	chunk := max(1, n/(p.cfg.Workers*4))
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		wg.Add(1)
		job := func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}
		select {
		case p.jobs <- job:
		case <-ctx.Done():
			wg.Done()
			wg.Wait()
			return ctx.Err()
		}
	}
	wg.Wait()
	return nil
}

// Check validates a decoded transaction's chain id and expiry against the
// given next height; block application uses the same rule.
func Check(s *tx.Signed, chainID string, height, window uint64) error {
	if s.Body.ChainID != chainID {
		return fmt.Errorf("%w: %q, this node runs %q", ErrWrongChain, s.Body.ChainID, chainID)
	}
	if s.Body.Expiry < height {
		return fmt.Errorf("%w: expired at height %d, next block is %d; sign it again with a later expiry", ErrExpired, s.Body.Expiry, height)
	}
	if s.Body.Expiry > height+window {
		return fmt.Errorf("%w: expiry %d is more than %d blocks after the next block %d", ErrExpired, s.Body.Expiry, window, height)
	}
	return nil
}

// Add admits encoded signed transactions. Results are in input order.
//
// It works in two passes over the workers: first everything a transaction
// is refused for without its signature (size, encoding, chain, expiry,
// precheck, already committed), then the signatures of the rest, in
// batches (Config.VerifyBatch) spread over the workers, and the member
// check of each transaction whose signature verified.
func (p *Pool) Add(ctx context.Context, raws [][]byte) ([]Result, error) {
	res := make([]Result, len(raws))
	ents := make([]*Entry, len(raws))
	decoded := make([]*tx.Signed, len(raws))
	height := p.ledger.NextHeight()
	err := p.Parallel(ctx, len(raws), func(i int) {
		id := tx.HashID(raws[i])
		res[i].ID = id
		s, err := tx.Decode(raws[i])
		if err != nil {
			res[i].Err, res[i].Reason = err, ReasonMalformed
			return
		}
		if err := Check(s, p.cfg.ChainID, height, p.cfg.ReplayWindow); err != nil {
			res[i].Err, res[i].Reason = err, ReasonExpired
			if errors.Is(err, ErrWrongChain) {
				res[i].Reason = ReasonWrongChain
			}
			return
		}
		if p.cfg.Precheck != nil {
			if err := p.cfg.Precheck(s.Body.Call); err != nil {
				res[i].Err, res[i].Reason = precheckErr{err}, ReasonPrecheck
				return
			}
		}
		if done, err := p.ledger.Committed(id, s.Body.Expiry); err != nil {
			res[i].Err, res[i].Reason = err, ReasonOther
			return
		} else if done {
			res[i].Err, res[i].Reason = fmt.Errorf("%w: %s", ErrCommitted, id), ReasonCommitted
			return
		}
		decoded[i] = s
	})
	if err != nil {
		return nil, err
	}
	var todo []int // what is left to verify, in input order
	for i, s := range decoded {
		if s != nil {
			todo = append(todo, i)
		}
	}
	// Batches as large as Config.VerifyBatch allows, but enough of them to
	// keep every worker busy.
	size := max(1, min(p.cfg.VerifyBatch, (len(todo)+p.cfg.Workers-1)/p.cfg.Workers))
	err = p.Parallel(ctx, (len(todo)+size-1)/size, func(b int) {
		idx := todo[b*size : min(len(todo), (b+1)*size)]
		ss := make([]*tx.Signed, len(idx))
		for j, i := range idx {
			ss[j] = decoded[i]
		}
		var errs []error
		if size == 1 {
			errs = []error{ss[0].Verify()}
		} else {
			errs = tx.VerifyBatch(ss)
		}
		for j, i := range idx {
			if err := errs[j]; err != nil {
				res[i].Err, res[i].Reason = err, ReasonMalformed
				if errors.Is(err, tx.ErrSignature) {
					res[i].Reason = ReasonBadSignature
				}
				continue
			}
			// Membership comes after the signature: only the holder of
			// the key learns anything, and an outsider's refusal is the
			// same whatever sender id it names.
			s := ss[j]
			if err := p.cfg.Authenticate(s); errors.Is(err, ErrNotMember) {
				res[i].Err, res[i].Reason = ErrNotMember, ReasonNotMember
				continue
			} else if err != nil {
				res[i].Err, res[i].Reason = err, ReasonOther
				continue
			}
			ents[i] = &Entry{ID: res[i].ID, Raw: raws[i], Tx: s}
		}
	})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	grew := false
	for i, e := range ents {
		if e == nil {
			continue
		}
		if _, dup := p.known[e.ID]; dup {
			res[i].Err, res[i].Reason = fmt.Errorf("%w: %s is already pending", ErrDuplicate, e.ID), ReasonDuplicate
			continue
		}
		if len(p.known) >= p.cfg.MaxPending || p.bytes+len(e.Raw) > p.cfg.MaxPendingBytes {
			res[i].Err, res[i].Reason = fmt.Errorf("%w (%d pending, %d bytes)", ErrFull, len(p.known), p.bytes), ReasonFull
			continue
		}
		if p.senders[e.Tx.Body.Sender] >= p.cfg.MaxPerSender {
			res[i].Err, res[i].Reason = fmt.Errorf("%w: %d transactions of this sender are pending", ErrFull, p.cfg.MaxPerSender), ReasonFull
			continue
		}
		p.known[e.ID] = e
		p.bytes += len(e.Raw)
		p.senders[e.Tx.Body.Sender]++
		e.inQueue = true
		p.queue = append(p.queue, e)
		grew = true
	}
	if grew {
		close(p.notEmpty)
		p.notEmpty = make(chan struct{})
	}
	p.mu.Unlock()
	if p.cfg.Refused != nil {
		for _, r := range res {
			if r.Err != nil {
				p.cfg.Refused(r.Reason)
			}
		}
	}
	return res, nil
}

// Len returns the number of queued (not yet proposed) transactions.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// Pending returns the number of admitted transactions not yet committed.
func (p *Pool) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.known)
}

// PendingBytes returns the encoded size of the transactions counted by
// Pending.
func (p *Pool) PendingBytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// Wait returns a channel closed when the queue next grows.
func (p *Pool) Wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) > 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.notEmpty
}

// Take removes up to maxTxs transactions (and maxBytes) from the queue, in
// arrival order, for a proposal. They stay known until Committed or
// Requeue.
func (p *Pool) Take(maxTxs, maxBytes int) []*Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, size := 0, 0
	for n < len(p.queue) && n < maxTxs && size+len(p.queue[n].Raw) <= maxBytes {
		size += len(p.queue[n].Raw)
		n++
	}
	out := append([]*Entry(nil), p.queue[:n]...)
	for _, e := range out {
		e.inQueue = false
	}
	clear(p.queue[:n]) // the backing array must not keep taken entries alive
	p.queue = p.queue[n:]
	return out
}

// Requeue puts taken transactions back at the front (a proposal was
// dropped, e.g. on a leader change, or a forwarded batch was not committed
// in time). Transactions already committed or already queued are skipped.
func (p *Pool) Requeue(es []*Entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var back []*Entry
	for _, e := range es {
		if k, ok := p.known[e.ID]; ok && k == e && !e.inQueue {
			e.inQueue = true
			back = append(back, e)
		}
	}
	p.queue = append(back, p.queue...)
	if len(back) > 0 {
		close(p.notEmpty)
		p.notEmpty = make(chan struct{})
	}
}

// Lookup returns a known verified transaction.
func (p *Pool) Lookup(id tx.ID) (*Entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.known[id]
	return e, ok
}

// Done forgets transactions that were committed or rejected by block
// application.
func (p *Pool) Done(ids []tx.ID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	drop := make(map[tx.ID]bool, len(ids))
	for _, id := range ids {
		if e, ok := p.known[id]; ok {
			delete(p.known, id)
			p.bytes -= len(e.Raw)
			if p.senders[e.Tx.Body.Sender]--; p.senders[e.Tx.Body.Sender] <= 0 {
				delete(p.senders, e.Tx.Body.Sender)
			}
			drop[id] = true
		}
	}
	if len(drop) == 0 {
		return
	}
	q := p.queue[:0]
	for _, e := range p.queue {
		if !drop[e.ID] {
			q = append(q, e)
		}
	}
	clear(p.queue[len(q):]) // nor dropped ones
	p.queue = q
}
