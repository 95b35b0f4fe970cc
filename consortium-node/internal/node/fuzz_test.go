package node

import (
	"bytes"
	"github.com/almoner/almoner/consortium-node/codec"
	"testing"
)

// FuzzProposal fuzzes the decoder of raft entries (bytes from peers and
// from disk): no panic, and accepted input re-encodes to itself.
func FuzzProposal(f *testing.F) {
	good, _ := codec.Marshal(&proposal{Proposer: "n1", Time: 5, Txs: [][]byte{{1, 2}, {3}}})
	f.Add(good)
	f.Add([]byte{0x83, 0x60, 0x00, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p proposal
		if codec.Ledger.Unmarshal(data, &p) != nil {
			return
		}
		again, err := codec.Marshal(&p)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted non-canonical proposal %x", data)
		}
	})
}
