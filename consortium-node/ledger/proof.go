package ledger

import (
	"fmt"

	"github.com/almoner/almoner/consortium-node/merkle"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// ReceiptProof proves that a transaction was included in a block and had
// the given receipt, to anyone who trusts only the genesis node keys.
type ReceiptProof struct {
	ChainID string  `json:"chain_id"`
	Tx      []byte  `json:"tx"` // the signed transaction's encoding
	Receipt Receipt `json:"receipt"`
	Index   uint64  `json:"index"`
	Size    uint64  `json:"size"` // transactions in the block
	// TxPath and ReceiptPath are RFC 6962 audit paths.
	TxPath      [][]byte          `json:"tx_path"`
	ReceiptPath [][]byte          `json:"receipt_path"`
	Header      Header            `json:"header"`
	Signatures  []HeaderSignature `json:"signatures"`
}

// BuildReceiptProof assembles the proof for transaction index of a block.
func BuildReceiptProof(b *Block, receipts []Receipt, sigs []HeaderSignature, index int) (*ReceiptProof, error) {
	if len(receipts) != len(b.Txs) {
		return nil, fmt.Errorf("ledger: block %d has %d txs but %d receipts", b.Header.Height, len(b.Txs), len(receipts))
	}
	txPath, err := merkle.InclusionProof(LeafHashes(b.Txs), index)
	if err != nil {
		return nil, err
	}
	rPath, err := merkle.InclusionProof(LeafHashes(ReceiptLeaves(receipts)), index)
	if err != nil {
		return nil, err
	}
	return &ReceiptProof{
		ChainID: b.Header.ChainID, Tx: b.Txs[index], Receipt: receipts[index],
		Index: uint64(index), Size: uint64(len(b.Txs)),
		TxPath: txPath, ReceiptPath: rPath, Header: b.Header, Signatures: sigs,
	}, nil
}

// Verify checks the proof: the receipt belongs to the transaction, both are
// included under the header's roots, and a quorum of the given node keys
// signed the header.
func (p *ReceiptProof) Verify(chainID string, nodeKeys map[string]sign.PublicKey, quorum int) error {
	if p.ChainID != chainID || p.Header.ChainID != chainID {
		return fmt.Errorf("%w: proof is for chain %q, want %q", ErrIntegrity, p.Header.ChainID, chainID)
	}
	if id := tx.HashID(p.Tx); id != p.Receipt.TxID {
		return fmt.Errorf("%w: receipt is for tx %s but the proof carries tx %s", ErrIntegrity, p.Receipt.TxID, id)
	}
	if err := merkle.VerifyInclusion(p.Index, p.Size, merkle.LeafHash(p.Tx), p.TxPath, p.Header.TxRoot[:]); err != nil {
		return fmt.Errorf("%w: transaction not in block %d: %v", ErrIntegrity, p.Header.Height, err)
	}
	if err := merkle.VerifyInclusion(p.Index, p.Size, merkle.LeafHash(p.Receipt.Encode()), p.ReceiptPath, p.Header.ReceiptRoot[:]); err != nil {
		return fmt.Errorf("%w: receipt not in block %d: %v", ErrIntegrity, p.Header.Height, err)
	}
	return VerifyQuorum(&p.Header, p.Signatures, nodeKeys, quorum)
}
