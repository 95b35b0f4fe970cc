package record

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/kem/xwing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/exec"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

type world struct {
	t     *testing.T
	state map[string][]byte
	reg   *contracts.Registry
	keys  map[string]*sign.PrivateKey
	now   time.Time
	h     uint64
	seq   uint64
}

func (w *world) Get(k string) ([]byte, bool, error) { v, ok := w.state[k]; return v, ok, nil }

type mapReader map[string][]byte

func (m mapReader) Get(k string) ([]byte, bool) { v, ok := m[k]; return v, ok }

func newWorld(t *testing.T) *world {
	w := &world{t: t, state: map[string][]byte{}, keys: map[string]*sign.PrivateKey{}, now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), h: 5}
	orgs := []identity.Org{{ID: "stmarys", Kind: identity.KindHospital, Name: "St Mary's"}, {ID: "acme", Kind: identity.KindInsurer, Name: "Acme"},
		{ID: "city", Kind: identity.KindHospital, Name: "City"}}
	_, ek := xwing.DeriveKeyPairPacked(bytes.Repeat([]byte{9}, 32))
	var ms []identity.Member
	for i, m := range []struct{ id, role string }{
		{"stmarys/clerk", identity.RoleRecordsClerk}, {"stmarys/dr-lee", identity.RolePhysician}, {"stmarys/privacy", identity.RolePrivacyOfficer},
		{"stmarys/ana", identity.RolePatient}, {"stmarys/bob", identity.RolePatient}, {"acme/adjuster", identity.RoleClaimsAdjuster},
		{"acme/other", identity.RoleClaimsAdjuster}, {"city/clerk", identity.RoleRecordsClerk},
	} {
		k, _ := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{byte(i + 1)}, 32))
		w.keys[m.id] = k
		ms = append(ms, identity.Member{ID: m.id, Org: identity.OrgOf(m.id), Roles: []string{m.role}, SignKey: k.Public(),
			EncKey: identity.EncryptionKey{Alg: identity.EncAlgXWing, Key: ek}})
	}
	gw, err := identity.Genesis(orgs, ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gw {
		w.state[g.Key] = g.Value
	}
	w.reg, _ = contracts.NewRegistry(identity.Contract{}, identity.Contract{}, Contract{}, consent.Contract{})
	return w
}

// call runs one transaction in its own block and returns its id, events
// and error.
func (w *world) call(sender, contract, method string, args ...tx.Arg) (tx.ID, []ledger.Event, error) {
	w.t.Helper()
	w.seq++
	w.h++
	s, err := tx.Sign(tx.Body{ChainID: "c", Sender: sender, Nonce: w.seq, Expiry: 1000,
		Call: tx.Call{Contract: contract, Method: method, Args: args}}, w.keys[sender])
	if err != nil {
		w.t.Fatal(err)
	}
	enc, _ := s.Encode()
	id := tx.HashID(enc)
	res, err := exec.Serial(w, []exec.Txn{w.reg.Txn(contracts.Block{ChainID: "c", Height: w.h, Time: w.now}, s, id, false)})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, wr := range res.Writes {
		if wr.Deleted {
			delete(w.state, wr.Key)
		} else {
			w.state[wr.Key] = wr.Value
		}
	}
	return id, res.Outcomes[0].Events, res.Outcomes[0].Err
}

func (w *world) must(sender, contract, method string, args ...tx.Arg) (tx.ID, []ledger.Event) {
	w.t.Helper()
	id, ev, err := w.call(sender, contract, method, args...)
	if err != nil {
		w.t.Fatalf("%s %s.%s: %v", sender, contract, method, err)
	}
	return id, ev
}

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func (w *world) grant(patient, id, grantee, purpose string, days int, records ...string) error {
	_, _, err := w.call(patient, consent.Name, "grant", tx.String("consent_id", id), tx.String("grantee", grantee),
		tx.String("purpose", purpose), tx.Strings("records", records),
		tx.Int("start", w.now.Unix()), tx.Int("end", w.now.Add(time.Duration(days)*24*time.Hour).Unix()))
	return err
}

