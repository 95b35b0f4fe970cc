package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/internal/blockbuild"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	"github.com/almoner/almoner/consortium-node/contracts/system"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/genesisstate"
	"github.com/almoner/almoner/consortium-node/internal/authz"
	"github.com/almoner/almoner/consortium-node/internal/consensus"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/privatestore"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// Errors returned by the node.
var (
	ErrStopped    = errors.New("node: stopped")
	ErrNotFound   = errors.New("node: not found")
	ErrRejected   = errors.New("node: transaction not included")
	ErrWrongChain = errors.New("node: data directory belongs to another chain")
	ErrHalted     = errors.New("node: halted")
)

// Executor executes a block's transactions; exec.Parallel and
// SerialExecutor implement it.
type Executor interface {
	Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error)
}

// SerialExecutor adapts exec.Serial to Executor.
type SerialExecutor struct{}

// Execute implements Executor.
func (SerialExecutor) Execute(b exec.Reader, t []exec.Txn) (*exec.Result, error) {
	return exec.Serial(b, t)
}

// Config configures a node.
type Config struct {
	// DataDir holds the node's database.
	DataDir string
	Genesis *genesis.File
	// NodeID is this node's id in the genesis file; Key is its signing key.
	NodeID string
	Key    *sign.PrivateKey
	Logger *slog.Logger
	// MaxBlockWait is how long the proposer waits to fill a block
	// (default 10ms); MaxBlockTxs/MaxBlockBytes default to the genesis
	// parameters.
	MaxBlockWait  time.Duration
	MaxBlockTxs   int
	MaxBlockBytes int
	// TickInterval is the raft tick (default 100ms).
	TickInterval time.Duration
	// Executor defaults to exec.Parallel on all cores.
	Executor Executor
	// SnapshotEvery snapshots the raft log after this many applied entries
	// and compacts it, keeping this many entries for lagging peers
	// (default 10,000).
	SnapshotEvery uint64
	// SnapshotBytes also snapshots the raft log once the entries applied
	// since the last snapshot pass this many bytes (default 64 MiB): the
	// log is held in memory until compacted, so large transactions would
	// otherwise grow it by gigabytes before SnapshotEvery entries. The
	// log then holds at most about twice this in memory.
	SnapshotBytes int
	// RaftListen overrides the transport's listen address (default: the
	// node's raft_addr in the genesis file). Unused in a cluster of one.
	RaftListen string
	// RetryAfter is how long a proposed or forwarded batch may stay
	// uncommitted before its transactions are queued again (default 3s).
	RetryAfter time.Duration
	// Drop, if set, cuts the node off from peers by raft id (fault tests,
	// quarantine); see transport.Config.Drop.
	Drop func(raftID uint64) bool
	// Join is this node's record when it is not a genesis node but was
	// added later (consortium.add_node); it then starts with an empty raft
	// log and catches up from the leader.
	Join *genesis.Node
	// EncKey is the node's X-Wing key (its key file's enc_seed). With it
	// the node keeps private record ciphertexts for its organisation.
	EncKey *envelope.ReaderKey
	// VerifyBlocks is how many of the last blocks Open verifies before the
	// node starts (verify.go; default store.DefaultVerifyBlocks, negative:
	// none); VerifyTableBytes bounds the table data it reads with
	// checksums (store.OpenOptions.ScanTableBytes).
	VerifyBlocks     int
	VerifyTableBytes int64
	// WrapStorage, if set, wraps the database's file storage (fault tests:
	// store.FaultStorage).
	WrapStorage func(storage.Storage) storage.Storage
	// WrapRaftLog, if set, wraps the raft log's segment files (fault
	// tests: store.FaultDisk.WrapFile, the same disk as WrapStorage's).
	WrapRaftLog func(path string, f consensus.File) consensus.File
	// DiskRetryMax caps the wait between a stalled node's probes for space
	// (default DefaultDiskRetry); ProbeBytes is how much a probe writes
	// (default DefaultProbeBytes). See diskfull.go.
	DiskRetryMax time.Duration
	ProbeBytes   int
	// Sweep configures the sweep of uploads that no committed
	// registration names (sweep.go; default: after an hour).
	Sweep SweepConfig
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("node: DataDir is required")
	}
	if c.Genesis == nil {
		return errors.New("node: Genesis is required")
	}
	if err := c.Genesis.Validate(); err != nil {
		return err
	}
	me, ok := c.Genesis.Node(c.NodeID)
	if !ok && c.Join != nil && c.Join.ID == c.NodeID {
		me, ok = *c.Join, true
	}
	if !ok {
		return fmt.Errorf("node: %q is not a genesis node of chain %q; a node added later needs its record (Join)", c.NodeID, c.Genesis.ChainID)
	}
	if c.Key == nil || !c.Key.Public().Equal(me.SignKey) {
		return fmt.Errorf("node: the signing key does not match node %q's key in the genesis file", c.NodeID)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBlockWait <= 0 {
		c.MaxBlockWait = 10 * time.Millisecond
	}
	if c.MaxBlockTxs <= 0 || c.MaxBlockTxs > c.Genesis.Params.MaxBlockTxs {
		c.MaxBlockTxs = c.Genesis.Params.MaxBlockTxs
	}
	if c.MaxBlockBytes <= 0 || c.MaxBlockBytes > c.Genesis.Params.MaxBlockBytes {
		c.MaxBlockBytes = c.Genesis.Params.MaxBlockBytes
	}
	if c.TickInterval <= 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.Executor == nil {
		c.Executor = exec.Parallel{}
	}
	if c.SnapshotBytes <= 0 {
		c.SnapshotBytes = 64 << 20
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 10_000
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 3 * time.Second
	}
	if c.VerifyBlocks == 0 {
		c.VerifyBlocks = store.DefaultVerifyBlocks
	}
	if c.DiskRetryMax <= 0 {
		c.DiskRetryMax = DefaultDiskRetry
	}
	if c.ProbeBytes <= 0 {
		c.ProbeBytes = DefaultProbeBytes
	}
	return c.Sweep.Validate()
}

