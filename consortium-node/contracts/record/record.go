package record

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	"github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name.
const Name = vocab.Name

// Limits and periods.
const (
	// AccessWindow is how long a granted access may be served.
	AccessWindow = time.Hour
	// BreakGlassWindow is how long an emergency access lasts.
	BreakGlassWindow = 4 * time.Hour
)

// Categories of records (a small code list; no free text on the ledger),
// defined with the rest of record.register's vocabulary in registration,
// which portals import. CategoryClaim is an itemised insurance claim (a
// FHIR Claim: service codes and dates), filed with the claim contract as
// its document.
var Categories = registration.Categories

// claimInsurer returns the insurer of the claim whose document record id
// is ("" when it is no claim's document), from the claim contract's state.
func claimInsurer(ctx contracts.Context, id string) string {
	v, _ := ctx.ReadOther(claimdoc.ClaimContract, claimdoc.DocumentInsurerKey(id))
	return string(v)
}

// markClaimRead records, unless one is recorded, that access a (granted
// under a consent, for purpose "claims", to a claim document, so to a
// member of the claim's insurer) read its version: claim.adjudicate
// requires it (claimdoc.DocumentReadKey).
func markClaimRead(ctx contracts.Context, a *Access) {
	k := claimdoc.DocumentReadKey(a.Record, a.Version, identity.OrgOf(a.Reader))
	if _, ok := ctx.Get(k); !ok {
		ctx.Set(k, []byte(a.TxID.String()))
	}
}

// unmarkClaimRead forgets the read recorded by markClaimRead when it is
// access a's, which its reader reports as undelivered.
func unmarkClaimRead(ctx contracts.Context, a *Access) {
	k := claimdoc.DocumentReadKey(a.Record, a.Version, identity.OrgOf(a.Reader))
	if v, ok := ctx.Get(k); ok && string(v) == a.TxID.String() {
		ctx.Delete(k)
	}
}

// CategoryClaim is the category of a claim's itemised document.
const CategoryClaim = claimdoc.RecordCategory

// Record is a medical record's ledger entry.
type Record struct {
	_         struct{} `cbor:",toarray"`
	ID        string   `json:"id"`
	Patient   string   `json:"patient"`
	Custodian string   `json:"custodian"` // organisation id
	Category  string   `json:"category"`
	Latest    uint64   `json:"latest_version"`
	Created   int64    `json:"created"` // block time, Unix seconds
	Erased    bool     `json:"erased"`
}

// Version is one version's ciphertext hash.
type Version struct {
	_              struct{}    `cbor:",toarray"`
	CiphertextHash ledger.Hash `json:"ciphertext_hash"`
	Height         uint64      `json:"height"`
	Registrar      string      `json:"registrar"`
}

// Access is the decision on one access transaction.
type Access struct {
	_          struct{} `cbor:",toarray"`
	TxID       tx.ID    `json:"tx_id"`
	Record     string   `json:"record"`
	Version    uint64   `json:"version"`
	Reader     string   `json:"reader"`
	Purpose    string   `json:"purpose"`
	Consent    string   `json:"consent,omitempty"`
	BreakGlass string   `json:"break_glass,omitempty"` // the declared emergency code
	NoteHash   []byte   `json:"note_hash,omitempty"`   // SHA-256 of an off-ledger note
	Granted    bool     `json:"granted"`
	Refusal    string   `json:"refusal,omitempty"`
	Height     uint64   `json:"height"`
	Expires    int64    `json:"expires"` // Unix seconds; 0 when refused
}

func recKey(id string) string           { return "r/" + id }
func verKey(id string, v uint64) string { return "v/" + id + "/" + strconv.FormatUint(v, 10) }
func accessKey(id tx.ID) string         { return "a/" + id.String() }
func reviewKey(id tx.ID) string         { return "bg/" + id.String() }
func undeliveredKey(id tx.ID) string    { return "u/" + id.String() }
func full(k string) string              { return contracts.Key(Name, k) }

