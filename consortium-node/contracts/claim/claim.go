package claim

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name.
const Name = "claim"

// Statuses of a claim.
const (
	StatusSubmitted   = "submitted"
	StatusInReview    = "in_review"
	StatusAdjudicated = "adjudicated"
	StatusAppealed    = "appealed"
	StatusPaid        = "paid"
	StatusCancelled   = "cancelled"
)

// Outcomes of an adjudication (FHIR ClaimResponse: complete or partial).
const (
	OutcomeApproved = "approved"
	OutcomePartial  = "partially_approved"
	OutcomeDenied   = "denied"
)

// Purpose is the consent purpose under which an adjuster reads a claim's
// linked records.
const Purpose = "claims"

// Limits.
const (
	MaxItems         = 50 // service lines per claim (as an X12 837P claim)
	MaxLinkedRecords = 20
	MaxItemAmount    = 1_000_000_000_000 // minor units; 50 items cannot overflow
	MaxAppeals       = 3
	MinCodeLen       = 3 // the base of a service code
	MaxCodeLen       = 10
	MaxModifiers     = 4 // two-character modifiers after the base code
	MaxPaymentRefLen = 64
)

// AdjudicationReasons are the codes an insurer gives for a reduced item or
// a denied claim (after the X12 claim adjustment reason groups). Free text
// could carry health data onto an immutable ledger, so the ledger holds a
// code.
var AdjudicationReasons = []string{
	"not-covered", "plan-limit", "not-medically-necessary", "prior-authorization-required", "out-of-network",
	"patient-ineligible", "coding-error", "missing-documentation", "contractual-adjustment", "duplicate-service",
	"timely-filing",
}

// AppealReasons are the codes a provider gives for an appeal.
var AppealReasons = []string{
	"coding-corrected", "documentation-added", "medical-necessity", "prior-authorization-obtained", "coverage-dispute",
	"contract-rate-dispute",
}

// Item is one service line (FHIR Claim.item).
type Item struct {
	_           struct{} `cbor:",toarray"`
	Seq         uint64   `json:"seq"`
	ServiceCode string   `json:"service_code"` // e.g. "99213" or "99213-25"
	Date        string   `json:"date"`         // YYYY-MM-DD
	Amount      uint64   `json:"amount"`       // minor units of the claim's currency
}

// Adjudication is the insurer's decision on one item (FHIR
// ClaimResponse.item.adjudication).
type Adjudication struct {
	_        struct{} `cbor:",toarray"`
	Seq      uint64   `json:"seq"`
	Approved uint64   `json:"approved"`
	Reason   string   `json:"reason,omitempty"` // set when Approved is less than claimed
}

// Heights are the block heights of the claim's transitions (0: not yet).
// Reviewed and Adjudicated are those of the latest round.
type Heights struct {
	_           struct{} `cbor:",toarray"`
	Submitted   uint64   `json:"submitted"`
	Reviewed    uint64   `json:"reviewed,omitempty"`
	Adjudicated uint64   `json:"adjudicated,omitempty"`
	Appealed    uint64   `json:"appealed,omitempty"`
	Paid        uint64   `json:"paid,omitempty"`
	Cancelled   uint64   `json:"cancelled,omitempty"`
}

// Claim is a claim with the insurer's response.
type Claim struct {
	_             struct{}       `cbor:",toarray"`
	ID            string         `json:"id"`
	Provider      string         `json:"provider"` // hospital organisation id
	Patient       string         `json:"patient"`  // member id (pseudonymous)
	Insurer       string         `json:"insurer"`  // insurer organisation id
	Currency      string         `json:"currency"` // ISO 4217, one per claim
	Items         []Item         `json:"items"`
	LinkedRecords []string       `json:"linked_records"`
	Status        string         `json:"status"`
	Adjudication  []Adjudication `json:"adjudication"`
	Outcome       string         `json:"outcome,omitempty"`
	DenialReason  string         `json:"denial_reason,omitempty"`
	Appeals       uint64         `json:"appeals,omitempty"`
	AppealReason  string         `json:"appeal_reason,omitempty"`
	PaymentRef    string         `json:"payment_ref,omitempty"`
	PaidAmount    uint64         `json:"paid_amount,omitempty"`
	Fingerprint   ledger.Hash    `json:"fingerprint"`
	Heights       Heights        `json:"heights"`
}