// TxResult is what happened to a submitted transaction.
type TxResult struct {
	ID tx.ID `json:"id"`
	// Err is set when admission or block building rejected it, and Reason
	// says why in the node API's vocabulary.
	Err    error       `json:"-"`
	Reason api.Refusal `json:"reason,omitempty"`
	// Committed is true once it is in a block.
	Committed bool            `json:"committed"`
	Height    uint64          `json:"height,omitempty"`
	Index     int             `json:"index,omitempty"`
	Receipt   *ledger.Receipt `json:"receipt,omitempty"`
}

type proposal struct {
	_        struct{} `cbor:",toarray"`
	Proposer string
	Time     int64
	Txs      [][]byte
}

type raftStatus struct {
	Voters  []uint64
	ID      uint64
	Term    uint64
	Lead    uint64
	State   string
	Commit  uint64
	Applied uint64
}

// Node is a running consortium node.
type Node struct {
	cfg   Config
	log   *slog.Logger
	me    genesis.Node
	store *store.Store
	pool  *mempool.Pool
	reg   *contracts.Registry
	// policy authorises every call; updated between blocks (apply.go).
	policy *policies.Enforcer
	// expiries indexes signing-key expiries for status.
	expiries keyExpiries
	rlog     *consensus.Storage
	rn       *raft.RawNode

	tr           *transport.Transport // nil in a cluster of one
	private      *privatestore.Store  // nil without an encryption key
	members      atomic.Pointer[[]consortium.Node]
	lastConfProp time.Time // raft goroutine only
	recvC        chan *raftpb.Message
	unreachC     chan uint64
	sigC         chan headerSigMsg
	sigReqC      chan sigReqFrom
	syncC        chan []syncBlock
	fwdSem       chan struct{}
	relays       relays
	builtAt      entries    // the raft entries the last blocks were built from (peers.go)
	adm          *admission // who may sign: the mempool's admission, and block building's
	builder      *blockbuild.Builder
	repl         *replication    // record copies among the organisation's nodes (replicate.go)
	haltCtx      context.Context // cancelled by halt
	cancelRun    context.CancelFunc
	// bgCtx ends the background loops (catch-up, sweep): it is cancelled
	// when Run returns (markStopped) or the node halts (haltCtx).
	bgCtx context.Context
	endBg context.CancelFunc

	proposeC chan []byte
	inflight chan struct{} // proposals not yet applied
	apply    *applier      // the apply goroutine's queue (pipeline.go), made by Run
	// writing is the staged block being written in the background
	// (writeBehind), nil when none: only the goroutine applying entries
	// uses it (pipeline.go).
	writing  *blockWrite
	raftSt   atomic.Pointer[raftStatus]
	conf     *raftpb.ConfState
	snapAt   uint64
	logBytes int // bytes of entries applied since the last snapshot (raft goroutine)

	waitMu  sync.Mutex
	waiters map[tx.ID][]chan TxResult

	headMu  sync.Mutex
	headC   chan struct{}
	stopped chan struct{}
	fatal   atomic.Pointer[error]
	metrics *metrics // set by open, read-only after

	disk    *store.Disk           // the database's files (Open)
	stalled atomic.Pointer[stall] // set while writes fail (diskfull.go)
}

