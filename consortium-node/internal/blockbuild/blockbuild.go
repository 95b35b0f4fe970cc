package blockbuild

import (
	"errors"
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/internal/exec"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// ErrLimits leaves a transaction out of a full block: submit it again.
var ErrLimits = errors.New("blockbuild: block limits reached; submit again")

// ErrDiverged means a replayed block's header does not come out the same.
var ErrDiverged = errors.New("blockbuild: the block does not re-execute to its header")

// Executor executes a block's transactions on committed state.
type Executor interface {
	Execute(base exec.Reader, txns []exec.Txn) (*exec.Result, error)
}

// Ledger answers what filtering needs of the chain besides state.
type Ledger interface {
	// Committed reports whether a transaction is already in a block; expiry
	// is its expiry height, already checked against the replay window
	// (mempool.Ledger's Committed).
	Committed(id tx.ID, expiry uint64) (bool, error)
}

// Members decides whether a transaction's signer is a current key of an
// active member, at the head's state, for a block at time at: a refusal
// (matching mempool.ErrNotMember), or err when state could not be read.
type Members interface {
	Member(s *tx.Signed, at time.Time) (refusal, err error)
}

// Limits bound a block (genesis.Params).
type Limits struct {
	ReplayWindow uint64
	MaxTxs       int
	MaxBytes     int
}

// Builder builds blocks of one chain.
type Builder struct {
	ChainID  string
	Limits   Limits
	Registry *contracts.Registry
	Executor Executor
}

// Head is the block a new one extends.
type Head struct {
	Height    uint64
	Hash      ledger.Hash
	StateHash ledger.Hash
	Time      int64 // Unix nanoseconds
}

// Candidate is one proposed transaction: its bytes and id, and, when the
// caller decoded and checked its signature already (concurrently, or at
// admission), the decoded form.
type Candidate struct {
	Raw      []byte
	ID       tx.ID
	Tx       *tx.Signed // nil until decoded
	Verified bool       // the signature was checked
	Err      error      // decoding or the signature failed
}

// Decode fills c's decoded form from its bytes and checks its signature,
// unless that was done: safe to run on many candidates at once.
func (c *Candidate) Decode() {
	if c.ID == (tx.ID{}) {
		c.ID = tx.HashID(c.Raw)
	}
	if c.Tx != nil || c.Err != nil {
		return
	}
	if c.Tx, c.Err = tx.Decode(c.Raw); c.Err == nil {
		c.Err = c.Tx.Verify()
		c.Verified = c.Err == nil
	}
}

// VerifyBatch checks together (tx.VerifyBatch) the signatures of the
// candidates in cs that are decoded and not yet checked: each is then
// Verified, or has the error Decode's own check gives it, so Build decides
// as if each had been checked alone. Candidates not decoded, or already
// failed or checked, are left as they are. It is safe to run on disjoint
// slices at once, to use every core.
func VerifyBatch(cs []*Candidate) {
	var (
		todo []*Candidate
		ss   []*tx.Signed
	)
	for _, c := range cs {
		if c.Tx != nil && c.Err == nil && !c.Verified {
			todo, ss = append(todo, c), append(ss, c.Tx)
		}
	}
	for i, err := range tx.VerifyBatch(ss) {
		if err != nil {
			todo[i].Err = err
		} else {
			todo[i].Verified = true
		}
	}
}

// Proposal is what a proposer put in one raft entry.
type Proposal struct {
	Proposer string
	Time     int64 // the proposer's clock, Unix nanoseconds
	Txs      []Candidate
}

// Rejected is a transaction left out of the block, and why.
type Rejected struct {
	ID     tx.ID
	Err    error
	Reason api.Refusal
}

// Built is a block and everything committing it writes. Block is nil when
// no transaction was included (nothing is committed then).
type Built struct {
	Block    *ledger.Block
	Receipts []ledger.Receipt
	Writes   []ledger.StateWrite
	Included []tx.ID
	// Errs are the included transactions' execution errors (nil when it
	// succeeded): the receipts keep their messages only.
	Errs     []error
	Rejected []Rejected
}

// Build turns a proposal into the block on top of head: the same bytes,
// state and policy give the same block on every node. Decode the
// candidates first (Candidate.Decode) where it pays to do so concurrently.
func (b *Builder) Build(st exec.Reader, chain Ledger, members Members, policy *policies.Enforcer, head Head,
	p Proposal) (*Built, error) {
	height := head.Height + 1
	blockTime := max(p.Time, head.Time+1)
	at := time.Unix(0, blockTime)
	blk := contracts.Block{ChainID: b.ChainID, Height: height, Time: at.UTC(), Policy: policy}
	out := &Built{}
	var (
		included []Candidate
		txns     []exec.Txn
		size     int
		seen     = make(map[tx.ID]bool, len(p.Txs))
	)
	for i := range p.Txs {
		c := &p.Txs[i]
		c.Decode()
		err := c.Err
		if err == nil {
			err = mempool.Check(c.Tx, b.ChainID, height, b.Limits.ReplayWindow)
		}
		if err == nil {
			err = b.Registry.Precheck(c.Tx.Body.Call)
		}
		if err == nil {
			// Only members' transactions enter a block, whoever proposed
			// it: state at head and the block's time decide.
			refusal, rerr := members.Member(c.Tx, at)
			if rerr != nil {
				return nil, rerr
			}
			err = refusal
		}
		if err == nil && seen[c.ID] {
			err = fmt.Errorf("%w: duplicate of an earlier transaction in the block", mempool.ErrDuplicate)
		}
		if err == nil {
			done, lerr := chain.Committed(c.ID, c.Tx.Body.Expiry)
			if lerr != nil {
				return nil, lerr
			}
			if done {
				err = fmt.Errorf("%w: %s", mempool.ErrCommitted, c.ID)
			}
		}
		if err == nil && (len(included) >= b.Limits.MaxTxs || size+len(c.Raw) > b.Limits.MaxBytes) {
			err = ErrLimits
		}
		if err != nil {
			out.Rejected = append(out.Rejected, Rejected{ID: c.ID, Err: err, Reason: refusalOf(err)})
			continue
		}
		seen[c.ID] = true
		size += len(c.Raw)
		included = append(included, *c)
		txns = append(txns, b.Registry.Txn(blk, c.Tx, c.ID, c.Verified))
	}
	if len(included) == 0 {
		return out, nil
	}
	hd := ledger.Header{ChainID: b.ChainID, Height: height, Time: blockTime, PrevHash: head.Hash, Proposer: p.Proposer}
	if err := b.execute(st, head, &hd, included, txns, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Replay re-executes a block built elsewhere (block sync) on top of head
// and checks that its header comes out as want: the transactions are the
// block's, in its order, each decoded, signed, of this chain and within
// the replay window at the block's height (anything else is an integrity
// failure of the block).
func (b *Builder) Replay(st exec.Reader, policy *policies.Enforcer, head Head, want *ledger.Header,
	txs []Candidate) (*Built, error) {
	if want.Height != head.Height+1 || want.PrevHash != head.Hash || want.ChainID != b.ChainID {
		return nil, fmt.Errorf("block %d does not extend head %d", want.Height, head.Height)
	}
	blk := contracts.Block{ChainID: b.ChainID, Height: want.Height, Time: time.Unix(0, want.Time).UTC(), Policy: policy}
	txns := make([]exec.Txn, len(txs))
	for i := range txs {
		c := &txs[i]
		c.Decode()
		if c.Err == nil {
			// No builder includes a transaction outside the replay window
			// (Build), and the store's committed check relies on it
			// (store.TrackRecent): a block that does is not the chain's.
			c.Err = mempool.Check(c.Tx, b.ChainID, want.Height, b.Limits.ReplayWindow)
		}
		if c.Err != nil {
			return nil, fmt.Errorf("%w: block %d tx %d: %v", ledger.ErrIntegrity, want.Height, i, c.Err)
		}
		txns[i] = b.Registry.Txn(blk, c.Tx, c.ID, c.Verified)
	}
	hd := ledger.Header{ChainID: b.ChainID, Height: want.Height, Time: want.Time, PrevHash: head.Hash, Proposer: want.Proposer}
	out := &Built{}
	if err := b.execute(st, head, &hd, txs, txns, out); err != nil {
		return nil, err
	}
	if got := out.Block.Header.Hash(); got != want.Hash() {
		return nil, fmt.Errorf("%w: replaying block %d gives header %s, the peer's is %s", ErrDiverged, want.Height, got,
			want.Hash())
	}
	return out, nil
}

// execute runs txns and fills out's block (header hd completed with its
// roots and state hash), receipts and writes.
func (b *Builder) execute(st exec.Reader, head Head, hd *ledger.Header, included []Candidate, txns []exec.Txn,
	out *Built) error {
	// One read of each committed key per block: the executor's views read
	// the same values (senders' records, hot accounts) again and again.
	res, err := b.Executor.Execute(exec.NewCachedReader(st), txns)
	if err != nil {
		return fmt.Errorf("blockbuild: executing block %d: %w", hd.Height, err)
	}
	blk := &ledger.Block{Txs: make([][]byte, len(included))}
	out.Receipts = make([]ledger.Receipt, len(included))
	out.Included = make([]tx.ID, len(included))
	out.Errs = make([]error, len(included))
	for i, c := range included {
		out.Errs[i] = res.Outcomes[i].Err
		blk.Txs[i], out.Included[i] = c.Raw, c.ID
		r := ledger.Receipt{TxID: c.ID, Status: ledger.StatusOK, Events: res.Outcomes[i].Events}
		if e := res.Outcomes[i].Err; e != nil {
			r.Status, r.Error, r.Events = ledger.StatusFailed, e.Error(), nil
		}
		if r.Events == nil {
			r.Events = []ledger.Event{}
		}
		out.Receipts[i] = r
	}
	out.Writes = make([]ledger.StateWrite, len(res.Writes))
	for i, w := range res.Writes {
		out.Writes[i] = ledger.StateWrite{Key: w.Key, Value: w.Value, Deleted: w.Deleted}
	}
	hd.TxRoot, hd.ReceiptRoot = ledger.TxRoot(blk.Txs), ledger.ReceiptRoot(out.Receipts)
	hd.StateHash = ledger.NextStateHash(head.StateHash, out.Writes)
	blk.Header = *hd
	out.Block = blk
	return nil
}

// refusalOf classifies why a transaction was left out.
func refusalOf(err error) api.Refusal {
	switch {
	case errors.Is(err, contracts.ErrShape):
		return api.RefusedPrecheck
	case errors.Is(err, ErrLimits):
		return api.RefusedFull
	case errors.Is(err, tx.ErrMalformed):
		return api.RefusedMalformed
	}
	return mempool.ReasonOf(err)
}
