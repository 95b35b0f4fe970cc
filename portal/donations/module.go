package donations

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/portal/readmodel"
)

// ModuleName is the read-model module's name (its key space is
// "x/donations/").
const ModuleName = "donations"

// ErrEvent marks a committed donation event that the index cannot apply
// (an unknown campaign, gift or disbursement, or arguments that do not
// match the event). It wraps readmodel.ErrCorrupt: the follower stops
// rather than index wrong money; rebuilding will not help until the
// contract and this module agree again.
var ErrEvent = fmt.Errorf("%w: donations", readmodel.ErrCorrupt)

// Use kinds.
const (
	UseDisbursement = "disbursement"
	UseRefund       = "refund"
)

// Report entry kinds.
const (
	EntryIncome       = "income"
	EntryDisbursement = "disbursement"
	EntryRefund       = "refund"
)

// Milestone is a campaign stage with its own escrow.
type Milestone struct {
	Seq       uint64 `json:"seq"`
	Title     string `json:"title"`
	Amount    uint64 `json:"amount"`
	Validator string `json:"validator"`
	Deadline  int64  `json:"deadline"` // Unix seconds (block time)
	Status    string `json:"status"`
	// Evidence is the hex SHA-256 of the submitted evidence ("" before).
	Evidence   string `json:"evidence,omitempty"`
	DecidedBy  string `json:"decided_by,omitempty"` // the validator who approved or rejected
	Funded     uint64 `json:"funded"`
	Disbursed  uint64 `json:"disbursed"`
	Refunded   uint64 `json:"refunded"`
	StatusedAt uint64 `json:"statused_at"` // height of the last status change
	// StatusTx is the transaction of the last status change (of an
	// approved milestone: its approval).
	StatusTx string `json:"status_tx,omitempty"`
}

// Escrow is what the milestone still holds.
func (m *Milestone) Escrow() uint64 { return m.Funded - m.Disbursed - m.Refunded }

// Campaign is a charity's campaign.
type Campaign struct {
	ID            string      `json:"id"`
	Charity       string      `json:"charity"`
	Title         string      `json:"title"`
	Currency      string      `json:"currency"`
	Goal          uint64      `json:"goal"`
	Raised        uint64      `json:"raised"`
	Disbursed     uint64      `json:"disbursed"`
	Refunded      uint64      `json:"refunded"`
	Beneficiaries []string    `json:"beneficiaries"`
	Milestones    []Milestone `json:"milestones"`
	Status        string      `json:"status"`
	CreatedBy     string      `json:"created_by"`
	Height        uint64      `json:"height"` // created at
	Time          int64       `json:"time"`   // Unix ns, block time
	Updated       uint64      `json:"updated"`
	Gifts         uint64      `json:"gifts"`         // count
	Disbursements uint64      `json:"disbursements"` // count
}

// Balance is raised - disbursed - refunded: what the campaign holds in
// escrow.
func (c *Campaign) Balance() uint64 { return c.Raised - c.Disbursed - c.Refunded }

// Milestone returns milestone seq (nil if none).
func (c *Campaign) Milestone(seq uint64) *Milestone {
	if seq == 0 || seq > uint64(len(c.Milestones)) {
		return nil
	}
	return &c.Milestones[seq-1]
}

// Allocation is part of a gift assigned to a milestone.
type Allocation struct {
	Milestone uint64 `json:"milestone"`
	Amount    uint64 `json:"amount"`
	Earmarked bool   `json:"earmarked"`
	Left      uint64 `json:"left"` // still in escrow
}

// Use is where part of a gift went: a disbursement or a refund.
type Use struct {
	Kind         string `json:"kind"` // UseDisbursement or UseRefund
	Milestone    uint64 `json:"milestone"`
	Disbursement string `json:"disbursement,omitempty"`
	Reason       string `json:"reason,omitempty"` // refunds: campaign_cancelled, milestone_rejected, milestone_missed
	Amount       uint64 `json:"amount"`
	Height       uint64 `json:"height"`
	Time         int64  `json:"time"`
	TxID         string `json:"tx_id"`
}