// Review closes a break-glass access in the custodian's review queue.
type Review struct {
	_        struct{} `cbor:",toarray"`
	Access   tx.ID    `json:"access"`
	Reviewer string   `json:"reviewer"`
	Outcome  string   `json:"outcome"`
	NoteHash []byte   `json:"note_hash,omitempty"`
	Height   uint64   `json:"height"`
}

// DeliveryFailures are why a granted access released nothing to its
// reader, as the reader reports it (record.report_undelivered): the
// custodian's nodes could not be reached, did not hold the ciphertext,
// released one whose hash is not the ledger's, or refused the release.
// (The vocabulary is package delivery's, which portals import.)
var DeliveryFailures = delivery.Failures

// Undelivered is the reader's report that a granted access released
// nothing: the patient's log shows the access as not delivered, and the
// custodian no longer serves it (a retry commits a new access).
type Undelivered struct {
	_      struct{} `cbor:",toarray"`
	Access tx.ID    `json:"access"`
	Reason string   `json:"reason"`
	Height uint64   `json:"height"`
}

// LoadUndelivered reads the report that an access delivered nothing.
func LoadUndelivered(r contracts.StateReader, access tx.ID) (*Undelivered, error) {
	return load[Undelivered](r, undeliveredKey(access), "delivery report of access "+access.String())
}

// LoadReview reads the review of a break-glass access.
func LoadReview(r contracts.StateReader, access tx.ID) (*Review, error) {
	return load[Review](r, reviewKey(access), "review of access "+access.String())
}

func load[T any](r contracts.StateReader, k, what string) (*T, error) {
	return contracts.LoadAs[T](r, full(k), what, "record")
}

// LoadRecord reads a record.
func LoadRecord(r contracts.StateReader, id string) (*Record, error) {
	return load[Record](r, recKey(id), "record "+strconv.Quote(id))
}

// LoadVersion reads a record version.
func LoadVersion(r contracts.StateReader, id string, v uint64) (*Version, error) {
	return load[Version](r, verKey(id, v), fmt.Sprintf("version %d of record %q", v, id))
}

// LoadAccess reads the decision on an access transaction.
func LoadAccess(r contracts.StateReader, id tx.ID) (*Access, error) {
	return load[Access](r, accessKey(id), "access "+id.String())
}

// Servable says whether the custodian may serve a ciphertext for a
// committed access at time now, and why not.
func Servable(r contracts.StateReader, accessID tx.ID, reader string, now time.Time) (*Access, *Record, error) {
	a, rec, err := loadAccess(r, accessID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case a.Reader != reader:
		return nil, nil, fmt.Errorf("%w: access %s belongs to %q", contracts.ErrDenied, accessID, a.Reader)
	case !a.Granted:
		return nil, nil, fmt.Errorf("%w: access %s was refused: %s", contracts.ErrDenied, accessID, a.Refusal)
	case rec.Erased:
		return nil, nil, fmt.Errorf("%w: record %q was erased", contracts.ErrDenied, rec.ID)
	case now.Unix() >= a.Expires:
		return nil, nil, fmt.Errorf("%w: access %s expired; commit a new access transaction", contracts.ErrDenied, accessID)
	}
	if _, reported := r.Get(full(undeliveredKey(accessID))); reported {
		return nil, nil, fmt.Errorf("%w: access %s was reported as not delivered; commit a new access transaction",
			contracts.ErrDenied, accessID)
	}
	if a.Consent != "" {
		c, err := consent.Load(r, a.Consent)
		if err != nil {
			return nil, nil, err
		}
		if err := c.Check(reader, rec.Patient, rec.ID, rec.Category, a.Purpose, now); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", contracts.ErrDenied, err)
		}
	}
	return a, rec, nil
}

// Contract is the record system contract.
type Contract struct{}

var (
	_ contracts.Contract   = Contract{}
	_ contracts.Prechecker = Contract{}
)

