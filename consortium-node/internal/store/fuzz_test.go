package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// onDisk commits a genesis block and a block of three transactions to a
// real database and returns the raw values the store wrote for block 1, so
// that every fuzz target starts from the bytes it meets on disk.
type onDisk struct {
	block, receipts, sigs, head, txLoc []byte
	genesisBlock, genesisReceipts      []byte
}

func seedFromDisk(f *testing.F) onDisk {
	f.Helper()
	db, err := OpenDB(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s, err := New(db)
	if err != nil {
		f.Fatal(err)
	}
	gw := []ledger.StateWrite{{Key: "chain/params", Value: []byte{1, 2, 3}}}
	g := &ledger.Block{Header: ledger.Header{
		ChainID: "fuzz", Time: 1, TxRoot: ledger.TxRoot(nil), ReceiptRoot: ledger.ReceiptRoot(nil),
		StateHash: ledger.NextStateHash(ledger.Hash{}, gw), Proposer: "genesis",
	}, Txs: [][]byte{}}
	if err := s.Commit(&Commit{Block: g, Receipts: []ledger.Receipt{}, Writes: gw}); err != nil {
		f.Fatal(err)
	}
	b := &ledger.Block{Txs: [][]byte{[]byte("tx one"), {}, bytes.Repeat([]byte{0xa5}, 300)}}
	rs := make([]ledger.Receipt, len(b.Txs))
	for i, raw := range b.Txs {
		rs[i] = ledger.Receipt{TxID: tx.HashID(raw), Status: ledger.StatusOK, Events: []ledger.Event{{
			Contract: "identity", Type: "member_added",
			Attrs: []ledger.Attr{{Key: "member", Value: fmt.Sprintf("a/m%d", i)}, {Key: "roles", Value: "patient"}},
		}}}
	}
	rs[1] = ledger.Receipt{TxID: rs[1].TxID, Status: ledger.StatusFailed, Error: "permission denied: nope", Events: []ledger.Event{}}
	w := []ledger.StateWrite{{Key: "identity/member/a/m0", Value: []byte("m0")}, {Key: "chain/params", Deleted: true}}
	b.Header = ledger.Header{
		ChainID: "fuzz", Height: 1, Time: 2, PrevHash: g.Header.Hash(),
		TxRoot: ledger.TxRoot(b.Txs), ReceiptRoot: ledger.ReceiptRoot(rs),
		StateHash: ledger.NextStateHash(g.Header.StateHash, w), Proposer: "n1",
	}
	k, err := sign.NewKeyFromSeed(sign.Ed25519, make([]byte, sign.Ed25519SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	sigs := []ledger.HeaderSignature{ledger.SignHeader("n1", k, b.Header.Hash())}
	if err := s.Commit(&Commit{Block: b, Receipts: rs, Writes: w, Signatures: sigs, Applied: 7}); err != nil {
		f.Fatal(err)
	}
	get := func(k []byte) []byte {
		v, err := db.Get(k, nil)
		if err != nil {
			f.Fatalf("reading %q: %v", k, err)
		}
		return v
	}
	return onDisk{
		block:           get(key(pBlock, be64(1))),
		receipts:        get(key(pReceipt, be64(1))),
		sigs:            get(key(pSigs, be64(1))),
		head:            get(kHead),
		txLoc:           get(key(pTx, rs[2].TxID[:])),
		genesisBlock:    get(key(pBlock, be64(0))),
		genesisReceipts: get(key(pReceipt, be64(0))),
	}
}

// mustDecode fails the fuzz target if a real encoding does not decode, so
// that fuzzing never silently starts from rejected seeds only.
func mustDecode[T any](f *testing.F, data []byte) {
	f.Helper()
	var v T
	if err := codec.Ledger.Unmarshal(data, &v); err != nil {
		f.Fatalf("the store's own %T encoding does not decode: %v", v, err)
	}
}

// addSeeds adds a real encoding and a few damaged copies of it.
func addSeeds(f *testing.F, real ...[]byte) {
	for _, r := range real {
		f.Add(r)
		f.Add(r[:len(r)/2])
		f.Add(append(bytes.Clone(r), 0))
		if len(r) > 1 {
			flip := bytes.Clone(r)
			flip[len(flip)/3] ^= 0x40
			f.Add(flip)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xf6}) // null
	f.Add([]byte{0x80}) // empty array
}

// fuzzDecoder checks the contract of every decoder of disk bytes: no
// panic, and whatever decodes re-encodes to exactly the input, so that a
// value has one encoding and hashes computed over re-encodings agree. use
// (if not nil) then does with the value what the node does with it.
func fuzzDecoder[T any](f *testing.F, use func(*T)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var v T
		if err := codec.Ledger.Unmarshal(data, &v); err != nil {
			return
		}
		again, err := codec.Marshal(&v)
		if err != nil {
			t.Fatalf("decoded %T does not re-encode: %v", v, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("%T: input %x decoded but re-encodes to %x", v, data, again)
		}
		if use != nil {
			use(&v)
		}
	})
}

// FuzzDecodeBlock fuzzes what Store.Block decodes.
func FuzzDecodeBlock(f *testing.F) {
	d := seedFromDisk(f)
	mustDecode[ledger.Block](f, d.block)
	mustDecode[ledger.Block](f, d.genesisBlock)
	addSeeds(f, d.block, d.genesisBlock)
	fuzzDecoder(f, func(b *ledger.Block) {
		// What the node and the API do with a block read from disk.
		_ = b.Header.Hash()
		_ = ledger.TxRoot(b.Txs)
	})
}

// FuzzDecodeReceipts fuzzes what Store.Receipts decodes.
func FuzzDecodeReceipts(f *testing.F) {
	d := seedFromDisk(f)
	mustDecode[[]ledger.Receipt](f, d.receipts)
	mustDecode[[]ledger.Receipt](f, d.genesisReceipts)
	addSeeds(f, d.receipts, d.genesisReceipts)
	fuzzDecoder(f, func(rs *[]ledger.Receipt) {
		// Receipt proofs hash each receipt's own encoding.
		_ = ledger.ReceiptRoot(*rs)
	})
}

// FuzzDecodeHead fuzzes what New decodes from the head record.
func FuzzDecodeHead(f *testing.F) {
	d := seedFromDisk(f)
	mustDecode[Head](f, d.head)
	addSeeds(f, d.head)
	fuzzDecoder[Head](f, nil)
}

// FuzzDecodeSignatures fuzzes what Store.Signatures decodes.
func FuzzDecodeSignatures(f *testing.F) {
	d := seedFromDisk(f)
	mustDecode[[]ledger.HeaderSignature](f, d.sigs)
	addSeeds(f, d.sigs)
	fuzzDecoder[[]ledger.HeaderSignature](f, nil)
}

// FuzzDecodeTxLoc fuzzes what Store.TxLocation decodes.
func FuzzDecodeTxLoc(f *testing.F) {
	d := seedFromDisk(f)
	mustDecode[txLoc](f, d.txLoc)
	addSeeds(f, d.txLoc)
	fuzzDecoder[txLoc](f, nil)
}