// Gift is one donation.
type Gift struct {
	ID          string       `json:"id"`
	Campaign    string       `json:"campaign"`
	Charity     string       `json:"charity"`
	Donor       string       `json:"donor"`
	Amount      uint64       `json:"amount"`
	Currency    string       `json:"currency"`
	Beneficiary string       `json:"beneficiary,omitempty"`
	Earmarked   bool         `json:"earmarked"`
	Allocations []Allocation `json:"allocations"`
	Uses        []Use        `json:"uses"`
	Height      uint64       `json:"height"`
	Time        int64        `json:"time"`
	// Updated is the height of the last block that changed the gift's
	// lineage (a use, or the confirmation of a disbursement it funds).
	Updated uint64 `json:"updated"`
}

// Disbursed, Refunded and Escrow sum the gift's uses and what is left.
func (g *Gift) Disbursed() uint64 { return g.sumUses(UseDisbursement) }

// Refunded is the refunded part of the gift.
func (g *Gift) Refunded() uint64 { return g.sumUses(UseRefund) }

// Escrow is the part of the gift still held in milestone escrow.
func (g *Gift) Escrow() uint64 {
	var n uint64
	for _, a := range g.Allocations {
		n += a.Left
	}
	return n
}

func (g *Gift) sumUses(kind string) uint64 {
	var n uint64
	for _, u := range g.Uses {
		if u.Kind == kind {
			n += u.Amount
		}
	}
	return n
}

// Source is a gift's share of a disbursement.
type Source struct {
	Gift   string `json:"gift"`
	Amount uint64 `json:"amount"`
}

// Disbursement pays released milestone funds to a payee.
type Disbursement struct {
	ID         string   `json:"id"`
	Campaign   string   `json:"campaign"`
	Charity    string   `json:"charity"`
	Milestone  uint64   `json:"milestone"`
	Payee      string   `json:"payee"`
	Amount     uint64   `json:"amount"`
	Currency   string   `json:"currency"`
	Purpose    string   `json:"purpose"`
	PaymentRef string   `json:"payment_ref"`
	Evidence   string   `json:"evidence"` // hex SHA-256 of the invoice
	Claim      string   `json:"claim,omitempty"`
	Sources    []Source `json:"sources"`
	Confirmed  bool     `json:"confirmed"`
	// ConfirmedBy, ConfirmedHeight and ConfirmedTime describe the payee's
	// confirmation.
	ConfirmedBy     string `json:"confirmed_by,omitempty"`
	ConfirmedHeight uint64 `json:"confirmed_height,omitempty"`
	ConfirmedTime   int64  `json:"confirmed_time,omitempty"`
	ConfirmedTx     string `json:"confirmed_tx,omitempty"`
	DisbursedBy     string `json:"disbursed_by"`
	Height          uint64 `json:"height"`
	Time            int64  `json:"time"`
	TxID            string `json:"tx_id"`
}

// Entry is one money movement of a charity, for reports.
type Entry struct {
	Kind         string `json:"kind"` // EntryIncome, EntryDisbursement or EntryRefund
	Campaign     string `json:"campaign"`
	Milestone    uint64 `json:"milestone,omitempty"`
	Amount       uint64 `json:"amount"`
	Currency     string `json:"currency"`
	Gift         string `json:"gift,omitempty"`
	Disbursement string `json:"disbursement,omitempty"`
	Payee        string `json:"payee,omitempty"`
	Reason       string `json:"reason,omitempty"`
	Height       uint64 `json:"height"`
	Time         int64  `json:"time"`
	TxID         string `json:"tx_id"`
}

func hex16(n uint64) string { return fmt.Sprintf("%016x", n) }

func campaignKey(id string) string         { return "c/" + id }
func giftKey(id string) string             { return "g/" + id }
func disbKey(id string) string             { return "d/" + id }
func campaignGiftsPrefix(c string) string  { return "cg/" + c + "/" }
func campaignDisbsPrefix(c string) string  { return "cd/" + c + "/" }
func donorGiftsPrefix(donor string) string { return "dg/" + donor + "/" }
func reportPrefix(charity string) string   { return "r/" + charity + "/" }
func reportTimeKey(ns int64) string        { return hex16(uint64(ns)) }

// Version is the index's version: 1 added the transactions of milestone
// decisions and payee confirmations (Milestone.StatusTx,
// Disbursement.ConfirmedTx), which a gift's proof bundle names; 2 marks a
// cancelled campaign's undecided milestones cancelled, as the contract does.
const Version = 2

// Module returns the read-model module. Register it in the portal's
// readmodel.Registry.
func Module() readmodel.Module {
	return readmodel.Module{Name: ModuleName, Version: Version, Block: applyBlock}
}

