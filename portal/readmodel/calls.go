package readmodel

import (
	"fmt"
	"slices"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// CallEvent is an event of a successful transaction with where it
// happened and, when that transaction called the event's own contract,
// the call's arguments: events do not carry everything a domain read
// model indexes, and the committed arguments are as much part of the
// chain (so a rebuild sees the same).
type CallEvent struct {
	Height uint64
	Time   int64 // Unix nanoseconds, the block's
	Tx     int   // the transaction's index in the block
	Ev     int   // the event's index in its receipt
	TxID   string
	Sender string
	Args   tx.Args // nil when the transaction called another contract
	ledger.Event
}

// EachEvent calls fn, in block order, for every event of the named
// contracts in the block's successful transactions. An error names the
// event and its transaction.
func EachEvent(b *api.Block, contracts []string, fn func(CallEvent) error) error {
	for i := range b.Receipts {
		rc := &b.Receipts[i]
		if !rc.OK() || i >= len(b.Txs) {
			continue
		}
		t := &b.Txs[i]
		for j, e := range rc.Events {
			if !slices.Contains(contracts, e.Contract) {
				continue
			}
			ce := CallEvent{Height: b.Header.Height, Time: b.Header.Time, Tx: i, Ev: j, TxID: rc.TxID.String(), Sender: t.Body.Sender, Event: e}
			if t.Body.Call.Contract == e.Contract {
				ce.Args = t.Body.Call.Args
			}
			if err := fn(ce); err != nil {
				return fmt.Errorf("%s.%s in tx %s: %w", e.Contract, e.Type, ce.TxID, err)
			}
		}
	}
	return nil
}