func (w *world) access(reader, record, purpose string, via tx.Arg) (*Access, []ledger.Event) {
	w.t.Helper()
	id, ev := w.must(reader, Name, "access", tx.String("record_id", record), tx.String("purpose", purpose), via)
	a, err := LoadAccess(mapReader(w.state), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return a, ev
}

func TestConsentedAccessJourney(t *testing.T) {
	w := newWorld(t)
	w.must("stmarys/clerk", Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash("ct1")),
		tx.String("patient", "stmarys/ana"), tx.String("category", "lab"))

	// No consent, no access — and the refusal is on the ledger.
	a, ev := w.access("acme/adjuster", "rec-1", "claims", tx.String("consent_id", "c-1"))
	if a.Granted || ev[0].Type != "access_refused" || !strings.Contains(a.Refusal, "does not exist") {
		t.Fatalf("access without consent: %+v %v", a, ev)
	}

	// The patient grants the insurer's adjuster access for claims, 30 days.
	if err := w.grant("stmarys/ana", "c-1", "acme/adjuster", "claims", 30, "rec-1"); err != nil {
		t.Fatal(err)
	}
	a, ev = w.access("acme/adjuster", "rec-1", "claims", tx.String("consent_id", "c-1"))
	if !a.Granted || ev[0].Type != "access_granted" {
		t.Fatalf("consented access refused: %+v", a)
	}
	if _, _, err := Servable(mapReader(w.state), a.TxID, "acme/adjuster", w.now); err != nil {
		t.Fatalf("granted access not servable: %v", err)
	}
	if _, _, err := Servable(mapReader(w.state), a.TxID, "acme/other", w.now); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("another reader may use the access: %v", err)
	}
	// Wrong purpose, wrong reader: refused with a precise reason.
	if a, _ := w.access("acme/adjuster", "rec-1", "research", tx.String("consent_id", "c-1")); a.Granted || !strings.Contains(a.Refusal, "purpose") {
		t.Fatalf("wrong purpose: %+v", a)
	}
	if a, _ := w.access("acme/other", "rec-1", "claims", tx.String("consent_id", "c-1")); a.Granted || !strings.Contains(a.Refusal, "granted to") {
		t.Fatalf("wrong reader: %+v", a)
	}

	// Revocation takes effect at once: the earlier access is no longer
	// servable and a new one is refused.
	if _, _, err := w.call("acme/adjuster", consent.Name, "revoke", tx.String("consent_id", "c-1")); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("grantee revoked the patient's consent: %v", err)
	}
	w.must("stmarys/ana", consent.Name, "revoke", tx.String("consent_id", "c-1"))
	if _, _, err := Servable(mapReader(w.state), a.TxID, "acme/adjuster", w.now); err == nil {
		t.Fatal("access still servable after revocation")
	}
	if a, _ := w.access("acme/adjuster", "rec-1", "claims", tx.String("consent_id", "c-1")); a.Granted || !strings.Contains(a.Refusal, "revoked") {
		t.Fatalf("after revocation: %+v", a)
	}

	// A consent lapses by block time.
	if err := w.grant("stmarys/ana", "c-2", "acme", "claims", 1, "rec-1"); err != nil {
		t.Fatal(err)
	}
	a2, _ := w.access("acme/other", "rec-1", "claims", tx.String("consent_id", "c-2")) // org-wide grant
	if !a2.Granted {
		t.Fatalf("org grantee: %+v", a2)
	}
	w.now = w.now.Add(25 * time.Hour)
	if a, _ := w.access("acme/adjuster", "rec-1", "claims", tx.String("consent_id", "c-2")); a.Granted || !strings.Contains(a.Refusal, "lapsed") {
		t.Fatalf("after lapse: %+v", a)
	}
	if _, _, err := Servable(mapReader(w.state), a2.TxID, "acme/other", w.now); err == nil {
		t.Fatal("lapsed access still servable")
	}
}

