package donation

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name.
const Name = vocab.Contract

// Limits.
const (
	MaxMilestones    = 20
	MaxBeneficiaries = 50
	MaxTitle         = 200
	// MaxAmount bounds any amount (minor units) so sums cannot overflow.
	MaxAmount = 1 << 50
)

// Milestone is a stage of a campaign with its own escrow.
type Milestone struct {
	_         struct{} `cbor:",toarray"`
	Seq       uint64   `json:"seq"` // 1-based
	Title     string   `json:"title"`
	Amount    uint64   `json:"amount"`
	Validator string   `json:"validator"` // member id
	Deadline  int64    `json:"deadline"`  // Unix seconds, block time
	Status    string   `json:"status"`
	Evidence  []byte   `json:"evidence,omitempty"` // SHA-256 of the evidence
	Funded    uint64   `json:"funded"`             // allocated gifts
	Disbursed uint64   `json:"disbursed"`
	Refunded  uint64   `json:"refunded"`
}

// Campaign is a charity's fundraising campaign.
type Campaign struct {
	_             struct{}    `cbor:",toarray"`
	ID            string      `json:"id"`
	Charity       string      `json:"charity"` // organisation id
	Title         string      `json:"title"`
	Currency      string      `json:"currency"`
	Goal          uint64      `json:"goal"` // sum of the milestones
	Beneficiaries []string    `json:"beneficiaries"`
	Milestones    []Milestone `json:"milestones"`
	Status        string      `json:"status"`
	Raised        uint64      `json:"raised"`
	Created       int64       `json:"created"`
}

// Allocation is part of a gift assigned to a milestone.
type Allocation struct {
	_         struct{} `cbor:",toarray"`
	Milestone uint64   `json:"milestone"`
	Amount    uint64   `json:"amount"`
	Earmarked bool     `json:"earmarked"`
	// Left is what is still in escrow (not disbursed nor refunded).
	Left uint64 `json:"left"`
}

// Use is where part of a gift went: a disbursement or a refund.
type Use struct {
	_            struct{} `cbor:",toarray"`
	Milestone    uint64   `json:"milestone"`
	Disbursement string   `json:"disbursement,omitempty"` // empty for a refund
	Amount       uint64   `json:"amount"`
	Height       uint64   `json:"height"`
}

// Gift is one donation.
type Gift struct {
	_           struct{}     `cbor:",toarray"`
	ID          string       `json:"id"` // the giving transaction's id
	Campaign    string       `json:"campaign"`
	Donor       string       `json:"donor"`
	Amount      uint64       `json:"amount"`
	Currency    string       `json:"currency"`
	Beneficiary string       `json:"beneficiary,omitempty"`
	Allocations []Allocation `json:"allocations"`
	Uses        []Use        `json:"uses"`
	Height      uint64       `json:"height"`
}

// Source is a gift's share of a disbursement.
type Source struct {
	_      struct{} `cbor:",toarray"`
	Gift   string   `json:"gift"`
	Amount uint64   `json:"amount"`
}

// Disbursement pays released milestone funds to a payee.
type Disbursement struct {
	_          struct{} `cbor:",toarray"`
	ID         string   `json:"id"`
	Campaign   string   `json:"campaign"`
	Milestone  uint64   `json:"milestone"`
	Payee      string   `json:"payee"` // organisation or member id
	Amount     uint64   `json:"amount"`
	Purpose    string   `json:"purpose"`
	PaymentRef string   `json:"payment_ref"`
	Evidence   []byte   `json:"evidence"` // SHA-256 of the invoice
	Claim      string   `json:"claim,omitempty"`
	Sources    []Source `json:"sources"`
	Confirmed  bool     `json:"confirmed"`
	Height     uint64   `json:"height"`
}

func campKey(id string) string             { return "camp/" + id }
func giftKey(id string) string             { return "gift/" + id }
func disbKey(id string) string             { return "disb/" + id }
func queueKey(c string, seq uint64) string { return "q/" + c + "/" + strconv.FormatUint(seq, 10) }

// Entry is a gift's place in a milestone's escrow queue.
type Entry struct {
	_         struct{} `cbor:",toarray"`
	Gift      string   `json:"gift"`
	Earmarked bool     `json:"earmarked"`
}

// LoadCampaign reads a campaign.
func LoadCampaign(r contracts.StateReader, id string) (*Campaign, error) {
	return contracts.Load[Campaign](r, contracts.Key(Name, campKey(id)), "campaign "+strconv.Quote(id))
}

// LoadGift reads a gift.
func LoadGift(r contracts.StateReader, id string) (*Gift, error) {
	return contracts.Load[Gift](r, contracts.Key(Name, giftKey(id)), "gift "+id)
}