// DonationContract and FundedKey name where the donation contract records
// how much of a claim's patient share charities funded (read here without
// importing it, which imports this package): once funded, the claim can no
// longer be appealed.
const DonationContract = "donation"

// FundedKey is the donation contract's key of a claim's funded amount.
func FundedKey(claimID string) string { return "claimfund/" + claimID }

// Claimed is the sum of the items' amounts.
func (c *Claim) Claimed() uint64 {
	var t uint64
	for _, it := range c.Items {
		t += it.Amount
	}
	return t
}

// Approved is the sum of the adjudicated amounts (0 before adjudication).
func (c *Claim) Approved() uint64 {
	var t uint64
	for _, a := range c.Adjudication {
		t += a.Approved
	}
	return t
}

// Settled reports whether an adjudication stands: the claim is adjudicated
// (and not under appeal) or paid. A denied or partially approved claim
// that is still adjudicated may yet be appealed; a paid claim is final.
func (c *Claim) Settled() bool {
	return (c.Status == StatusAdjudicated || c.Status == StatusPaid) && c.Outcome != ""
}

// PatientShare returns what the insurer does not cover — claimed minus
// approved — and its currency, once an adjudication stands (Settled);
// before that, and for a cancelled or appealed claim, the amount is 0.
// The whole claim is the patient's share of a denied claim.
func PatientShare(c *Claim) (uint64, string) {
	if !c.Settled() {
		return 0, c.Currency
	}
	claimed, approved := c.Claimed(), c.Approved()
	if approved >= claimed {
		return 0, c.Currency
	}
	return claimed - approved, c.Currency
}

func claimKey(id string) string           { return "c/" + id }
func fpKey(h ledger.Hash) string          { return "fp/" + h.String() }
func itemKey(h ledger.Hash) string        { return "fi/" + h.String() }
func full(k string) string                { return contracts.Key(Name, k) }
func statusIn(s string, l ...string) bool { return slices.Contains(l, s) }

// StateKey is the full state key of claim id (for contracts that read a
// claim, such as the donation contract).
func StateKey(id string) string { return full(claimKey(id)) }

// Decode decodes a claim from state bytes (strict, canonical CBOR).
func Decode(b []byte) (*Claim, error) {
	var c Claim
	if err := tx.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("claim: corrupt claim: %w", err)
	}
	return &c, nil
}

// LoadClaim reads a claim from any state reader.
func LoadClaim(r contracts.StateReader, id string) (*Claim, error) {
	b, ok := r.Get(StateKey(id))
	if !ok {
		return nil, fmt.Errorf("%w: claim %q", contracts.ErrNotFound, id)
	}
	c, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("claim %q: %w", id, err)
	}
	return c, nil
}

// Domain separators of the fingerprints; part of the consensus-critical
// encoding (changing them would let a claim filed before through again).
const (
	fingerprintDomain = "almoner/claim/fingerprint/v1\x00"
	itemDomain        = "almoner/claim/item/v1\x00"
)

type service struct {
	_    struct{} `cbor:",toarray"`
	Code string
	Date string
}

type fingerprintInput struct {
	_        struct{} `cbor:",toarray"`
	Provider string
	Patient  string
	Services []service
}

type itemInput struct {
	_          struct{} `cbor:",toarray"`
	Provider   string
	Patient    string
	Code       string
	Date       string
	Occurrence uint64
}

func sortedServices(items []Item) []service {
	s := make([]service, len(items))
	for i, it := range items {
		s[i] = service{Code: it.ServiceCode, Date: it.Date}
	}
	slices.SortFunc(s, func(a, b service) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Date, b.Date)
	})
	return s
}

