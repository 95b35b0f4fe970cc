package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// sampleBlock builds a small valid block: two real signed transactions, one
// succeeded and one failed receipt, consistent roots, one node signature.
func sampleBlock(tb testing.TB) *api.Block {
	tb.Helper()
	member, nodeKey := testkeys.Seeded(tb, 1), testkeys.Seeded(tb, 2)
	var raws [][]byte
	for i, call := range []tx.Call{
		{Contract: "identity", Method: "add_member", Args: tx.Args{
			tx.String("id", "stmarys/patient-ana"), tx.Strings("roles", []string{"patient"}),
			tx.Bytes("blob", []byte{0, 1, 2}), tx.Uint("n", 1<<40), tx.Int("i", -3), tx.Bool("b", true),
		}},
		{Contract: "identity", Method: "set_roles", Args: tx.Args{tx.String("id", "stmarys/dr-lee")}},
	} {
		raw, err := tx.SignEncoded(tx.Body{ChainID: "almoner-dev", Sender: "stmarys/admin", Nonce: uint64(i + 1),
			Expiry: 10, Call: call}, member)
		if err != nil {
			tb.Fatal(err)
		}
		raws = append(raws, raw)
	}
	receipts := []ledger.Receipt{
		{TxID: tx.HashID(raws[0]), Status: ledger.StatusOK, Events: []ledger.Event{{Contract: "identity", Type: "member_added",
			Attrs: []ledger.Attr{{Key: "member", Value: "stmarys/patient-ana"}, {Key: "org", Value: "stmarys"}}}}},
		{TxID: tx.HashID(raws[1]), Status: ledger.StatusFailed, Error: "permission denied: set_roles requires role org_admin", Events: []ledger.Event{}},
	}
	b := &ledger.Block{Txs: raws, Header: ledger.Header{
		ChainID: "almoner-dev", Height: 7, Time: 1_700_000_000_000_000_000, PrevHash: ledger.Hash{9},
		TxRoot: ledger.TxRoot(raws), ReceiptRoot: ledger.ReceiptRoot(receipts),
		StateHash: ledger.NextStateHash(ledger.Hash{8}, []ledger.StateWrite{{Key: "identity/member/stmarys/patient-ana", Value: []byte{1}}}),
		Proposer:  "stmarys-node1",
	}}
	sigs := []ledger.HeaderSignature{ledger.SignHeader("stmarys-node1", nodeKey, b.Header.Hash())}
	out, err := api.NewBlock(b, receipts, sigs)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func blockJSON(tb testing.TB, b *api.Block) []byte {
	tb.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestBlockCheck pins what Check accepts and rejects, so that the fuzz seed
// is known to be a valid block.
func TestBlockCheck(t *testing.T) {
	good := sampleBlock(t)
	if err := good.Check(); err != nil {
		t.Fatalf("valid block: %v", err)
	}
	// Through JSON and back, as clients see it.
	var again api.Block
	if err := json.Unmarshal(blockJSON(t, good), &again); err != nil {
		t.Fatal(err)
	}
	if err := again.Check(); err != nil {
		t.Fatalf("valid block after JSON: %v", err)
	}
	if !bytes.Equal(blockJSON(t, &again), blockJSON(t, good)) {
		t.Fatal("block JSON does not round-trip")
	}
	empty, err := api.NewBlock(&ledger.Block{Header: ledger.Header{ChainID: "c", TxRoot: ledger.TxRoot(nil), ReceiptRoot: ledger.ReceiptRoot(nil)}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.Check(); err != nil {
		t.Fatalf("empty block: %v", err)
	}
	if _, err := api.NewBlock(&ledger.Block{Txs: [][]byte{{0x01}}}, []ledger.Receipt{{}}, nil); !errors.Is(err, tx.ErrMalformed) {
		t.Errorf("NewBlock with an undecodable tx: %v, want ErrMalformed", err)
	}

	for _, tc := range []struct {
		name   string
		tamper func(b *api.Block)
		msg    string
	}{
		{"hash", func(b *api.Block) { b.Hash[0] ^= 1 }, "hash does not match its header"},
		{"header", func(b *api.Block) { b.Header.Height++ }, "hash does not match its header"},
		{"missing receipt", func(b *api.Block) { b.Receipts = b.Receipts[:1] }, "has 2 txs and 1 receipts"},
		{"tx id", func(b *api.Block) { b.Txs[0].ID[0] ^= 1 }, "tx 0 id mismatch"},
		{"receipt tx id", func(b *api.Block) { b.Receipts[1].TxID = b.Txs[0].ID }, "tx 1 id mismatch"},
		{"decoded body", func(b *api.Block) { b.Txs[1].Body.Nonce++ }, "tx 1 decoded form does not match its bytes"},
		{"decoded signature", func(b *api.Block) { b.Txs[0].Signature.Sig = b.Txs[0].Signature.Sig[1:] }, "tx 0 decoded form does not match"},
		{"tx order", func(b *api.Block) {
			b.Txs[0], b.Txs[1] = b.Txs[1], b.Txs[0]
			b.Receipts[0], b.Receipts[1] = b.Receipts[1], b.Receipts[0]
		}, "transaction root mismatch"},
		{"dropped tx", func(b *api.Block) { b.Txs, b.Receipts = b.Txs[:1], b.Receipts[:1] }, "transaction root mismatch"},
		{"receipt status", func(b *api.Block) { b.Receipts[1].Status = ledger.StatusOK }, "receipt root mismatch"},
		{"receipt event", func(b *api.Block) { b.Receipts[0].Events[0].Attrs[0].Value = "someone-else" }, "receipt root mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b api.Block
			if err := json.Unmarshal(blockJSON(t, good), &b); err != nil {
				t.Fatal(err)
			}
			tc.tamper(&b)
			err := b.Check()
			if !errors.Is(err, ledger.ErrIntegrity) {
				t.Fatalf("Check = %v, want ErrIntegrity", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// FuzzBlockCheck: whatever JSON a node (or an attacker in its place)
// sends, decoding it into a Block and checking it never panics, and a block
// that passes Check is self-consistent.
func FuzzBlockCheck(f *testing.F) {
	good := sampleBlock(f)
	seed := blockJSON(f, good)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"txs":[{}],"receipts":[]}`))
	f.Add([]byte(`{"txs":[{"raw":"","body":{"call":{"args":[{"name":"x","type":"uint","value":"18446744073709551616"}]}}}],"receipts":[{}]}`))
	f.Add([]byte(`{"txs":[{"body":{"call":{"args":[{"name":"x","type":"strings","value":null}]}}}],"receipts":[{}]}`))
	f.Add([]byte(`{"txs":[{"signature":{"alg":"ed25519","pub_key":null,"sig":null}}],"receipts":[{"events":null}]}`))
	empty, _ := api.NewBlock(&ledger.Block{Header: ledger.Header{TxRoot: ledger.TxRoot(nil), ReceiptRoot: ledger.ReceiptRoot(nil)}}, nil, nil)
	f.Add(blockJSON(f, empty))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b api.Block
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		if err := b.Check(); err != nil {
			if !errors.Is(err, ledger.ErrIntegrity) {
				t.Fatalf("Check failed without ErrIntegrity: %v", err)
			}
			return
		}
		if b.Header.Hash() != b.Hash || len(b.Txs) != len(b.Receipts) {
			t.Fatal("Check accepted an inconsistent block")
		}
		raws := make([][]byte, len(b.Txs))
		for i, bt := range b.Txs {
			raws[i] = bt.Raw
			if tx.HashID(bt.Raw) != bt.ID || b.Receipts[i].TxID != bt.ID {
				t.Fatalf("Check accepted tx %d with a wrong id", i)
			}
		}
		if ledger.TxRoot(raws) != b.Header.TxRoot || ledger.ReceiptRoot(b.Receipts) != b.Header.ReceiptRoot {
			t.Fatal("Check accepted wrong roots")
		}
	})
}
