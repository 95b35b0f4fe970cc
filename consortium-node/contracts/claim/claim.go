package claim

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name; its vocabulary is defined once, in
// claim/vocab.
const Name = vocab.Name

// Purpose is the consent purpose under which an adjuster reads a claim's
// document and linked records.
const Purpose = claimdoc.Purpose

// Limits (the document's are claimdoc's).
const (
	MaxItems         = claimdoc.MaxItems
	MaxLinkedRecords = claimdoc.MaxLinkedRecords
	MaxItemAmount    = claimdoc.MaxItemAmount
	MaxAppeals       = 3
	MaxPaymentRefLen = 64
)

// Item is one service line (FHIR Claim.item) as the ledger holds it: its
// position and amount. Its service code and date are health data and
// stay in the claim's document (an encrypted record).
type Item struct {
	_      struct{} `cbor:",toarray"`
	Seq    uint64   `json:"seq"`
	Amount uint64   `json:"amount"` // minor units of the claim's currency
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
	_        struct{} `cbor:",toarray"`
	ID       string   `json:"id"`
	Provider string   `json:"provider"` // hospital organisation id
	Patient  string   `json:"patient"`  // member id (pseudonymous)
	Insurer  string   `json:"insurer"`  // insurer organisation id
	Currency string   `json:"currency"` // ISO 4217, one per claim
	Items    []Item   `json:"items"`
	Document string   `json:"document"` // the record holding the itemised claim (category "claim")
	// DocumentVersion is the document's version the claim was filed with;
	// an adjuster reads that version.
	DocumentVersion uint64         `json:"document_version"`
	LinkedRecords   []string       `json:"linked_records"`
	Status          string         `json:"status"`
	Adjudication    []Adjudication `json:"adjudication"`
	Outcome         string         `json:"outcome,omitempty"`
	DenialReason    string         `json:"denial_reason,omitempty"`
	Appeals         uint64         `json:"appeals,omitempty"`
	AppealReason    string         `json:"appeal_reason,omitempty"`
	PaymentRef      string         `json:"payment_ref,omitempty"`
	PaidAmount      uint64         `json:"paid_amount,omitempty"`
	KeyID           string         `json:"key_id"`      // the provider's fingerprint key id (KeyStateKey)
	Fingerprint     ledger.Hash    `json:"fingerprint"` // keyed: see FingerprintLen
	ItemKeys        []ledger.Hash  `json:"item_keys"`   // keyed per-item fingerprints, sorted
	Heights         Heights        `json:"heights"`
}

// DonationContract and FundedKey name where the donation contract records
// how much of a claim's patient share charities funded (read here without
// importing it, which imports this package): once funded, the claim can no
// longer be appealed.
const DonationContract = "donation"

// FundedKey is the donation contract's key of a claim's funded amount.
func FundedKey(claimID string) string { return "claimfund/" + claimID }

// Filed returns what claimdoc.Verify compares with the claim's document.
func (c *Claim) Filed() claimdoc.Filed {
	f := claimdoc.Filed{ID: c.ID, Provider: c.Provider, Patient: c.Patient, Insurer: c.Insurer, Currency: c.Currency,
		Records: c.LinkedRecords, KeyID: c.KeyID, Fingerprint: c.Fingerprint, ItemKeys: c.ItemKeys}
	for _, it := range c.Items {
		f.Amounts = append(f.Amounts, it.Amount)
	}
	return f
}

// Claimed is the sum of the items' amounts.
func (c *Claim) Claimed() uint64 {
	return claimdoc.Sum(c.Items, func(it Item) uint64 { return it.Amount })
}

// Approved is the sum of the adjudicated amounts (0 before adjudication).
func (c *Claim) Approved() uint64 {
	return claimdoc.Sum(c.Adjudication, func(a Adjudication) uint64 { return a.Approved })
}