// applyBlock indexes the donation events of a block's successful
// transactions, in block order.
func applyBlock(w *readmodel.Txn, b *api.Block) error {
	return readmodel.EachEvent(b, []string{vocab.Contract}, func(e readmodel.CallEvent) error {
		return applyEvent(w, e)
	})
}

func applyEvent(w *readmodel.Txn, e readmodel.CallEvent) error {
	switch e.Type {
	case vocab.EventCampaignCreated:
		return campaignCreated(w, e)
	case vocab.EventCampaignOpened, vocab.EventCampaignFunded, vocab.EventCampaignCancelled, vocab.EventCampaignClosed:
		return campaignStatus(w, e)
	case vocab.EventGiftReceived:
		return giftReceived(w, e)
	case vocab.EventEvidenceSubmitted, vocab.EventMilestoneApproved,
		vocab.EventMilestoneRejected, vocab.EventMilestoneMissed:
		return milestoneStatus(w, e)
	case vocab.EventGiftDisbursed:
		return giftDisbursed(w, e)
	case vocab.EventDisbursed:
		return disbursed(w, e)
	case vocab.EventPayeeConfirmed:
		return payeeConfirmed(w, e)
	case vocab.EventGiftRefunded:
		return giftRefunded(w, e)
	}
	return nil // events added later are ignored until indexed
}

func bad(format string, v ...any) error {
	return fmt.Errorf("%w: %s", ErrEvent, fmt.Sprintf(format, v...))
}

func parseAmount(e readmodel.CallEvent, key string) (uint64, error) {
	n, err := strconv.ParseUint(e.Attr(key), 10, 64)
	if err != nil {
		return 0, bad("attribute %s=%q is not an amount", key, e.Attr(key))
	}
	return n, nil
}

func loadCampaign(w *readmodel.Txn, id string) (*Campaign, error) {
	return readmodel.MustLoadJSON[Campaign](w, campaignKey(id), ErrEvent, fmt.Sprintf("campaign %q", id))
}

func loadGift(w *readmodel.Txn, id string) (*Gift, error) {
	return readmodel.MustLoadJSON[Gift](w, giftKey(id), ErrEvent, fmt.Sprintf("gift %q", id))
}

// loadMilestone loads the campaign and the milestone of it that e names.
func loadMilestone(w *readmodel.Txn, e readmodel.CallEvent) (*Campaign, *Milestone, error) {
	c, err := loadCampaign(w, e.Attr(vocab.AttrCampaign))
	if err != nil {
		return nil, nil, err
	}
	seq, err := strconv.ParseUint(e.Attr(vocab.AttrMilestone), 10, 64)
	if err != nil {
		return nil, nil, bad("attribute milestone=%q", e.Attr(vocab.AttrMilestone))
	}
	m := c.Milestone(seq)
	if m == nil {
		return nil, nil, bad("campaign %q has no milestone %d", c.ID, seq)
	}
	return c, m, nil
}

// ParseMilestone reads the contract's "<amount> <validator> <deadline
// unix seconds> <title...>" (create_campaign's milestones; portal/inbox reads their
// titles with it).
func ParseMilestone(s string, seq uint64) (Milestone, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return Milestone{}, bad("milestone %d %q", seq, s)
	}
	amount, err1 := strconv.ParseUint(f[0], 10, 64)
	deadline, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Milestone{}, bad("milestone %d %q", seq, s)
	}
	return Milestone{Seq: seq, Title: strings.Join(f[3:], " "), Amount: amount, Validator: f[1], Deadline: deadline,
		Status: vocab.MilestonePending}, nil
}