// LoadDisbursement reads a disbursement.
func LoadDisbursement(r contracts.StateReader, id string) (*Disbursement, error) {
	return contracts.Load[Disbursement](r, contracts.Key(Name, disbKey(id)), "disbursement "+strconv.Quote(id))
}

// A milestone's escrow queue is kept in chunks of at most queueChunk
// entries, contiguous from 0: chunk 0 under queueKey, chunk k under
// queueKey/k, and how many there are under queueKey/n. A gift appends to
// the last chunk instead of rewriting the whole queue (a popular campaign
// has hundreds of thousands of gifts; as one value, every gift cost as much
// as all the gifts before it). A queue written before chunks existed is a
// chunk 0 without a count, which may hold more than queueChunk; nothing is
// appended to a full chunk.
const queueChunk = 64

func chunkKey(c string, seq uint64, k int) string {
	if k == 0 {
		return queueKey(c, seq)
	}
	return queueKey(c, seq) + "/" + strconv.Itoa(k)
}

func chunkCountKey(c string, seq uint64) string { return queueKey(c, seq) + "/n" }

// chunkCount is how many chunks hold a milestone's escrow queue.
func chunkCount(r contracts.StateReader, c string, seq uint64) (int, error) {
	n, err := contracts.Load[uint64](r, contracts.Key(Name, chunkCountKey(c, seq)), "escrow queue size")
	switch {
	case err == nil:
		return int(*n), nil
	case !errors.Is(err, contracts.ErrNotFound):
		return 0, err
	}
	if _, ok := r.Get(contracts.Key(Name, chunkKey(c, seq, 0))); ok {
		return 1, nil // written before chunks
	}
	return 0, nil
}

func loadChunk(r contracts.StateReader, c string, seq uint64, k int) ([]Entry, error) {
	q, err := contracts.Load[[]Entry](r, contracts.Key(Name, chunkKey(c, seq, k)), "escrow queue")
	if err != nil {
		return nil, err
	}
	return *q, nil
}

// loadQueue reads a milestone's whole escrow queue, in order, and how many
// chunks hold it.
func loadQueue(r contracts.StateReader, c string, seq uint64) ([]Entry, int, error) {
	n, err := chunkCount(r, c, seq)
	if err != nil {
		return nil, 0, err
	}
	var q []Entry
	for k := range n {
		chunk, err := loadChunk(r, c, seq, k)
		if err != nil {
			return nil, 0, err
		}
		q = append(q, chunk...)
	}
	return q, n, nil
}

// appendQueue adds e at the end of a milestone's escrow queue: one chunk
// read and written, and the count when a chunk is started.
func appendQueue(ctx contracts.Context, c string, seq uint64, e Entry) error {
	r := contracts.State(ctx, Name)
	n, err := chunkCount(r, c, seq)
	if err != nil {
		return err
	}
	if n > 0 {
		last, err := loadChunk(r, c, seq, n-1)
		if err != nil {
			return err
		}
		if len(last) < queueChunk {
			return contracts.Put(ctx, chunkKey(c, seq, n-1), append(last, e))
		}
	}
	if err := contracts.Put(ctx, chunkKey(c, seq, n), []Entry{e}); err != nil {
		return err
	}
	return contracts.Put(ctx, chunkCountKey(c, seq), uint64(n+1))
}

// writeQueue replaces a queue held in chunks chunks with q (nil: deletes
// it), in chunks from 0.
func writeQueue(ctx contracts.Context, c string, seq uint64, chunks int, q []Entry) error {
	k := 0
	for ; len(q) > 0; k++ {
		m := min(len(q), queueChunk)
		if err := contracts.Put(ctx, chunkKey(c, seq, k), q[:m:m]); err != nil {
			return err
		}
		q = q[m:]
	}
	for i := k; i < chunks; i++ {
		ctx.Delete(chunkKey(c, seq, i))
	}
	if k == 0 {
		ctx.Delete(chunkCountKey(c, seq))
		return nil
	}
	return contracts.Put(ctx, chunkCountKey(c, seq), uint64(k))
}

// Contract is the donation system contract.
type Contract struct{}

