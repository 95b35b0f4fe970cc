package record_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/contracts/record/delivery"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/policies"
)

// newWorld is two hospitals (stmarys, city) and an insurer (acme) on the
// default policy.
func newWorld(t *testing.T) *chaintest.Chain { return newWorldWith(t, nil) }

func newWorldWith(t *testing.T, rules []policies.Rule) *chaintest.Chain {
	t.Helper()
	ms := map[string][]string{
		identityvocab.RoleRecordsClerk:   {"stmarys/clerk", "city/clerk"},
		identityvocab.RolePhysician:      {"stmarys/dr-lee", "city/dr-kim"},
		identityvocab.RolePrivacyOfficer: {"stmarys/privacy"},
		identityvocab.RolePatient:        {"stmarys/ana", "stmarys/bob"},
		identityvocab.RoleClaimsAdjuster: {"acme/adjuster", "acme/other"},
	}
	return chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs("stmarys", "acme", "city"), Roles: ms, Rules: rules})
}

func grant(c *chaintest.Chain, patient, id, grantee, purpose string, days int, records ...string) error {
	return c.Call(patient, consent.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, id),
		tx.String(consentvocab.ArgGrantee, grantee),
		tx.String(consentvocab.ArgPurpose, purpose), tx.Strings(consentvocab.ArgRecords, records),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()),
		tx.Int(consentvocab.ArgEnd, c.Now.Add(time.Duration(days)*24*time.Hour).Unix())).Err
}

// access runs a record.access, which commits whether granted or refused,
// and returns the decision and the events.
func access(t *testing.T, c *chaintest.Chain, reader, rec, purpose string, via ...tx.Arg) (*record.Access, []ledger.Event) {
	t.Helper()
	r := c.Must(reader, record.Name, recordvocab.MethodAccess,
		append([]tx.Arg{tx.String(recordvocab.ArgRecordID, rec), tx.String(recordvocab.ArgPurpose, purpose)}, via...)...)
	a, err := record.LoadAccess(c.Reader(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a, r.Events
}

// firstVersion is the arguments of record.register of version 1 of record
// id: its ciphertext's hash, patient and category.
func firstVersion(id string, hash []byte, patient, category string) []tx.Arg {
	return []tx.Arg{tx.String(recordvocab.ArgRecordID, id), tx.Uint(recordvocab.ArgVersion, 1),
		tx.Bytes(recordvocab.ArgCiphertextHash, hash), tx.String(recordvocab.ArgPatient, patient),
		tx.String(recordvocab.ArgCategory, category)}
}

func registerRec1(c *chaintest.Chain) {
	c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister,
		firstVersion("rec-1", chaintest.Seed("ct1"), "stmarys/ana", "lab")...)
}

func TestConsentedAccessJourney(t *testing.T) {
	c := newWorld(t)
	registerRec1(c)

	// No consent, no access — and the refusal is on the ledger, naming the
	// policy decision and the missing consent.
	a, ev := access(t, c, "acme/adjuster", "rec-1", "claims", tx.String(recordvocab.ArgConsentID, "c-1"))
	if a.Granted || ev[0].Type != "access_refused" {
		t.Fatalf("access without consent: %+v %v", a, ev)
	}
	chaintest.WantRefusal(t, a.Refusal, "acme/adjuster", "read", "record", "stmarys", `consent "c-1"`, "not found")

	// The patient grants the insurer's adjuster access for claims, 30 days.
	if err := grant(c, "stmarys/ana", "c-1", "acme/adjuster", "claims", 30, "rec-1"); err != nil {
		t.Fatal(err)
	}
	a, ev = access(t, c, "acme/adjuster", "rec-1", "claims", tx.String(recordvocab.ArgConsentID, "c-1"))
	if !a.Granted || ev[0].Type != "access_granted" {
		t.Fatalf("consented access refused: %+v", a)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "acme/adjuster", c.Now); err != nil {
		t.Fatalf("granted access not servable: %v", err)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "acme/other", c.Now); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("another reader may use the access: %v", err)
	}
	// Wrong purpose, wrong reader: refused with a precise reason.
	if a, _ := access(t, c, "acme/adjuster", "rec-1", "research",
		tx.String(recordvocab.ArgConsentID, "c-1")); a.Granted || !strings.Contains(a.Refusal, "purpose") {
		t.Fatalf("wrong purpose: %+v", a)
	}
	if a, _ := access(t, c, "acme/other", "rec-1", "claims",
		tx.String(recordvocab.ArgConsentID, "c-1")); a.Granted || !strings.Contains(a.Refusal, "granted to") {
		t.Fatalf("wrong reader: %+v", a)
	}

	// Revocation takes effect at once: the earlier access is no longer
	// servable and a new one is refused.
	err := c.Call("acme/adjuster", consent.Name, consentvocab.MethodRevoke,
		tx.String(consentvocab.ArgConsentID, "c-1")).Err
	chaintest.WantDenied(t, err, "acme/adjuster", "revoke", "consent", "")
	if !strings.Contains(err.Error(), "belonging to stmarys/ana") {
		t.Fatalf("denial does not name the consent's patient: %v", err)
	}
	c.Must("stmarys/ana", consent.Name, consentvocab.MethodRevoke, tx.String(consentvocab.ArgConsentID, "c-1"))
	if _, _, err := record.Servable(c.Reader(), a.TxID, "acme/adjuster", c.Now); err == nil {
		t.Fatal("access still servable after revocation")
	}
	if a, _ := access(t, c, "acme/adjuster", "rec-1", "claims",
		tx.String(consentvocab.ArgConsentID, "c-1")); a.Granted || !strings.Contains(a.Refusal, "revoked") {
		t.Fatalf("after revocation: %+v", a)
	}

	// A consent lapses by block time.
	if err := grant(c, "stmarys/ana", "c-2", "acme", "claims", 1, "rec-1"); err != nil {
		t.Fatal(err)
	}
	a2, _ := access(t, c, "acme/other", "rec-1", "claims", tx.String(consentvocab.ArgConsentID, "c-2")) // org-wide grant
	if !a2.Granted {
		t.Fatalf("org grantee: %+v", a2)
	}
	c.Now = c.Now.Add(25 * time.Hour)
	if a, _ := access(t, c, "acme/adjuster", "rec-1", "claims",
		tx.String(consentvocab.ArgConsentID, "c-2")); a.Granted || !strings.Contains(a.Refusal, "lapsed") {
		t.Fatalf("after lapse: %+v", a)
	}
	if _, _, err := record.Servable(c.Reader(), a2.TxID, "acme/other", c.Now); err == nil {
		t.Fatal("lapsed access still servable")
	}
}

