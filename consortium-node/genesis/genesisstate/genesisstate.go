// Package genesisstate derives the chain's first state and block (height
// 0) from a genesis file: the identity, consortium, governance and claim
// contracts' genesis writes and the consensus parameters, sorted by key,
// and the header over them. The node starts its chain from it; the
// portal's read model checks a node's block 0 against it. It imports the
// genesis file format and the contracts' vocabulary packages only (each
// contract defines its genesis writes there), never a contract
// implementation or the executor.
package genesisstate

import (
	"sort"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	consortium "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	governance "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// State keys written at genesis outside the identity contract.
const (
	ParamsKey    = "chain/params"
	ProposerName = "genesis"
)

// State returns the genesis state, sorted by key.
func State(f *genesis.File) ([]ledger.StateWrite, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	iw, err := identity.Genesis(f.Organisations, f.Members)
	if err != nil {
		return nil, err
	}
	var out []ledger.StateWrite
	for _, w := range iw {
		out = append(out, ledger.StateWrite{Key: w.Key, Value: w.Value})
	}
	put := func(k string, v any) error {
		b, err := codec.Marshal(v)
		if err != nil {
			return err
		}
		out = append(out, ledger.StateWrite{Key: k, Value: b})
		return nil
	}
	if err := put(ParamsKey, &f.Params); err != nil {
		return nil, err
	}
	for _, w := range consortium.Genesis(f.Nodes) {
		out = append(out, ledger.StateWrite{Key: w.Key, Value: w.Value})
	}
	rules, err := f.Rules()
	if err != nil {
		return nil, err
	}
	gw, err := governance.Genesis(rules)
	if err != nil {
		return nil, err
	}
	for _, w := range gw {
		out = append(out, ledger.StateWrite{Key: w.Key, Value: w.Value})
	}
	cw, err := claimdoc.Genesis(f.ClaimsKeyIDs)
	if err != nil {
		return nil, err
	}
	out = append(out, cw...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Block returns the genesis block (height 0, no transactions) and state.
func Block(f *genesis.File) (*ledger.Block, []ledger.StateWrite, error) {
	st, err := State(f)
	if err != nil {
		return nil, nil, err
	}
	b := &ledger.Block{Header: ledger.Header{
		ChainID: f.ChainID, Height: 0, Time: f.GenesisTime.UnixNano(),
		TxRoot: ledger.TxRoot(nil), ReceiptRoot: ledger.ReceiptRoot(nil),
		StateHash: ledger.NextStateHash(ledger.Hash{}, st), Proposer: ProposerName,
	}, Txs: [][]byte{}}
	return b, st, nil
}
