package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/almoner/almoner/consortium-node/ledger"
)

// Proof is a receipt proof in the JSON form meant for files that people
// keep and tools pass around (the portal's downloads and bundles, `almoner
// receipt --out`): the same fields as ledger.ReceiptProof, except that the
// header time, Unix nanoseconds, is a JSON string of decimal digits
// ("1793606400123456789"). A JSON number above 2^53 does not survive
// JavaScript's JSON.parse, jq or a decode through a float64 map: it comes
// back rounded, and the header no longer hashes to what the nodes signed.
// Every other number of the form (height, index, size, status, alg) stays
// a number: it is far below 2^53 by construction.
//
// UnmarshalJSON also reads the node's own form (GET /v1/txs/{id}, older
// files), whose time is a JSON number: exact as long as no parser rounded
// it. TimeForm says which form was read, so that verification can name a
// rounded time as the cause of a failure.
type Proof struct {
	ledger.ReceiptProof
	// TimeForm is how the header time was written in the JSON this proof
	// was read from (TimeString for a proof built in Go).
	TimeForm TimeForm `json:"-"`
	// TimeText is the header time as written there, for messages.
	TimeText string `json:"-"`
}

// TimeForm is how a proof's header time was written in JSON.
type TimeForm uint8

// How a header time can be written.
const (
	// TimeString: a string of digits, exact (this form).
	TimeString TimeForm = iota
	// TimeNumber: a JSON integer literal (the node's form): exact if no
	// parser rounded it on the way, which cannot be told from the digits
	// when the value is above 2^53.
	TimeNumber
	// TimeRounded: a JSON number with a fraction or an exponent
	// (1.7936064001234568e+18): a float wrote it, and the digits it
	// dropped are lost.
	TimeRounded
)

// maxExact is the largest integer every float64 holds exactly (2^53).
const maxExact = 1 << 53

// NewProof returns the JSON form of p.
func NewProof(p *ledger.ReceiptProof) *Proof { return &Proof{ReceiptProof: *p} }

// proofJSON mirrors ledger.ReceiptProof's JSON, field for field and in
// the same order, with the header's time as raw JSON.
type proofJSON struct {
	ChainID     string                   `json:"chain_id"`
	Tx          []byte                   `json:"tx"`
	Receipt     ledger.Receipt           `json:"receipt"`
	Index       uint64                   `json:"index"`
	Size        uint64                   `json:"size"`
	TxPath      [][]byte                 `json:"tx_path"`
	ReceiptPath [][]byte                 `json:"receipt_path"`
	Header      headerJSON               `json:"header"`
	Signatures  []ledger.HeaderSignature `json:"signatures"`
}

type headerJSON struct {
	ChainID     string          `json:"chain_id"`
	Height      uint64          `json:"height"`
	Time        json.RawMessage `json:"time"`
	PrevHash    ledger.Hash     `json:"prev_hash"`
	TxRoot      ledger.Hash     `json:"tx_root"`
	ReceiptRoot ledger.Hash     `json:"receipt_root"`
	StateHash   ledger.Hash     `json:"state_hash"`
	Proposer    string          `json:"proposer"`
}

// MarshalJSON writes the proof with its header time as a string.
func (p Proof) MarshalJSON() ([]byte, error) {
	h := p.Header
	return json.Marshal(proofJSON{
		ChainID: p.ChainID, Tx: p.Tx, Receipt: p.Receipt, Index: p.Index, Size: p.Size, TxPath: p.TxPath, ReceiptPath: p.ReceiptPath,
		Header: headerJSON{ChainID: h.ChainID, Height: h.Height, Time: json.RawMessage(strconv.Quote(strconv.FormatInt(h.Time, 10))),
			PrevHash: h.PrevHash, TxRoot: h.TxRoot, ReceiptRoot: h.ReceiptRoot, StateHash: h.StateHash, Proposer: h.Proposer},
		Signatures: p.Signatures,
	})
}

var (
	digits    = regexp.MustCompile(`^-?[0-9]+$`)
	jsonFloat = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// UnmarshalJSON reads either form (see Proof).
func (p *Proof) UnmarshalJSON(b []byte) error {
	var j proofJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("api: not a receipt proof: %w", err)
	}
	if len(j.Tx) == 0 || len(j.Header.Time) == 0 {
		return fmt.Errorf("api: not a receipt proof: it has no transaction or no header time")
	}
	t, form, text, err := parseTime(j.Header.Time)
	if err != nil {
		return err
	}
	h := j.Header
	*p = Proof{ReceiptProof: ledger.ReceiptProof{
		ChainID: j.ChainID, Tx: j.Tx, Receipt: j.Receipt, Index: j.Index, Size: j.Size, TxPath: j.TxPath, ReceiptPath: j.ReceiptPath,
		Header: ledger.Header{ChainID: h.ChainID, Height: h.Height, Time: t, PrevHash: h.PrevHash, TxRoot: h.TxRoot,
			ReceiptRoot: h.ReceiptRoot, StateHash: h.StateHash, Proposer: h.Proposer},
		Signatures: j.Signatures,
	}, TimeForm: form, TimeText: text}
	return nil
}

// parseTime reads a header time written as a string of digits or as a
// JSON number.
func parseTime(raw json.RawMessage) (int64, TimeForm, string, error) {
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !digits.MatchString(s) {
			return 0, 0, string(raw), fmt.Errorf("api: the receipt's header time %s is not Unix nanoseconds written as digits", raw)
		}
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, s, fmt.Errorf("api: the receipt's header time %s is out of range", s)
		}
		return t, TimeString, s, nil
	}
	s := string(raw)
	if digits.MatchString(s) {
		t, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, s, fmt.Errorf("api: the receipt's header time %s is out of range", s)
		}
		return t, TimeNumber, s, nil
	}
	if !jsonFloat.MatchString(s) {
		return 0, 0, s, fmt.Errorf("api: the receipt's header time %s is not a number of nanoseconds", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) >= math.MaxInt64 {
		return 0, 0, s, fmt.Errorf("api: the receipt's header time %s is out of range", s)
	}
	if f == math.Trunc(f) && math.Abs(f) <= maxExact {
		return int64(f), TimeNumber, s, nil // e.g. 1e9: written oddly, but exact
	}
	return int64(f), TimeRounded, s, nil
}