// Settled reports whether an adjudication stands: the claim is adjudicated
// (and not under appeal) or paid. A denied or partially approved claim
// that is still adjudicated may yet be appealed; a paid claim is final.
func (c *Claim) Settled() bool {
	return (c.Status == vocab.StatusAdjudicated || c.Status == vocab.StatusPaid) && c.Outcome != ""
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

func claimKey(id string) string    { return "c/" + id }
func fpKey(h ledger.Hash) string   { return "fp/" + h.String() }
func itemKey(h ledger.Hash) string { return "fi/" + h.String() }
func docKey(record string) string  { return "doc/" + record }

// DocumentInsurerKey is the key (under "claim/") naming the insurer of the
// claim that record is the document of (claimdoc.DocumentInsurerKey).
func DocumentInsurerKey(record string) string { return claimdoc.DocumentInsurerKey(record) }
func full(k string) string                    { return contracts.Key(Name, k) }
func statusIn(s string, l ...string) bool     { return slices.Contains(l, s) }

// StateKey is the full state key of claim id (for contracts that read a
// claim, such as the donation contract).
func StateKey(id string) string { return full(claimKey(id)) }

// Decode decodes a claim from state bytes (strict, canonical CBOR).
func Decode(b []byte) (*Claim, error) {
	var c Claim
	if err := codec.State.Unmarshal(b, &c); err != nil {
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

// keyKey is the state key (under "claim/") of a provider's claims
// fingerprint key id.
func keyKey(org string) string { return claimdoc.KeyIDKey(org) }

// KeyStateKey is the full state key of org's fingerprint key id.
func KeyStateKey(org string) string { return claimdoc.KeyIDStateKey(org) }

// Genesis returns the claim contract's genesis state (claimdoc.Genesis).
func Genesis(keyIDs map[string]string) ([]ledger.StateWrite, error) { return claimdoc.Genesis(keyIDs) }

// RegisterKey records hospital org's claims fingerprint key id, for the
// governance contract onboarding a hospital (ctx is the claim contract's,
// from governance's As). A hospital's key id is set once.
func RegisterKey(ctx contracts.Context, org, keyID string) error {
	if err := validateKeyID(keyID); err != nil {
		return err
	}
	if _, ok := ctx.Get(keyKey(org)); ok {
		return fmt.Errorf("%w: %s already has a claims fingerprint key", contracts.ErrConflict, org)
	}
	ctx.Set(keyKey(org), []byte(keyID))
	ctx.Emit(vocab.EventClaimsKeyRegistered, ledger.Attr{Key: vocab.AttrOrg, Value: org},
		ledger.Attr{Key: vocab.AttrKeyID, Value: keyID})
	return nil
}

// ValidateKeyID checks a fingerprint key id's shape.
func ValidateKeyID(id string) error { return claimdoc.ValidateKeyID(id) }

// KeyIDLen is the length of a fingerprint key id: 32 lower-case hex digits.
const KeyIDLen = claimdoc.KeyIDLen

func validateKeyID(id string) error { return claimdoc.ValidateKeyID(id) }

// parseHash parses a fingerprint given as 64 lower-case hex digits.
func parseHash(what, s string) (ledger.Hash, error) {
	var h ledger.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) || hex.EncodeToString(b) != s {
		return h, fmt.Errorf("%w: %s %.80q must be %d lower-case hex digits", contracts.ErrInvalid, what, s, 2*len(h))
	}
	copy(h[:], b)
	return h, nil
}

// AccessArgs returns the arguments of the record.access call by which an
// adjuster reads record recordID linked to claim c, relying on consent
// consentID of the claim's patient for purpose "claims". The record
// contract decides: without a consent that covers the adjuster, the
// access is refused (and the refusal is on the ledger).
func AccessArgs(c *Claim, recordID, consentID string) (tx.Args, error) {
	if recordID != c.Document && !slices.Contains(c.LinkedRecords, recordID) {
		return nil, fmt.Errorf("%w: record %q is neither the document of claim %q nor linked to it", contracts.ErrInvalid, recordID, c.ID)
	}
	if consentID == "" {
		return nil, fmt.Errorf("%w: an adjuster reads a linked record only under the patient's consent: name it (consent_id)", contracts.ErrInvalid)
	}
	args := tx.Args{tx.String(recordvocab.ArgRecordID, recordID), tx.String(recordvocab.ArgPurpose, Purpose),
		tx.String(recordvocab.ArgConsentID, consentID)}
	if recordID == c.Document {
		args = append(args, tx.Uint(recordvocab.ArgVersion, c.DocumentVersion))
	}
	return args, nil
}

// Contract is the claim system contract.
type Contract struct{}

var (
	_ contracts.Contract   = Contract{}
	_ contracts.Prechecker = Contract{}
	_ contracts.Delegator  = Contract{}
)

// Delegates implements contracts.Delegator: claim.submit registers the
// claim's document with the record contract (record.RegisterClaimDocument)
// in the claim's own transaction.
func (Contract) Delegates() []string { return []string{record.Name} }

// Precheck refuses, before admission, a submit with any argument it does
// not take: a client of the first claim contract sent "items" with
// service codes and dates, which a failed transaction would still have
// put on the ledger for good.
func (Contract) Precheck(method string, args tx.Args) error {
	if method != vocab.MethodSubmit {
		return nil
	}
	submitArgs := vocab.Shape().Methods[vocab.MethodSubmit]
	for _, a := range args {
		if !slices.Contains(submitArgs, a.Name) {
			return fmt.Errorf("%w: claim.submit takes no argument %.40q (it takes %s); service codes and dates stay off the ledger: file the itemised claim as a record (a portal does)",
				contracts.ErrInvalid, a.Name, strings.Join(submitArgs, ", "))
		}
	}
	return nil
}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Methods implements contracts.Contract.
func (Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodSubmit, Run: submit},
		{Name: vocab.MethodReview, Run: review},
		{Name: vocab.MethodAdjudicate, Run: adjudicate},
		{Name: vocab.MethodPay, Run: pay},
		{Name: vocab.MethodAppeal, Run: appeal},
		{Name: vocab.MethodCancel, Run: cancel},
	}
}