func TestBreakGlassAndErasure(t *testing.T) {
	w := newWorld(t)
	w.must("stmarys/clerk", Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash("ct1")),
		tx.String("patient", "stmarys/ana"), tx.String("category", "lab"))
	a, ev := w.access("stmarys/dr-lee", "rec-1", "treatment", tx.String("break_glass", "unconscious-patient"))
	if !a.Granted || ev[0].Type != "break_glass" || ev[0].Attr("patient") != "stmarys/ana" {
		t.Fatalf("break-glass: %+v %v", a, ev)
	}
	if a, _ := w.access("acme/adjuster", "rec-1", "treatment", tx.String("break_glass", "life-threatening")); a.Granted {
		t.Fatal("non-physician broke the glass")
	}
	if _, _, err := w.call("stmarys/dr-lee", Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"),
		tx.String("break_glass", "patient has diabetes and is unconscious")); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("free-text reason accepted onto the ledger: %v", err)
	}
	// New versions only from the custodian, in order.
	if _, _, err := w.call("city/clerk", Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 2), tx.Bytes("ciphertext_hash", hash("x"))); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("other hospital added a version: %v", err)
	}
	if _, _, err := w.call("stmarys/clerk", Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 3), tx.Bytes("ciphertext_hash", hash("x"))); !errors.Is(err, contracts.ErrConflict) {
		t.Fatalf("skipped version: %v", err)
	}
	w.must("stmarys/clerk", Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 2), tx.Bytes("ciphertext_hash", hash("ct2")))

	// Erasure: by the patient; afterwards nothing is servable or grantable.
	if _, _, err := w.call("stmarys/bob", Name, "erase", tx.String("record_id", "rec-1")); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("another patient erased: %v", err)
	}
	_, ev = w.must("stmarys/ana", Name, "erase", tx.String("record_id", "rec-1"))
	if ev[0].Type != "record_erased" || ev[0].Attr("versions") != "2" {
		t.Fatalf("erase event: %v", ev)
	}
	if _, _, err := Servable(mapReader(w.state), a.TxID, "stmarys/dr-lee", w.now); err == nil || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("erased record servable: %v", err)
	}
	if a, _ := w.access("stmarys/dr-lee", "rec-1", "treatment", tx.String("break_glass", "life-threatening")); a.Granted || !strings.Contains(a.Refusal, "erased") {
		t.Fatalf("access after erasure: %+v", a)
	}
	v, err := LoadVersion(mapReader(w.state), "rec-1", 2)
	if err != nil || v.CiphertextHash == (ledger.Hash{}) {
		t.Fatalf("hash not kept as evidence: %v", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		name   string
		sender string
		args   []tx.Arg
		want   error
	}{
		{"adjuster cannot register", "acme/adjuster", []tx.Arg{tx.String("record_id", "r1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash("a")), tx.String("patient", "stmarys/ana"), tx.String("category", "lab")}, contracts.ErrDenied},
		{"short hash", "stmarys/clerk", []tx.Arg{tx.String("record_id", "r1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", []byte{1}), tx.String("patient", "stmarys/ana"), tx.String("category", "lab")}, contracts.ErrInvalid},
		{"patient not a patient", "stmarys/clerk", []tx.Arg{tx.String("record_id", "r1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash("a")), tx.String("patient", "acme/adjuster"), tx.String("category", "lab")}, contracts.ErrInvalid},
		{"unknown category", "stmarys/clerk", []tx.Arg{tx.String("record_id", "r1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash("a")), tx.String("patient", "stmarys/ana"), tx.String("category", "gossip")}, contracts.ErrInvalid},
		{"first version not 1", "stmarys/clerk", []tx.Arg{tx.String("record_id", "r1"), tx.Uint("version", 2), tx.Bytes("ciphertext_hash", hash("a"))}, contracts.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := len(w.state)
			if _, _, err := w.call(c.sender, Name, "register", c.args...); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if len(w.state) != n {
				t.Fatal("state changed")
			}
		})
	}
	// Consent validation.
	if err := w.grant("acme/adjuster", "c-x", "acme", "claims", 30, "r1"); !errors.Is(err, contracts.ErrDenied) {
		t.Fatalf("non-patient granted consent: %v", err)
	}
	if err := w.grant("stmarys/ana", "c-x", "acme", "gossip", 30, "r1"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("unknown purpose: %v", err)
	}
	if err := w.grant("stmarys/ana", "c-x", "nobody", "claims", 30, "r1"); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("unknown grantee: %v", err)
	}
	if err := w.grant("stmarys/ana", "c-x", "acme", "claims", 30); !errors.Is(err, contracts.ErrInvalid) {
		t.Fatalf("empty scope: %v", err)
	}
}