// An access naming neither a consent nor a break-glass reason reads the
// caller's own record: the patient is granted it, anyone else is refused
// (the refusal commits as an access_refused event; the tx succeeds).
func TestOwnRecordAccess(t *testing.T) {
	c := newWorld(t)
	registerRec1(c)
	a, ev := access(t, c, "stmarys/ana", "rec-1", "treatment")
	if !a.Granted || ev[0].Type != "access_granted" || a.Expires != c.Now.Add(-time.Second).Add(record.AccessWindow).Unix() {
		t.Fatalf("patient reading own record: %+v %v", a, ev)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "stmarys/ana", c.Now); err != nil {
		t.Fatalf("own access not servable: %v", err)
	}
	for _, who := range []string{"stmarys/bob", "stmarys/dr-lee", "stmarys/clerk", "acme/adjuster", "city/dr-kim"} {
		a, ev := access(t, c, who, "rec-1", "treatment")
		if a.Granted || ev[0].Type != "access_refused" || ev[0].Attr("reader") != who {
			t.Fatalf("%s reading ana's record without consent: %+v %v", who, a, ev)
		}
		chaintest.WantRefusal(t, a.Refusal, who, "read", "record", "stmarys", "belonging to stmarys/ana")
		if _, _, err := record.Servable(c.Reader(), a.TxID, who, c.Now); !errors.Is(err, contracts.ErrDenied) {
			t.Fatalf("refused access servable: %v", err)
		}
	}
	// The patient naming a consent that does not hold for them is refused:
	// the access would rely on it, and the custodian would not serve it.
	if err := grant(c, "stmarys/ana", "c-adj", "acme/adjuster", "claims", 30, "rec-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c-adj", "no-such-consent"} {
		a, ev := access(t, c, "stmarys/ana", "rec-1", "claims", tx.String(recordvocab.ArgConsentID, id))
		if a.Granted || ev[0].Type != "access_refused" || !strings.Contains(a.Refusal, id) {
			t.Fatalf("patient naming consent %q: %+v %v", id, a, ev)
		}
	}
	// Naming both a consent and an emergency is malformed.
	err := c.Call("stmarys/dr-lee", record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.String(recordvocab.ArgConsentID, "c-1"), tx.String(recordvocab.ArgBreakGlass, "life-threatening")).Err
	if !errors.Is(err, contracts.ErrInvalid) || !strings.Contains(err.Error(), "at most one") {
		t.Fatalf("consent and break-glass together: %v", err)
	}
}

