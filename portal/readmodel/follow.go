package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/privacy/integrity"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Source is where committed blocks come from: *client.Client satisfies it.
// Stream must deliver blocks in order from height from, each already
// checked for internal consistency, and return when ctx ends.
type Source interface {
	Stream(ctx context.Context, from uint64, fn func(*api.Block) error) error
	Status(ctx context.Context) (*api.Status, error)
	Genesis(ctx context.Context) (*genesis.File, error)
}

// Log attribute keys.
const (
	logHeight = "height"
	logErr    = "err"
	logLag    = "lag"
)

// FollowerConfig configures a Follower.
type FollowerConfig struct {
	Store  *Store
	Source Source
	Logger *slog.Logger
	// RetryMin and RetryMax bound the back-off after the stream breaks
	// (defaults 200ms and 5s).
	RetryMin, RetryMax time.Duration
	// StatusEvery is how often the node's height is polled for the lag
	// (default 1s).
	StatusEvery time.Duration
	// OnLag, if set, is called with the lag after every change.
	OnLag func(lag uint64)
	// While the read model is behind the node's last known height, the
	// follower applies the blocks the stream has already decoded, up to
	// CatchUpBlocks blocks (default 32; 1: one batch per block) and
	// CatchUpTxs transactions (default 5,000), in one write batch. It
	// never waits for a block to fill a batch: at the head every block is
	// its own batch.
	CatchUpBlocks int
	CatchUpTxs    int
	// Ahead is how many blocks the stream may decode ahead of the one
	// being applied (default 16).
	Ahead int
}

// Validate checks the config and fills defaults.
func (c *FollowerConfig) Validate() error {
	if c.Store == nil || c.Source == nil {
		return errors.New("readmodel: FollowerConfig needs Store and Source")
	}
	defaults.Logger(&c.Logger)
	defaults.Set(&c.RetryMin, 200*time.Millisecond)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = 5 * time.Second
	}
	defaults.Set(&c.StatusEvery, time.Second)
	defaults.Set(&c.CatchUpBlocks, 32)
	defaults.Set(&c.CatchUpTxs, 5000)
	defaults.Set(&c.Ahead, 16)
	return nil
}

// Follower applies the node's committed blocks to the Store and tells
// subscribers about each applied block.
type Follower struct {
	cfg      FollowerConfig
	genesis  *genesis.File
	nodeH    atomic.Int64 // last known node height, -1 unknown
	nodeSeen atomic.Int64 // unix nanos of the last successful status
	mu       sync.Mutex
	subs     map[*Subscription]struct{}
}

// NewFollower returns a follower; call Run.
func NewFollower(cfg FollowerConfig) (*Follower, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Follower{cfg: cfg, subs: map[*Subscription]struct{}{}}
	f.nodeH.Store(-1)
	return f, nil
}

// Run follows the node until ctx ends, reconnecting with back-off. It
// returns ctx's error, or an error that retrying cannot fix (another
// chain, a corrupt index).
func (f *Follower) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer func() { stopPoll(); wg.Wait(); f.closeSubs() }()
	wg.Add(1)
	go func() { defer wg.Done(); f.pollStatus(pollCtx) }()

	backoff := f.cfg.RetryMin
	for {
		err := f.follow(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrChain) || errors.Is(err, integrity.ErrFailed) { // ErrCorrupt, or the chain's checks
			f.cfg.Logger.Error("read model cannot follow this node", logErr, err)
			return err
		}
		f.cfg.Logger.Warn("block stream broke; retrying", logErr, err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, f.cfg.RetryMax)
	}
}

// follow streams blocks from the applied height on. The stream decodes
// and checks blocks in its own goroutine, up to cfg.Ahead ahead of the
// applier, so that decoding and applying overlap.
func (f *Follower) follow(ctx context.Context) error {
	s := f.cfg.Store
	from := uint64(0)
	if h, ok := s.Applied(); ok {
		from = h + 1
	} else if f.genesis == nil {
		g, err := f.cfg.Source.Genesis(ctx)
		if err != nil {
			return fmt.Errorf("readmodel: fetching genesis: %w", err)
		}
		f.genesis = g
	}
	// A block that fails to apply ends the stream with its error as the
	// cause (what the source's fn returns from then on).
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	blocks := make(chan *api.Block, f.cfg.Ahead)
	streamed := make(chan error, 1)
	go func() {
		defer close(blocks)
		streamed <- f.cfg.Source.Stream(sctx, from, func(b *api.Block) error {
			select {
			case blocks <- b:
				return nil
			case <-sctx.Done():
				return context.Cause(sctx)
			}
		})
	}()
	if err := f.applyAll(blocks); err != nil {
		cancel(err)
		for range blocks { // until the stream has returned
		}
		return err
	}
	return <-streamed
}

// applyAll applies the blocks of the channel until it is closed, in
// batches of those already decoded while behind the node (see
// FollowerConfig.CatchUpBlocks).
func (f *Follower) applyAll(blocks <-chan *api.Block) error {
	batch := make([]*api.Block, 0, f.cfg.CatchUpBlocks)
	for b := range blocks {
		batch = append(batch[:0], b)
		txs := len(b.Txs)
	gather:
		for len(batch) < f.cfg.CatchUpBlocks && txs < f.cfg.CatchUpTxs &&
			int64(batch[len(batch)-1].Header.Height) < f.nodeH.Load() {
			select {
			case next, ok := <-blocks:
				if !ok {
					break gather
				}
				batch = append(batch, next)
				txs += len(next.Txs)
			default: // waiting would leave the applier idle while the stream decodes
				break gather
			}
		}
		if err := f.apply(batch); err != nil {
			return err
		}
	}
	return nil
}

