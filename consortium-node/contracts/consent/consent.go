package consent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name (consent/vocab).
const Name = vocab.Name

// The action a consent allows and the coded FHIR fields (its statuses are
// consent/vocab's).
const (
	ActionAccess = "access"
	// Defaults of the FHIR coded fields.
	ScopePrivacy    = "patient-privacy" // Consent.scope
	CategoryConsent = "59284-0"         // Consent.category, LOINC "Patient Consent"
	ActorRecipient  = "IRCP"            // provision.actor.role, v3 ParticipationType "information recipient"
	MaxScopeItems   = 64
	MaxPurposeLen   = 64
	MaxConsentSpan  = 10 * 365 * 24 * time.Hour
)

// Codes accepted for the coded FHIR fields.
var (
	Scopes     = []string{ScopePrivacy, "research", "treatment"}
	Categories = []string{CategoryConsent, "64292-6", "57016-8"} // LOINC: consent, release of information, privacy policy acknowledgment
	ActorRoles = []string{ActorRecipient, "PRCP", "AUT", "DELEGATEE"}
)

// Consent is one consent decision.
type Consent struct {
	_       struct{} `cbor:",toarray"`
	ID      string   `json:"id"`
	Status  string   `json:"status"`
	Patient string   `json:"patient"` // member id
	// Grantee is a member id ("acme/adjuster") or an organisation id
	// ("acme"): every member of it.
	Grantee string `json:"grantee"`
	Action  string `json:"action"`
	Purpose string `json:"purpose"`
	// Records and Categories are the data scope; a record is covered if it
	// is listed or its category is.
	Records    []string `json:"records"`
	Categories []string `json:"categories"`
	// Start and End bound the period (Unix seconds, block time).
	Start         int64  `json:"start"`
	End           int64  `json:"end"`
	GrantedHeight uint64 `json:"granted_height"`
	RevokedHeight uint64 `json:"revoked_height,omitempty"`
	// Scope, Category and ActorRole are FHIR codes (Consent.scope,
	// Consent.category, Consent.provision.actor.role).
	Scope     string `json:"scope"`
	Category  string `json:"category"`
	ActorRole string `json:"actor_role"`
	// Requester is the staff member who requested the consent ("" when
	// the patient granted it unasked).
	Requester string `json:"requester,omitempty"`
	// Version counts amendments of the period or purpose.
	Version uint64 `json:"version"`
}

// Covers reports whether the consent's scope includes a record.
func (c *Consent) Covers(recordID, category string) bool {
	return slices.Contains(c.Records, recordID) || slices.Contains(c.Categories, category)
}

// GrantedTo reports whether member is the grantee or belongs to it.
func (c *Consent) GrantedTo(member string) bool {
	return c.Grantee == member || c.Grantee == identity.OrgOf(member)
}