func TestBreakGlassAndErasure(t *testing.T) {
	c := newWorld(t)
	registerRec1(c)
	a, ev := access(t, c, "stmarys/dr-lee", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "unconscious-patient"))
	if !a.Granted || ev[0].Type != "break_glass" || ev[0].Attr("patient") != "stmarys/ana" {
		t.Fatalf("break-glass: %+v %v", a, ev)
	}
	// A physician of another hospital may break the glass too.
	if a, _ := access(t, c, "city/dr-kim", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening")); !a.Granted {
		t.Fatalf("other hospital's physician: %+v", a)
	}
	if a, _ := access(t, c, "stmarys/dr-lee", "rec-1", "claims",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening")); a.Granted || !strings.Contains(a.Refusal,
		"treatment only") {
		t.Fatalf("break-glass for another purpose: %+v", a)
	}
	na, ev := access(t, c, "acme/adjuster", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening"))
	if na.Granted || ev[0].Type != "access_refused" {
		t.Fatal("non-physician broke the glass")
	}
	chaintest.WantRefusal(t, na.Refusal, "acme/adjuster", "break_glass", "record", "stmarys")
	if err := c.Call("stmarys/dr-lee", record.Name, recordvocab.MethodAccess,
		tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.String(recordvocab.ArgBreakGlass, "patient has diabetes and is unconscious")).Err; !errors.Is(err,
		contracts.ErrInvalid) {
		t.Fatalf("free-text reason accepted onto the ledger: %v", err)
	}
	// New versions only from the custodian, in order.
	for _, who := range []string{"city/clerk", "city/dr-kim"} {
		before := c.Snapshot()
		err := c.Call(who, record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "rec-1"),
			tx.Uint(recordvocab.ArgVersion, 2), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("x"))).Err
		chaintest.WantDenied(t, err, who, "register", "record", "stmarys")
		if !maps.Equal(c.Snapshot(), before) {
			t.Fatalf("%s's refused version changed state", who)
		}
	}
	if err := c.Call("stmarys/clerk", record.Name, recordvocab.MethodRegister,
		tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.Uint(recordvocab.ArgVersion, 3), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("x"))).Err; !errors.Is(err,
		contracts.ErrConflict) {
		t.Fatalf("skipped version: %v", err)
	}
	c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.Uint(recordvocab.ArgVersion, 2), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("ct2")))
	if v, err := record.LoadVersion(c.Reader(), "rec-1", 2); err != nil || v.Registrar != "stmarys/clerk" {
		t.Fatalf("version 2: %+v %v", v, err)
	}

	// Erasure: by the patient; afterwards nothing is servable or grantable.
	err := c.Call("stmarys/bob", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "rec-1")).Err
	chaintest.WantDenied(t, err, "stmarys/bob", "erase", "record", "stmarys")
	if !strings.Contains(err.Error(), "belonging to stmarys/ana") {
		t.Fatalf("denial does not name the record's patient: %v", err)
	}
	err = c.Call("city/clerk", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "rec-1")).Err
	chaintest.WantDenied(t, err, "city/clerk", "erase", "record", "stmarys")
	r := c.Must("stmarys/ana", record.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "rec-1"))
	if ev := r.Events; ev[0].Type != "record_erased" || ev[0].Attr("versions") != "2" || ev[0].Attr("by") != "stmarys/ana" {
		t.Fatalf("erase event: %v", ev)
	}
	if err := c.Call("stmarys/privacy", record.Name, recordvocab.MethodErase,
		tx.String(recordvocab.ArgRecordID, "rec-1")).Err; !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("erased twice: %v", err)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "stmarys/dr-lee", c.Now); err == nil || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("erased record servable: %v", err)
	}
	if a, _ := access(t, c, "stmarys/dr-lee", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening")); a.Granted || !strings.Contains(a.Refusal, "erased") {
		t.Fatalf("access after erasure: %+v", a)
	}
	if a, _ := access(t, c, "stmarys/ana", "rec-1", "treatment"); a.Granted || !strings.Contains(a.Refusal, "erased") {
		t.Fatalf("patient's own access after erasure: %+v", a)
	}
	if err := c.Call("stmarys/clerk", record.Name, recordvocab.MethodRegister,
		tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.Uint(recordvocab.ArgVersion, 3), tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("ct3"))).Err; !errors.Is(err,
		contracts.ErrDenied) || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("version after erasure: %v", err)
	}
	v, err := record.LoadVersion(c.Reader(), "rec-1", 2)
	if err != nil || v.CiphertextHash == (ledger.Hash{}) {
		t.Fatalf("hash not kept as evidence: %v", err)
	}
}