var _ contracts.Contract = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Methods implements contracts.Contract.
func (Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodCreateCampaign, Run: createCampaign},
		{Name: vocab.MethodOpen, RunMethod: campaignStatus},
		{Name: vocab.MethodClose, RunMethod: campaignStatus},
		{Name: vocab.MethodCancel, RunMethod: campaignStatus},
		{Name: vocab.MethodGive, Run: give},
		{Name: vocab.MethodSubmitEvidence, RunMethod: milestoneAction},
		{Name: vocab.MethodApproveMilestone, RunMethod: milestoneAction},
		{Name: vocab.MethodRejectMilestone, RunMethod: milestoneAction},
		{Name: vocab.MethodSettleMilestone, RunMethod: milestoneAction},
		{Name: vocab.MethodDisburse, Run: disburse},
		{Name: vocab.MethodConfirmReceipt, Run: confirm},
	}
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func hashArg(args tx.Args, name string) ([]byte, error) {
	h, err := args.Bytes(name)
	if err != nil {
		return nil, contracts.InvalidArg(err)
	}
	if len(h) != 32 {
		return nil, fmt.Errorf("%w: %s must be a 32-byte SHA-256 (put the document off the ledger)", contracts.ErrInvalid, name)
	}
	return h, nil
}

// parseMilestone parses "<amount> <validator> <deadline unix> <title...>".
func parseMilestone(s string, seq uint64) (Milestone, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return Milestone{}, fmt.Errorf("%w: milestone %d must be \"<amount> <validator member> <deadline unix seconds> <title>\"", contracts.ErrInvalid, seq)
	}
	amount, err1 := strconv.ParseUint(f[0], 10, 64)
	deadline, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || amount == 0 || amount > MaxAmount {
		return Milestone{}, fmt.Errorf("%w: milestone %d: amount must be 1 to %d minor units and the deadline Unix seconds", contracts.ErrInvalid, seq, uint64(MaxAmount))
	}
	title := strings.Join(f[3:], " ")
	if len(title) > MaxTitle {
		return Milestone{}, fmt.Errorf("%w: milestone %d title over %d bytes", contracts.ErrInvalid, seq, MaxTitle)
	}
	return Milestone{Seq: seq, Title: title, Amount: amount, Validator: f[1], Deadline: deadline,
		Status: vocab.MilestonePending}, nil
}

func createCampaign(ctx contracts.Context, args tx.Args) error {
	org := identity.OrgOf(ctx.Caller())
	if err := ctx.Authorize(contracts.Resource{Type: "campaign", Org: org}, "create"); err != nil {
		return err
	}
	c := &Campaign{Charity: org, Status: vocab.StatusDraft, Created: ctx.Time().Unix(), Beneficiaries: []string{}}
	var err error
	if c.ID, err = identity.NewIDArg(args, vocab.ArgCampaignID); err != nil {
		return err
	}
	if c.Title, err = args.String(vocab.ArgTitle); err != nil {
		return contracts.InvalidArg(err)
	}
	if c.Title == "" || len(c.Title) > MaxTitle {
		return fmt.Errorf("%w: title must be 1 to %d bytes", contracts.ErrInvalid, MaxTitle)
	}
	if c.Currency, err = args.String(vocab.ArgCurrency); err != nil {
		return contracts.InvalidArg(err)
	}
	if !validCurrency(c.Currency) {
		return fmt.Errorf("%w: currency %q must be an ISO 4217 code such as EUR", contracts.ErrInvalid, c.Currency)
	}
	if args.Has(vocab.ArgBeneficiaries) {
		if c.Beneficiaries, err = args.Strings(vocab.ArgBeneficiaries); err != nil {
			return contracts.InvalidArg(err)
		}
		if len(c.Beneficiaries) > MaxBeneficiaries {
			return fmt.Errorf("%w: at most %d beneficiaries", contracts.ErrInvalid, MaxBeneficiaries)
		}
	}
	ms, err := args.Strings(vocab.ArgMilestones)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	if len(ms) == 0 || len(ms) > MaxMilestones {
		return fmt.Errorf("%w: a campaign has 1 to %d milestones", contracts.ErrInvalid, MaxMilestones)
	}
	r := contracts.State(ctx, Name)
	for i, s := range ms {
		m, err := parseMilestone(s, uint64(i+1))
		if err != nil {
			return err
		}
		v, err := identity.LoadMember(r, m.Validator)
		if err != nil || v.Revoked || !v.HasRole(identityvocab.RoleMilestoneValidator) {
			return fmt.Errorf("%w: milestone %d's validator %q must be an active milestone_validator", contracts.ErrInvalid, m.Seq, m.Validator)
		}
		if v.Org == org {
			return fmt.Errorf("%w: milestone %d's validator must be independent of the charity %q", contracts.ErrInvalid, m.Seq, org)
		}
		if m.Deadline <= ctx.Time().Unix() {
			return fmt.Errorf("%w: milestone %d's deadline has passed", contracts.ErrInvalid, m.Seq)
		}
		c.Goal += m.Amount
		c.Milestones = append(c.Milestones, m)
	}
	if c.Goal > MaxAmount {
		return fmt.Errorf("%w: goal over %d minor units", contracts.ErrInvalid, uint64(MaxAmount))
	}
	if _, exists := ctx.Get(campKey(c.ID)); exists {
		return fmt.Errorf("%w: campaign %q already exists", contracts.ErrConflict, c.ID)
	}
	ctx.Emit(vocab.EventCampaignCreated, ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID},
		ledger.Attr{Key: vocab.AttrCharity, Value: org},
		ledger.Attr{Key: vocab.AttrTitle, Value: c.Title},
		ledger.Attr{Key: vocab.AttrGoal, Value: strconv.FormatUint(c.Goal, 10)},
		ledger.Attr{Key: vocab.AttrCurrency, Value: c.Currency},
		ledger.Attr{Key: vocab.AttrMilestones, Value: strconv.Itoa(len(c.Milestones))})
	return contracts.Put(ctx, campKey(c.ID), c)
}