func digest(domain string, v any) ledger.Hash {
	b, err := tx.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("claim: encoding %T: %v", v, err)) // fixed-shape structs of strings
	}
	return sha256.Sum256(append([]byte(domain), b...))
}

// Fingerprint is the claim fingerprint: SHA-256 over the domain separator
// and the core deterministic CBOR of [provider, patient, [[code, date],
// ...]] with the pairs sorted. Amounts, the insurer and the claim id are
// not in it: the same services are the same services at any insurer.
func Fingerprint(provider, patient string, items []Item) ledger.Hash {
	return digest(fingerprintDomain, fingerprintInput{Provider: provider, Patient: patient, Services: sortedServices(items)})
}

// ItemFingerprints are the per-service keys a claim reserves: one per
// item, over [provider, patient, code, date, n] where n counts the
// occurrences of that (code, date) in the claim from 1, so that any
// overlap with another claim's services collides. Returned in the order
// of the sorted services.
func ItemFingerprints(provider, patient string, items []Item) []ledger.Hash {
	s := sortedServices(items)
	out := make([]ledger.Hash, len(s))
	var n uint64
	for i, sv := range s {
		if i > 0 && sv == s[i-1] {
			n++
		} else {
			n = 1
		}
		out[i] = digest(itemDomain, itemInput{Provider: provider, Patient: patient, Code: sv.Code, Date: sv.Date, Occurrence: n})
	}
	return out
}

// AccessArgs returns the arguments of the record.access call by which an
// adjuster reads record recordID linked to claim c, relying on consent
// consentID of the claim's patient for purpose "claims". The record
// contract decides: without a consent that covers the adjuster, the
// access is refused (and the refusal is on the ledger).
func AccessArgs(c *Claim, recordID, consentID string) (tx.Args, error) {
	if !slices.Contains(c.LinkedRecords, recordID) {
		return nil, fmt.Errorf("%w: record %q is not linked to claim %q", contracts.ErrInvalid, recordID, c.ID)
	}
	if consentID == "" {
		return nil, fmt.Errorf("%w: an adjuster reads a linked record only under the patient's consent: name it (consent_id)", contracts.ErrInvalid)
	}
	return tx.Args{tx.String("record_id", recordID), tx.String("purpose", Purpose), tx.String("consent_id", consentID)}, nil
}

// Contract is the claim system contract.
type Contract struct{}

var _ contracts.Contract = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Call implements contracts.Contract.
func (Contract) Call(ctx contracts.Context, method string, args tx.Args) error {
	switch method {
	case "submit":
		return submit(ctx, args)
	case "review":
		return review(ctx, args)
	case "adjudicate":
		return adjudicate(ctx, args)
	case "pay":
		return pay(ctx, args)
	case "appeal":
		return appeal(ctx, args)
	case "cancel":
		return cancel(ctx, args)
	default:
		return fmt.Errorf("%w: claim.%s (methods: submit, review, adjudicate, pay, appeal, cancel)", contracts.ErrUnknownMethod, method)
	}
}

func put(ctx contracts.Context, c *Claim) error {
	b, err := tx.Marshal(c)
	if err != nil {
		return err
	}
	ctx.Set(claimKey(c.ID), b)
	return nil
}

