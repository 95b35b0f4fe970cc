package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/merkle"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// Trust is what an offline verifier trusts: a genesis file's chain id,
// node keys and quorum (genesis.File's ChainID, NodeKeys() and Quorum()).
type Trust struct {
	ChainID  string
	NodeKeys map[string]sign.PublicKey
	Quorum   int
}

// Causes of a failed verification. A *ProofError carries one of them and
// ledger.ErrIntegrity (errors.Is finds both); its message says in words
// what was changed.
var (
	// ErrProofChain: the proof is for another chain than the trusted
	// genesis file (usually the wrong genesis file).
	ErrProofChain = errors.New("api: the receipt is for another chain")
	// ErrProofTime: the header time was rounded by a JSON round trip.
	ErrProofTime = errors.New("api: the receipt's header time lost precision")
	// ErrProofHeader: the header is not the one the nodes signed.
	ErrProofHeader = errors.New("api: the block header was changed")
	// ErrProofSignatures: too few valid signatures of the trusted nodes.
	ErrProofSignatures = errors.New("api: not enough valid node signatures")
	// ErrProofTx: the transaction is not the one the block holds.
	ErrProofTx = errors.New("api: the transaction was changed")
	// ErrProofReceipt: the receipt is not the one the block holds.
	ErrProofReceipt = errors.New("api: the receipt was changed")
	// ErrProofPosition: the position or the Merkle paths were changed.
	ErrProofPosition = errors.New("api: the receipt's position or Merkle paths were changed")
)

// ProofError is a failed verification: Cause is one of the ErrProof*
// errors, Msg says what was changed in words people act on.
type ProofError struct {
	Cause error
	Msg   string
}

func (e *ProofError) Error() string { return e.Msg }

// Unwrap returns the cause and the integrity marker.
func (e *ProofError) Unwrap() []error { return []error{e.Cause, ledger.ErrIntegrity} }

func fail(cause error, format string, v ...any) error {
	return &ProofError{Cause: cause, Msg: fmt.Sprintf(format, v...)}
}

// Verify checks the proof as ledger.ReceiptProof.Verify does (it accepts
// exactly the proofs that accepts) and, when it fails, names the likely
// cause: a rounded header time, the wrong genesis file, a changed header,
// changed or missing signatures, a changed transaction, a changed receipt,
// changed paths.
func (p *Proof) Verify(t Trust) error { return verifyProof(p, t, nil) }