func loadCampaign(ctx contracts.Context, args tx.Args) (*Campaign, error) {
	return contracts.LoadArg(ctx, Name, args, vocab.ArgCampaignID, LoadCampaign)
}

func campaignStatus(ctx contracts.Context, method string, args tx.Args) error {
	c, err := loadCampaign(ctx, args)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "campaign", Org: c.Charity}, method); err != nil {
		return err
	}
	switch method {
	case vocab.MethodOpen:
		if c.Status != vocab.StatusDraft {
			return fmt.Errorf("%w: campaign %q is %s; only a draft opens", contracts.ErrConflict, c.ID, c.Status)
		}
		c.Status = vocab.StatusOpen
		ctx.Emit(vocab.EventCampaignOpened, ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID})
	case vocab.MethodCancel:
		if c.Status == vocab.StatusCancelled || c.Status == vocab.StatusClosed {
			return fmt.Errorf("%w: campaign %q is already %s", contracts.ErrConflict, c.ID, c.Status)
		}
		for i := range c.Milestones {
			m := &c.Milestones[i]
			if err := refundMilestone(ctx, c, m, vocab.RefundCampaignCancelled); err != nil {
				return err
			}
			if m.Status == vocab.MilestonePending || m.Status == vocab.MilestoneEvidence {
				m.Status = vocab.MilestoneCancelled
			}
		}
		c.Status = vocab.StatusCancelled
		ctx.Emit(vocab.EventCampaignCancelled, ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID})
	case vocab.MethodClose:
		for _, m := range c.Milestones {
			if m.Funded-m.Disbursed-m.Refunded != 0 || (m.Status != vocab.MilestoneApproved && m.Status != vocab.MilestoneRejected && m.Status != vocab.MilestoneMissed) {
				return fmt.Errorf("%w: milestone %d is %s with %d in escrow; disburse, or let it be settled, before closing",
					contracts.ErrConflict, m.Seq, m.Status, m.Funded-m.Disbursed-m.Refunded)
			}
		}
		if c.Status != vocab.StatusOpen && c.Status != vocab.StatusFunded {
			return fmt.Errorf("%w: campaign %q is %s", contracts.ErrConflict, c.ID, c.Status)
		}
		c.Status = vocab.StatusClosed
		ctx.Emit(vocab.EventCampaignClosed, ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID})
	}
	return contracts.Put(ctx, campKey(c.ID), c)
}