func put(ctx contracts.Context, c *Claim) error { return contracts.Put(ctx, claimKey(c.ID), c) }

// attrs are the attributes every event of claim c carries.
func attrs(ctx contracts.Context, c *Claim, more ...ledger.Attr) []ledger.Attr {
	return append([]ledger.Attr{{Key: vocab.AttrClaim, Value: c.ID}, {Key: vocab.AttrProvider, Value: c.Provider},
		{Key: vocab.AttrInsurer, Value: c.Insurer},
		{Key: vocab.AttrPatient, Value: c.Patient}, {Key: vocab.AttrBy, Value: ctx.Caller()}}, more...)
}

// save stores c and emits typ with c's attributes and more: how a method
// ends that changed a claim.
func save(ctx contracts.Context, c *Claim, typ string, more ...ledger.Attr) error {
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Emit(typ, attrs(ctx, c, more...)...)
	return nil
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// ValidateCurrency checks an ISO 4217 alphabetic code's shape: three
// upper-case letters.
func ValidateCurrency(cur string) error {
	if len(cur) != 3 || strings.IndexFunc(cur, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return fmt.Errorf("%w: currency %.16q must be an ISO 4217 code of three upper-case letters (e.g. USD, EUR)", contracts.ErrInvalid, cur)
	}
	return nil
}

func validateCode(what, code string, list []string) error {
	if !slices.Contains(list, code) {
		return fmt.Errorf("%w: %s %.40q (one of %s)", contracts.ErrInvalid, what, code, strings.Join(list, ", "))
	}
	return nil
}

// parseAmounts parses the items' amounts, in the document's item order:
// whole numbers of minor units.
func parseAmounts(l []string) ([]Item, error) {
	if len(l) == 0 || len(l) > MaxItems {
		return nil, fmt.Errorf("%w: a claim has 1 to %d items, got %d", contracts.ErrInvalid, MaxItems, len(l))
	}
	items := make([]Item, len(l))
	for i, s := range l {
		seq := uint64(i + 1)
		amt, err := strconv.ParseUint(s, 10, 64)
		if err != nil || amt == 0 || amt > MaxItemAmount || s != u64(amt) {
			return nil, fmt.Errorf("%w: item %d: amount %.24q must be a whole number of minor units from 1 to %d", contracts.ErrInvalid, seq, s, uint64(MaxItemAmount))
		}
		items[i] = Item{Seq: seq, Amount: amt}
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

// submit files a claim. Args: claim_id, patient, insurer, currency,
// amounts (strings: each item's amount in minor units, in the document's
// item order), document (the record id of the itemised claim: a record
// of category "claim" of the patient, held by the provider),
// document_version (the version registered for this claim: its latest),
// optional document_ciphertext_hash, key_id (the
// fingerprint key's id, which must be the consortium's), fingerprint
// (bytes: the keyed claim fingerprint), item_fingerprints (strings: one
// keyed fingerprint per item, 64 hex digits), optional records (strings:
// linked record ids) and provider (default: the caller's organisation).
//
// With document_ciphertext_hash (bytes: the SHA-256 of the document's
// ciphertext, uploaded to the custodian), submit registers
// document_version of the document itself, as record.register would (the
// record contract's authorisation and checks; a new record is the
// patient's, of category "claim"): the claim and its document commit
// together, and a refused claim leaves no record entry (its upload is
// swept by the custodian). Without it, the document must already be
// registered at document_version (the former two-transaction filing).
//
// The ledger cannot recompute keyed fingerprints (it never sees the
// codes); the key id commits the hospital to its key, so an audit can
// check them against the document (claimdoc.Verify), whose ciphertext
// hash is on the ledger.
func submit(ctx contracts.Context, args tx.Args) error {
	in := contracts.ArgReader{Args: args}
	id := in.String(vocab.ArgClaimID)
	patient := in.String(vocab.ArgPatient)
	insurer := in.String(vocab.ArgInsurer)
	currency := in.String(vocab.ArgCurrency)
	rawAmounts := in.Strings(vocab.ArgAmounts)
	doc := in.String(vocab.ArgDocument)
	docVersion := in.Uint(vocab.ArgDocumentVersion)
	keyID := in.String(vocab.ArgKeyID)
	fpRaw := in.Bytes(vocab.ArgFingerprint)
	rawKeys := in.Strings(vocab.ArgItemFingerprints)
	var recs []string
	if args.Has(vocab.ArgRecords) {
		recs = in.Strings(vocab.ArgRecords)
	}
	var docHash []byte
	registerDoc := args.Has(vocab.ArgDocumentCiphertextHash)
	if registerDoc {
		docHash = in.Bytes(vocab.ArgDocumentCiphertextHash)
	}
	if in.Err != nil {
		return in.Err
	}
	provider, err := optString(args, vocab.ArgProvider)
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
	if _, exists := ctx.Get(claimKey(id)); exists {
		return fmt.Errorf("%w: claim %q already exists", contracts.ErrConflict, id)
	}
	if err := ValidateCurrency(currency); err != nil {
		return err
	}
	items, err := parseAmounts(rawAmounts)
	if err != nil {
		return err
	}
	if len(recs) > MaxLinkedRecords {
		return fmt.Errorf("%w: a claim links at most %d records, got %d", contracts.ErrInvalid, MaxLinkedRecords, len(recs))
	}
	r := contracts.State(ctx, Name)
	want, ok := r.Get(KeyStateKey(provider))
	switch {
	case !ok:
		return fmt.Errorf("%w: %s has no claims fingerprint key registered, so it files no claims (hospitals' keys are set at genesis)", contracts.ErrConflict, provider)
	case keyID != string(want):
		return fmt.Errorf("%w: the fingerprints were made with key %.40q, not %s's claims fingerprint key %s: the filing system needs the hospital's current key",
			contracts.ErrInvalid, keyID, provider, want)
	}
	var fp ledger.Hash
	if len(fpRaw) != len(fp) {
		return fmt.Errorf("%w: fingerprint must be %d bytes", contracts.ErrInvalid, len(fp))
	}
	copy(fp[:], fpRaw)
	if len(rawKeys) != len(items) {
		return fmt.Errorf("%w: %d item fingerprints for %d items: give one per item", contracts.ErrInvalid, len(rawKeys), len(items))
	}
	keys := make([]ledger.Hash, len(rawKeys))
	for i, s := range rawKeys {
		if keys[i], err = parseHash(fmt.Sprintf("item fingerprint %d", i+1), s); err != nil {
			return err
		}
	}
	slices.SortFunc(keys, func(a, b ledger.Hash) int { return bytes.Compare(a[:], b[:]) })
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return fmt.Errorf("%w: two items have the same fingerprint (a repeated service is counted by its occurrence)", contracts.ErrInvalid)
		}
	}
	if pm, err := identity.LoadMember(r, patient); err != nil || !pm.HasRole(identityvocab.RolePatient) {
		return fmt.Errorf("%w: patient %.140q is not a patient member of the consortium", contracts.ErrInvalid, patient)
	}
	if b, ok := r.Get(identity.OrgStateKey(insurer)); !ok {
		return fmt.Errorf("%w: insurer %.140q is not an organisation of the consortium", contracts.ErrInvalid, insurer)
	} else if o, err := identity.DecodeOrg(b); err != nil {
		return err
	} else if o.Kind != identityvocab.KindInsurer {
		return fmt.Errorf("%w: organisation %q is a %s, not an insurer", contracts.ErrInvalid, insurer, o.Kind)
	}
	if registerDoc {
		rc, err := ctx.As(record.Name)
		if err != nil {
			return err
		}
		if err := record.RegisterClaimDocument(rc, doc, docVersion, docHash, patient); err != nil {
			return fmt.Errorf("the claim's document: %w", err)
		}
	}
	// checkRecord checks that record rid may support this claim. It says
	// nothing of another hospital's patient: the custodian comes first.
	checkRecord := func(what, rid string) (*record.Record, error) {
		rec, err := record.LoadRecord(r, rid)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", what, err)
		case rec.Custodian != provider:
			return nil, fmt.Errorf("%w: %s %q is not held by %s, the claim's provider", contracts.ErrInvalid, what, rid, provider)
		case rec.Patient != patient:
			return nil, fmt.Errorf("%w: %s %q is not a record of patient %s", contracts.ErrInvalid, what, rid, patient)
		case rec.Erased:
			return nil, fmt.Errorf("%w: %s %q was erased", contracts.ErrInvalid, what, rid)
		}
		return rec, nil
	}
	rec, err := checkRecord("the claim's document", doc)
	if err != nil {
		return err
	}
	if rec.Category != record.CategoryClaim {
		return fmt.Errorf("%w: the claim's document %q is a %q record; register the itemised claim as a record of category %q", contracts.ErrInvalid,
			doc, rec.Category, record.CategoryClaim)
	}
	if docVersion != rec.Latest {
		return fmt.Errorf("%w: the claim's document %q is at version %d, not %d: file the claim with the version just registered", contracts.ErrConflict,
			doc, rec.Latest, docVersion)
	}
	if _, used := ctx.Get(docKey(doc)); used {
		return fmt.Errorf("%w: record %q is already the document of another claim", contracts.ErrConflict, doc)
	}
	for i, rid := range recs {
		if rid == doc || slices.Contains(recs[:i], rid) {
			return fmt.Errorf("%w: record %.140q is linked twice", contracts.ErrInvalid, rid)
		}
		lr, err := checkRecord("linked record", rid)
		if err != nil {
			return err
		}
		if lr.Category == record.CategoryClaim {
			return fmt.Errorf("%w: linked record %q is a claim document; link the clinical records that support this claim", contracts.ErrInvalid, rid)
		}
	}
	c := &Claim{ID: id, Provider: provider, Patient: patient, Insurer: insurer, Currency: currency, Items: items, Document: doc, DocumentVersion: rec.Latest,
		LinkedRecords: recs, Status: vocab.StatusSubmitted, Adjudication: []Adjudication{}, KeyID: keyID,
		Fingerprint: fp, ItemKeys: keys,
		Heights: Heights{Submitted: ctx.Height()}}
	if c.LinkedRecords == nil {
		c.LinkedRecords = []string{}
	}
	// Duplicates: the same fingerprint, or any service already claimed,
	// at any insurer. The message names neither the other claim nor its
	// insurer.
	dup := fmt.Errorf("%w: a claim for these services was already filed; appeal or cancel that claim instead of filing another", contracts.ErrConflict)
	if _, taken := ctx.Get(fpKey(fp)); taken {
		return dup
	}
	for _, h := range keys {
		if _, taken := ctx.Get(itemKey(h)); taken {
			return dup
		}
	}
	if err := put(ctx, c); err != nil {
		return err
	}
	ctx.Set(fpKey(fp), []byte(id))
	for _, h := range keys {
		ctx.Set(itemKey(h), []byte(id))
	}
	ctx.Set(docKey(doc), []byte(id))
	ctx.Set(DocumentInsurerKey(doc), []byte(insurer))
	ctx.Emit(vocab.EventSubmitted,
		attrs(ctx, c, ledger.Attr{Key: vocab.AttrTotal, Value: u64(c.Claimed())},
			ledger.Attr{Key: vocab.AttrCurrency, Value: currency},
			ledger.Attr{Key: vocab.AttrItems, Value: strconv.Itoa(len(items))},
			ledger.Attr{Key: vocab.AttrRecords, Value: strconv.Itoa(len(recs))},
			ledger.Attr{Key: vocab.AttrDocument, Value: doc},
			ledger.Attr{Key: vocab.AttrDocumentVersion, Value: u64(rec.Latest)})...)
	return nil
}