// Deny overrides allow: a member whom one rule allows to break the glass
// is still refused when they also hold claims_adjuster, which a deny rule
// keeps from break-glass access. Organisation kinds keep a physician from
// also being a claims adjuster, so the allow is given to claims_adjuster
// directly, by a policy that adds it to the default.
func TestBreakGlassDenyOverrides(t *testing.T) {
	allow := policies.Rule{Sub: identityvocab.RoleClaimsAdjuster, Dom: "*", Obj: "record", Act: "break_glass",
		Cond: "any", Eft: policies.Allow}
	c := newWorldWith(t, append(policies.DefaultRules(), allow))
	registerRec1(c)
	a, ev := access(t, c, "acme/adjuster", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening"))
	if a.Granted || ev[0].Type != "access_refused" {
		t.Fatalf("deny did not override allow: %+v %v", a, ev)
	}
	chaintest.WantRefusal(t, a.Refusal, "acme/adjuster", "break_glass", "record", "stmarys", `denied by rule "claims_adjuster,*,record,break_glass,any,deny"`, "allowed for: claims_adjuster")
	// The physician, whom no deny rule names, still may.
	if a, _ := access(t, c, "stmarys/dr-lee", "rec-1", "treatment",
		tx.String(recordvocab.ArgBreakGlass, "life-threatening")); !a.Granted {
		t.Fatalf("physician refused: %+v", a)
	}
}

func TestRegisterValidation(t *testing.T) {
	c := newWorld(t)
	cases := []struct {
		name   string
		sender string
		args   []tx.Arg
		want   error
	}{
		{"adjuster cannot register", "acme/adjuster",
			firstVersion("r1", chaintest.Seed("a"), "stmarys/ana", "lab"), contracts.ErrDenied},
		{"patient cannot register", "stmarys/ana",
			firstVersion("r1", chaintest.Seed("a"), "stmarys/ana", "lab"), contracts.ErrDenied},
		{"short hash", "stmarys/clerk",
			firstVersion("r1", []byte{1}, "stmarys/ana", "lab"), contracts.ErrInvalid},
		{"patient not a patient", "stmarys/clerk",
			firstVersion("r1", chaintest.Seed("a"), "acme/adjuster", "lab"), contracts.ErrInvalid},
		{"unknown category", "stmarys/clerk",
			firstVersion("r1", chaintest.Seed("a"), "stmarys/ana", "gossip"), contracts.ErrInvalid},
		{"first version not 1", "stmarys/clerk",
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "r1"), tx.Uint(recordvocab.ArgVersion, 2),
				tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("a"))}, contracts.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Snapshot()
			err := c.Call(tc.sender, record.Name, recordvocab.MethodRegister, tc.args...).Err
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == contracts.ErrDenied {
				// A new record would be held by the registrar's organisation.
				chaintest.WantDenied(t, err, tc.sender, "register", "record", identity.OrgOf(tc.sender))
			}
			if !maps.Equal(c.Snapshot(), before) {
				t.Fatal("state changed")
			}
		})
	}
	// A physician registers for their own hospital, which becomes the custodian.
	c.Must("city/dr-kim", record.Name, recordvocab.MethodRegister,
		firstVersion("r2", chaintest.Seed("b"), "stmarys/ana", "imaging")...)
	if rec, err := record.LoadRecord(c.Reader(), "r2"); err != nil || rec.Custodian != "city" || rec.Patient != "stmarys/ana" || rec.Latest != 1 {
		t.Fatalf("registered record: %+v %v", rec, err)
	}

	// Consent validation.
	err := grant(c, "acme/adjuster", "c-x", "acme", "claims", 30, "r1")
	chaintest.WantDenied(t, err, "acme/adjuster", "grant", "consent", "")
	if err := grant(c, "stmarys/ana", "c-x", "acme", "gossip", 30, "r1"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("unknown purpose: %v", err)
	}
	if err := grant(c, "stmarys/ana", "c-x", "nobody", "claims", 30, "r1"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("unknown grantee: %v", err)
	}
	if err := grant(c, "stmarys/ana", "c-x", "acme", "claims", 30); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("empty scope: %v", err)
	}
}