func give(ctx contracts.Context, args tx.Args) error {
	c, err := loadCampaign(ctx, args)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "gift", Owner: ctx.Caller(), Org: c.Charity}, "give"); err != nil {
		return err
	}
	if c.Status != vocab.StatusOpen {
		return fmt.Errorf("%w: campaign %q is %s and takes no gifts", contracts.ErrConflict, c.ID, c.Status)
	}
	amount, err := args.Uint(vocab.ArgAmount)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	if amount == 0 || amount > MaxAmount {
		return fmt.Errorf("%w: amount must be more than 0 and at most %s %s", contracts.ErrInvalid,
			money.Decimal(uint64(MaxAmount), c.Currency), c.Currency)
	}
	g := &Gift{ID: ctx.TxID().String(), Campaign: c.ID, Donor: ctx.Caller(), Amount: amount, Currency: c.Currency,
		Allocations: []Allocation{}, Uses: []Use{}, Height: ctx.Height()}
	if args.Has(vocab.ArgBeneficiary) {
		if g.Beneficiary, err = args.String(vocab.ArgBeneficiary); err != nil {
			return contracts.InvalidArg(err)
		}
		if !slices.Contains(c.Beneficiaries, g.Beneficiary) {
			return fmt.Errorf("%w: %q is not a beneficiary of campaign %q", contracts.ErrInvalid, g.Beneficiary, c.ID)
		}
	}
	// A milestone past its deadline takes nothing: its escrow can only be
	// refunded (settle_milestone), so a gift to it would only come back.
	now := ctx.Time().Unix()
	room := func(m *Milestone) uint64 {
		if m.Status != vocab.MilestonePending && m.Status != vocab.MilestoneEvidence || now > m.Deadline {
			return 0
		}
		return m.Amount - m.Funded
	}
	if args.Has(vocab.ArgMilestone) {
		seq, err := args.Uint(vocab.ArgMilestone)
		if err != nil {
			return contracts.InvalidArg(err)
		}
		if seq == 0 || seq > uint64(len(c.Milestones)) {
			return fmt.Errorf("%w: campaign %q has milestones 1 to %d", contracts.ErrInvalid, c.ID, len(c.Milestones))
		}
		m := &c.Milestones[seq-1]
		if now > m.Deadline {
			return fmt.Errorf("%w: milestone %d's deadline has passed; it takes no gifts (give to the campaign or another milestone)", contracts.ErrConflict, seq)
		}
		if amount > room(m) {
			return fmt.Errorf("%w: milestone %d still needs %s %s; give at most that", contracts.ErrConflict, seq,
				money.Decimal(room(m), c.Currency), c.Currency)
		}
		g.Allocations = append(g.Allocations, Allocation{Milestone: seq, Amount: amount, Earmarked: true, Left: amount})
	} else {
		total := uint64(0)
		for i := range c.Milestones {
			total += room(&c.Milestones[i])
		}
		if amount > total {
			return fmt.Errorf("%w: campaign %q still needs %s %s; give at most that", contracts.ErrConflict, c.ID,
				money.Decimal(total, c.Currency), c.Currency)
		}
		left := amount
		for i := range c.Milestones {
			m := &c.Milestones[i]
			if take := min(left, room(m)); take > 0 {
				g.Allocations = append(g.Allocations, Allocation{Milestone: m.Seq, Amount: take, Left: take})
				left -= take
			}
		}
	}
	for _, a := range g.Allocations {
		m := &c.Milestones[a.Milestone-1]
		m.Funded += a.Amount
		if err := appendQueue(ctx, c.ID, m.Seq, Entry{Gift: g.ID, Earmarked: a.Earmarked}); err != nil {
			return err
		}
	}
	c.Raised += amount
	ctx.Emit(vocab.EventGiftReceived, ledger.Attr{Key: vocab.AttrGift, Value: g.ID},
		ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID},
		ledger.Attr{Key: vocab.AttrCharity, Value: c.Charity}, ledger.Attr{Key: vocab.AttrDonor, Value: g.Donor},
		ledger.Attr{Key: vocab.AttrAmount, Value: strconv.FormatUint(amount, 10)},
		ledger.Attr{Key: vocab.AttrCurrency, Value: c.Currency},
		ledger.Attr{Key: vocab.AttrAllocations, Value: allocString(g.Allocations)},
		ledger.Attr{Key: vocab.AttrEarmarked, Value: strconv.FormatBool(args.Has(vocab.ArgMilestone))},
		ledger.Attr{Key: vocab.AttrBeneficiary, Value: g.Beneficiary})
	if c.Raised == c.Goal {
		c.Status = vocab.StatusFunded
		ctx.Emit(vocab.EventCampaignFunded, ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID})
	}
	if err := contracts.Put(ctx, giftKey(g.ID), g); err != nil {
		return err
	}
	return contracts.Put(ctx, campKey(c.ID), c)
}

func allocString(as []Allocation) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = fmt.Sprintf("%d:%d", a.Milestone, a.Amount)
	}
	return strings.Join(parts, ",")
}

func milestoneArg(c *Campaign, args tx.Args) (*Milestone, error) {
	seq, err := args.Uint(vocab.ArgMilestone)
	if err != nil {
		return nil, contracts.InvalidArg(err)
	}
	if seq == 0 || seq > uint64(len(c.Milestones)) {
		return nil, fmt.Errorf("%w: campaign %q has milestones 1 to %d", contracts.ErrInvalid, c.ID, len(c.Milestones))
	}
	return &c.Milestones[seq-1], nil
}