func campaignCreated(w *readmodel.Txn, e readmodel.CallEvent) error {
	if e.Args == nil {
		return bad("campaign_created outside a donation call")
	}
	c := &Campaign{ID: e.Attr(vocab.AttrCampaign), Charity: e.Attr(vocab.AttrCharity),
		Currency: e.Attr(vocab.AttrCurrency), Status: vocab.StatusDraft,
		CreatedBy: e.Sender, Height: e.Height, Time: e.Time, Updated: e.Height, Beneficiaries: []string{}}
	if _, ok, err := w.Get(campaignKey(c.ID)); err != nil {
		return err
	} else if ok || c.ID == "" {
		return bad("campaign_created for campaign %q, which is empty or exists", c.ID)
	}
	var err error
	if c.Goal, err = parseAmount(e, vocab.AttrGoal); err != nil {
		return err
	}
	if c.Title, err = e.Args.String(vocab.ArgTitle); err != nil {
		return bad("create_campaign: %v", err)
	}
	if e.Args.Has(vocab.ArgBeneficiaries) {
		if c.Beneficiaries, err = e.Args.Strings(vocab.ArgBeneficiaries); err != nil {
			return bad("create_campaign: %v", err)
		}
	}
	ms, err := e.Args.Strings(vocab.ArgMilestones)
	if err != nil {
		return bad("create_campaign: %v", err)
	}
	var goal uint64
	for i, s := range ms {
		m, err := ParseMilestone(s, uint64(i+1))
		if err != nil {
			return err
		}
		m.StatusedAt = e.Height
		goal += m.Amount
		c.Milestones = append(c.Milestones, m)
	}
	if goal != c.Goal {
		return bad("campaign %q: milestones sum to %d, the event says goal %d", c.ID, goal, c.Goal)
	}
	return w.PutJSON(campaignKey(c.ID), c)
}

func campaignStatus(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, err := loadCampaign(w, e.Attr(vocab.AttrCampaign))
	if err != nil {
		return err
	}
	c.Status = map[string]string{vocab.EventCampaignOpened: vocab.StatusOpen,
		vocab.EventCampaignFunded:    vocab.StatusFunded,
		vocab.EventCampaignCancelled: vocab.StatusCancelled, vocab.EventCampaignClosed: vocab.StatusClosed}[e.Type]
	if e.Type == vocab.EventCampaignCancelled {
		// As the contract does: milestones not yet decided are cancelled.
		for i := range c.Milestones {
			if m := &c.Milestones[i]; m.Status == vocab.MilestonePending || m.Status == vocab.MilestoneEvidence {
				m.Status, m.StatusedAt = vocab.MilestoneCancelled, e.Height
			}
		}
	}
	c.Updated = e.Height
	return w.PutJSON(campaignKey(c.ID), c)
}

// parseAllocations reads "seq:amount,...".
func parseAllocations(s string, earmarked bool) ([]Allocation, error) {
	out := []Allocation{}
	if s == "" {
		return out, nil
	}
	for _, p := range strings.Split(s, ",") {
		ms, am, ok := strings.Cut(p, ":")
		seq, err1 := strconv.ParseUint(ms, 10, 64)
		n, err2 := strconv.ParseUint(am, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, bad("allocations %q", s)
		}
		out = append(out, Allocation{Milestone: seq, Amount: n, Earmarked: earmarked, Left: n})
	}
	return out, nil
}

func giftReceived(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, err := loadCampaign(w, e.Attr(vocab.AttrCampaign))
	if err != nil {
		return err
	}
	g := &Gift{ID: e.Attr(vocab.AttrGift), Campaign: c.ID, Charity: c.Charity, Donor: e.Attr(vocab.AttrDonor),
		Currency: e.Attr(vocab.AttrCurrency),
		Uses:     []Use{}, Height: e.Height, Time: e.Time, Updated: e.Height}
	if g.Amount, err = parseAmount(e, vocab.AttrAmount); err != nil {
		return err
	}
	if e.Args != nil {
		g.Earmarked = e.Args.Has(vocab.ArgMilestone)
		if e.Args.Has(vocab.ArgBeneficiary) {
			if g.Beneficiary, err = e.Args.String(vocab.ArgBeneficiary); err != nil {
				return bad("give: %v", err)
			}
		}
	}
	if g.Allocations, err = parseAllocations(e.Attr(vocab.AttrAllocations), g.Earmarked); err != nil {
		return err
	}
	var sum uint64
	for _, al := range g.Allocations {
		m := c.Milestone(al.Milestone)
		if m == nil {
			return bad("gift %s allocated to milestone %d of campaign %q", g.ID, al.Milestone, c.ID)
		}
		m.Funded += al.Amount
		sum += al.Amount
	}
	if sum != g.Amount {
		return bad("gift %s: allocations sum to %d, amount %d", g.ID, sum, g.Amount)
	}
	c.Raised += g.Amount
	c.Updated = e.Height
	seq := c.Gifts
	c.Gifts++
	if err := w.PutJSON(giftKey(g.ID), g); err != nil {
		return err
	}
	w.Put(campaignGiftsPrefix(c.ID)+hex16(seq), []byte(g.ID))
	w.Put(donorGiftsPrefix(g.Donor)+readmodel.Seq(e.Height, e.Tx), []byte(g.ID))
	if err := putEntry(w, c.Charity, e, Entry{Kind: EntryIncome, Campaign: c.ID, Amount: g.Amount, Currency: g.Currency, Gift: g.ID}); err != nil {
		return err
	}
	return w.PutJSON(campaignKey(c.ID), c)
}