// attrs are the attributes every event of claim c carries.
func attrs(ctx contracts.Context, c *Claim, more ...ledger.Attr) []ledger.Attr {
	return append([]ledger.Attr{{Key: "claim", Value: c.ID}, {Key: "provider", Value: c.Provider}, {Key: "insurer", Value: c.Insurer},
		{Key: "patient", Value: c.Patient}, {Key: "by", Value: ctx.Caller()}}, more...)
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// ValidateServiceCode checks a service code: a base of MinCodeLen to
// MaxCodeLen of A-Z and 0-9 (CPT, HCPCS, ICD-10-PCS), optionally followed
// by up to MaxModifiers two-character modifiers ("-25"), in ascending
// order without repeats, so that one service has one spelling (the
// fingerprint depends on it).
func ValidateServiceCode(code string) error {
	parts := strings.Split(code, "-")
	bad := func(why string) error {
		return fmt.Errorf("%w: service code %.40q %s (a code of %d to %d of A-Z, 0-9, then up to %d modifiers like \"-25\" in ascending order)",
			contracts.ErrInvalid, code, why, MinCodeLen, MaxCodeLen, MaxModifiers)
	}
	if n := len(parts[0]); n < MinCodeLen || n > MaxCodeLen {
		return bad("has a base of the wrong length")
	}
	if len(parts)-1 > MaxModifiers {
		return bad("has too many modifiers")
	}
	for i, p := range parts {
		if i > 0 && len(p) != 2 {
			return bad("has a modifier that is not two characters")
		}
		for _, r := range p {
			if !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') {
				return bad("has a character other than A-Z, 0-9 and '-'")
			}
		}
		if i > 1 && p <= parts[i-1] {
			return bad("has modifiers out of order or repeated")
		}
	}
	return nil
}

// ValidateCurrency checks an ISO 4217 alphabetic code's shape: three
// upper-case letters.
func ValidateCurrency(cur string) error {
	if len(cur) != 3 || strings.IndexFunc(cur, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return fmt.Errorf("%w: currency %.16q must be an ISO 4217 code of three upper-case letters (e.g. USD, EUR)", contracts.ErrInvalid, cur)
	}
	return nil
}

// validateDate checks a YYYY-MM-DD calendar date no later than the
// block's day (UTC).
func validateDate(d string, now time.Time) error {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil || t.Format(time.DateOnly) != d {
		return fmt.Errorf("%w: date %.16q must be a calendar date YYYY-MM-DD", contracts.ErrInvalid, d)
	}
	if today := now.UTC().Format(time.DateOnly); d > today {
		return fmt.Errorf("%w: service date %s is after today (%s, block time)", contracts.ErrInvalid, d, today)
	}
	return nil
}

func validateCode(what, code string, list []string) error {
	if !slices.Contains(list, code) {
		return fmt.Errorf("%w: %s %.40q (one of %s)", contracts.ErrInvalid, what, code, strings.Join(list, ", "))
	}
	return nil
}

// parseItems parses "CODE:YYYY-MM-DD:AMOUNT[:CURRENCY]" entries.
func parseItems(l []string, currency string, now time.Time) ([]Item, error) {
	if len(l) == 0 || len(l) > MaxItems {
		return nil, fmt.Errorf("%w: a claim has 1 to %d items, got %d", contracts.ErrInvalid, MaxItems, len(l))
	}
	items := make([]Item, len(l))
	for i, s := range l {
		seq := uint64(i + 1)
		f := strings.Split(s, ":")
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("%w: item %d must be CODE:YYYY-MM-DD:AMOUNT[:CURRENCY] (amount in minor units), got %.60q", contracts.ErrInvalid, seq, s)
		}
		if err := ValidateServiceCode(f[0]); err != nil {
			return nil, fmt.Errorf("item %d: %w", seq, err)
		}
		if err := validateDate(f[1], now); err != nil {
			return nil, fmt.Errorf("item %d: %w", seq, err)
		}
		amt, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil || amt == 0 || amt > MaxItemAmount || f[2] != u64(amt) {
			return nil, fmt.Errorf("%w: item %d: amount %.24q must be a whole number of minor units from 1 to %d", contracts.ErrInvalid, seq, f[2], uint64(MaxItemAmount))
		}
		if len(f) == 4 && f[3] != currency {
			if err := ValidateCurrency(f[3]); err != nil {
				return nil, fmt.Errorf("item %d: %w", seq, err)
			}
			return nil, fmt.Errorf("%w: item %d is in %s but the claim in %s: one currency per claim", contracts.ErrInvalid, seq, f[3], currency)
		}
		items[i] = Item{Seq: seq, ServiceCode: f[0], Date: f[1], Amount: amt}
	}
	return items, nil
}