func milestoneAction(ctx contracts.Context, method string, args tx.Args) error {
	c, err := loadCampaign(ctx, args)
	if err != nil {
		return err
	}
	m, err := milestoneArg(c, args)
	if err != nil {
		return err
	}
	obj := contracts.Resource{Type: "milestone", Owner: m.Validator, Org: c.Charity}
	attrs := []ledger.Attr{{Key: vocab.AttrCampaign, Value: c.ID},
		{Key: vocab.AttrMilestone, Value: strconv.FormatUint(m.Seq, 10)}}
	open := m.Status == vocab.MilestonePending || m.Status == vocab.MilestoneEvidence
	now := ctx.Time().Unix()
	switch method {
	case vocab.MethodSubmitEvidence:
		if err := ctx.Authorize(obj, "submit_evidence"); err != nil {
			return err
		}
		if !open || c.Status == vocab.StatusCancelled || c.Status == vocab.StatusDraft {
			return fmt.Errorf("%w: milestone %d is %s (campaign %s)", contracts.ErrConflict, m.Seq, m.Status, c.Status)
		}
		if m.Evidence, err = hashArg(args, vocab.ArgEvidenceHash); err != nil {
			return err
		}
		m.Status = vocab.MilestoneEvidence
		ctx.Emit(vocab.EventEvidenceSubmitted, append(attrs,
			ledger.Attr{Key: vocab.AttrEvidenceHash, Value: fmt.Sprintf("%x", m.Evidence)})...)
	case vocab.MethodApproveMilestone, vocab.MethodRejectMilestone:
		act := strings.TrimSuffix(method, "_milestone")
		if err := ctx.Authorize(obj, act); err != nil {
			return err
		}
		if m.Status != vocab.MilestoneEvidence {
			return fmt.Errorf("%w: milestone %d is %s; the charity must submit evidence first", contracts.ErrConflict, m.Seq, m.Status)
		}
		if now > m.Deadline {
			return fmt.Errorf("%w: milestone %d's deadline passed; it can only be settled (refunded)", contracts.ErrConflict, m.Seq)
		}
		if act == "approve" {
			m.Status = vocab.MilestoneApproved
			ctx.Emit(vocab.EventMilestoneApproved,
				append(attrs, ledger.Attr{Key: vocab.AttrValidator, Value: ctx.Caller()})...)
		} else {
			m.Status = vocab.MilestoneRejected
			ctx.Emit(vocab.EventMilestoneRejected,
				append(attrs, ledger.Attr{Key: vocab.AttrValidator, Value: ctx.Caller()})...)
			if err := refundMilestone(ctx, c, m, vocab.RefundMilestoneRejected); err != nil {
				return err
			}
		}
	case vocab.MethodSettleMilestone:
		if err := ctx.Authorize(obj, "settle"); err != nil {
			return err
		}
		if !open || now <= m.Deadline {
			return fmt.Errorf("%w: milestone %d is %s with deadline %d; only an unapproved milestone past its deadline is settled",
				contracts.ErrConflict, m.Seq, m.Status, m.Deadline)
		}
		m.Status = vocab.MilestoneMissed
		ctx.Emit(vocab.EventMilestoneMissed, attrs...)
		if err := refundMilestone(ctx, c, m, vocab.RefundMilestoneMissed); err != nil {
			return err
		}
	}
	return contracts.Put(ctx, campKey(c.ID), c)
}

// refundMilestone refunds every gift's undisbursed part in m's escrow.
func refundMilestone(ctx contracts.Context, c *Campaign, m *Milestone, why string) error {
	r := contracts.State(ctx, Name)
	q, chunks, err := loadQueue(r, c.ID, m.Seq)
	if err != nil {
		return err
	}
	for _, e := range q {
		g, err := LoadGift(r, e.Gift)
		if err != nil {
			return err
		}
		for i := range g.Allocations {
			a := &g.Allocations[i]
			if a.Milestone != m.Seq || a.Left == 0 {
				continue
			}
			g.Uses = append(g.Uses, Use{Milestone: m.Seq, Amount: a.Left, Height: ctx.Height()})
			m.Refunded += a.Left
			ctx.Emit(vocab.EventGiftRefunded, ledger.Attr{Key: vocab.AttrGift, Value: g.ID},
				ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID},
				ledger.Attr{Key: vocab.AttrDonor, Value: g.Donor},
				ledger.Attr{Key: vocab.AttrMilestone, Value: strconv.FormatUint(m.Seq, 10)},
				ledger.Attr{Key: vocab.AttrAmount, Value: strconv.FormatUint(a.Left, 10)},
				ledger.Attr{Key: vocab.AttrReason, Value: why})
			a.Left = 0
		}
		if err := contracts.Put(ctx, giftKey(g.ID), g); err != nil {
			return err
		}
	}
	return writeQueue(ctx, c.ID, m.Seq, chunks, nil)
}