func putEntry(w *readmodel.Txn, charity string, e readmodel.CallEvent, en Entry) error {
	en.Height, en.Time, en.TxID = e.Height, e.Time, e.TxID
	k := reportPrefix(charity) + reportTimeKey(e.Time) + "/" + fmt.Sprintf("%016x.%06x.%04x", e.Height, e.Tx, e.Ev)
	return w.PutJSON(k, en)
}

func milestoneStatus(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, m, err := loadMilestone(w, e)
	if err != nil {
		return err
	}
	switch e.Type {
	case vocab.EventEvidenceSubmitted:
		m.Status = vocab.MilestoneEvidence
		if e.Args != nil {
			h, err := e.Args.Bytes(vocab.ArgEvidenceHash)
			if err != nil {
				return bad("submit_evidence: %v", err)
			}
			m.Evidence = hex.EncodeToString(h)
		}
	case vocab.EventMilestoneApproved:
		m.Status, m.DecidedBy = vocab.MilestoneApproved, e.Attr(vocab.AttrValidator)
	case vocab.EventMilestoneRejected:
		m.Status, m.DecidedBy = vocab.MilestoneRejected, e.Attr(vocab.AttrValidator)
	case vocab.EventMilestoneMissed:
		m.Status = vocab.MilestoneMissed
	}
	m.StatusedAt, m.StatusTx = e.Height, e.TxID
	c.Updated = e.Height
	return w.PutJSON(campaignKey(c.ID), c)
}

// loadOrNewDisbursement returns the disbursement being built in this
// transaction: its gift_disbursed events come before its disbursed event.
func loadOrNewDisbursement(w *readmodel.Txn, id string) (*Disbursement, bool, error) {
	d, ok, err := readmodel.LoadJSON[Disbursement](w, disbKey(id))
	if err != nil || ok {
		return d, ok, err
	}
	return &Disbursement{ID: id, Sources: []Source{}}, false, nil
}

func giftDisbursed(w *readmodel.Txn, e readmodel.CallEvent) error {
	g, err := loadGift(w, e.Attr(vocab.AttrGift))
	if err != nil {
		return err
	}
	amount, err := parseAmount(e, vocab.AttrAmount)
	if err != nil {
		return err
	}
	if e.Args == nil {
		return bad("gift_disbursed outside a donation call")
	}
	seq, err := e.Args.Uint(vocab.ArgMilestone)
	if err != nil {
		return bad("disburse: %v", err)
	}
	d, exists, err := loadOrNewDisbursement(w, e.Attr(vocab.AttrDisbursement))
	if err != nil {
		return err
	}
	if exists && d.TxID != "" && d.TxID != e.TxID {
		return bad("disbursement %q committed twice", d.ID)
	}
	d.TxID = e.TxID
	d.Sources = append(d.Sources, Source{Gift: g.ID, Amount: amount})
	if err := take(g, seq, amount); err != nil {
		return err
	}
	g.Uses = append(g.Uses, Use{Kind: UseDisbursement, Milestone: seq, Disbursement: d.ID, Amount: amount, Height: e.Height, Time: e.Time, TxID: e.TxID})
	g.Updated = e.Height
	if err := w.PutJSON(giftKey(g.ID), g); err != nil {
		return err
	}
	return w.PutJSON(disbKey(d.ID), d)
}

// take draws amount from the gift's escrow in milestone seq.
func take(g *Gift, seq, amount uint64) error {
	for i := range g.Allocations {
		al := &g.Allocations[i]
		if al.Milestone != seq || al.Left == 0 {
			continue
		}
		n := min(al.Left, amount)
		al.Left -= n
		amount -= n
		if amount == 0 {
			return nil
		}
	}
	return bad("gift %s has less than that in escrow of milestone %d", g.ID, seq)
}