func optString(args tx.Args, name string) (string, error) {
	if !args.Has(name) {
		return "", nil
	}
	s, err := args.String(name)
	if err != nil {
		return "", contracts.InvalidArg(err)
	}
	return s, nil
}

// submit files a claim. Args: claim_id, patient, insurer, currency, items
// (strings "CODE:YYYY-MM-DD:AMOUNT[:CURRENCY]"), optional records
// (strings: linked record ids) and provider (default: the caller's
// organisation).
func submit(ctx contracts.Context, args tx.Args) error {
	id, err := args.String("claim_id")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	patient, err := args.String("patient")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	insurer, err := args.String("insurer")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	currency, err := args.String("currency")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	rawItems, err := args.Strings("items")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	var recs []string
	if args.Has("records") {
		if recs, err = args.Strings("records"); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	provider, err := optString(args, "provider")
	if err != nil {
		return err
	}
	if provider == "" {
		provider = identity.OrgOf(ctx.Caller())
	}
	// The claim is held by the provider for filing: its staff submit it.
	if err := ctx.Authorize(contracts.Resource{Type: "claim", Owner: patient, Org: provider}, "submit"); err != nil {
		return err
	}
	if err := identity.ValidateID(id, false); err != nil {
		return err
	}
	if err := ValidateCurrency(currency); err != nil {
		return err
	}
	items, err := parseItems(rawItems, currency, ctx.Time())
	if err != nil {
		return err
	}
	if len(recs) > MaxLinkedRecords {
		return fmt.Errorf("%w: a claim links at most %d records, got %d", contracts.ErrInvalid, MaxLinkedRecords, len(recs))
	}
	r := contracts.State(ctx, Name)
	if pm, err := identity.LoadMember(r, patient); err != nil || !pm.HasRole(identity.RolePatient) {
		return fmt.Errorf("%w: patient %.140q is not a patient member of the consortium", contracts.ErrInvalid, patient)
	}
	if b, ok := r.Get(identity.OrgStateKey(insurer)); !ok {
		return fmt.Errorf("%w: insurer %.140q is not an organisation of the consortium", contracts.ErrInvalid, insurer)
	} else if o, err := identity.DecodeOrg(b); err != nil {
		return err
	} else if o.Kind != identity.KindInsurer {
		return fmt.Errorf("%w: organisation %q is a %s, not an insurer", contracts.ErrInvalid, insurer, o.Kind)
	}
	for i, rid := range recs {
		if slices.Contains(recs[:i], rid) {
			return fmt.Errorf("%w: record %.140q is linked twice", contracts.ErrInvalid, rid)
		}
		rec, err := record.LoadRecord(r, rid)
		switch {
		case err != nil:
			return fmt.Errorf("linked record: %w", err)
		case rec.Custodian != provider: // checked first: say nothing of another hospital's patient
			return fmt.Errorf("%w: linked record %q is not held by %s, the claim's provider", contracts.ErrInvalid, rid, provider)
		case rec.Patient != patient:
			return fmt.Errorf("%w: linked record %q is not a record of patient %s", contracts.ErrInvalid, rid, patient)
		case rec.Erased:
			return fmt.Errorf("%w: linked record %q was erased", contracts.ErrInvalid, rid)
		}
	}
	if _, exists := ctx.Get(claimKey(id)); exists {
		return fmt.Errorf("%w: claim %q", contracts.ErrConflict, id)
	}
	c := &Claim{ID: id, Provider: provider, Patient: patient, Insurer: insurer, Currency: currency, Items: items,
		LinkedRecords: recs, Status: StatusSubmitted, Adjudication: []Adjudication{}, Heights: Heights{Submitted: ctx.Height()}}
	if c.LinkedRecords == nil {
		c.LinkedRecords = []string{}
	}
	// Duplicates: the same fingerprint, or any service already claimed,
	// at any insurer. The message names neither the other claim nor its
	// insurer.
	c.Fingerprint = Fingerprint(provider, patient, items)
	dup := fmt.Errorf("%w: a claim for these services was already filed; appeal or cancel that claim instead of filing another", contracts.ErrConflict)
	if _, taken := ctx.Get(fpKey(c.Fingerprint)); taken {
		return dup
	}
	keys := ItemFingerprints(provider, patient, items)
	for _, h := range keys {
		if _, taken := ctx.Get(itemKey(h)); taken {
			return dup
		}
	}
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Set(fpKey(c.Fingerprint), []byte(id))
	for _, h := range keys {
		ctx.Set(itemKey(h), []byte(id))
	}
	ctx.Emit("claim_submitted", attrs(ctx, c, ledger.Attr{Key: "total", Value: u64(c.Claimed())}, ledger.Attr{Key: "currency", Value: currency},
		ledger.Attr{Key: "items", Value: strconv.Itoa(len(items))}, ledger.Attr{Key: "records", Value: strconv.Itoa(len(recs))})...)
	return nil
}

// load reads the claim named by the claim_id argument.
func load(ctx contracts.Context, args tx.Args) (*Claim, error) {
	id, err := args.String("claim_id")
	if err != nil {
		return nil, contracts.InvalidArg(err)
	}
	return LoadClaim(contracts.State(ctx, Name), id)
}

// asInsurer and asProvider ask the policy whether the caller may act on c
// for the insurer or for the provider.
func asInsurer(ctx contracts.Context, c *Claim, act string) error {
	return ctx.Authorize(contracts.Resource{Type: "claim", Owner: c.Patient, Org: c.Insurer}, act)
}

func asProvider(ctx contracts.Context, c *Claim, act string) error {
	return ctx.Authorize(contracts.Resource{Type: "claim", Owner: c.Patient, Org: c.Provider}, act)
}

func conflict(c *Claim, what string) error {
	return fmt.Errorf("%w: claim %q is %s; %s", contracts.ErrConflict, c.ID, c.Status, what)
}

// review takes a submitted or appealed claim into review. Args: claim_id.
func review(ctx contracts.Context, args tx.Args) error {
	c, err := load(ctx, args)
	if err != nil {
		return err
	}
	if err := asInsurer(ctx, c, "review"); err != nil {
		return err
	}
	if !statusIn(c.Status, StatusSubmitted, StatusAppealed) {
		return conflict(c, "only a submitted or appealed claim can be taken into review")
	}
	c.Status, c.Heights.Reviewed = StatusInReview, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Emit("claim_in_review", attrs(ctx, c, ledger.Attr{Key: "appeals", Value: u64(c.Appeals)})...)
	return nil
}

// adjudicate decides every item. Args: claim_id, adjudication (strings
// "SEQ:APPROVED[:REASON]", one per item; a reason code from
// AdjudicationReasons is required exactly when an item is approved for
// less than claimed) and, when nothing is approved, denial_reason.
func adjudicate(ctx contracts.Context, args tx.Args) error {
	c, err := load(ctx, args)
	if err != nil {
		return err
	}
	if err := asInsurer(ctx, c, "adjudicate"); err != nil {
		return err
	}
	if c.Status != StatusInReview {
		return conflict(c, "only a claim in review can be adjudicated (review it first)")
	}
	raw, err := args.Strings("adjudication")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	denial, err := optString(args, "denial_reason")
	if err != nil {
		return err
	}
	if len(raw) != len(c.Items) {
		return fmt.Errorf("%w: claim %q has %d items; adjudicate each once (SEQ:APPROVED[:REASON]), got %d entries", contracts.ErrInvalid, c.ID, len(c.Items), len(raw))
	}
	adj := make([]Adjudication, len(c.Items))
	seen := make([]bool, len(c.Items))
	for _, s := range raw {
		f := strings.Split(s, ":")
		if len(f) < 2 || len(f) > 3 {
			return fmt.Errorf("%w: adjudication entry %.60q must be SEQ:APPROVED[:REASON]", contracts.ErrInvalid, s)
		}
		seq, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || seq == 0 || seq > uint64(len(c.Items)) || f[0] != u64(seq) {
			return fmt.Errorf("%w: adjudication entry %.60q: item %.24q is not an item of the claim (1 to %d)", contracts.ErrInvalid, s, f[0], len(c.Items))
		}
		if seen[seq-1] {
			return fmt.Errorf("%w: item %d is adjudicated twice", contracts.ErrInvalid, seq)
		}
		seen[seq-1] = true
		item := c.Items[seq-1]
		approved, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || f[1] != u64(approved) {
			return fmt.Errorf("%w: item %d: approved amount %.24q must be a whole number of minor units", contracts.ErrInvalid, seq, f[1])
		}
		if approved > item.Amount {
			return fmt.Errorf("%w: item %d: approved %d exceeds the %d claimed", contracts.ErrInvalid, seq, approved, item.Amount)
		}
		a := Adjudication{Seq: seq, Approved: approved}
		if len(f) == 3 {
			a.Reason = f[2]
		}
		switch {
		case approved < item.Amount && a.Reason == "":
			return fmt.Errorf("%w: item %d is approved for %d of %d: give a reason code (one of %s)", contracts.ErrInvalid, seq, approved,
				item.Amount, strings.Join(AdjudicationReasons, ", "))
		case approved == item.Amount && a.Reason != "":
			return fmt.Errorf("%w: item %d is approved in full; a reason code is only for a reduced amount", contracts.ErrInvalid, seq)
		case a.Reason != "":
			if err := validateCode(fmt.Sprintf("item %d: reason", seq), a.Reason, AdjudicationReasons); err != nil {
				return err
			}
		}
		adj[seq-1] = a
	}
	c.Adjudication = adj
	claimed, approved := c.Claimed(), c.Approved()
	switch {
	case approved == 0:
		c.Outcome = OutcomeDenied
		if denial == "" {
			return fmt.Errorf("%w: nothing is approved, so the claim is denied: give a denial_reason (one of %s)", contracts.ErrInvalid,
				strings.Join(AdjudicationReasons, ", "))
		}
		if err := validateCode("denial_reason", denial, AdjudicationReasons); err != nil {
			return err
		}
	case denial != "":
		return fmt.Errorf("%w: denial_reason is only for a denied claim (nothing approved); this one is approved for %d of %d", contracts.ErrInvalid, approved, claimed)
	case approved == claimed:
		c.Outcome = OutcomeApproved
	default:
		c.Outcome = OutcomePartial
	}
	c.DenialReason = denial
	c.Status, c.Heights.Adjudicated = StatusAdjudicated, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	share, _ := PatientShare(c)
	more := []ledger.Attr{{Key: "outcome", Value: c.Outcome}, {Key: "approved", Value: u64(approved)}, {Key: "claimed", Value: u64(claimed)},
		{Key: "patient_share", Value: u64(share)}, {Key: "currency", Value: c.Currency}}
	if denial != "" {
		more = append(more, ledger.Attr{Key: "denial_reason", Value: denial})
	}
	ctx.Emit("claim_adjudicated", attrs(ctx, c, more...)...)
	return nil
}

// pay records the insurer's payment of the approved total. Args:
// claim_id, payment_ref (the bank or ledger reference: 1 to 64 of A-Z,
// a-z, 0-9, '-', '_', '.', '/'), amount (minor units; must equal the
// approved total).
func pay(ctx contracts.Context, args tx.Args) error {
	c, err := load(ctx, args)
	if err != nil {
		return err
	}
	if err := asInsurer(ctx, c, "pay"); err != nil {
		return err
	}
	ref, err := args.String("payment_ref")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	amount, err := args.Uint("amount")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	switch {
	case c.Status != StatusAdjudicated:
		return conflict(c, "only an adjudicated, approved or partially approved claim can be paid")
	case c.Outcome == OutcomeDenied:
		return fmt.Errorf("%w: claim %q was denied; there is nothing to pay", contracts.ErrConflict, c.ID)
	}
	if len(ref) == 0 || len(ref) > MaxPaymentRefLen || strings.IndexFunc(ref, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z') && !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && !strings.ContainsRune("-_./", r)
	}) >= 0 {
		return fmt.Errorf("%w: payment_ref must be 1 to %d of A-Z, a-z, 0-9, '-', '_', '.', '/'", contracts.ErrInvalid, MaxPaymentRefLen)
	}
	if approved := c.Approved(); amount != approved {
		return fmt.Errorf("%w: amount %d is not the approved total %d %s", contracts.ErrInvalid, amount, approved, c.Currency)
	}
	c.Status, c.PaymentRef, c.PaidAmount, c.Heights.Paid = StatusPaid, ref, amount, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Emit("claim_paid", attrs(ctx, c, ledger.Attr{Key: "payment_ref", Value: ref}, ledger.Attr{Key: "amount", Value: u64(amount)},
		ledger.Attr{Key: "currency", Value: c.Currency})...)
	return nil
}