func disburse(ctx contracts.Context, args tx.Args) error {
	c, err := loadCampaign(ctx, args)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "disbursement", Org: c.Charity}, "create"); err != nil {
		return err
	}
	m, err := milestoneArg(c, args)
	if err != nil {
		return err
	}
	d := &Disbursement{Campaign: c.ID, Milestone: m.Seq, Sources: []Source{}, Height: ctx.Height()}
	if d.ID, err = identity.NewIDArg(args, vocab.ArgDisbursementID); err != nil {
		return err
	}
	if d.Payee, err = args.String(vocab.ArgPayee); err != nil {
		return contracts.InvalidArg(err)
	}
	if d.Amount, err = args.Uint(vocab.ArgAmount); err != nil {
		return contracts.InvalidArg(err)
	}
	if d.Purpose, err = args.String(vocab.ArgPurpose); err != nil {
		return contracts.InvalidArg(err)
	}
	if d.PaymentRef, err = args.String(vocab.ArgPaymentRef); err != nil {
		return contracts.InvalidArg(err)
	}
	if d.Purpose == "" || len(d.Purpose) > MaxTitle || d.PaymentRef == "" || len(d.PaymentRef) > 100 {
		return fmt.Errorf("%w: purpose (1 to %d bytes) and payment_ref (1 to 100) are required", contracts.ErrInvalid, MaxTitle)
	}
	if d.Evidence, err = hashArg(args, vocab.ArgEvidenceHash); err != nil {
		return err
	}
	if args.Has(vocab.ArgClaim) {
		if d.Claim, err = args.String(vocab.ArgClaim); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	r := contracts.State(ctx, Name)
	if strings.Contains(d.Payee, "/") {
		if _, err := identity.LoadMember(r, d.Payee); err != nil {
			return fmt.Errorf("%w: payee: %v", contracts.ErrInvalid, err)
		}
	} else if _, ok := r.Get(identity.OrgStateKey(d.Payee)); !ok {
		return fmt.Errorf("%w: payee %q is neither a member nor an organisation", contracts.ErrInvalid, d.Payee)
	}
	if m.Status != vocab.MilestoneApproved {
		return fmt.Errorf("%w: milestone %d is %s; its funds are released only when its validator approves the evidence", contracts.ErrConflict, m.Seq, m.Status)
	}
	if d.Claim != "" {
		if err := fundClaim(ctx, r, c, d); err != nil {
			return err
		}
	}
	avail := m.Funded - m.Disbursed - m.Refunded
	if d.Amount == 0 || d.Amount > avail {
		return fmt.Errorf("%w: milestone %d has %s %s released and undisbursed; disburse at most that", contracts.ErrConflict,
			m.Seq, money.Decimal(avail, c.Currency), c.Currency)
	}
	if _, exists := ctx.Get(disbKey(d.ID)); exists {
		return fmt.Errorf("%w: disbursement %q already exists", contracts.ErrConflict, d.ID)
	}
	q, chunks, err := loadQueue(r, c.ID, m.Seq)
	if err != nil {
		return err
	}
	// Earmarked gifts first, then first in, first out.
	order := make([]Entry, 0, len(q))
	for _, pass := range []bool{true, false} {
		for _, e := range q {
			if e.Earmarked == pass {
				order = append(order, e)
			}
		}
	}
	need := d.Amount
	keep := map[string]bool{}
	for _, e := range order {
		g, err := LoadGift(r, e.Gift)
		if err != nil {
			return err
		}
		changed := false
		for i := range g.Allocations {
			a := &g.Allocations[i]
			if a.Milestone != m.Seq || a.Earmarked != e.Earmarked || a.Left == 0 {
				continue
			}
			if need > 0 {
				take := min(need, a.Left)
				a.Left -= take
				need -= take
				changed = true
				d.Sources = append(d.Sources, Source{Gift: g.ID, Amount: take})
				g.Uses = append(g.Uses, Use{Milestone: m.Seq, Disbursement: d.ID, Amount: take, Height: ctx.Height()})
				ctx.Emit(vocab.EventGiftDisbursed, ledger.Attr{Key: vocab.AttrGift, Value: g.ID},
					ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID},
					ledger.Attr{Key: vocab.AttrDonor, Value: g.Donor},
					ledger.Attr{Key: vocab.AttrDisbursement, Value: d.ID},
					ledger.Attr{Key: vocab.AttrMilestone, Value: strconv.FormatUint(m.Seq, 10)},
					ledger.Attr{Key: vocab.AttrAmount, Value: strconv.FormatUint(take, 10)})
			}
			if a.Left > 0 {
				keep[g.ID+"/"+strconv.FormatBool(a.Earmarked)] = true
			}
		}
		if changed {
			if err := contracts.Put(ctx, giftKey(g.ID), g); err != nil {
				return err
			}
		}
	}
	if need != 0 {
		return fmt.Errorf("contracts: internal: escrow of milestone %d is short by %d", m.Seq, need)
	}
	rest := q[:0:0]
	for _, e := range q {
		if keep[e.Gift+"/"+strconv.FormatBool(e.Earmarked)] {
			rest = append(rest, e)
		}
	}
	if err := writeQueue(ctx, c.ID, m.Seq, chunks, rest); err != nil {
		return err
	}
	m.Disbursed += d.Amount
	ctx.Emit(vocab.EventDisbursed, ledger.Attr{Key: vocab.AttrDisbursement, Value: d.ID},
		ledger.Attr{Key: vocab.AttrCampaign, Value: c.ID},
		ledger.Attr{Key: vocab.AttrMilestone, Value: strconv.FormatUint(m.Seq, 10)},
		ledger.Attr{Key: vocab.AttrPayee, Value: d.Payee},
		ledger.Attr{Key: vocab.AttrAmount, Value: strconv.FormatUint(d.Amount, 10)},
		ledger.Attr{Key: vocab.AttrCurrency, Value: c.Currency},
		ledger.Attr{Key: vocab.AttrPaymentRef, Value: d.PaymentRef}, ledger.Attr{Key: vocab.AttrClaim, Value: d.Claim},
		ledger.Attr{Key: vocab.AttrPurpose, Value: d.Purpose},
		ledger.Attr{Key: vocab.AttrEvidenceHash, Value: fmt.Sprintf("%x", d.Evidence)})
	if err := contracts.Put(ctx, disbKey(d.ID), d); err != nil {
		return err
	}
	return contracts.Put(ctx, campKey(c.ID), c)
}