// Precheck refuses, before admission, an access whose purpose or
// emergency is not one of the codes, or whose note hash is no SHA-256: a
// failed transaction is still stored in its block, so free text typed
// there ("patient collapsed, chest pain") would be on the ledger for good.
func (Contract) Precheck(method string, args tx.Args) error {
	if method != vocab.MethodAccess {
		return nil
	}
	if p, err := args.String(vocab.ArgPurpose); err == nil && !slices.Contains(consentvocab.Purposes(), p) {
		return fmt.Errorf("%w: purpose %.40q (one of %s)", contracts.ErrInvalid, p,
			strings.Join(consentvocab.Purposes(), ", "))
	}
	if args.Has(vocab.ArgBreakGlass) {
		if r, err := args.String(vocab.ArgBreakGlass); err == nil && r != "" && !contains(vocab.BreakGlassReasons(), r) {
			return fmt.Errorf("%w: break_glass must be one of %s (put details in an off-ledger note and pass its note_hash)",
				contracts.ErrInvalid, strings.Join(vocab.BreakGlassReasons(), ", "))
		}
	}
	if args.Has(vocab.ArgNoteHash) {
		if h, err := args.Bytes(vocab.ArgNoteHash); err != nil || len(h) != 32 {
			return fmt.Errorf("%w: note_hash must be a 32-byte SHA-256", contracts.ErrInvalid)
		}
	}
	return nil
}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Methods implements contracts.Contract.
func (Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodRegister, Run: register},
		{Name: vocab.MethodAccess, Run: access},
		{Name: vocab.MethodErase, Run: erase},
		{Name: vocab.MethodReviewBreakGlass, Run: review},
		{Name: vocab.MethodReportUndelivered, Run: reportUndelivered},
	}
}

func register(ctx contracts.Context, args tx.Args) error {
	in := contracts.ArgReader{Args: args}
	id := in.String(vocab.ArgRecordID)
	version := in.Uint(vocab.ArgVersion)
	h := in.Bytes(vocab.ArgCiphertextHash)
	if in.Err != nil {
		return in.Err
	}
	return registerVersion(ctx, id, version, h, func() (string, string, error) {
		patient, err := args.String(vocab.ArgPatient)
		if err != nil {
			return "", "", contracts.InvalidArg(err)
		}
		category, err := args.String(vocab.ArgCategory)
		if err != nil {
			return "", "", contracts.InvalidArg(err)
		}
		return patient, category, nil
	})
}

// RegisterClaimDocument registers version of record id, of category
// "claim" and patient's when new, with ciphertext hash h, exactly as
// record.register does (the caller's authorisation, the same checks and
// record_registered event), for claim.submit filing a claim and its
// document in one transaction: ctx is the record contract's (the claim
// contract's As). A refused claim then leaves no record entry.
func RegisterClaimDocument(ctx contracts.Context, id string, version uint64, h []byte, patient string) error {
	return registerVersion(ctx, id, version, h, func() (string, string, error) { return patient, CategoryClaim, nil })
}

