package claims

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/portal/readmodel"
)

// ModuleName is the read-model module's name (key space "x/claims/").
const ModuleName = "claims"

// ErrEvent marks a committed claim event the index cannot apply; it wraps
// readmodel.ErrCorrupt so the follower stops rather than index wrong data.
var ErrEvent = fmt.Errorf("%w: claims", readmodel.ErrCorrupt)

// Item is one service line as the ledger has it: its position and
// amount. Its service code and date are in the claim's document (an
// encrypted record), never in the index.
type Item struct {
	Seq    uint64 `json:"seq"`
	Amount uint64 `json:"amount"`
}

// Adjudication is the insurer's decision on one item.
type Adjudication struct {
	Seq      uint64 `json:"seq"`
	Approved uint64 `json:"approved"`
	Reason   string `json:"reason,omitempty"`
}

// Appeal is one appeal of the provider.
type Appeal struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
	// Outcome and Approved are those of the adjudication appealed against.
	Outcome  string `json:"outcome"`
	Approved uint64 `json:"approved"`
	By       string `json:"by"`
	Height   uint64 `json:"height"`
	Time     int64  `json:"time"`
	TxID     string `json:"tx_id"`
}

// Change is one status change of a claim.
type Change struct {
	Status string `json:"status"`
	By     string `json:"by"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"`
	TxID   string `json:"tx_id"`
}

// Claim is a claim with the insurer's response.
type Claim struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Patient  string `json:"patient"`
	Insurer  string `json:"insurer"`
	Currency string `json:"currency"`
	Items    []Item `json:"items"`
	Document string `json:"document"` // the itemised claim's record id
	// DocumentVersion is the document's version the claim was filed with.
	DocumentVersion uint64 `json:"document_version"`
	// KeyID, Fingerprint and ItemKeys are the claim's keyed fingerprints
	// (hex), which the insurer's portal checks against the document.
	KeyID         string         `json:"key_id"`
	Fingerprint   string         `json:"fingerprint"`
	ItemKeys      []string       `json:"item_keys"`
	LinkedRecords []string       `json:"linked_records"`
	Status        string         `json:"status"`
	Outcome       string         `json:"outcome,omitempty"`
	DenialReason  string         `json:"denial_reason,omitempty"`
	Adjudication  []Adjudication `json:"adjudication"`
	Claimed       uint64         `json:"claimed"`
	Approved      uint64         `json:"approved"`
	PatientShare  uint64         `json:"patient_share"`
	PaymentRef    string         `json:"payment_ref,omitempty"`
	PaidAmount    uint64         `json:"paid_amount,omitempty"`
	Appeals       []Appeal       `json:"appeals"`
	History       []Change       `json:"history"`
	SubmittedBy   string         `json:"submitted_by"`
	Height        uint64         `json:"height"` // submitted at
	Time          int64          `json:"time"`   // Unix ns, block time
	TxID          string         `json:"tx_id"`
	Updated       uint64         `json:"updated"` // height of the last change
	Seq           string         `json:"seq"`     // index suffix
}

