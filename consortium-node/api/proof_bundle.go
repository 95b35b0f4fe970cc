package api

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/merkle"
	"github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/consortium-node/tx"
)

// BundleFormat names the JSON document of a gift's proofs (GiftBundle).
const BundleFormat = "almoner/gift-proofs/v1"

// Kinds of step in a gift's bundle: the transactions that moved the gift.
const (
	StepGift              = "gift"               // donation.give: the gift itself
	StepMilestoneApproved = "milestone_approved" // the validator released a milestone the gift is allocated to
	StepDisbursement      = "disbursement"       // a disbursement that drew on the gift
	StepPayeeConfirmed    = "payee_confirmed"    // the payee confirmed receiving that disbursement
	StepRefund            = "refund"             // the transaction that refunded part of the gift
)

// GiftBundle is one JSON document with the receipt proofs of every
// transaction that moved a gift: the gift first, then the approvals of
// the milestones it is allocated to, the disbursements that drew on it
// and their payees' confirmations, and its refunds, in commit order. Anyone
// verifies it offline against the consortium's genesis file (Verify,
// `almoner verify`, the portal's verifier in the browser).
//
// A receipt can name other donors (a disbursement's gift_disbursed and a
// refund's gift_refunded events name each gift it drew on or refunded,
// with its donor and amount). The portal leaves out the events its viewer
// may not read; such a step carries the receipt's leaf hash instead of the
// whole receipt, so that the transaction, its block and the node
// signatures are still proven, but the receipt's status and the events
// shown are only the portal's word (docs/decisions/0026-donor-proofs.md).
type GiftBundle struct {
	Format  string       `json:"format"`
	ChainID string       `json:"chain_id"`
	Gift    string       `json:"gift"` // the gift's id: its donation.give transaction
	Steps   []BundleStep `json:"steps"`
}

// BundleStep is one transaction of a gift's lineage with its proof.
type BundleStep struct {
	Kind  string `json:"kind"` // Step*
	Proof Proof  `json:"proof"`
	// Withheld counts the receipt events left out of Proof.Receipt; with
	// any, ReceiptLeaf is the RFC 6962 leaf hash (hex) of the whole
	// receipt, which the block's receipt root proves instead.
	Withheld    int    `json:"withheld,omitempty"`
	ReceiptLeaf string `json:"receipt_leaf,omitempty"`
}

