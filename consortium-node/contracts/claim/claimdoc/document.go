package claimdoc

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/money"
	"github.com/almoner/almoner/consortium-node/tx"
)

// ErrInvalid wraps every validation and parse failure of a document.
var ErrInvalid = errors.New("claimdoc: invalid claim document")

// ErrMismatch wraps every difference between a claim on the ledger and
// its document (Verify).
var ErrMismatch = errors.New("claimdoc: the claim on the ledger does not match its document")

// The claim contract's names and limits (package claim uses these).
const (
	// Purpose is the consent purpose under which an adjuster reads a
	// claim's document and linked records.
	Purpose = "claims"
	// RecordCategory is the record category of a claim's document.
	RecordCategory = "claim"

	MaxItems         = 50 // service lines per claim (as an X12 837P claim)
	MaxLinkedRecords = 20
	MaxItemAmount    = 1_000_000_000_000 // minor units; 50 items cannot overflow
	MaxModifiers     = 10                // modifiers of one service line
	maxIDLen         = 128
)

// Limits of documents.
const (
	// MaxDocumentBytes bounds a FHIR Claim document that Parse reads.
	MaxDocumentBytes = 256 << 10
	// DocumentSuffix makes a claim's document record id (RecordID).
	DocumentSuffix = ".doc"
)

// Line is one service line: the service and its amount in minor units of
// the claim's currency.
type Line struct {
	Service
	Amount uint64
}

// Document is an itemised claim.
type Document struct {
	ClaimID  string
	Provider string // hospital organisation id
	Patient  string // member id (pseudonymous)
	Insurer  string // insurer organisation id
	Currency string // ISO 4217
	Created  string // YYYY-MM-DD
	Lines    []Line
	Records  []string // supporting record ids
}

// ClaimContract is the claim contract's name, and DocumentInsurerKey the
// key (in its state) naming the insurer of the claim whose document is
// record: the claim contract writes it, the record contract reads it to
// let only that insurer read a claim document under a consent.
const ClaimContract = claimvocab.Name

// DocumentInsurerKey is the claim contract's key of record's insurer.
func DocumentInsurerKey(record string) string { return "di/" + record }

// DocumentReadKey is the record contract's key (in its state) naming the
// access under which a member of insurer read version of claim document
// record: the record contract writes it when it grants, under a consent
// and for purpose Purpose, the first such access, and deletes it when the
// reader reports that access as undelivered (record.report_undelivered);
// claim.adjudicate refuses to decide a claim while the key of its
// document, filed version and insurer is absent. Its value is the
// access's transaction id (tx.ID.String).
func DocumentReadKey(record string, version uint64, insurer string) string {
	return "cr/" + record + "/" + strconv.FormatUint(version, 10) + "/" + insurer
}

// RecordID is the conventional record id of claim claimID's document.
func RecordID(claimID string) string { return claimID + DocumentSuffix }

// Services returns the lines' services in order.
func (d *Document) Services() []Service {
	s := make([]Service, len(d.Lines))
	for i, l := range d.Lines {
		s[i] = l.Service
	}
	return s
}

// Total is the sum of the lines' amounts.
func (d *Document) Total() uint64 { return Sum(d.Lines, func(l Line) uint64 { return l.Amount }) }

