package consent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
)

func newChain(t *testing.T) *chaintest.Chain {
	c := chaintest.New(t, chaintest.Options{Orgs: chaintest.Orgs("stmarys", "city", "hope"), Roles: map[string][]string{
		identityvocab.RoleRecordsClerk: {"stmarys/clerk"},
		identityvocab.RolePatient:      {"stmarys/ana", "stmarys/bob"},
		identityvocab.RolePhysician:    {"city/dr-kim"},
		identityvocab.RoleDonor:        {"hope/donor"},
	}})
	c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.Uint(recordvocab.ArgVersion, 1),
		tx.Bytes(recordvocab.ArgCiphertextHash, chaintest.Seed("ct")),
		tx.String(recordvocab.ArgPatient, "stmarys/ana"), tx.String(recordvocab.ArgCategory, "lab"))
	return c
}

func terms(c *chaintest.Chain, days int) []tx.Arg {
	return []tx.Arg{tx.String(recordvocab.ArgPurpose, "treatment"),
		tx.Strings(consentvocab.ArgRecords, []string{"rec-1"}),
		tx.Int(consentvocab.ArgStart, c.Now.Unix()-1),
		tx.Int(consentvocab.ArgEnd, c.Now.Add(time.Duration(days)*24*time.Hour).Unix())}
}

func read(t *testing.T, c *chaintest.Chain, who, consentID string) *record.Access {
	t.Helper()
	r := c.Must(who, record.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "rec-1"),
		tx.String(recordvocab.ArgPurpose, "treatment"), tx.String(recordvocab.ArgConsentID, consentID))
	a, err := record.LoadAccess(c.Reader(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRequestAcceptAmend: a physician of another hospital asks; the
// consent does nothing until the patient accepts; the patient shortens
// it and it lapses at the new end.
func TestRequestAcceptAmend(t *testing.T) {
	c := newChain(t)
	r := c.Must("city/dr-kim", consent.Name, consentvocab.MethodRequest,
		append([]tx.Arg{tx.String(consentvocab.ArgConsentID, "req-1"),
			tx.String(consentvocab.ArgPatient, "stmarys/ana")}, terms(c, 30)...)...)
	if r.Events[0].Type != "consent_requested" || r.Events[0].Attr("grantee") != "city/dr-kim" {
		t.Fatalf("request events %+v", r.Events)
	}
	k, _ := consent.Load(c.Reader(), "req-1")
	if k.Status != consentvocab.StatusProposed || k.Scope != consent.ScopePrivacy || k.Category != consent.CategoryConsent ||
		k.ActorRole != consent.ActorRecipient || k.Requester != "city/dr-kim" {
		t.Fatalf("requested consent %+v", k)
	}
	if a := read(t, c, "city/dr-kim", "req-1"); a.Granted || !strings.Contains(a.Refusal, "has not accepted") {
		t.Fatalf("read under a pending request: %+v", a)
	}
	// Only the patient answers.
	if err := c.Call("stmarys/bob", consent.Name, consentvocab.MethodAccept,
		tx.String(consentvocab.ArgConsentID, "req-1")).Err; !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("another patient accepts: %v", err)
	}
	c.Must("stmarys/ana", consent.Name, consentvocab.MethodAccept, tx.String(consentvocab.ArgConsentID, "req-1"))
	if a := read(t, c, "city/dr-kim", "req-1"); !a.Granted {
		t.Fatalf("read after acceptance: %+v", a)
	}
	if err := c.Call("stmarys/ana", consent.Name, consentvocab.MethodAccept,
		tx.String(consentvocab.ArgConsentID, "req-1")).Err; !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("accepting twice: %v", err)
	}
	// Amend: the physician cannot; the patient shortens the period.
	end := c.Now.Add(time.Hour).Unix()
	if err := c.Call("city/dr-kim", consent.Name, consentvocab.MethodAmend,
		tx.String(consentvocab.ArgConsentID, "req-1"),
		tx.Int(consentvocab.ArgEnd, end+1e6)).Err; !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("grantee amends: %v", err)
	}
	if err := c.Call("stmarys/ana", consent.Name, consentvocab.MethodAmend,
		tx.String(consentvocab.ArgConsentID, "req-1")).Err; !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("empty amendment: %v", err)
	}
	if err := c.Call("stmarys/ana", consent.Name, consentvocab.MethodAmend,
		tx.String(consentvocab.ArgConsentID, "req-1"),
		tx.String(consentvocab.ArgPurpose, "gossip")).Err; !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("bad purpose: %v", err)
	}
	r = c.Must("stmarys/ana", consent.Name, consentvocab.MethodAmend, tx.String(consentvocab.ArgConsentID, "req-1"),
		tx.Int(consentvocab.ArgEnd, end))
	if r.Events[0].Type != "consent_amended" || r.Events[0].Attr("version") != "1" {
		t.Fatalf("amend events %+v", r.Events)
	}
	c.Now = c.Now.Add(2 * time.Hour)
	if a := read(t, c, "city/dr-kim", "req-1"); a.Granted || !strings.Contains(a.Refusal, "lapsed") {
		t.Fatalf("read after the amended end: %+v", a)
	}
}

func TestDeclineAndRefusals(t *testing.T) {
	c := newChain(t)
	c.Must("stmarys/clerk", consent.Name, consentvocab.MethodRequest,
		append([]tx.Arg{tx.String(consentvocab.ArgConsentID, "req-2"), tx.String(consentvocab.ArgPatient, "stmarys/ana"),
			tx.String(consentvocab.ArgGrantee, "city")}, terms(c, 10)...)...)
	c.Must("stmarys/ana", consent.Name, consentvocab.MethodDecline, tx.String(consentvocab.ArgConsentID, "req-2"))
	if a := read(t, c, "city/dr-kim", "req-2"); a.Granted || !strings.Contains(a.Refusal, "declined") {
		t.Fatalf("read under a declined request: %+v", a)
	}
	if err := c.Call("stmarys/ana", consent.Name, consentvocab.MethodRevoke,
		tx.String(consentvocab.ArgConsentID, "req-2")).Err; !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("revoking a declined request: %v", err)
	}
	for _, tc := range []struct {
		name, who string
		args      []tx.Arg
		want      error
	}{
		{"donor requests", "hope/donor",
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, "x1"), tx.String(consentvocab.ArgPatient, "stmarys/ana")},
			contracts.ErrDenied},
		{"request for a non-patient", "city/dr-kim",
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, "x2"), tx.String(consentvocab.ArgPatient, "stmarys/clerk")},
			contracts.ErrInvalid},
		{"bad scope code", "city/dr-kim",
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, "x3"), tx.String(consentvocab.ArgPatient, "stmarys/ana"),
				tx.String(consentvocab.ArgScope, "everything")}, contracts.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Call(tc.who, consent.Name, consentvocab.MethodRequest,
				append(tc.args, terms(c, 5)...)...).Err; !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A patient grants with explicit FHIR codes.
	c.Must("stmarys/ana", consent.Name, consentvocab.MethodGrant,
		append([]tx.Arg{tx.String(consentvocab.ArgConsentID, "g-1"), tx.String(consentvocab.ArgGrantee, "city"),
			tx.String(consentvocab.ArgScope, "treatment"), tx.String(consentvocab.ArgActorRole, "PRCP")}, terms(c, 5)...)...)
	if k, _ := consent.Load(c.Reader(),
		"g-1"); k.Scope != "treatment" || k.ActorRole != "PRCP" || k.Status != consentvocab.StatusActive {
		t.Fatalf("granted consent %+v", k)
	}
}