// NewBundleStep makes a step of a proof, keeping the receipt events show
// accepts (all when show is nil).
func NewBundleStep(kind string, p *ledger.ReceiptProof, show func(ledger.Event) bool) BundleStep {
	s := BundleStep{Kind: kind, Proof: *NewProof(p)}
	if show == nil {
		return s
	}
	kept := make([]ledger.Event, 0, len(p.Receipt.Events))
	for _, e := range p.Receipt.Events {
		if show(e) {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(p.Receipt.Events) {
		return s
	}
	s.Withheld = len(p.Receipt.Events) - len(kept)
	s.ReceiptLeaf = hex.EncodeToString(merkle.LeafHash(p.Receipt.Encode()))
	s.Proof.Receipt.Events = kept
	return s
}

// Errors of a bundle's verification besides a step's *ProofError.
var (
	// ErrBundle: the document is no gift bundle, or its steps do not
	// form the gift's lineage (a step about something else, out of order).
	ErrBundle = errors.New("api: not the proofs of this gift")
)

// BundleError is a failed bundle: the step (1-based; 0 for the document)
// and why, a *ProofError or ErrBundle.
type BundleError struct {
	Step int
	Kind string
	Err  error
}

func (e *BundleError) Error() string {
	if e.Step == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("step %d (%s): %v", e.Step, stepNames[e.Kind], e.Err)
}

func (e *BundleError) Unwrap() error { return e.Err }

var stepNames = map[string]string{
	StepGift: "the gift", StepMilestoneApproved: "the milestone's approval", StepDisbursement: "a disbursement",
	StepPayeeConfirmed: "the payee's confirmation", StepRefund: "a refund",
}

// StepReport is what one verified step proves.
type StepReport struct {
	Kind   string
	TxID   tx.ID
	Height uint64
	Time   time.Time // block time
	// Whole: the whole receipt was checked; otherwise Withheld of its
	// events were left out and only the transaction is proven.
	Whole    bool
	Withheld int
	// Proves says in words what the nodes signed; PortalSays what the
	// portal shows that a receipt shown in part cannot prove.
	Proves     []string
	PortalSays []string
}

// BundleReport is a verified bundle.
type BundleReport struct {
	Gift  string
	Steps []StepReport
}

// Verify checks every step's proof against t (as Proof.Verify; a step
// shown in part by its receipt's leaf hash), then that the steps are the
// gift's lineage: the gift first, then only transactions on its campaign's
// milestones it is allocated to, disbursements that drew on it (a whole
// receipt must show this gift's share), confirmations of those
// disbursements and refunds of it. It says in words what each step
// proves. The first failure is a *BundleError.
func (b *GiftBundle) Verify(t Trust) (*BundleReport, error) {
	if b.Format != BundleFormat {
		return nil, &BundleError{Err: fmt.Errorf("%w: its format is %q, not %q", ErrBundle, b.Format, BundleFormat)}
	}
	if len(b.Steps) == 0 || b.Steps[0].Kind != StepGift {
		return nil, &BundleError{Err: fmt.Errorf("%w: its first step is not the gift", ErrBundle)}
	}
	rep := &BundleReport{Gift: b.Gift}
	var g giftFacts
	for i := range b.Steps {
		s := &b.Steps[i]
		r, err := s.verify(t, &g, b.Gift)
		if err != nil {
			return nil, &BundleError{Step: i + 1, Kind: s.Kind, Err: err}
		}
		rep.Steps = append(rep.Steps, *r)
	}
	return rep, nil
}

// giftFacts are what the gift's own receipt proves, which the later steps
// must match.
type giftFacts struct {
	id, campaign, charity, donor, currency string
	milestones                             []string
	disbursements                          []string
}

func unrelated(format string, v ...any) error {
	return fmt.Errorf("%w: %s", ErrBundle, fmt.Sprintf(format, v...))
}

func (s *BundleStep) verify(t Trust, g *giftFacts, gift string) (*StepReport, error) {
	p := &s.Proof
	var leaf []byte
	if s.ReceiptLeaf != "" {
		l, err := hex.DecodeString(s.ReceiptLeaf)
		if err != nil || len(l) != 32 {
			return nil, fail(ErrProofReceipt, "its receipt_leaf is not a SHA-256 hash in hex")
		}
		leaf = l
	} else if s.Withheld != 0 {
		return nil, fail(ErrProofReceipt, "it says %d receipt events were withheld but carries no receipt_leaf to check the receipt by", s.Withheld)
	}
	if err := verifyProof(p, t, leaf); err != nil {
		return nil, err
	}
	signed, err := tx.Decode(p.Tx)
	if err != nil {
		return nil, fail(ErrProofTx, "its transaction does not decode: %v", err)
	}
	call := signed.Body.Call
	r := &StepReport{Kind: s.Kind, TxID: p.Receipt.TxID, Height: p.Header.Height, Time: time.Unix(0, p.Header.Time).UTC(),
		Whole: leaf == nil, Withheld: s.Withheld}
	if r.Whole && !p.Receipt.OK() {
		return nil, unrelated("its transaction %s.%s failed (%s): it moved no money", call.Contract, call.Method, p.Receipt.Error)
	}
	if call.Contract != vocab.Contract {
		return nil, unrelated("its transaction is %s.%s, not a donation", call.Contract, call.Method)
	}
	arg := func(name string) string { return argText(call.Args, name) }
	sender := signed.Body.Sender
	evs := p.Receipt.Events
	says := func(whole bool, line string) {
		if whole {
			r.Proves = append(r.Proves, line)
		} else {
			r.PortalSays = append(r.PortalSays, line)
		}
	}
	money := func(minor string) string { return Money(minor, g.currency) }
	switch s.Kind {
	case StepGift:
		e, ok := findEvent(evs, vocab.EventGiftReceived, vocab.AttrGift, gift)
		if !r.Whole || call.Method != vocab.MethodGive || p.Receipt.TxID.String() != gift || !ok {
			return nil, unrelated("it is not the whole receipt of gift %s", gift)
		}
		*g = giftFacts{id: gift, campaign: e.Attr(vocab.AttrCampaign), charity: e.Attr(vocab.AttrCharity),
			donor: e.Attr(vocab.AttrDonor), currency: e.Attr(vocab.AttrCurrency)}
		var parts []string
		for _, a := range strings.Split(e.Attr(vocab.AttrAllocations), ",") {
			m, amt, ok := strings.Cut(a, ":")
			if !ok {
				continue
			}
			g.milestones = append(g.milestones, m)
			parts = append(parts, money(amt)+" to milestone "+m)
		}
		line := fmt.Sprintf("%s gave %s to campaign %s of %s", g.donor, money(e.Attr(vocab.AttrAmount)), g.campaign,
			g.charity)
		if b := e.Attr(vocab.AttrBeneficiary); b != "" {
			line += ", for " + b
		}
		if len(parts) > 0 {
			how := "allocated"
			if e.Attr(vocab.AttrEarmarked) == "true" {
				how = "earmarked"
			}
			line += "; " + how + ": " + strings.Join(parts, ", ")
		}
		r.Proves = append(r.Proves, line+".")
	case StepMilestoneApproved:
		if call.Method != vocab.MethodApproveMilestone || arg(vocab.ArgCampaignID) != g.campaign || !slices.Contains(g.milestones,
			arg(vocab.ArgMilestone)) {
			return nil, unrelated("its transaction (%s.%s on campaign %q, milestone %s) does not approve a milestone this gift is allocated to",
				call.Contract, call.Method, arg(vocab.ArgCampaignID), arg(vocab.ArgMilestone))
		}
		if _, ok := findEvent(evs, vocab.EventMilestoneApproved, vocab.AttrMilestone,
			arg(vocab.ArgMilestone)); !ok && r.Whole {
			return nil, unrelated("its receipt records no approval of milestone %s", arg(vocab.ArgMilestone))
		}
		r.Proves = append(r.Proves,
			fmt.Sprintf("%s approved milestone %s of campaign %s: the money held for it may be paid out.", sender,
				arg(vocab.ArgMilestone), g.campaign))
	case StepDisbursement:
		if call.Method != vocab.MethodDisburse || arg(vocab.ArgCampaignID) != g.campaign || !slices.Contains(g.milestones,
			arg(vocab.ArgMilestone)) {
			return nil, unrelated("its transaction (%s.%s on campaign %q, milestone %s) is no disbursement from a milestone this gift is allocated to",
				call.Contract, call.Method, arg(vocab.ArgCampaignID), arg(vocab.ArgMilestone))
		}
		d := arg(vocab.ArgDisbursementID)
		line := fmt.Sprintf("%s paid %s from milestone %s of campaign %s to %s for “%s” (payment reference %s, disbursement %s)",
			sender, money(arg(vocab.ArgAmount)), arg(vocab.ArgMilestone), g.campaign, arg(vocab.ArgPayee),
			arg(vocab.ArgPurpose), arg(vocab.ArgPaymentRef), d)
		if c := arg(vocab.ArgClaim); c != "" {
			line += ", the patient's share of insurance claim " + c
		}
		share, n := sumEvents(evs, vocab.EventGiftDisbursed, gift)
		if r.Whole {
			if n == 0 {
				return nil, unrelated("disbursement %s did not draw on this gift: its receipt names no share of it", d)
			}
			r.Proves = append(r.Proves, line+fmt.Sprintf("; %s of it came from this gift.", money(share)))
		} else {
			r.Proves = append(r.Proves, line+" (the transaction, as signed).")
			if n > 0 {
				says(false, fmt.Sprintf("It succeeded, and %s of it came from this gift.", money(share)))
			}
		}
		g.disbursements = append(g.disbursements, d)
	case StepPayeeConfirmed:
		d := arg(vocab.ArgDisbursementID)
		if call.Method != vocab.MethodConfirmReceipt || !slices.Contains(g.disbursements, d) {
			return nil, unrelated("its transaction (%s.%s of disbursement %q) confirms no disbursement of an earlier step", call.Contract, call.Method, d)
		}
		payee := d
		if e, ok := findEvent(evs, vocab.EventPayeeConfirmed, vocab.AttrDisbursement, d); ok {
			payee = e.Attr(vocab.AttrPayee)
		}
		says(r.Whole, fmt.Sprintf("%s confirmed that %s received disbursement %s.", sender, payee, d))
		if !r.Whole {
			r.Proves = append(r.Proves, fmt.Sprintf("%s signed the confirmation of disbursement %s.", sender, d))
		}
	case StepRefund:
		if (call.Method != vocab.MethodCancel && call.Method != vocab.MethodRejectMilestone && call.Method != vocab.MethodSettleMilestone) || arg(vocab.ArgCampaignID) != g.campaign ||
			call.Method != vocab.MethodCancel && !slices.Contains(g.milestones, arg(vocab.ArgMilestone)) {
			return nil,
				unrelated("its transaction (%s.%s on campaign %q) refunds nothing of this gift", call.Contract,
					call.Method, arg(vocab.ArgCampaignID))
		}
		what := "cancelled the campaign " + g.campaign
		if call.Method != vocab.MethodCancel {
			what = fmt.Sprintf("%s milestone %s of campaign %s",
				map[string]string{vocab.MethodRejectMilestone: "rejected",
					vocab.MethodSettleMilestone: "settled the overdue"}[call.Method],
				arg(vocab.ArgMilestone), g.campaign)
		}
		r.Proves = append(r.Proves, fmt.Sprintf("%s %s.", sender, what))
		refunded, n := sumEvents(evs, vocab.EventGiftRefunded, gift)
		if r.Whole && n == 0 {
			return nil, unrelated("its receipt refunds nothing of this gift")
		}
		if n > 0 {
			e, _ := findEvent(evs, vocab.EventGiftRefunded, vocab.AttrGift, gift)
			says(r.Whole,
				fmt.Sprintf("%s of this gift went back to %s: %s.", money(refunded), e.Attr(vocab.AttrDonor),
					refundReason(e.Attr(vocab.AttrReason))))
		}
	default:
		return nil, unrelated("its kind %q is none of gift, milestone_approved, disbursement, payee_confirmed, refund", s.Kind)
	}
	if !r.Whole {
		r.PortalSays = append(r.PortalSays, fmt.Sprintf("%d events of its receipt are withheld (other donors' gifts), so the receipt's status and events are the portal's word: the block proves only its hash.", s.Withheld))
	}
	return r, nil
}

func refundReason(why string) string {
	switch why {
	case "campaign_cancelled":
		return "the campaign was cancelled"
	case "milestone_rejected":
		return "the milestone was rejected"
	case "milestone_missed":
		return "the milestone missed its deadline"
	}
	return why
}

// findEvent returns the first donation event of type typ whose attribute
// key is val.
func findEvent(evs []ledger.Event, typ, key, val string) (ledger.Event, bool) {
	for _, e := range evs {
		if e.Contract == vocab.Contract && e.Type == typ && e.Attr(key) == val {
			return e, true
		}
	}
	return ledger.Event{}, false
}

// sumEvents adds the amounts of the events of type typ for gift.
func sumEvents(evs []ledger.Event, typ, gift string) (string, int) {
	var sum uint64
	n := 0
	for _, e := range evs {
		if e.Contract == vocab.Contract && e.Type == typ && e.Attr(vocab.AttrGift) == gift {
			a, _ := strconv.ParseUint(e.Attr(vocab.AttrAmount), 10, 64)
			sum += a
			n++
		}
	}
	return strconv.FormatUint(sum, 10), n
}

// argText renders a call argument as text ("" when missing).
func argText(args tx.Args, name string) string {
	if s, err := args.String(name); err == nil {
		return s
	}
	if u, err := args.Uint(name); err == nil {
		return strconv.FormatUint(u, 10)
	}
	return ""
}

// Money writes an amount of minor units in its currency's major unit, as
// people read it: Money("1234", "EUR") is "12.34 EUR" (ISO 4217 decimal
// places; JPY has none, KWD three). Text that is no amount stays as it is.
func Money(minor, currency string) string {
	n, err := strconv.ParseUint(minor, 10, 64)
	if err != nil {
		return minor
	}
	s := money.Decimal(n, currency)
	if currency == "" {
		return s
	}
	return s + " " + currency
}