func claimKey(id string) string              { return "c/" + id }
func documentKey(record string) string       { return "d/" + record }
func readByAccessKey(access string) string   { return "ra/" + access }
func insurerPrefix(org string) string        { return "i/" + org + "/" }
func statusPrefix(org, status string) string { return "is/" + org + "/" + status + "/" }
func providerPrefix(org string) string       { return "p/" + org + "/" }
func patientPrefix(member string) string     { return "pt/" + member + "/" }
func bad(format string, v ...any) error {
	return fmt.Errorf("%w: %s", ErrEvent, fmt.Sprintf(format, v...))
}
func u64(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

// readKey mirrors claimdoc.DocumentReadKey in this index.
func readKey(record string, version uint64, org string) string {
	return "rd/" + record + "/" + strconv.FormatUint(version, 10) + "/" + org
}

// Module returns the read-model module.
func Module() readmodel.Module {
	// Version 1: the read of each claim's document the ledger counts
	// (documentAccess), and the services of FHIR claims.
	return readmodel.Module{Name: ModuleName, Version: 1, Block: applyBlock}
}

func applyBlock(w *readmodel.Txn, b *api.Block) error {
	return readmodel.EachEvent(b, []string{claimvocab.Name, recordvocab.Name}, func(ce readmodel.CallEvent) error {
		if ce.Contract == recordvocab.Name {
			return applyRecordEvent(w, ce.Event)
		}
		return applyEvent(w, ce)
	})
}

// applyRecordEvent follows, as the record contract marks them for
// claim.adjudicate (claimdoc.DocumentReadKey), the reads of claims'
// documents by their insurers: the first access to a claim document's
// version granted to a member of an organisation under a consent for
// purpose "claims" is marked (the ledger grants such an access to a claim
// document only to its claim's insurer), and the mark goes when its
// reader reports that access undelivered.
func applyRecordEvent(w *readmodel.Txn, e ledger.Event) error {
	switch e.Type {
	case recordvocab.EventAccessGranted:
		rec, access := e.Attr(recordvocab.AttrRecord), e.Attr(recordvocab.AttrAccess)
		if e.Attr(recordvocab.AttrConsent) == "" || e.Attr(recordvocab.AttrPurpose) != claimdoc.Purpose {
			return nil
		}
		if _, isDoc, err := w.Get(documentKey(rec)); err != nil || !isDoc {
			return err // not a claim's document (a linked record, say)
		}
		v, err := u64(e.Attr(recordvocab.AttrVersion))
		if err != nil {
			return bad("access_granted version %q", e.Attr(recordvocab.AttrVersion))
		}
		org, _, _ := strings.Cut(e.Attr(recordvocab.AttrReader), "/")
		k := readKey(rec, v, org)
		if _, marked, err := w.Get(k); err != nil || marked {
			return err
		}
		w.Put(k, []byte(access))
		w.Put(readByAccessKey(access), []byte(k))
	case recordvocab.EventAccessUndelivered:
		access := e.Attr(recordvocab.AttrAccess)
		k, ok, err := w.Get(readByAccessKey(access))
		if err != nil || !ok {
			return err
		}
		w.Delete(readByAccessKey(access))
		if v, ok, err := w.Get(string(k)); err != nil {
			return err
		} else if ok && string(v) == access {
			w.Delete(string(k))
		}
	}
	return nil
}

func load(w *readmodel.Txn, id string) (*Claim, error) {
	return readmodel.MustLoadJSON[Claim](w, claimKey(id), ErrEvent, fmt.Sprintf("claim %q", id))
}

func applyEvent(w *readmodel.Txn, e readmodel.CallEvent) error {
	if e.Type == claimvocab.EventSubmitted {
		return submitted(w, e)
	}
	status := map[string]string{claimvocab.EventInReview: claimvocab.StatusInReview,
		claimvocab.EventAdjudicated: claimvocab.StatusAdjudicated,
		claimvocab.EventPaid:        claimvocab.StatusPaid, claimvocab.EventAppealed: claimvocab.StatusAppealed,
		claimvocab.EventCancelled: claimvocab.StatusCancelled}[e.Type]
	if status == "" {
		return nil // events added later are ignored until indexed
	}
	c, err := load(w, e.Attr(claimvocab.AttrClaim))
	if err != nil {
		return err
	}
	switch e.Type {
	case claimvocab.EventAdjudicated:
		if err := adjudicated(c, e); err != nil {
			return err
		}
	case claimvocab.EventPaid:
		c.PaymentRef = e.Attr(claimvocab.AttrPaymentRef)
		if c.PaidAmount, err = u64(e.Attr(claimvocab.AttrAmount)); err != nil {
			return bad("claim_paid amount %q", e.Attr(claimvocab.AttrAmount))
		}
	case claimvocab.EventAppealed:
		n, err := u64(e.Attr(claimvocab.AttrAppeal))
		if err != nil {
			return bad("claim_appealed appeal %q", e.Attr(claimvocab.AttrAppeal))
		}
		c.Appeals = append(c.Appeals,
			Appeal{Seq: n, Reason: e.Attr(claimvocab.AttrReason), Outcome: e.Attr(claimvocab.AttrOutcome),
				Approved: c.Approved,
				By:       e.Attr(claimvocab.AttrBy), Height: e.Height, Time: e.Time, TxID: e.TxID})
		c.PatientShare = 0 // not settled while under appeal
	case claimvocab.EventCancelled:
		c.PatientShare = 0
	}
	return setStatus(w, c, e, status)
}

func setStatus(w *readmodel.Txn, c *Claim, e readmodel.CallEvent, status string) error {
	if c.Status != "" {
		w.Delete(statusPrefix(c.Insurer, c.Status) + c.Seq)
	}
	c.Status, c.Updated = status, e.Height
	c.History = append(c.History,
		Change{Status: status, By: e.Attr(claimvocab.AttrBy), Height: e.Height, Time: e.Time, TxID: e.TxID})
	w.Put(statusPrefix(c.Insurer, c.Status)+c.Seq, []byte(c.ID))
	return w.PutJSON(claimKey(c.ID), c)
}

// parseAmounts reads the contract's items' amounts (minor units).
func parseAmounts(l []string) ([]Item, error) {
	out := make([]Item, len(l))
	for i, s := range l {
		n, err := u64(s)
		if err != nil {
			return nil, bad("item %d amount %.24q", i+1, s)
		}
		out[i] = Item{Seq: uint64(i + 1), Amount: n}
	}
	return out, nil
}

func submitted(w *readmodel.Txn, e readmodel.CallEvent) error {
	if e.Args == nil {
		return bad("claim_submitted outside a claim call")
	}
	c := &Claim{ID: e.Attr(claimvocab.AttrClaim), Provider: e.Attr(claimvocab.AttrProvider),
		Patient: e.Attr(claimvocab.AttrPatient), Insurer: e.Attr(claimvocab.AttrInsurer),
		Currency: e.Attr(claimvocab.AttrCurrency), Document: e.Attr(claimvocab.AttrDocument),
		LinkedRecords: []string{}, Adjudication: []Adjudication{}, Appeals: []Appeal{}, History: []Change{},
		SubmittedBy: e.Attr(claimvocab.AttrBy), Height: e.Height, Time: e.Time, TxID: e.TxID,
		Seq: readmodel.Seq(e.Height, e.Tx)}
	if _, ok, err := w.Get(claimKey(c.ID)); err != nil {
		return err
	} else if ok {
		return bad("claim %q submitted twice", c.ID)
	}
	raw, err := e.Args.Strings(claimvocab.ArgAmounts)
	if err != nil {
		return bad("submit: %v", err)
	}
	if c.Items, err = parseAmounts(raw); err != nil {
		return err
	}
	if e.Args.Has(claimvocab.ArgRecords) {
		if c.LinkedRecords, err = e.Args.Strings(claimvocab.ArgRecords); err != nil {
			return bad("submit: %v", err)
		}
	}
	if c.DocumentVersion, err = u64(e.Attr(claimvocab.AttrDocumentVersion)); err != nil {
		return bad("claim_submitted document_version %q", e.Attr(claimvocab.AttrDocumentVersion))
	}
	if c.KeyID, err = e.Args.String(claimvocab.ArgKeyID); err != nil {
		return bad("submit: %v", err)
	}
	fp, err := e.Args.Bytes(claimvocab.ArgFingerprint)
	if err != nil {
		return bad("submit: %v", err)
	}
	c.Fingerprint = hex.EncodeToString(fp)
	if c.ItemKeys, err = e.Args.Strings(claimvocab.ArgItemFingerprints); err != nil {
		return bad("submit: %v", err)
	}
	slices.Sort(c.ItemKeys) // as the contract stores them
	for _, it := range c.Items {
		if c.Claimed+it.Amount < c.Claimed {
			return bad("claim %q: amounts overflow", c.ID)
		}
		c.Claimed += it.Amount
	}
	if total, err := u64(e.Attr(claimvocab.AttrTotal)); err != nil || total != c.Claimed {
		return bad("claim %q: items sum to %d, the event says %q", c.ID, c.Claimed, e.Attr(claimvocab.AttrTotal))
	}
	w.Put(insurerPrefix(c.Insurer)+c.Seq, []byte(c.ID))
	w.Put(documentKey(c.Document), []byte(c.ID))
	w.Put(providerPrefix(c.Provider)+c.Seq, []byte(c.ID))
	w.Put(patientPrefix(c.Patient)+c.Seq, []byte(c.ID))
	return setStatus(w, c, e, claimvocab.StatusSubmitted)
}

func adjudicated(c *Claim, e readmodel.CallEvent) error {
	if e.Args == nil {
		return bad("claim_adjudicated outside a claim call")
	}
	raw, err := e.Args.Strings(claimvocab.ArgAdjudication)
	if err != nil {
		return bad("adjudicate: %v", err)
	}
	adj := make([]Adjudication, len(c.Items))
	for _, s := range raw {
		f := strings.Split(s, ":")
		if len(f) < 2 {
			return bad("adjudication %q", s)
		}
		seq, err1 := u64(f[0])
		n, err2 := u64(f[1])
		if err1 != nil || err2 != nil || seq == 0 || seq > uint64(len(adj)) {
			return bad("adjudication %q", s)
		}
		adj[seq-1] = Adjudication{Seq: seq, Approved: n}
		if len(f) == 3 {
			adj[seq-1].Reason = f[2]
		}
	}
	c.Adjudication = adj
	c.Outcome, c.DenialReason = e.Attr(claimvocab.AttrOutcome), e.Attr(claimvocab.AttrDenialReason)
	if c.Approved, err = u64(e.Attr(claimvocab.AttrApproved)); err != nil {
		return bad("claim_adjudicated approved %q", e.Attr(claimvocab.AttrApproved))
	}
	if c.PatientShare, err = u64(e.Attr(claimvocab.AttrPatientShare)); err != nil {
		return bad("claim_adjudicated patient_share %q", e.Attr(claimvocab.AttrPatientShare))
	}
	var sum uint64
	for _, x := range adj {
		sum += x.Approved
	}
	if sum != c.Approved {
		return bad("claim %q: adjudication sums to %d, the event says %d", c.ID, sum, c.Approved)
	}
	return nil
}
