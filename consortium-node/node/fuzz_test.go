package node

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
)

// FuzzProposal fuzzes the decoder of raft entries (bytes from peers and
// from disk): no panic, and accepted input re-encodes to itself.
func FuzzProposal(f *testing.F) {
	good, _ := tx.Marshal(&proposal{Proposer: "n1", Time: 5, Txs: [][]byte{{1, 2}, {3}}})
	f.Add(good)
	f.Add([]byte{0x83, 0x60, 0x00, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p proposal
		if tx.Unmarshal(data, &p) != nil {
			return
		}
		again, err := tx.Marshal(&p)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted non-canonical proposal %x", data)
		}
	})
}