// Open opens (or initialises from genesis) the node's data directory.
func Open(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	disk, err := openStore(cfg) // verifies what the node will serve (verify.go)
	if err != nil {
		return nil, err
	}
	n, err := open(cfg, disk.DB)
	if err != nil {
		disk.Close()
		if isCorruption(err) {
			return nil, corruptStore(filepath.Join(cfg.DataDir, "db"), err)
		}
		return nil, err
	}
	n.disk = disk
	return n, nil
}

func open(cfg Config, db *leveldb.DB) (*Node, error) {
	st, err := store.New(db)
	if err != nil {
		return nil, err
	}
	gb, gstate, err := genesisstate.Block(cfg.Genesis)
	if err != nil {
		return nil, err
	}
	if _, ok := st.Head(); !ok {
		if err := st.Commit(&store.Commit{Block: gb, Receipts: []ledger.Receipt{}, Writes: gstate}); err != nil {
			return nil, fmt.Errorf("node: writing genesis: %w", err)
		}
	} else if b0, err := st.Block(0); err != nil {
		return nil, err
	} else if b0.Header.Hash() != gb.Header.Hash() {
		return nil, fmt.Errorf("%w: it holds chain %q with a different genesis block; use another --data dir", ErrWrongChain, b0.Header.ChainID)
	}
	me, inGenesis := cfg.Genesis.Node(cfg.NodeID)
	if !inGenesis {
		me = *cfg.Join
	}
	reg, err := system.Registry()
	if err != nil {
		return nil, err
	}
	policy, err := authz.Load(st.ScanState)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), me: me, store: st, reg: reg, policy: policy,
		proposeC: make(chan []byte), inflight: make(chan struct{}, 2),
		recvC: make(chan *raftpb.Message, 4096), unreachC: make(chan uint64, 256),
		sigC: make(chan headerSigMsg, 4096), sigReqC: make(chan sigReqFrom, 64), syncC: make(chan []syncBlock, 4), fwdSem: make(chan struct{}, 4),
		waiters: map[tx.ID][]chan TxResult{}, headC: make(chan struct{}), stopped: make(chan struct{}),
		repl: newReplication(),
	}
	n.haltCtx, n.cancelRun = context.WithCancel(context.Background())
	n.bgCtx, n.endBg = context.WithCancel(n.haltCtx)
	if reason, halted, err := st.Halted(); err != nil {
		return nil, err
	} else if halted {
		herr := fmt.Errorf("%w: halted earlier and stays halted until its data folder is restored from a healthy node: %s", ErrHalted, reason)
		n.fatal.Store(&herr)
		n.cancelRun()
	}
	if cfg.EncKey != nil {
		if string(cfg.EncKey.PublicKey()) != string(me.EncKey.Key) {
			return nil, fmt.Errorf("node: the encryption key does not match node %q's enc_key", cfg.NodeID)
		}
		n.private = privatestore.New(db, cfg.NodeID, cfg.EncKey)
	}
	if err := n.loadMembers(); err != nil {
		return nil, err
	}
	if err := n.loadKeyExpiries(); err != nil {
		return nil, err
	}
	n.adm = newAdmission(st)
	gp := cfg.Genesis.Params
	// Admission and block building ask whether each transaction is already
	// committed: the replay window's ids, kept in memory, answer (those of
	// the blocks already committed are loaded by Run, in the background).
	if err := st.TrackRecent(gp.ReplayWindow); err != nil {
		return nil, err
	}
	n.builder = &blockbuild.Builder{ChainID: cfg.Genesis.ChainID, Registry: n.reg, Executor: timedExecutor{cfg.Executor, n},
		Limits: blockbuild.Limits{ReplayWindow: gp.ReplayWindow, MaxTxs: gp.MaxBlockTxs, MaxBytes: gp.MaxBlockBytes}}
	if n.metrics, err = newMetrics(n); err != nil {
		return nil, fmt.Errorf("node: registering metrics: %w", err)
	}
	n.pool, err = mempool.New(mempool.Config{ChainID: cfg.Genesis.ChainID, ReplayWindow: cfg.Genesis.Params.ReplayWindow,
		Precheck: n.reg.Precheck, Authenticate: n.adm.authenticate, Refused: n.metrics.refuse}, n)
	if err != nil {
		return nil, err
	}
	if err := n.openRaft(db); err != nil {
		n.pool.Close()
		return nil, err
	}
	if err := n.openTransport(); err != nil {
		n.pool.Close()
		n.rlog.Close()
		return nil, err
	}
	n.startReplication()
	return n, nil
}
