package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// StreamFramesType is the media type of the block stream's binary form
// (GET /v1/stream with this type in Accept; docs/api.md): a sequence of
// frames, each a 4-byte big-endian length and that many bytes of one
// StreamBlock in canonical CBOR; a frame of length 0 is a keep-alive.
// Without it in Accept the stream is newline-delimited JSON (api.Block).
const StreamFramesType = "application/vnd.almoner.blocks+cbor"

// MaxStreamFrame bounds one frame of the binary stream: a block of up to
// the genesis MaxBlockTxs transactions with its receipts, as the JSON
// stream bounded one line (2 x MaxBodyBytes).
const MaxStreamFrame = 2 * MaxBodyBytes

// StreamBlock is a block on the binary stream: the block as the node stores
// it (its header and each transaction's signed bytes), its receipts and
// its header signatures. The block's hash, the transaction ids and their
// decoded bodies are derived from these by the reader (DecodeStreamBlock).
type StreamBlock struct {
	_          struct{} `cbor:",toarray"`
	Block      ledger.Block
	Receipts   []ledger.Receipt
	Signatures []ledger.HeaderSignature
}

// AppendStreamFrame appends the frame of one block to dst.
func AppendStreamFrame(dst []byte, b *ledger.Block, receipts []ledger.Receipt,
	sigs []ledger.HeaderSignature) ([]byte, error) {
	enc, err := codec.Marshal(&StreamBlock{Block: *b, Receipts: receipts, Signatures: sigs})
	if err != nil {
		return dst, fmt.Errorf("api: encoding block %d: %w", b.Header.Height, err)
	}
	if len(enc) > MaxStreamFrame {
		return dst, fmt.Errorf("api: block %d is %d bytes on the stream, max %d", b.Header.Height, len(enc),
			MaxStreamFrame)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(enc)))
	return append(dst, enc...), nil
}

// ErrStreamFrame marks a binary stream that is not a sequence of frames.
var ErrStreamFrame = errors.New("api: malformed block stream frame")

// ReadStreamFrame reads the next frame from r into buf (grown as needed)
// and returns its content; an empty content is a keep-alive. io.EOF means
// the stream ended between frames.
func ReadStreamFrame(r io.Reader, buf []byte) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: cut inside a frame's length", ErrStreamFrame)
		}
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxStreamFrame {
		return nil, fmt.Errorf("%w: a frame of %d bytes, max %d", ErrStreamFrame, size, MaxStreamFrame)
	}
	if cap(buf) < int(size) {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: cut inside a frame of %d bytes", ErrStreamFrame, size)
		}
		return nil, err
	}
	return buf, nil
}

// DecodeStreamBlock decodes a frame's content (a StreamBlock) into the
// wire form that the JSON stream carries, with the same checks as Check:
// each transaction decoded strictly from its bytes, its id their hash and
// its receipt's id, and the header's roots over them. The result does not
// share memory with data.
func DecodeStreamBlock(data []byte) (*Block, error) {
	var sb StreamBlock
	// Everything used below is checked against the header's hashes; a
	// canonical check of the whole frame would re-encode it for nothing.
	if err := codec.Ledger.UnmarshalNoncanonical(data, &sb); err != nil {
		return nil, fmt.Errorf("api: stream block: %w", err)
	}
	h := sb.Block.Header.Height
	if len(sb.Block.Txs) != len(sb.Receipts) {
		return nil, fmt.Errorf("%w: block %d has %d txs and %d receipts", ledger.ErrIntegrity, h,
			len(sb.Block.Txs), len(sb.Receipts))
	}
	out := &Block{Hash: sb.Block.Header.Hash(), Header: sb.Block.Header, Txs: make([]Tx, len(sb.Block.Txs)),
		Receipts: sb.Receipts, Signatures: sb.Signatures}
	for i, raw := range sb.Block.Txs {
		s, err := tx.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d tx %d: %v", ledger.ErrIntegrity, h, i, err)
		}
		id := tx.HashID(raw)
		if sb.Receipts[i].TxID != id {
			return nil, fmt.Errorf("%w: block %d tx %d id mismatch", ledger.ErrIntegrity, h, i)
		}
		out.Txs[i] = Tx{ID: id, Raw: raw, Body: s.Body, Signature: s.Signature}
	}
	if ledger.TxRoot(sb.Block.Txs) != sb.Block.Header.TxRoot {
		return nil, fmt.Errorf("%w: block %d transaction root mismatch", ledger.ErrIntegrity, h)
	}
	if ledger.ReceiptRoot(sb.Receipts) != sb.Block.Header.ReceiptRoot {
		return nil, fmt.Errorf("%w: block %d receipt root mismatch", ledger.ErrIntegrity, h)
	}
	return out, nil
}
