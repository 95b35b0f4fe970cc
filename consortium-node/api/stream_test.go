package api_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// streamParts splits a wire block back into what the node stores.
func streamParts(b *api.Block) (*ledger.Block, []ledger.Receipt, []ledger.HeaderSignature) {
	lb := &ledger.Block{Header: b.Header}
	for _, t := range b.Txs {
		lb.Txs = append(lb.Txs, t.Raw)
	}
	return lb, b.Receipts, b.Signatures
}

// TestStreamFrames: a block through a binary frame decodes to the very
// block the JSON stream carries (same JSON), keep-alives are empty frames,
// and a stream cut inside a frame is an error, not a short block.
func TestStreamFrames(t *testing.T) {
	good := sampleBlock(t)
	lb, rs, sigs := streamParts(good)
	frame, err := api.AppendStreamFrame(nil, lb, rs, sigs)
	if err != nil {
		t.Fatal(err)
	}
	stream := append(append([]byte{0, 0, 0, 0}, frame...), frame...)
	r := bytes.NewReader(stream)
	var buf []byte
	for i, want := range []string{"keep-alive", "block", "block"} {
		got, err := api.ReadStreamFrame(r, buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if (len(got) == 0) != (want == "keep-alive") {
			t.Fatalf("frame %d has %d bytes, want a %s", i, len(got), want)
		}
		if len(got) == 0 {
			continue
		}
		b, err := api.DecodeStreamBlock(got)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if err := b.Check(); err != nil {
			t.Fatalf("frame %d decodes to a block that fails Check: %v", i, err)
		}
		if !bytes.Equal(blockJSON(t, b), blockJSON(t, good)) {
			t.Fatalf("frame %d decodes to\n%s\nwant\n%s", i, blockJSON(t, b), blockJSON(t, good))
		}
		buf = got // reused: the decoded block must not share it
		clear(buf)
		if !bytes.Equal(blockJSON(t, b), blockJSON(t, good)) {
			t.Fatalf("frame %d's block changed with the read buffer", i)
		}
	}
	if _, err := api.ReadStreamFrame(r, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
	for _, cut := range []int{2, 4, len(frame) - 1} {
		if _, err := api.ReadStreamFrame(bytes.NewReader(frame[:cut]), nil); !errors.Is(err, api.ErrStreamFrame) {
			t.Errorf("frame cut at %d of %d bytes: %v, want ErrStreamFrame", cut, len(frame), err)
		}
	}
	huge := binary.BigEndian.AppendUint32(nil, api.MaxStreamFrame+1)
	if _, err := api.ReadStreamFrame(bytes.NewReader(huge), nil); !errors.Is(err, api.ErrStreamFrame) {
		t.Errorf("a frame over MaxStreamFrame: %v, want ErrStreamFrame", err)
	}
}

// TestDecodeStreamBlockTampering: what Check refuses in a JSON block,
// DecodeStreamBlock refuses in a frame.
func TestDecodeStreamBlockTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(sb *api.StreamBlock)
		msg    string
	}{
		{"header", func(sb *api.StreamBlock) { sb.Block.Header.TxRoot[0] ^= 1 }, "transaction root mismatch"},
		{"missing receipt", func(sb *api.StreamBlock) { sb.Receipts = sb.Receipts[:1] }, "has 2 txs and 1 receipts"},
		{"receipt tx id", func(sb *api.StreamBlock) { sb.Receipts[1].TxID = sb.Receipts[0].TxID }, "tx 1 id mismatch"},
		{"tx order", func(sb *api.StreamBlock) {
			sb.Block.Txs[0], sb.Block.Txs[1] = sb.Block.Txs[1], sb.Block.Txs[0]
			sb.Receipts[0], sb.Receipts[1] = sb.Receipts[1], sb.Receipts[0]
		}, "transaction root mismatch"},
		{"receipt status", func(sb *api.StreamBlock) { sb.Receipts[1].Status = ledger.StatusOK }, "receipt root mismatch"},
		{"receipt event", func(sb *api.StreamBlock) { sb.Receipts[0].Events[0].Attrs[0].Value = "x" }, "receipt root mismatch"},
		{"tx bytes", func(sb *api.StreamBlock) { sb.Block.Txs[0] = sb.Block.Txs[0][:10] }, "block 7 tx 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lb, rs, sigs := streamParts(sampleBlock(t))
			sb := &api.StreamBlock{Block: *lb, Receipts: rs, Signatures: sigs}
			tc.tamper(sb)
			data, err := codec.Marshal(sb)
			if err != nil {
				t.Fatal(err)
			}
			_, err = api.DecodeStreamBlock(data)
			if !errors.Is(err, ledger.ErrIntegrity) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("DecodeStreamBlock = %v, want ErrIntegrity saying %q", err, tc.msg)
			}
		})
	}
	if _, err := api.DecodeStreamBlock([]byte{0x83, 0x01}); err == nil {
		t.Error("DecodeStreamBlock accepted malformed CBOR")
	}
}