// load reads the claim named by the claim_id argument.
// loadAs loads the claim the call names and asks the policy, with as
// (asInsurer, asProvider), whether the caller may do act on it.
func loadAs(ctx contracts.Context, args tx.Args, as func(contracts.Context, *Claim, string) error, act string) (*Claim, error) {
	c, err := contracts.LoadArg(ctx, Name, args, vocab.ArgClaimID, LoadClaim)
	if err != nil {
		return nil, err
	}
	if err := as(ctx, c, act); err != nil {
		return nil, err
	}
	return c, nil
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
	c, err := loadAs(ctx, args, asInsurer, "review")
	if err != nil {
		return err
	}
	if !statusIn(c.Status, vocab.StatusSubmitted, vocab.StatusAppealed) {
		return conflict(c, "only a submitted or appealed claim can be taken into review")
	}
	c.Status, c.Heights.Reviewed = vocab.StatusInReview, ctx.Height()
	return save(ctx, c, vocab.EventInReview, ledger.Attr{Key: vocab.AttrAppeals, Value: u64(c.Appeals)})
}

// adjudicate decides every item. Args: claim_id, adjudication (strings
// "SEQ:APPROVED[:REASON]", one per item; a reason code from
// vocab.AdjudicationReasons() is required exactly when an item is approved for
// less than claimed) and, when nothing is approved, denial_reason. A
// member of the insurer must have read the claim's document first
// (documentRead): nobody decides a claim whose services they have not
// seen. The claim_adjudicated event names that read (document_access).
func adjudicate(ctx contracts.Context, args tx.Args) error {
	c, err := loadAs(ctx, args, asInsurer, "adjudicate")
	if err != nil {
		return err
	}
	if c.Status != vocab.StatusInReview {
		return conflict(c, "only a claim in review can be adjudicated (review it first)")
	}
	read, err := documentRead(ctx, c)
	if err != nil {
		return err
	}
	raw, err := args.Strings(vocab.ArgAdjudication)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	denial, err := optString(args, vocab.ArgDenialReason)
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
				item.Amount, strings.Join(vocab.AdjudicationReasons(), ", "))
		case approved == item.Amount && a.Reason != "":
			return fmt.Errorf("%w: item %d is approved in full; a reason code is only for a reduced amount", contracts.ErrInvalid, seq)
		case a.Reason != "":
			if err := validateCode(fmt.Sprintf("item %d: reason", seq), a.Reason,
				vocab.AdjudicationReasons()); err != nil {
				return err
			}
		}
		adj[seq-1] = a
	}
	c.Adjudication = adj
	claimed, approved := c.Claimed(), c.Approved()
	switch {
	case approved == 0:
		c.Outcome = vocab.OutcomeDenied
		if denial == "" {
			return fmt.Errorf("%w: nothing is approved, so the claim is denied: give a denial_reason (one of %s)", contracts.ErrInvalid,
				strings.Join(vocab.AdjudicationReasons(), ", "))
		}
		if err := validateCode("denial_reason", denial, vocab.AdjudicationReasons()); err != nil {
			return err
		}
	case denial != "":
		return fmt.Errorf("%w: denial_reason is only for a denied claim (nothing approved); this one is approved for %d of %d", contracts.ErrInvalid, approved, claimed)
	case approved == claimed:
		c.Outcome = vocab.OutcomeApproved
	default:
		c.Outcome = vocab.OutcomePartial
	}
	c.DenialReason = denial
	c.Status, c.Heights.Adjudicated = vocab.StatusAdjudicated, ctx.Height()
	share, _ := PatientShare(c)
	more := []ledger.Attr{{Key: vocab.AttrOutcome, Value: c.Outcome}, {Key: vocab.AttrApproved, Value: u64(approved)},
		{Key: vocab.AttrClaimed, Value: u64(claimed)},
		{Key: vocab.AttrPatientShare, Value: u64(share)}, {Key: vocab.AttrCurrency, Value: c.Currency},
		{Key: vocab.AttrDocumentAccess, Value: read}}
	if denial != "" {
		more = append(more, ledger.Attr{Key: vocab.AttrDenialReason, Value: denial})
	}
	return save(ctx, c, vocab.EventAdjudicated, more...)
}

