package exec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/almoner/almoner/consortium-node/ledger"
)

// Reader is the committed state a block starts from. Get must be safe for
// concurrent use and must return the same answer for the same key during
// one Execute call. An error is a node fault (e.g. I/O) and aborts the
// block; it is never turned into a transaction failure.
type Reader interface {
	Get(key string) (value []byte, ok bool, err error)
}

// View is a transaction's window on state during one execution attempt.
// Values returned by Get must not be modified; values passed to Set must
// not be modified afterwards. A transaction must not recover panics raised
// by View methods: the executor uses them to stop an attempt that read a
// value still being computed.
type View interface {
	Get(key string) ([]byte, bool)
	Set(key string, value []byte)
	Delete(key string)
	Emit(e ledger.Event)
}

// Txn is one transaction of a block.
type Txn interface {
	// Prepare does the work that does not depend on state (signature
	// checks, decoding). It is called exactly once, before the first Run,
	// possibly on another goroutine than Run. An error fails the
	// transaction without running it.
	Prepare() error
	// Run executes the transaction against v. It must be deterministic in
	// what v returns, and may be called several times (each call's effects
	// are discarded except the last one's). A returned error or a panic
	// fails the transaction: its writes and events are discarded.
	Run(v View) error
}

// Outcome is what one transaction produced.
type Outcome struct {
	// Err is nil on success; otherwise it says why the transaction failed.
	Err    error
	Events []ledger.Event
}

// Write is one entry of a block's write set.
type Write struct {
	Key     string
	Value   []byte
	Deleted bool
}

// Result is the outcome of executing a block.
type Result struct {
	Outcomes []Outcome
	// Writes holds the final value of every key written by a successful
	// transaction, sorted by key.
	Writes []Write
}

// ErrPanic marks a transaction that panicked.
var ErrPanic = errors.New("exec: transaction panicked")

// panicError turns a recovered value into a deterministic error.
func panicError(r any) error {
	return fmt.Errorf("%w: %v", ErrPanic, r)
}

func sortWrites(ws []Write) {
	slices.SortFunc(ws, compareWrites)
}

func compareWrites(a, b Write) int { return strings.Compare(a.Key, b.Key) }

// mergeWrites merges lists each sorted by key, no key in two of them, into
// one sorted list.
func mergeWrites(parts [][]Write) []Write {
	for len(parts) > 1 {
		next := parts[:0:0]
		for i := 0; i < len(parts); i += 2 {
			if i+1 == len(parts) {
				next = append(next, parts[i])
				continue
			}
			a, b := parts[i], parts[i+1]
			out := make([]Write, 0, len(a)+len(b))
			for len(a) > 0 && len(b) > 0 {
				if a[0].Key < b[0].Key {
					out, a = append(out, a[0]), a[1:]
				} else {
					out, b = append(out, b[0]), b[1:]
				}
			}
			next = append(next, append(append(out, a...), b...))
		}
		parts = next
	}
	if len(parts) == 0 || len(parts[0]) == 0 {
		return nil // as a serial collection of no writes
	}
	return parts[0]
}

// prepare runs t.Prepare, turning a panic into an error.
func prepare(t Txn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return t.Prepare()
}