// Sum adds up the amounts (minor units) that amount reads from xs: a
// claim's or a document's total.
func Sum[T any](xs []T, amount func(T) uint64) uint64 {
	var t uint64
	for _, x := range xs {
		t += amount(x)
	}
	return t
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// ValidateServiceCode checks that code is a canonical service code
// (ServiceCode.String): a code of any system, normalised (upper case,
// single spaces), with its modifiers and sites sorted and without
// repeats, so that one service has one spelling (the fingerprints depend
// on it). NewServiceCode makes one from a coding as people write it.
func ValidateServiceCode(code string) error {
	_, err := ParseServiceCode(code)
	return err
}

// ValidateDate checks a date of service no later than now's day (UTC): a
// calendar date YYYY-MM-DD, or the days of a period,
// YYYY-MM-DD/YYYY-MM-DD with the start before the end.
func ValidateDate(d string, now time.Time) error {
	days := []string{d}
	if start, end, ok := strings.Cut(d, "/"); ok {
		days = []string{start, end}
	}
	for _, x := range days {
		t, err := time.Parse(time.DateOnly, x)
		if err != nil || t.Format(time.DateOnly) != x {
			return invalid("date %.24q must be a calendar date YYYY-MM-DD (or a period YYYY-MM-DD/YYYY-MM-DD)", d)
		}
	}
	if len(days) == 2 && days[1] <= days[0] {
		return invalid("date %.24q is a period that does not end after it starts (a single day is written YYYY-MM-DD)", d)
	}
	if last, today := days[len(days)-1], now.UTC().Format(time.DateOnly); last > today {
		return invalid("service date %s is after today (%s)", last, today)
	}
	return nil
}

// validID checks the ledger's id shape (2 to max of a-z, 0-9, '-', '_',
// '.'; a member id is "<org>/<name>"), so that a document is refused
// before it is stored rather than by the ledger after.
func validID(id string, member bool, max int) bool {
	if len(id) < 2 || len(id) > max || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789-_./") != "" {
		return false
	}
	org, name, found := strings.Cut(id, "/")
	if !member {
		return !found
	}
	return found && org != "" && name != "" && !strings.Contains(name, "/")
}

// Validate checks the document as the claim contract and the
// fingerprints need it; now bounds the service dates.
func (d *Document) Validate(now time.Time) error {
	if !validID(d.ClaimID, false, maxIDLen-len(DocumentSuffix)) {
		return invalid("claim id %.140q must be 2 to %d of a-z, 0-9, '-', '_', '.'", d.ClaimID, maxIDLen-len(DocumentSuffix))
	}
	if !validID(d.Provider, false, maxIDLen) {
		return invalid("provider %.140q is not an organisation id", d.Provider)
	}
	if !validID(d.Patient, true, maxIDLen) {
		return invalid("patient %.140q is not a member id", d.Patient)
	}
	if !validID(d.Insurer, false, maxIDLen) {
		return invalid("insurer %.140q is not an organisation id", d.Insurer)
	}
	if len(d.Currency) != 3 || strings.Trim(d.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return invalid("currency %.16q must be an ISO 4217 code of three upper-case letters (e.g. USD, EUR)", d.Currency)
	}
	if err := ValidateDate(d.Created, now); err != nil || strings.Contains(d.Created, "/") {
		return fmt.Errorf("created: %w", cmp.Or(err, invalid("created %.24q must be a calendar date YYYY-MM-DD", d.Created)))
	}
	if len(d.Lines) == 0 || len(d.Lines) > MaxItems {
		return invalid("a claim has 1 to %d items, got %d", MaxItems, len(d.Lines))
	}
	for i, l := range d.Lines {
		if err := ValidateServiceCode(l.Code); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
		if err := ValidateDate(l.Date, now); err != nil {
			return fmt.Errorf("item %d: %w", i+1, err)
		}
		if l.Amount == 0 || l.Amount > MaxItemAmount {
			return invalid("item %d: amount must be 1 to %d minor units", i+1, uint64(MaxItemAmount))
		}
	}
	if len(d.Records) > MaxLinkedRecords {
		return invalid("a claim links at most %d records, got %d", MaxLinkedRecords, len(d.Records))
	}
	for i, r := range d.Records {
		if !validID(r, false, maxIDLen) || slices.Contains(d.Records[:i], r) || r == RecordID(d.ClaimID) {
			return invalid("linked record %.140q is not a record id or is linked twice", r)
		}
	}
	return nil
}

// SubmitArgs returns the claim.submit arguments for document d stored as
// version docVersion of record docRecord: the amounts, the document, and
// the fingerprints under k. It validates d first (now bounds the service
// dates).
func (k *Key) SubmitArgs(d *Document, docRecord string, docVersion uint64, now time.Time) ([]tx.Arg, error) {
	if err := d.Validate(now); err != nil {
		return nil, err
	}
	amounts := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		amounts[i] = fmt.Sprint(l.Amount)
	}
	services := d.Services()
	fp := k.Fingerprint(d.Provider, d.Patient, services)
	items := k.ItemFingerprints(d.Provider, d.Patient, services)
	hexes := make([]string, len(items))
	for i, h := range items {
		hexes[i] = hex.EncodeToString(h[:])
	}
	args := []tx.Arg{tx.String(claimvocab.ArgClaimID, d.ClaimID), tx.String(claimvocab.ArgPatient, d.Patient),
		tx.String(claimvocab.ArgInsurer, d.Insurer),
		tx.String(claimvocab.ArgCurrency, d.Currency), tx.Strings(claimvocab.ArgAmounts, amounts),
		tx.String(claimvocab.ArgDocument, docRecord), tx.Uint(claimvocab.ArgDocumentVersion, docVersion),
		tx.String(claimvocab.ArgKeyID, k.ID()),
		tx.Bytes(claimvocab.ArgFingerprint, fp[:]), tx.Strings(claimvocab.ArgItemFingerprints, hexes),
		tx.String(claimvocab.ArgProvider, d.Provider)}
	if len(d.Records) > 0 {
		args = append(args, tx.Strings(claimvocab.ArgRecords, d.Records))
	}
	return args, nil
}