// ErrDocumentNotRead is claim.adjudicate's refusal while no member of
// the claim's insurer has read the claim's document (it wraps
// contracts.ErrConflict).
var ErrDocumentNotRead = fmt.Errorf("%w: open the claim's document first (openClaimDocument)", contracts.ErrConflict)

// DocumentReadStateKey is the full state key of the record contract's
// mark that a member of c's insurer read c's document at its filed
// version (claimdoc.DocumentReadKey).
func DocumentReadStateKey(c *Claim) string {
	return contracts.Key(record.Name, claimdoc.DocumentReadKey(c.Document, c.DocumentVersion, c.Insurer))
}

// documentRead returns the access under which a member of c's insurer
// read the filed version of c's document — granted under the patient's
// consent for purpose "claims" and not reported undelivered, as the
// record contract marks it — or ErrDocumentNotRead. An appeal's new
// adjudication relies on the same read: the filed version does not
// change.
func documentRead(ctx contracts.Context, c *Claim) (string, error) {
	v, ok := ctx.ReadOther(record.Name, claimdoc.DocumentReadKey(c.Document, c.DocumentVersion, c.Insurer))
	if !ok {
		return "", fmt.Errorf("%w: %s has not read the document of claim %q (record %q, version %d) under the patient's consent for %q",
			ErrDocumentNotRead, c.Insurer, c.ID, c.Document, c.DocumentVersion, Purpose)
	}
	return string(v), nil
}