func disbursed(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, m, err := loadMilestone(w, e)
	if err != nil {
		return err
	}
	d, _, err := loadOrNewDisbursement(w, e.Attr(vocab.AttrDisbursement))
	if err != nil {
		return err
	}
	if d.Campaign != "" {
		return bad("disbursement %q committed twice", d.ID)
	}
	d.Campaign, d.Charity, d.Milestone, d.Payee, d.Currency = c.ID, c.Charity, m.Seq, e.Attr(vocab.AttrPayee), e.Attr(vocab.AttrCurrency)
	d.PaymentRef, d.Claim, d.DisbursedBy, d.Height, d.Time, d.TxID = e.Attr(vocab.AttrPaymentRef), e.Attr(vocab.AttrClaim), e.Sender, e.Height, e.Time, e.TxID
	if d.Amount, err = parseAmount(e, vocab.AttrAmount); err != nil {
		return err
	}
	if e.Args != nil {
		if d.Purpose, err = e.Args.String(vocab.ArgPurpose); err != nil {
			return bad("disburse: %v", err)
		}
		h, err := e.Args.Bytes(vocab.ArgEvidenceHash)
		if err != nil {
			return bad("disburse: %v", err)
		}
		d.Evidence = hex.EncodeToString(h)
	}
	var sum uint64
	for _, s := range d.Sources {
		sum += s.Amount
	}
	if sum != d.Amount {
		return bad("disbursement %q of %d draws %d from gifts", d.ID, d.Amount, sum)
	}
	m.Disbursed += d.Amount
	c.Disbursed += d.Amount
	c.Updated = e.Height
	seq := c.Disbursements
	c.Disbursements++
	w.Put(campaignDisbsPrefix(c.ID)+hex16(seq), []byte(d.ID))
	if err := putEntry(w, c.Charity, e, Entry{Kind: EntryDisbursement, Campaign: c.ID, Milestone: m.Seq, Amount: d.Amount,
		Currency: d.Currency, Disbursement: d.ID, Payee: d.Payee}); err != nil {
		return err
	}
	if err := w.PutJSON(disbKey(d.ID), d); err != nil {
		return err
	}
	return w.PutJSON(campaignKey(c.ID), c)
}

func payeeConfirmed(w *readmodel.Txn, e readmodel.CallEvent) error {
	d, exists, err := loadOrNewDisbursement(w, e.Attr(vocab.AttrDisbursement))
	if err != nil {
		return err
	}
	if !exists || d.Campaign == "" {
		return bad("unknown disbursement %q", d.ID)
	}
	d.Confirmed, d.ConfirmedBy, d.ConfirmedHeight, d.ConfirmedTime, d.ConfirmedTx = true, e.Attr(vocab.AttrBy), e.Height, e.Time, e.TxID
	for _, s := range d.Sources {
		g, err := loadGift(w, s.Gift)
		if err != nil {
			return err
		}
		g.Updated = e.Height
		if err := w.PutJSON(giftKey(g.ID), g); err != nil {
			return err
		}
	}
	return w.PutJSON(disbKey(d.ID), d)
}

func giftRefunded(w *readmodel.Txn, e readmodel.CallEvent) error {
	c, m, err := loadMilestone(w, e)
	if err != nil {
		return err
	}
	g, err := loadGift(w, e.Attr(vocab.AttrGift))
	if err != nil {
		return err
	}
	amount, err := parseAmount(e, vocab.AttrAmount)
	if err != nil {
		return err
	}
	if err := take(g, m.Seq, amount); err != nil {
		return err
	}
	g.Uses = append(g.Uses,
		Use{Kind: UseRefund, Milestone: m.Seq, Reason: e.Attr(vocab.AttrReason), Amount: amount, Height: e.Height,
			Time: e.Time, TxID: e.TxID})
	g.Updated = e.Height
	m.Refunded += amount
	c.Refunded += amount
	c.Updated = e.Height
	if err := putEntry(w, c.Charity, e, Entry{Kind: EntryRefund, Campaign: c.ID, Milestone: m.Seq, Amount: amount,
		Currency: g.Currency, Gift: g.ID, Reason: e.Attr(vocab.AttrReason)}); err != nil {
		return err
	}
	if err := w.PutJSON(giftKey(g.ID), g); err != nil {
		return err
	}
	return w.PutJSON(campaignKey(c.ID), c)
}

// BlockTime converts a record's Unix-nanosecond block time.
func BlockTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