// fundClaim checks a disbursement that pays the patient's share of an
// insurance claim (the bridge from a donor's gift to a hospital bill): the
// insurer's adjudication must stand, the payee must be the claim's
// provider, the currency the claim's, and the amount within the share not
// yet funded. It records the funded total, which also stops the provider
// appealing the claim (a second payment of the same bill).
func fundClaim(ctx contracts.Context, r contracts.StateReader, c *Campaign, d *Disbursement) error {
	cl, err := claim.LoadClaim(r, d.Claim)
	if err != nil {
		return err
	}
	share, currency := claim.PatientShare(cl)
	var funded uint64
	if b, ok := ctx.Get(claim.FundedKey(cl.ID)); ok {
		if err := codec.State.Unmarshal(b, &funded); err != nil {
			return fmt.Errorf("donation: corrupt funded amount of claim %q: %w", cl.ID, err)
		}
	}
	switch {
	case !cl.Settled():
		return fmt.Errorf("%w: claim %q is %s; fund a patient's share only once the insurer's adjudication stands", contracts.ErrConflict, cl.ID, cl.Status)
	case d.Payee != cl.Provider:
		return fmt.Errorf("%w: the payee of a claim's patient share is its provider %q", contracts.ErrInvalid, cl.Provider)
	case currency != c.Currency:
		return fmt.Errorf("%w: claim %q is in %s, the campaign in %s", contracts.ErrInvalid, cl.ID, currency, c.Currency)
	case d.Amount > share-min(funded, share):
		return fmt.Errorf("%w: the patient's share of claim %q is %d %s, of which %d is funded already", contracts.ErrConflict, cl.ID, share, currency, funded)
	}
	return contracts.Put(ctx, claim.FundedKey(cl.ID), funded+d.Amount)
}

func confirm(ctx contracts.Context, args tx.Args) error {
	d, err := contracts.LoadArg(ctx, Name, args, vocab.ArgDisbursementID, LoadDisbursement)
	if err != nil {
		return err
	}
	id := d.ID
	// Paid to a member, the disbursement is that member's own (no
	// organisation holds it: its staff do not confirm for them); paid to
	// an organisation, its staff confirm. The policy decides who.
	obj := contracts.Resource{Type: "disbursement"}
	if strings.Contains(d.Payee, "/") {
		obj.Owner = d.Payee
	} else {
		obj.Org = d.Payee
	}
	if err := ctx.Authorize(obj, "confirm"); err != nil {
		return err
	}
	if d.Confirmed {
		return fmt.Errorf("%w: disbursement %q is already confirmed", contracts.ErrConflict, id)
	}
	d.Confirmed = true
	ctx.Emit(vocab.EventPayeeConfirmed, ledger.Attr{Key: vocab.AttrDisbursement, Value: id},
		ledger.Attr{Key: vocab.AttrCampaign, Value: d.Campaign},
		ledger.Attr{Key: vocab.AttrPayee, Value: d.Payee}, ledger.Attr{Key: vocab.AttrBy, Value: ctx.Caller()})
	return contracts.Put(ctx, disbKey(id), d)
}