// Filed is what the ledger holds of a claim that Verify compares with
// its document (claim.Claim.Filed).
type Filed struct {
	ID, Provider, Patient, Insurer, Currency string
	Amounts                                  []uint64 // per item, in order
	Records                                  []string // linked records
	KeyID                                    string
	Fingerprint                              ledger.Hash
	ItemKeys                                 []ledger.Hash // sorted
}

// Verify checks the claim on the ledger, c, against document d, the
// plaintext of its document record: the parties, currency, amounts,
// linked records and, under k, the fingerprints. An error wraps
// ErrMismatch and names what differs; it never shows a service code or
// date.
func (k *Key) Verify(c Filed, d *Document) error {
	if err := VerifyContent(c, d); err != nil {
		return err
	}
	mismatch := func(what string) error { return fmt.Errorf("%w: %s", ErrMismatch, what) }
	if c.KeyID != k.ID() {
		return mismatch(fmt.Sprintf("the fingerprints were made under key %s; this portal holds key %s", c.KeyID, k.ID()))
	}
	services := d.Services()
	if k.Fingerprint(d.Provider, d.Patient, services) != c.Fingerprint {
		return mismatch("the claim fingerprint is not that of the document's services")
	}
	if !slices.Equal(k.ItemFingerprints(d.Provider, d.Patient, services), c.ItemKeys) {
		return mismatch("the item fingerprints are not those of the document's services")
	}
	return nil
}

// VerifyContent is Verify without the fingerprints, for a reader that
// does not hold the provider's key (an insurer): the document is
// canonical and its parties, currency, amounts and linked records are
// the claim's.
func VerifyContent(c Filed, d *Document) error {
	mismatch := func(what string) error { return fmt.Errorf("%w: %s", ErrMismatch, what) }
	// Only a canonical document's services fingerprint the way every
	// filer's do: a filer that spelled a service otherwise ("99213-59-25",
	// lower case) could file it twice. The reason shows no service.
	if err := d.Validate(time.Now()); err != nil {
		return mismatch("the document is not a valid claim document (a code, date or amount is not in canonical form)")
	}
	switch {
	case c.ID != d.ClaimID:
		return mismatch("the document is of another claim")
	case c.Provider != d.Provider || c.Patient != d.Patient || c.Insurer != d.Insurer:
		return mismatch("the provider, patient or insurer differs")
	case c.Currency != d.Currency:
		return mismatch("the currency differs")
	case len(c.Amounts) != len(d.Lines):
		return mismatch(fmt.Sprintf("the ledger has %d items, the document %d", len(c.Amounts), len(d.Lines)))
	case !slices.Equal(sortedCopy(c.Records), sortedCopy(d.Records)):
		return mismatch("the linked records differ")
	}
	for i, a := range c.Amounts {
		if a != d.Lines[i].Amount {
			return mismatch(fmt.Sprintf("item %d's amount differs", i+1))
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// decimal renders minor units as a FHIR decimal of cur.
func decimal(amount uint64, cur string) json.Number { return json.Number(money.Decimal(amount, cur)) }

// minorUnits parses a FHIR decimal of cur into minor units, exactly.
func minorUnits(n json.Number, cur string) (uint64, bool) {
	if len(n) > 40 || strings.ContainsAny(string(n), "eE/") { // plain decimals only: no exponent to expand
		return 0, false
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok || r.Sign() <= 0 {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(money.Scale(cur))), nil)))
	if !r.IsInt() || !r.Num().IsUint64() {
		return 0, false
	}
	return r.Num().Uint64(), true
}