// pay records the insurer's payment of the approved total. Args:
// claim_id, payment_ref (the bank or ledger reference: 1 to 64 of A-Z,
// a-z, 0-9, '-', '_', '.', '/'), amount (minor units; must equal the
// approved total).
func pay(ctx contracts.Context, args tx.Args) error {
	c, err := loadAs(ctx, args, asInsurer, "pay")
	if err != nil {
		return err
	}
	in := contracts.ArgReader{Args: args}
	ref := in.String(vocab.ArgPaymentRef)
	amount := in.Uint(vocab.ArgAmount)
	if in.Err != nil {
		return in.Err
	}
	switch {
	case c.Status != vocab.StatusAdjudicated:
		return conflict(c, "only an adjudicated, approved or partially approved claim can be paid")
	case c.Outcome == vocab.OutcomeDenied:
		return fmt.Errorf("%w: claim %q was denied; there is nothing to pay", contracts.ErrConflict, c.ID)
	}
	if len(ref) == 0 || len(ref) > MaxPaymentRefLen || strings.IndexFunc(ref, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z') && !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && !strings.ContainsRune("-_./", r)
	}) >= 0 {
		return fmt.Errorf("%w: payment_ref must be 1 to %d of A-Z, a-z, 0-9, '-', '_', '.', '/'", contracts.ErrInvalid, MaxPaymentRefLen)
	}
	if approved := c.Approved(); amount != approved {
		return fmt.Errorf("%w: amount %s %s is not the approved total %s %s", contracts.ErrInvalid,
			money.Decimal(amount, c.Currency), c.Currency, money.Decimal(approved, c.Currency), c.Currency)
	}
	c.Status, c.PaymentRef, c.PaidAmount, c.Heights.Paid = vocab.StatusPaid, ref, amount, ctx.Height()
	return save(ctx, c, vocab.EventPaid, ledger.Attr{Key: vocab.AttrPaymentRef, Value: ref},
		ledger.Attr{Key: vocab.AttrAmount, Value: u64(amount)}, ledger.Attr{Key: vocab.AttrCurrency, Value: c.Currency})
}