// registerVersion registers version of record id with ciphertext hash h;
// newRecord gives the patient and category of a new record.
func registerVersion(ctx contracts.Context, id string, version uint64, h []byte, newRecord func() (patient, category string, err error)) error {
	if len(h) != 32 {
		return fmt.Errorf("%w: ciphertext_hash must be 32 bytes (SHA-256), got %d", contracts.ErrInvalid, len(h))
	}
	if err := identity.ValidateID(id, false); err != nil {
		return err
	}
	myOrg := identity.OrgOf(ctx.Caller())
	r := contracts.State(ctx, Name)
	rec, err := LoadRecord(r, id)
	if err == nil {
		// The custodian's staff register new versions.
		if err := ctx.Authorize(contracts.Resource{Type: "record", Owner: rec.Patient, Org: rec.Custodian}, "register"); err != nil {
			return err
		}
	} else if err := ctx.Authorize(contracts.Resource{Type: "record", Org: myOrg}, "register"); err != nil {
		return err // a new record is held by the registering organisation
	}
	switch {
	case err != nil && version != 1:
		return fmt.Errorf("%w: record %q does not exist; its first version is 1", contracts.ErrNotFound, id)
	case err != nil:
		patient, category, err := newRecord()
		if err != nil {
			return err
		}
		pm, err := identity.LoadMember(r, patient)
		if err != nil || !pm.HasRole(identityvocab.RolePatient) {
			return fmt.Errorf("%w: patient %q is not a patient member of the consortium", contracts.ErrInvalid, patient)
		}
		if !contains(Categories, category) {
			return fmt.Errorf("%w: category %q (one of %s)", contracts.ErrInvalid, category, strings.Join(Categories, ", "))
		}
		rec = &Record{ID: id, Patient: patient, Custodian: myOrg, Category: category, Created: ctx.Time().Unix()}
	case rec.Erased:
		return fmt.Errorf("%w: record %q was erased", contracts.ErrDenied, id)
	case version != rec.Latest+1:
		return fmt.Errorf("%w: record %q is at version %d; the next is %d", contracts.ErrConflict, id, rec.Latest, rec.Latest+1)
	}
	rec.Latest = version
	if err := contracts.Put(ctx, recKey(id), rec); err != nil {
		return err
	}
	var hash ledger.Hash
	copy(hash[:], h)
	if err := contracts.Put(ctx, verKey(id, version), &Version{CiphertextHash: hash, Height: ctx.Height(), Registrar: ctx.Caller()}); err != nil {
		return err
	}
	ctx.Emit(vocab.EventRegistered, ledger.Attr{Key: vocab.AttrRecord, Value: id},
		ledger.Attr{Key: vocab.AttrVersion, Value: strconv.FormatUint(version, 10)},
		ledger.Attr{Key: vocab.AttrPatient, Value: rec.Patient},
		ledger.Attr{Key: vocab.AttrCustodian, Value: rec.Custodian},
		ledger.Attr{Key: vocab.AttrCategory, Value: rec.Category},
		ledger.Attr{Key: vocab.AttrCiphertextHash, Value: hash.String()})
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// access decides an access request and commits the decision either way.
// Only malformed requests fail the transaction.
func access(ctx contracts.Context, args tx.Args) error {
	id, err := args.String(vocab.ArgRecordID)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	purpose, err := args.String(vocab.ArgPurpose)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	var consentID, reason string
	if args.Has(vocab.ArgConsentID) {
		if consentID, err = args.String(vocab.ArgConsentID); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if args.Has(vocab.ArgBreakGlass) {
		if reason, err = args.String(vocab.ArgBreakGlass); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if consentID != "" && reason != "" {
		return fmt.Errorf("%w: name at most one of consent_id (the consent you rely on) or break_glass (the emergency: %s); name neither to read your own record",
			contracts.ErrInvalid, strings.Join(vocab.BreakGlassReasons(), ", "))
	}
	if reason != "" && !contains(vocab.BreakGlassReasons(), reason) {
		return fmt.Errorf("%w: break_glass must be one of %s (put details in an off-ledger note and pass its note_hash)",
			contracts.ErrInvalid, strings.Join(vocab.BreakGlassReasons(), ", "))
	}
	var note []byte
	if args.Has(vocab.ArgNoteHash) {
		if note, err = args.Bytes(vocab.ArgNoteHash); err != nil || len(note) != 32 {
			return fmt.Errorf("%w: note_hash must be a 32-byte SHA-256", contracts.ErrInvalid)
		}
	}
	r := contracts.State(ctx, Name)
	rec, err := LoadRecord(r, id)
	if err != nil {
		return err
	}
	a := &Access{TxID: ctx.TxID(), Record: id, Version: rec.Latest, Reader: ctx.Caller(), Purpose: purpose,
		Consent: consentID, BreakGlass: reason, NoteHash: note, Height: ctx.Height()}
	if args.Has(vocab.ArgVersion) {
		if a.Version, err = args.Uint(vocab.ArgVersion); err != nil {
			return contracts.InvalidArg(err)
		}
		if a.Version == 0 || a.Version > rec.Latest {
			return fmt.Errorf("%w: record %q has versions 1 to %d", contracts.ErrInvalid, id, rec.Latest)
		}
	}
	refuse := func(why string) {
		a.Granted, a.Refusal = false, why
	}
	now := ctx.Time()
	obj := contracts.Resource{Type: "record", Owner: rec.Patient, Org: rec.Custodian}
	switch {
	case rec.Erased:
		_ = ctx.Authorize(obj, "read") // refused either way, whatever the policy says
		refuse("the record was erased")
	case consentID != "":
		c, cerr := consent.Load(r, consentID)
		if cerr == nil {
			cerr = c.Check(ctx.Caller(), rec.Patient, rec.ID, rec.Category, purpose, now)
		}
		obj.Consent = cerr == nil
		err := ctx.Authorize(obj, "read")
		switch {
		case cerr != nil && err != nil:
			refuse(fmt.Sprintf("%v; %v", err, cerr)) // say which consent failed and why
		case cerr != nil:
			// Allowed otherwise (the patient's own record), but the access
			// names a consent that does not hold: refuse rather than record
			// a grant that relies on it (the custodian would not serve it).
			refuse(cerr.Error())
		case err != nil:
			refuse(err.Error())
		case obj.Consent && rec.Category == CategoryClaim && claimInsurer(ctx, id) != identity.OrgOf(ctx.Caller()):
			// A consent for the "claim" category covers a patient's claim
			// documents, but each is for its own claim's insurer only.
			refuse(fmt.Sprintf("record %q is the document of a claim at another insurer (or of none): under a consent, only the claim's insurer reads it", id))
		default:
			a.Granted, a.Expires = true, now.Add(AccessWindow).Unix()
			if obj.Consent && c.End < a.Expires {
				a.Expires = c.End
			}
			if obj.Consent && rec.Category == CategoryClaim && purpose == claimdoc.Purpose {
				markClaimRead(ctx, a)
			}
		}
	case reason != "":
		switch err := ctx.Authorize(obj, "break_glass"); {
		case err != nil:
			refuse(err.Error())
		case rec.Category == CategoryClaim:
			refuse("a claim document holds billing data, not clinical data: break-glass does not open it")
		case purpose != "treatment":
			refuse("break-glass access is for treatment only")
		default:
			a.Granted, a.Expires = true, now.Add(BreakGlassWindow).Unix()
		}
	default: // the caller's own record
		if err := ctx.Authorize(obj, "read"); err != nil {
			refuse(err.Error())
		} else {
			a.Granted, a.Expires = true, now.Add(AccessWindow).Unix()
		}
	}
	if err := contracts.Put(ctx, accessKey(a.TxID), a); err != nil {
		return err
	}
	attrs := []ledger.Attr{{Key: vocab.AttrAccess, Value: a.TxID.String()}, {Key: vocab.AttrRecord, Value: id},
		{Key: vocab.AttrVersion, Value: strconv.FormatUint(a.Version, 10)}, {Key: vocab.AttrPatient, Value: rec.Patient},
		{Key: vocab.AttrCustodian, Value: rec.Custodian}, {Key: vocab.AttrReader, Value: a.Reader},
		{Key: vocab.AttrPurpose, Value: purpose}}
	switch {
	case !a.Granted:
		ctx.Emit(vocab.EventAccessRefused,
			append(attrs, ledger.Attr{Key: vocab.AttrConsent, Value: consentID},
				ledger.Attr{Key: vocab.AttrReason, Value: a.Refusal})...)
	case reason != "":
		// The event raises the alert for the patient and the privacy officer.
		ctx.Emit(vocab.EventBreakGlass, append(attrs, ledger.Attr{Key: vocab.AttrReason, Value: reason},
			ledger.Attr{Key: vocab.AttrExpires, Value: strconv.FormatInt(a.Expires, 10)})...)
	default:
		ctx.Emit(vocab.EventAccessGranted, append(attrs, ledger.Attr{Key: vocab.AttrConsent, Value: consentID},
			ledger.Attr{Key: vocab.AttrExpires, Value: strconv.FormatInt(a.Expires, 10)})...)
	}
	return nil
}

func erase(ctx contracts.Context, args tx.Args) error {
	rec, err := contracts.LoadArg(ctx, Name, args, vocab.ArgRecordID, LoadRecord)
	if err != nil {
		return err
	}
	id := rec.ID
	if err := ctx.Authorize(contracts.Resource{Type: "record", Owner: rec.Patient, Org: rec.Custodian}, "erase"); err != nil {
		return err
	}
	if rec.Erased {
		return fmt.Errorf("%w: record %q is already erased", contracts.ErrConflict, id)
	}
	// A claim's document is the insurer's evidence: it stays while its
	// claim stands (a cancelled claim releases it).
	if rec.Category == CategoryClaim {
		if insurer := claimInsurer(ctx, id); insurer != "" {
			return fmt.Errorf("%w: record %q is the document of a claim at %s and is kept while the claim stands; cancel the claim first",
				contracts.ErrConflict, id, insurer)
		}
	}
	rec.Erased = true
	if err := contracts.Put(ctx, recKey(id), rec); err != nil {
		return err
	}
	ctx.Emit(vocab.EventErased, ledger.Attr{Key: vocab.AttrRecord, Value: id},
		ledger.Attr{Key: vocab.AttrPatient, Value: rec.Patient},
		ledger.Attr{Key: vocab.AttrCustodian, Value: rec.Custodian}, ledger.Attr{Key: vocab.AttrBy, Value: ctx.Caller()},
		ledger.Attr{Key: vocab.AttrVersions, Value: strconv.FormatUint(rec.Latest, 10)})
	return nil
}

// review closes a break-glass access in the custodian's review queue: the
// custodian's privacy officer records a coded outcome (and optionally the
// hash of an off-ledger note). Each break-glass access is reviewed once.
func review(ctx contracts.Context, args tx.Args) error {
	id, err := args.String(vocab.ArgAccess)
	if err != nil {
		return contracts.InvalidArg(err)
	}
	aid, err := tx.ParseID(id)
	if err != nil {
		return fmt.Errorf("%w: access: %v", contracts.ErrInvalid, err)
	}
	a, rec, err := loadAccess(contracts.State(ctx, Name), aid)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "break_glass", Owner: rec.Patient, Org: rec.Custodian}, "review"); err != nil {
		return err
	}
	if a.BreakGlass == "" || !a.Granted {
		return fmt.Errorf("%w: access %s is not a granted break-glass access; only those enter the review queue", contracts.ErrInvalid, id)
	}
	if _, done := ctx.Get(reviewKey(aid)); done {
		return fmt.Errorf("%w: break-glass access %s was already reviewed", contracts.ErrConflict, id)
	}
	rv := &Review{Access: aid, Reviewer: ctx.Caller(), Height: ctx.Height()}
	if rv.Outcome, err = args.String(vocab.ArgOutcome); err != nil {
		return contracts.InvalidArg(err)
	}
	if !contains(vocab.ReviewOutcomes(), rv.Outcome) {
		return fmt.Errorf("%w: outcome %q (one of %s)", contracts.ErrInvalid, rv.Outcome,
			strings.Join(vocab.ReviewOutcomes(), ", "))
	}
	if args.Has(vocab.ArgNoteHash) {
		if rv.NoteHash, err = args.Bytes(vocab.ArgNoteHash); err != nil || len(rv.NoteHash) != 32 {
			return fmt.Errorf("%w: note_hash must be a 32-byte SHA-256", contracts.ErrInvalid)
		}
	}
	if err := contracts.Put(ctx, reviewKey(aid), rv); err != nil {
		return err
	}
	ctx.Emit(vocab.EventBreakGlassReviewed, ledger.Attr{Key: vocab.AttrAccess, Value: id},
		ledger.Attr{Key: vocab.AttrRecord, Value: a.Record},
		ledger.Attr{Key: vocab.AttrPatient, Value: rec.Patient},
		ledger.Attr{Key: vocab.AttrCustodian, Value: rec.Custodian},
		ledger.Attr{Key: vocab.AttrReader, Value: a.Reader}, ledger.Attr{Key: vocab.AttrReason, Value: a.BreakGlass},
		ledger.Attr{Key: vocab.AttrOutcome, Value: rv.Outcome}, ledger.Attr{Key: vocab.AttrReviewer, Value: rv.Reviewer})
	return nil
}

// loadAccess loads an access decision and the record it was about.
func loadAccess(r contracts.StateReader, aid tx.ID) (*Access, *Record, error) {
	a, err := LoadAccess(r, aid)
	if err != nil {
		return nil, nil, err
	}
	rec, err := LoadRecord(r, a.Record)
	if err != nil {
		return nil, nil, err
	}
	return a, rec, nil
}

// reportUndelivered records the reader's report that a granted access
// released nothing (args: access, reason: one of DeliveryFailures), so
// that the patient's log tells the truth: the access was granted, nothing
// was delivered. Only the access's reader reports it, once; from then on
// the custodian refuses to serve that access.
func reportUndelivered(ctx contracts.Context, args tx.Args) error {
	in := contracts.ArgReader{Args: args}
	id := in.String(vocab.ArgAccess)
	reason := in.String(vocab.ArgReason)
	if in.Err != nil {
		return in.Err
	}
	aid, err := tx.ParseID(id)
	if err != nil {
		return fmt.Errorf("%w: access: %v", contracts.ErrInvalid, err)
	}
	if !contains(DeliveryFailures, reason) {
		return fmt.Errorf("%w: reason %q (one of %s)", contracts.ErrInvalid, reason, strings.Join(DeliveryFailures, ", "))
	}
	a, rec, err := loadAccess(contracts.State(ctx, Name), aid)
	if err != nil {
		return err
	}
	// The access is its reader's own: only the reader reports it.
	if err := ctx.Authorize(contracts.Resource{Type: "access", Owner: a.Reader, Org: identity.OrgOf(a.Reader)},
		delivery.Method); err != nil {
		return err
	}
	if !a.Granted {
		return fmt.Errorf("%w: access %s was refused; a refused access delivers nothing by itself", contracts.ErrInvalid, id)
	}
	if _, done := ctx.Get(undeliveredKey(aid)); done {
		return fmt.Errorf("%w: access %s was already reported as not delivered", contracts.ErrConflict, id)
	}
	if err := contracts.Put(ctx, undeliveredKey(aid), &Undelivered{Access: aid, Reason: reason, Height: ctx.Height()}); err != nil {
		return err
	}
	if rec.Category == CategoryClaim {
		unmarkClaimRead(ctx, a) // the insurer has not read the document after all
	}
	ctx.Emit(vocab.EventAccessUndelivered, ledger.Attr{Key: vocab.AttrAccess, Value: id},
		ledger.Attr{Key: vocab.AttrRecord, Value: a.Record},
		ledger.Attr{Key: vocab.AttrPatient, Value: rec.Patient},
		ledger.Attr{Key: vocab.AttrCustodian, Value: rec.Custodian},
		ledger.Attr{Key: vocab.AttrReader, Value: a.Reader}, ledger.Attr{Key: vocab.AttrReason, Value: reason})
	return nil
}
