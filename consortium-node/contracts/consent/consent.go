package consent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// Name is the contract's name.
const Name = "consent"

// Status values (FHIR Consent.status).
const (
	StatusActive   = "active"
	StatusRevoked  = "inactive" // FHIR: the patient withdrew the consent
	ActionAccess   = "access"
	MaxScopeItems  = 64
	MaxPurposeLen  = 64
	MaxConsentSpan = 10 * 365 * 24 * time.Hour
)

// Purposes a consent may name (FHIR v3 ActReason subset).
var Purposes = []string{"treatment", "claims", "payment", "research", "public-health", "care-coordination"}

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
	case c.Status != StatusActive:
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
	if err := tx.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("consent: corrupt record %q: %w", id, err)
	}
	return &c, nil
}

// Contract is the consent system contract.
type Contract struct{}

var _ contracts.Contract = Contract{}

// Name implements contracts.Contract.
func (Contract) Name() string { return Name }

// Call implements contracts.Contract.
func (c Contract) Call(ctx contracts.Context, method string, args tx.Args) error {
	switch method {
	case "grant":
		return grant(ctx, args)
	case "revoke":
		return revoke(ctx, args)
	default:
		return fmt.Errorf("%w: consent.%s (methods: grant, revoke)", contracts.ErrUnknownMethod, method)
	}
}

func grant(ctx contracts.Context, args tx.Args) error {
	var c Consent
	var err error
	if c.ID, err = args.String("consent_id"); err != nil {
		return contracts.InvalidArg(err)
	}
	if err := identity.ValidateID(c.ID, false); err != nil {
		return err
	}
	if c.Grantee, err = args.String("grantee"); err != nil {
		return contracts.InvalidArg(err)
	}
	if c.Purpose, err = args.String("purpose"); err != nil {
		return contracts.InvalidArg(err)
	}
	if args.Has("records") {
		if c.Records, err = args.Strings("records"); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if args.Has("categories") {
		if c.Categories, err = args.Strings("categories"); err != nil {
			return contracts.InvalidArg(err)
		}
	}
	if c.Start, err = args.Int("start"); err != nil {
		return contracts.InvalidArg(err)
	}
	if c.End, err = args.Int("end"); err != nil {
		return contracts.InvalidArg(err)
	}
	c.Status, c.Action, c.Patient, c.GrantedHeight = StatusActive, ActionAccess, ctx.Caller(), ctx.Height()
	if c.Records == nil {
		c.Records = []string{}
	}
	if c.Categories == nil {
		c.Categories = []string{}
	}
	// A consent covers the caller's own records: the patient grants it.
	if err := ctx.Authorize(contracts.Resource{Type: "consent", Owner: ctx.Caller()}, "grant"); err != nil {
		return err
	}
	if !slices.Contains(Purposes, c.Purpose) {
		return fmt.Errorf("%w: purpose %q (one of %s)", contracts.ErrInvalid, c.Purpose, strings.Join(Purposes, ", "))
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
	if strings.Contains(c.Grantee, "/") {
		if _, err := identity.LoadMember(contracts.State(ctx, Name), c.Grantee); err != nil {
			return fmt.Errorf("%w: grantee: %v", contracts.ErrInvalid, err)
		}
	} else if _, ok := ctx.ReadOther(identity.Name, "org/"+c.Grantee); !ok {
		return fmt.Errorf("%w: grantee %q is neither a member nor an organisation", contracts.ErrInvalid, c.Grantee)
	}
	if _, exists := ctx.Get(key(c.ID)); exists {
		return fmt.Errorf("%w: consent %q", contracts.ErrConflict, c.ID)
	}
	b, err := tx.Marshal(&c)
	if err != nil {
		return err
	}
	ctx.Set(key(c.ID), b)
	ctx.Emit("consent_granted", ledger.Attr{Key: "consent", Value: c.ID}, ledger.Attr{Key: "patient", Value: c.Patient},
		ledger.Attr{Key: "grantee", Value: c.Grantee}, ledger.Attr{Key: "purpose", Value: c.Purpose},
		ledger.Attr{Key: "end", Value: fmt.Sprint(c.End)})
	return nil
}

func revoke(ctx contracts.Context, args tx.Args) error {
	id, err := args.String("consent_id")
	if err != nil {
		return contracts.InvalidArg(err)
	}
	c, err := Load(contracts.State(ctx, Name), id)
	if err != nil {
		return err
	}
	if err := ctx.Authorize(contracts.Resource{Type: "consent", Owner: c.Patient}, "revoke"); err != nil {
		return err
	}
	if c.Status != StatusActive {
		return fmt.Errorf("%w: consent %q is already revoked", contracts.ErrConflict, id)
	}
	c.Status, c.RevokedHeight = StatusRevoked, ctx.Height()
	b, err := tx.Marshal(c)
	if err != nil {
		return err
	}
	ctx.Set(key(id), b)
	ctx.Emit("consent_revoked", ledger.Attr{Key: "consent", Value: id}, ledger.Attr{Key: "patient", Value: c.Patient},
		ledger.Attr{Key: "grantee", Value: c.Grantee})
	return nil
}