// appeal contests a denied or partially approved adjudication. Args:
// claim_id, reason (one of AppealReasons).
func appeal(ctx contracts.Context, args tx.Args) error {
	c, err := load(ctx, args)
	if err != nil {
		return err
	}
	if err := asProvider(ctx, c, "appeal"); err != nil {
		return err
	}
	reason, err := args.String("reason")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	switch {
	case c.Status != StatusAdjudicated:
		return conflict(c, "only an adjudicated, unpaid claim that was denied or partially approved can be appealed")
	case c.Outcome == OutcomeApproved:
		return fmt.Errorf("%w: claim %q was approved in full; there is nothing to appeal", contracts.ErrConflict, c.ID)
	case c.Appeals >= MaxAppeals:
		return fmt.Errorf("%w: claim %q was already appealed %d times, the most allowed", contracts.ErrConflict, c.ID, c.Appeals)
	}
	if _, funded := ctx.ReadOther(DonationContract, FundedKey(c.ID)); funded {
		return fmt.Errorf("%w: the patient's share of claim %q was funded by a charity; an appeal could pay the bill twice", contracts.ErrConflict, c.ID)
	}
	if err := validateCode("appeal reason", reason, AppealReasons); err != nil {
		return err
	}
	c.Appeals++
	c.Status, c.AppealReason, c.Heights.Appealed = StatusAppealed, reason, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Emit("claim_appealed", attrs(ctx, c, ledger.Attr{Key: "reason", Value: reason}, ledger.Attr{Key: "appeal", Value: u64(c.Appeals)},
		ledger.Attr{Key: "outcome", Value: c.Outcome})...)
	return nil
}

// cancel withdraws a claim before adjudication and releases its
// fingerprint, so that the services can be claimed again. Args: claim_id.
func cancel(ctx contracts.Context, args tx.Args) error {
	c, err := load(ctx, args)
	if err != nil {
		return err
	}
	if err := asProvider(ctx, c, "cancel"); err != nil {
		return err
	}
	if !statusIn(c.Status, StatusSubmitted, StatusInReview) || c.Heights.Adjudicated != 0 {
		// An appealed claim back in review was adjudicated once: cancelling
		// it would free its fingerprints and let the same services be
		// filed again.
		return conflict(c, "only a claim never adjudicated can be cancelled")
	}
	c.Status, c.Heights.Cancelled = StatusCancelled, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	release := func(k string) {
		if v, ok := ctx.Get(k); ok && string(v) == c.ID {
			ctx.Delete(k)
		}
	}
	release(fpKey(c.Fingerprint))
	for _, h := range ItemFingerprints(c.Provider, c.Patient, c.Items) {
		release(itemKey(h))
	}
	ctx.Emit("claim_cancelled", attrs(ctx, c)...)
	return nil
}