// TestBreakGlassReview: every granted break-glass access enters the
// custodian's review queue, which only the custodian's privacy officer
// closes, once, with a coded outcome.
func TestBreakGlassReview(t *testing.T) {
	c := newWorld(t)
	registerRec1(c)
	bg, _ := access(t, c, "city/dr-kim", "rec-1", "treatment", tx.String(recordvocab.ArgBreakGlass, "life-threatening"))
	normal, _ := access(t, c, "stmarys/ana", "rec-1", "treatment")
	rev := func(who string, id tx.ID, outcome string) error {
		return c.Call(who, record.Name, recordvocab.MethodReviewBreakGlass,
			tx.String(recordvocab.ArgAccess, id.String()),
			tx.String(recordvocab.ArgOutcome, outcome),
			tx.Bytes(recordvocab.ArgNoteHash, chaintest.Seed("review notes"))).Err
	}
	for _, who := range []string{"stmarys/ana", "stmarys/dr-lee", "city/dr-kim", "city/clerk", "acme/adjuster"} {
		chaintest.WantDenied(t, rev(who, bg.TxID, "justified"), who, "review", "break_glass", "stmarys")
	}
	if err := rev("stmarys/privacy", normal.TxID, "justified"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("reviewing an ordinary access: %v", err)
	}
	if err := rev("stmarys/privacy", bg.TxID, "fine I guess"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("free-text outcome: %v", err)
	}
	r := c.Must("stmarys/privacy", record.Name, recordvocab.MethodReviewBreakGlass,
		tx.String(recordvocab.ArgAccess, bg.TxID.String()), tx.String(recordvocab.ArgOutcome, "justified"))
	if r.Events[0].Type != "break_glass_reviewed" || r.Events[0].Attr("reader") != "city/dr-kim" || r.Events[0].Attr("outcome") != "justified" {
		t.Fatalf("review event: %+v", r.Events)
	}
	if rv, err := record.LoadReview(c.Reader(), bg.TxID); err != nil || rv.Reviewer != "stmarys/privacy" {
		t.Fatalf("review: %+v %v", rv, err)
	}
	if err := rev("stmarys/privacy", bg.TxID, "unjustified"); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("second review: %v", err)
	}
}

// TestUndeliveredVocabulary: the method and event a portal names from
// package delivery are the contract's, and a reported access is no longer
// served (the patient's log would otherwise say "not delivered" of a
// record that was then released).
func TestUndeliveredVocabulary(t *testing.T) {
	c := newWorld(t)
	registerRec1(c)
	a, _ := access(t, c, "stmarys/ana", "rec-1", "treatment")
	res := c.Call("stmarys/ana", delivery.Contract, delivery.Method, tx.String(recordvocab.ArgAccess, a.TxID.String()),
		tx.String(recordvocab.ArgReason, delivery.Unreachable))
	if res.Err != nil || len(res.Events) != 1 || res.Events[0].Type != delivery.Event ||
		res.Events[0].Attr("reason") != delivery.Unreachable {
		t.Fatalf("reporting an undelivered access with package delivery's names: %v %+v", res.Err, res.Events)
	}
	if _, _, err := record.Servable(c.Reader(), a.TxID, "stmarys/ana", c.Now); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("a reported access is still servable: %v", err)
	}
	if u, err := record.LoadUndelivered(c.Reader(), a.TxID); err != nil || u.Reason != delivery.Unreachable {
		t.Fatalf("the report: %+v %v", u, err)
	}
}

// TestPrecheckKeepsFreeTextOffTheLedger: an access whose purpose or
// emergency is free text, or whose note hash is no SHA-256, is refused
// before admission (a failed transaction would still be stored).
func TestPrecheckKeepsFreeTextOffTheLedger(t *testing.T) {
	ok := tx.Args{tx.String(recordvocab.ArgRecordID, "rec-1"), tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.String(recordvocab.ArgBreakGlass, "life-threatening"), tx.Bytes(recordvocab.ArgNoteHash, make([]byte, 32))}
	if err := (record.Contract{}).Precheck("access", ok); err != nil {
		t.Fatalf("a well-formed break-glass access: %v", err)
	}
	for name, args := range map[string]tx.Args{
		"free-text emergency": {tx.String(recordvocab.ArgRecordID, "rec-1"),
			tx.String(recordvocab.ArgPurpose, "treatment"),
			tx.String(recordvocab.ArgBreakGlass, "patient collapsed, chest pain")},
		"free-text purpose": {tx.String(recordvocab.ArgRecordID, "rec-1"),
			tx.String(recordvocab.ArgPurpose, "follow-up of her HIV test")},
		"short note hash": {tx.String(recordvocab.ArgRecordID, "rec-1"), tx.String(recordvocab.ArgPurpose, "treatment"),
			tx.String(recordvocab.ArgBreakGlass, "life-threatening"),
			tx.Bytes(recordvocab.ArgNoteHash, []byte("called Dr Smith"))},
	} {
		if err := (record.Contract{}).Precheck("access", args); !errors.Is(err, contracts.ErrInvalid) {
			t.Errorf("%s: %v, want refused before admission", name, err)
		}
	}
}
