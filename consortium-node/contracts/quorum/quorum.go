// Package quorum owns the consortium's approval threshold: how many
// organisations must approve a governance proposal or a node change. The
// value lives in the governance contract's state; this package only reads
// and interprets it, so that the consortium contract's signed-approval
// path, the governance contract and the portal count the same way. It
// imports only tx (the canonical encoding) and contracts/vocab: a portal
// may use it without linking the executor.
package quorum

import (
	"fmt"

	"github.com/almoner/almoner/consortium-node/codec"
	contracts "github.com/almoner/almoner/consortium-node/contracts/vocab"
)

// StateReader reads full state keys (contracts.StateReader satisfies it).
type StateReader interface {
	Get(key string) ([]byte, bool)
}

// StateKey is the full state key of the threshold (a CBOR uint percent).
const StateKey = "governance/threshold"

// DefaultPercent is the threshold when none was set: approvals from
// strictly more than half of the organisations (a majority).
const DefaultPercent = 50

// Valid reports whether pct is an acceptable threshold: 1 to 99 (a
// threshold of p needs approvals from strictly more than p% of the
// organisations, so 99 means every organisation below 100 of them).
func Valid(pct uint64) error {
	if pct < 1 || pct > 99 {
		return fmt.Errorf("%w: threshold %d%%: give 1 to 99 (approvals from strictly more than that share of organisations; 50 is a majority)", contracts.ErrInvalid, pct)
	}
	return nil
}

// Percent reads the current threshold.
func Percent(r StateReader) (uint64, error) {
	b, ok := r.Get(StateKey)
	if !ok {
		return DefaultPercent, nil
	}
	var p uint64
	if err := codec.State.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("quorum: corrupt threshold: %w", err)
	}
	return p, nil
}

// Needed is how many of orgs organisations must approve at pct percent.
func Needed(orgs int, pct uint64) int {
	return orgs*int(pct)/100 + 1
}