// Check says why the consent does not allow member to access a record
// for purpose at time now, or returns nil.
func (c *Consent) Check(member, patient, recordID, category, purpose string, now time.Time) error {
	switch {
	case c.Status == vocab.StatusProposed:
		return fmt.Errorf("consent %q was requested but the patient has not accepted it", c.ID)
	case c.Status == vocab.StatusRejected:
		return fmt.Errorf("consent %q was declined by the patient", c.ID)
	case c.Status != vocab.StatusActive:
		return fmt.Errorf("consent %q was revoked at height %d", c.ID, c.RevokedHeight)
	case c.Patient != patient:
		return fmt.Errorf("consent %q is not from the record's patient", c.ID)
	case !c.GrantedTo(member):
		return fmt.Errorf("consent %q is granted to %q, not to %q", c.ID, c.Grantee, member)
	case c.Purpose != purpose:
		return fmt.Errorf("consent %q is for purpose %q, not %q", c.ID, c.Purpose, purpose)
	case !c.Covers(recordID, category):
		return fmt.Errorf("consent %q does not cover record %q (category %q)", c.ID, recordID, category)
	case now.Unix() < c.Start:
		return fmt.Errorf("consent %q starts at %s", c.ID, time.Unix(c.Start, 0).UTC().Format(time.RFC3339))
	case now.Unix() >= c.End:
		return fmt.Errorf("consent %q lapsed at %s", c.ID, time.Unix(c.End, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

func key(id string) string { return "c/" + id }

// Load reads a consent from any state reader.
func Load(r contracts.StateReader, id string) (*Consent, error) {
	b, ok := r.Get(contracts.Key(Name, key(id)))
	if !ok {
		return nil, fmt.Errorf("%w: consent %q", contracts.ErrNotFound, id)
	}
	var c Consent
	if err := codec.State.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("consent: corrupt record %q: %w", id, err)
	}
	return &c, nil
}

// Contract is the consent system contract.
type Contract struct{}

var _ contracts.Contract = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Methods implements contracts.Contract.
func (Contract) Methods() contracts.Methods {
	return contracts.Methods{
		{Name: vocab.MethodGrant, RunMethod: create},
		{Name: vocab.MethodRequest, RunMethod: create},
		{Name: vocab.MethodAccept, RunMethod: answer},
		{Name: vocab.MethodDecline, RunMethod: answer},
		{Name: vocab.MethodAmend, Run: amend},
		{Name: vocab.MethodRevoke, Run: revoke},
	}
}

func codeArg(args tx.Args, name, def string, allowed []string) (string, error) {
	if !args.Has(name) {
		return def, nil
	}
	v, err := args.String(name)
	if err != nil {
		return "", contracts.InvalidArg(err)
	}
	if !slices.Contains(allowed, v) {
		return "", fmt.Errorf("%w: %s %q (one of %s)", contracts.ErrInvalid, name, v, strings.Join(allowed, ", "))
	}
	return v, nil
}

// checkTerms validates purpose, scope and period against block time.
func checkTerms(ctx contracts.Context, c *Consent) error {
	if !slices.Contains(vocab.Purposes(), c.Purpose) {
		return fmt.Errorf("%w: purpose %q (one of %s)", contracts.ErrInvalid, c.Purpose,
			strings.Join(vocab.Purposes(), ", "))
	}
	if len(c.Records)+len(c.Categories) == 0 || len(c.Records)+len(c.Categories) > MaxScopeItems {
		return fmt.Errorf("%w: give 1 to %d records and/or categories as the consent's scope", contracts.ErrInvalid, MaxScopeItems)
	}
	if c.End <= c.Start || time.Duration(c.End-c.Start)*time.Second > MaxConsentSpan {
		return fmt.Errorf("%w: the period must end after it starts and last at most 10 years", contracts.ErrInvalid)
	}
	if c.End <= ctx.Time().Unix() {
		return fmt.Errorf("%w: the period has already ended", contracts.ErrInvalid)
	}
	return nil
}

// create handles grant (by the patient: active at once) and request (by
// staff, on the patient's behalf: proposed until the patient accepts).
func create(ctx contracts.Context, method string, args tx.Args) error {
	request := method == vocab.MethodRequest
	var c Consent
	var err error
	if c.ID, err = identity.NewIDArg(args, vocab.ArgConsentID); err != nil {
		return err
	}
	c.Status, c.Action, c.Patient, c.GrantedHeight = vocab.StatusActive, ActionAccess, ctx.Caller(), ctx.Height()
	act := "grant"
	if request {
		if c.Patient, err = args.String(vocab.ArgPatient); err != nil {
			return contracts.InvalidArg(err)
		}
		c.Status, c.Requester, c.Grantee, act = vocab.StatusProposed, ctx.Caller(), ctx.Caller(), "request"
	}
	// A consent covers its patient's own records: the patient grants it;
	// staff may only ask.
	if err := ctx.Authorize(contracts.Resource{Type: "consent", Owner: c.Patient}, act); err != nil {
		return err
	}
	if !request || args.Has(vocab.ArgGrantee) {
		if c.Grantee, err = args.String(vocab.ArgGrantee); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if c.Purpose, err = args.String(vocab.ArgPurpose); err != nil {
		return contracts.InvalidArg(err)
	}
	if args.Has(vocab.ArgRecords) {
		if c.Records, err = args.Strings(vocab.ArgRecords); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if args.Has(vocab.ArgCategories) {
		if c.Categories, err = args.Strings(vocab.ArgCategories); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if c.Start, err = args.Int(vocab.ArgStart); err != nil {
		return contracts.InvalidArg(err)
	}
	if c.End, err = args.Int(vocab.ArgEnd); err != nil {
		return contracts.InvalidArg(err)
	}
	if c.Scope, err = codeArg(args, vocab.ArgScope, ScopePrivacy, Scopes); err != nil {
		return err
	}
	if c.Category, err = codeArg(args, vocab.ArgCategory, CategoryConsent, Categories); err != nil {
		return err
	}
	if c.ActorRole, err = codeArg(args, vocab.ArgActorRole, ActorRecipient, ActorRoles); err != nil {
		return err
	}
	if c.Records == nil {
		c.Records = []string{}
	}
	if c.Categories == nil {
		c.Categories = []string{}
	}
	if err := checkTerms(ctx, &c); err != nil {
		return err
	}
	r := contracts.State(ctx, Name)
	if request {
		pm, err := identity.LoadMember(r, c.Patient)
		if err != nil || !pm.HasRole(identityvocab.RolePatient) || pm.Revoked {
			return fmt.Errorf("%w: %q is not an active patient", contracts.ErrInvalid, c.Patient)
		}
	}
	if strings.Contains(c.Grantee, "/") {
		if _, err := identity.LoadMember(r, c.Grantee); err != nil {
			return fmt.Errorf("%w: grantee: %v", contracts.ErrInvalid, err)
		}
	} else if _, ok := ctx.ReadOther(identity.Name, "org/"+c.Grantee); !ok {
		return fmt.Errorf("%w: grantee %q is neither a member nor an organisation", contracts.ErrInvalid, c.Grantee)
	}
	if _, exists := ctx.Get(key(c.ID)); exists {
		return fmt.Errorf("%w: consent %q already exists", contracts.ErrConflict, c.ID)
	}
	if err := contracts.Put(ctx, key(c.ID), &c); err != nil {
		return err
	}
	typ := vocab.EventGranted
	if request {
		typ = vocab.EventRequested
	}
	emitDecision(ctx, typ, &c)
	return nil
}

// emitDecision emits typ (granted, requested, declined) of consent c.
func emitDecision(ctx contracts.Context, typ string, c *Consent) {
	ctx.Emit(typ, ledger.Attr{Key: vocab.AttrConsent, Value: c.ID},
		ledger.Attr{Key: vocab.AttrPatient, Value: c.Patient},
		ledger.Attr{Key: vocab.AttrGrantee, Value: c.Grantee}, ledger.Attr{Key: vocab.AttrPurpose, Value: c.Purpose},
		ledger.Attr{Key: vocab.AttrEnd, Value: fmt.Sprint(c.End)},
		ledger.Attr{Key: vocab.AttrRequester, Value: c.Requester})
}

// patientsOwn loads the consent the call names, asks the policy whether
// the caller may do act (grant, revoke) on it as its patient's, and
// refuses it (ErrConflict, "consent ... is <status>" then why) unless its
// status is want.
func patientsOwn(ctx contracts.Context, args tx.Args, act, want, why string) (*Consent, error) {
	c, err := contracts.LoadArg(ctx, Name, args, vocab.ArgConsentID, Load)
	if err != nil {
		return nil, err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "consent", Owner: c.Patient}, act); err != nil {
		return nil, err
	}
	if c.Status != want {
		return nil, fmt.Errorf("%w: consent %q is %s%s", contracts.ErrConflict, c.ID, c.Status, why)
	}
	return c, nil
}

// answer is the patient accepting or declining a requested consent.
func answer(ctx contracts.Context, method string, args tx.Args) error {
	c, err := patientsOwn(ctx, args, "grant", vocab.StatusProposed, ", not a pending request")
	if err != nil {
		return err
	}
	typ := vocab.EventDeclined
	if method == vocab.MethodAccept {
		if c.End <= ctx.Time().Unix() {
			return fmt.Errorf("%w: the requested period has already ended; ask for a new request", contracts.ErrConflict)
		}
		c.Status, c.GrantedHeight, typ = vocab.StatusActive, ctx.Height(), vocab.EventGranted
	} else {
		c.Status = vocab.StatusRejected
	}
	if err := contracts.Put(ctx, key(c.ID), c); err != nil {
		return err
	}
	emitDecision(ctx, typ, c)
	return nil
}

// amend changes an active consent's period and/or purpose (the patient
// only). The change applies from the next transaction on.
func amend(ctx contracts.Context, args tx.Args) error {
	c, err := patientsOwn(ctx, args, "grant", vocab.StatusActive, "; only an active consent is amended")
	if err != nil {
		return err
	}
	changed := false
	if args.Has(vocab.ArgPurpose) {
		if c.Purpose, err = args.String(vocab.ArgPurpose); err != nil {
			return contracts.InvalidArg(err)
		}
		changed = true
	}
	if args.Has(vocab.ArgStart) {
		if c.Start, err = args.Int(vocab.ArgStart); err != nil {
			return contracts.InvalidArg(err)
		}
		changed = true
	}
	if args.Has(vocab.ArgEnd) {
		if c.End, err = args.Int(vocab.ArgEnd); err != nil {
			return contracts.InvalidArg(err)
		}
		changed = true
	}
	if !changed {
		return fmt.Errorf("%w: give purpose, start, end or a combination", contracts.ErrInvalid)
	}
	if err := checkTerms(ctx, c); err != nil {
		return err
	}
	c.Version++
	if err := contracts.Put(ctx, key(c.ID), c); err != nil {
		return err
	}
	ctx.Emit(vocab.EventAmended, ledger.Attr{Key: vocab.AttrConsent, Value: c.ID},
		ledger.Attr{Key: vocab.AttrPatient, Value: c.Patient},
		ledger.Attr{Key: vocab.AttrGrantee, Value: c.Grantee}, ledger.Attr{Key: vocab.AttrPurpose, Value: c.Purpose},
		ledger.Attr{Key: vocab.AttrStart, Value: fmt.Sprint(c.Start)},
		ledger.Attr{Key: vocab.AttrEnd, Value: fmt.Sprint(c.End)},
		ledger.Attr{Key: vocab.AttrVersion, Value: fmt.Sprint(c.Version)})
	return nil
}

func revoke(ctx contracts.Context, args tx.Args) error {
	c, err := patientsOwn(ctx, args, "revoke", vocab.StatusActive, ", not active")
	if err != nil {
		return err
	}
	c.Status, c.RevokedHeight = vocab.StatusRevoked, ctx.Height()
	if err := contracts.Put(ctx, key(c.ID), c); err != nil {
		return err
	}
	ctx.Emit(vocab.EventRevoked, ledger.Attr{Key: vocab.AttrConsent, Value: c.ID},
		ledger.Attr{Key: vocab.AttrPatient, Value: c.Patient},
		ledger.Attr{Key: vocab.AttrGrantee, Value: c.Grantee})
	return nil
}