// appeal contests a denied or partially approved adjudication. Args:
// claim_id, reason (one of vocab.AppealReasons()).
func appeal(ctx contracts.Context, args tx.Args) error {
	c, err := loadAs(ctx, args, asProvider, "appeal")
	if err != nil {
		return err
	}
	reason, err := args.String(vocab.ArgReason)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	switch {
	case c.Status != vocab.StatusAdjudicated:
		return conflict(c, "only an adjudicated, unpaid claim that was denied or partially approved can be appealed")
	case c.Outcome == vocab.OutcomeApproved:
		return fmt.Errorf("%w: claim %q was approved in full; there is nothing to appeal", contracts.ErrConflict, c.ID)
	case c.Appeals >= MaxAppeals:
		return fmt.Errorf("%w: claim %q was already appealed %d times, the most allowed", contracts.ErrConflict, c.ID, c.Appeals)
	}
	if _, funded := ctx.ReadOther(DonationContract, FundedKey(c.ID)); funded {
		return fmt.Errorf("%w: the patient's share of claim %q was funded by a charity; an appeal could pay the bill twice", contracts.ErrConflict, c.ID)
	}
	if err := validateCode("appeal reason", reason, vocab.AppealReasons()); err != nil {
		return err
	}
	c.Appeals++
	c.Status, c.AppealReason, c.Heights.Appealed = vocab.StatusAppealed, reason, ctx.Height()
	return save(ctx, c, vocab.EventAppealed, ledger.Attr{Key: vocab.AttrReason, Value: reason},
		ledger.Attr{Key: vocab.AttrAppeal, Value: u64(c.Appeals)}, ledger.Attr{Key: vocab.AttrOutcome, Value: c.Outcome})
}