// apply writes blocks (consecutive heights) in one fsynced batch with the
// last one's height: a crash leaves all of them applied or none. If a
// block fails, the blocks before it are committed on their own and its
// error returned, as if each had been its own batch.
func (f *Follower) apply(blocks []*api.Block) error {
	s := f.cfg.Store
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	w := s.newTxn()
	for i, b := range blocks {
		if err := f.applyBlock(w, b); err != nil {
			if i == 0 {
				return err
			}
			w = s.newTxn()
			for _, ok := range blocks[:i] {
				if err := f.applyBlock(w, ok); err != nil {
					return err // it applied the first time: the same input gives the same result
				}
			}
			if cerr := f.commit(w, blocks[:i]); cerr != nil {
				return cerr
			}
			return err
		}
	}
	return f.commit(w, blocks)
}

// applyBlock runs the modules over one block into w, after the blocks w
// already holds.
func (f *Follower) applyBlock(w *Txn, b *api.Block) error {
	s := f.cfg.Store
	h, ok := s.Applied()
	if w.last >= 0 {
		h, ok = uint64(w.last), true
	}
	if ok && b.Header.Height != h+1 || !ok && b.Header.Height != 0 {
		return fmt.Errorf("readmodel: block %d does not follow the applied height", b.Header.Height)
	}
	c := w.chain
	if c == "" {
		c = s.ChainID()
	}
	if c != "" && c != b.Header.ChainID {
		return fmt.Errorf("%w: index is of chain %q, the node sent a block of %q", ErrChain, c, b.Header.ChainID)
	}
	if b.Header.Height == 0 {
		if f.genesis == nil {
			return errors.New("readmodel: genesis file not fetched")
		}
		gb, _, err := genesisstate.Block(f.genesis)
		if err != nil {
			return fmt.Errorf("%w: genesis file: %v", ErrCorrupt, err)
		}
		if gb.Header.Hash() != b.Hash {
			return fmt.Errorf("%w: the node's genesis file does not produce its block 0", ErrChain)
		}
	}
	if err := s.reg.applyBlock(w, b, f.genesis); err != nil {
		return err
	}
	w.last, w.chain = int64(b.Header.Height), b.Header.ChainID
	return nil
}

// commit writes w with the last block's height and tells subscribers
// about each block, in order.
func (f *Follower) commit(w *Txn, blocks []*api.Block) error {
	s := f.cfg.Store
	last := blocks[len(blocks)-1].Header
	if err := w.commit(last.Height, last.ChainID); err != nil {
		return err
	}
	if nh := f.nodeH.Load(); int64(last.Height) > nh {
		f.nodeH.Store(int64(last.Height))
	}
	f.reportLag()
	for _, b := range blocks {
		rec, err := s.Block(b.Header.Height)
		if err != nil {
			return err
		}
		f.publish(rec)
	}
	return nil
}

func (f *Follower) pollStatus(ctx context.Context) {
	t := time.NewTicker(f.cfg.StatusEvery)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, f.cfg.StatusEvery*3)
		st, err := f.cfg.Source.Status(sctx)
		cancel()
		if err == nil {
			if int64(st.Height) > f.nodeH.Load() {
				f.nodeH.Store(int64(st.Height))
			}
			f.nodeSeen.Store(time.Now().UnixNano())
			f.reportLag()
		} else if ctx.Err() == nil {
			f.cfg.Logger.Debug("node status", logErr, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Follower) reportLag() {
	if f.cfg.OnLag != nil {
		if lag, ok := f.Lag(); ok {
			f.cfg.OnLag(lag)
		}
	}
}

// Lag returns the node's last known height minus the applied height; ok
// is false until the node's height is known and the read model has
// applied its first block (genesis), so that health never reports ready on
// an empty index.
func (f *Follower) Lag() (lag uint64, ok bool) {
	nh := f.nodeH.Load()
	if nh < 0 {
		return 0, false
	}
	ah, applied := f.cfg.Store.Applied()
	if !applied {
		return uint64(nh) + 1, false
	}
	if uint64(nh) <= ah {
		return 0, true
	}
	return uint64(nh) - ah, true
}

// NodeSeen returns when the node last answered a status request (zero if
// never).
func (f *Follower) NodeSeen() time.Time {
	n := f.nodeSeen.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Subscription receives every block applied after it was made. If the
// reader falls Buffer blocks behind, the subscription is closed with
// ErrSlowSubscriber.
type Subscription struct {
	f    *Follower
	c    chan *Block
	once sync.Once
	err  atomic.Pointer[error]
}

// ErrSlowSubscriber closes a subscription whose reader fell behind.
var ErrSlowSubscriber = errors.New("readmodel: subscriber fell behind")

// ErrFollowerStopped closes subscriptions when the follower stops.
var ErrFollowerStopped = errors.New("readmodel: follower stopped")

// C delivers the blocks; it is closed when the subscription ends.
func (s *Subscription) C() <-chan *Block { return s.c }

// Err says why C was closed (nil after Close).
func (s *Subscription) Err() error {
	if e := s.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Close ends the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.closeLocked(nil)
}

func (s *Subscription) closeLocked(err error) {
	s.once.Do(func() {
		if err != nil {
			s.err.Store(&err)
		}
		delete(s.f.subs, s)
		close(s.c)
	})
}

// Subscribe returns a subscription to newly applied blocks with a buffer
// of buffer blocks (at least 1).
func (f *Follower) Subscribe(buffer int) *Subscription {
	s := &Subscription{f: f, c: make(chan *Block, max(buffer, 1))}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	return s
}

func (f *Follower) publish(b *Block) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.c <- b:
		default:
			s.closeLocked(ErrSlowSubscriber)
		}
	}
}

func (f *Follower) closeSubs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		s.closeLocked(ErrFollowerStopped)
	}
}