// verifyProof verifies p; with receiptLeaf set, the receipt is checked
// only by that leaf hash (a receipt shown in part: see BundleStep).
func verifyProof(p *Proof, t Trust, receiptLeaf []byte) error {
	h := &p.Header
	if h.ChainID != t.ChainID {
		return fail(ErrProofChain, "the receipt is for chain %q, but the genesis file trusted here is for chain %q: verify it against the genesis file of the consortium that issued it",
			h.ChainID, t.ChainID)
	}
	if p.ChainID != h.ChainID {
		return fail(ErrProofHeader, "the receipt names chain %q but its block header chain %q: its chain_id was changed", p.ChainID, h.ChainID)
	}
	valid, known, bad := signatures(h, p.Signatures, t.NodeKeys)
	if valid < t.Quorum {
		switch {
		case len(p.Signatures) == 0:
			return fail(ErrProofSignatures, "the receipt carries no node signatures: nothing shows that the consortium's nodes committed block %d", h.Height)
		case known == 0:
			return fail(ErrProofSignatures, "block %d is signed by %s, none of them a node of the genesis file trusted here (%s): verify it against the consortium's genesis file",
				h.Height, list(signers(p.Signatures)), list(nodeIDs(t.NodeKeys)))
		case valid == 0 && p.TimeForm == TimeRounded:
			return fail(ErrProofTime, "the receipt's header time was changed: it is %s, a number that lost precision on the way "+
				"(JSON tools such as jq or JavaScript's JSON.parse round integers above 2^53), so no node signature matches the header; "+
				"pass the receipt as the portal served it, its time a string of digits", p.TimeText)
		case valid == 0 && p.TimeForm == TimeNumber && floatRounded(h.Time):
			return fail(ErrProofTime, "the receipt's header time was probably changed: it is %s, a JSON number above 2^53 that JSON tools such as jq or "+
				"JavaScript's JSON.parse round, and no node signature matches the header with it; pass the receipt as the portal served it, "+
				"its time a string of digits", p.TimeText)
		case valid == 0 && bad >= t.Quorum:
			return fail(ErrProofHeader, "the header of block %d was changed after the nodes signed it (its height, time, previous hash, roots, "+
				"state hash or proposer), or the genesis file trusted here is not the consortium's (same node names, other keys: compare its "+
				"fingerprint): none of its %d signatures by nodes of that name matches it", h.Height, bad)
		default:
			return fail(ErrProofSignatures, "block %d has %d valid signatures of the %d the genesis file requires (%d by its nodes do not verify: changed or not theirs)",
				h.Height, valid, t.Quorum, bad)
		}
	}
	// The header is the one a quorum signed; now its contents.
	txIn := merkle.VerifyInclusion(p.Index, p.Size, merkle.LeafHash(p.Tx), p.TxPath, h.TxRoot[:]) == nil
	leaf := receiptLeaf
	if leaf == nil {
		leaf = merkle.LeafHash(p.Receipt.Encode())
	}
	rcIn := merkle.VerifyInclusion(p.Index, p.Size, leaf, p.ReceiptPath, h.ReceiptRoot[:]) == nil
	id := tx.HashID(p.Tx)
	switch {
	case !txIn && !rcIn:
		return fail(ErrProofPosition, "neither the transaction nor the receipt is at position %d of %d in block %d: the position or the Merkle paths were changed "+
			"(or both the transaction and its receipt)", p.Index+1, p.Size, h.Height)
	case !txIn:
		return fail(ErrProofTx, "the transaction was changed: block %d does not hold it at position %d of %d (it now hashes to %s)",
			h.Height, p.Index+1, p.Size, id)
	case !rcIn && id != p.Receipt.TxID:
		return fail(ErrProofReceipt, "the receipt's transaction id was changed: it says %s, the transaction is %s", p.Receipt.TxID, id)
	case !rcIn && receiptLeaf != nil:
		return fail(ErrProofReceipt, "the receipt's hash was changed: block %d holds another receipt at position %d of %d", h.Height, p.Index+1, p.Size)
	case !rcIn:
		return fail(ErrProofReceipt, "the receipt was changed: its status, error or events (an amount, a name, an event) are not what block %d recorded for transaction %s",
			h.Height, id)
	case id != p.Receipt.TxID:
		return fail(ErrProofReceipt, "the receipt is for transaction %s but the proof carries transaction %s", p.Receipt.TxID, id)
	}
	return nil
}

// signatures counts the distinct trusted nodes whose signature verifies
// (as ledger.VerifyQuorum does), the signatures by trusted nodes, and
// those of them that do not verify.
func signatures(h *ledger.Header, sigs []ledger.HeaderSignature, keys map[string]sign.PublicKey) (valid, known, bad int) {
	msg := ledger.HeaderSignBytes(h.Hash())
	seen := map[string]bool{}
	for _, s := range sigs {
		k, ok := keys[s.Node]
		if !ok {
			continue
		}
		known++
		if seen[s.Node] {
			continue
		}
		if k.Alg == s.Alg && k.Verify(msg, s.Sig) == nil {
			seen[s.Node] = true
			valid++
		} else {
			bad++
		}
	}
	return valid, known, bad
}

func signers(sigs []ledger.HeaderSignature) []string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Node)
	}
	return out
}

func nodeIDs(keys map[string]sign.PublicKey) []string {
	var out []string
	for id := range keys {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "no nodes"
	}
	return strings.Join(ids, ", ")
}

// floatRounded reports whether t looks like what a float64 made of a
// larger integer: above 2^53, and either exactly a float64 value or the
// digits JSON writers print for one (the shortest that read back as it,
// then zeros: 1793520000123456800). Few real nanosecond times are either;
// every rounded one is.
func floatRounded(t int64) bool {
	if t <= maxExact && t >= -maxExact {
		return false
	}
	f := float64(t)
	return int64(f) == t || strconv.FormatFloat(f, 'f', -1, 64) == strconv.FormatInt(t, 10)
}