// cancel withdraws a claim before adjudication and releases its
// fingerprint, so that the services can be claimed again. Args: claim_id.
func cancel(ctx contracts.Context, args tx.Args) error {
	c, err := loadAs(ctx, args, asProvider, "cancel")
	if err != nil {
		return err
	}
	if !statusIn(c.Status, vocab.StatusSubmitted, vocab.StatusInReview) || c.Heights.Adjudicated != 0 {
		// An appealed claim back in review was adjudicated once: cancelling
		// it would free its fingerprints and let the same services be
		// filed again.
		return conflict(c, "only a claim never adjudicated can be cancelled")
	}
	c.Status, c.Heights.Cancelled = vocab.StatusCancelled, ctx.Height()
	if err := put(ctx, c); err != nil {
		return err
	}
	release := func(k string) {
		if v, ok := ctx.Get(k); ok && string(v) == c.ID {
			ctx.Delete(k)
		}
	}
	release(fpKey(c.Fingerprint))
	for _, h := range c.ItemKeys {
		release(itemKey(h))
	}
	if v, ok := ctx.Get(docKey(c.Document)); ok && string(v) == c.ID {
		ctx.Delete(docKey(c.Document))
		ctx.Delete(DocumentInsurerKey(c.Document))
	}
	ctx.Emit(vocab.EventCancelled, attrs(ctx, c)...)
	return nil
}
