package codec

import "fmt"

// Use names what a preset decoder reads. Each has its own Limits; call
// Unmarshal on the use: codec.State.Unmarshal(b, &v).
type Use uint8

// The preset uses. A format with limits of its own (a transaction: package
// tx) builds its Decoder with NewDecoder instead.
const (
	// State is a contract's state value (and the genesis state, and the
	// portal's copies of state). Its shape limits are those every node has
	// always applied to state: a value over them fails to decode on every
	// node alike, so they are consensus rules and do not change.
	State Use = iota + 1
	// Ledger is what a node stores or replays: blocks, receipts, header
	// signatures, heads, tx locations, raft entries (proposals) and
	// snapshots, backup archives. A block holds up to the genesis
	// MaxBlockTxs transactions, which may be set above a transaction's
	// array limit.
	Ledger
	// Peer is a node-to-node message (one transport frame, at most the
	// transport's 64 MiB): block sync batches, forwarded transactions,
	// header signatures, record release and replication.
	Peer
	// API is a node API request or response body: api.MaxBodyBytes (16
	// MiB) of content plus 1 MiB for a sealed record's envelope, as the
	// server and the client read them.
	API
)

// limits of each Use; index 0 is unused.
var limits = [...]Limits{
	State:  {MaxBytes: 256 << 20, MaxNestedLevels: 8, MaxArrayElements: 64 << 10, MaxMapPairs: 32},
	Ledger: {MaxBytes: 256 << 20, MaxNestedLevels: 8, MaxArrayElements: 1 << 20, MaxMapPairs: 32},
	Peer:   {MaxBytes: 64 << 20, MaxNestedLevels: 8, MaxArrayElements: 1 << 20, MaxMapPairs: 32},
	API:    {MaxBytes: 17 << 20, MaxNestedLevels: 8, MaxArrayElements: 1 << 20, MaxMapPairs: 32},
}

// decoders holds one Decoder per Use, built once from limits.
var decoders = func() [len(limits)]*Decoder {
	var ds [len(limits)]*Decoder
	for u := State; int(u) < len(limits); u++ {
		d, err := NewDecoder(limits[u])
		if err != nil {
			panic(fmt.Sprintf("codec: preset %s: %v", u, err)) // constant limits
		}
		ds[u] = d
	}
	return ds
}()

var useNames = [...]string{State: "state", Ledger: "ledger", Peer: "peer", API: "api"}

// String names the use.
func (u Use) String() string {
	if u == 0 || int(u) >= len(useNames) {
		return fmt.Sprintf("use(%d)", uint8(u))
	}
	return useNames[u]
}

// Limits returns the use's limits.
func (u Use) Limits() Limits { return u.decoder().Limits() }

// Unmarshal decodes data into v under the use's limits (see
// Decoder.Unmarshal).
func (u Use) Unmarshal(data []byte, v any) error { return u.decoder().Unmarshal(data, v) }

// UnmarshalNoncanonical decodes data into v under the use's limits without
// the canonical check (see Decoder.UnmarshalNoncanonical).
func (u Use) UnmarshalNoncanonical(data []byte, v any) error {
	return u.decoder().UnmarshalNoncanonical(data, v)
}

func (u Use) decoder() *Decoder {
	if u == 0 || int(u) >= len(decoders) {
		panic(fmt.Sprintf("codec: unknown use %d", uint8(u))) // a programming error: uses are constants
	}
	return decoders[u]
}
