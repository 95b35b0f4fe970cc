package abe

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	rec = "rec/0001"
	ver = uint64(3)
)

var (
	physician = map[string]string{"org": "stmarys", "role": "physician"}
	nurse     = map[string]string{"org": "stmarys", "role": "nurse"}
	porter    = map[string]string{"org": "stmarys", "role": "porter"}
	cardioDoc = map[string]string{"org": "stmarys", "role": "physician", "dept": "cardiology"}
	student   = map[string]string{"org": "stmarys", "role": "student", "dept": "cardiology"}
	noRole    = map[string]string{"org": "stmarys", "dept": "cardiology"}
	otherOrg  = map[string]string{"org": "cityhosp", "role": "physician"}
)

func TestCheckPolicy(t *testing.T) {
	tests := []struct {
		policy string
		ok     bool
	}{
		{"org: stmarys", true},
		{"org:stmarys", true},
		{"org: stmarys and (role: physician or role: nurse)", true},
		{"org: stmarys and not role: student", true},
		{"not not org: stmarys", true},
		{"(org: a or org: b) and (role: c or (role: d and dept: e))", true},
		{"\torg: a\nand\r\nrole: b ", true},
		{"Org: St_Marys", true},
		{"", false},
		{"   ", false},
		{"org", false},
		{"org:", false},
		{": a", false},
		{"org: a or", false},
		{"org: a and", false},
		{"org: a )", false},           // tkn20 alone accepts this as "org: a"
		{"(org: a) (role: b)", false}, // tkn20 alone accepts this as "org: a"
		{"org: a role: b", false},     // missing operator
		{"(org: a", false},            // unbalanced
		{"org: st-marys", false},      // '-' is not allowed
		{"org: a && role: b", false},  // not the syntax
		{"org: a AND role: b", false}, // keywords are lower case
		{"and: a", false},             // keyword as label
		{"org: not", false},           // keyword as value
		{"org: a: b", false},          // stray colon
		{"not", false},                // nothing to negate
		{"()", false},                 // empty group
		{"org: é", false},             // non-ASCII
		{"org: " + strings.Repeat("a", MaxTokenLen), true},
		{"org: " + strings.Repeat("a", MaxTokenLen+1), false},
		{strings.Repeat("(", MaxPolicyDepth) + "o: a" + strings.Repeat(")", MaxPolicyDepth), true},
		{strings.Repeat("(", MaxPolicyDepth+1) + "o: a" + strings.Repeat(")", MaxPolicyDepth+1), false},
		{strings.Repeat("not ", MaxPolicyDepth+1) + "o: a", false},
		{literals(MaxPolicyLiterals), true},
		{literals(MaxPolicyLiterals + 1), false},
		{"o: a" + strings.Repeat(" ", MaxPolicyLen), false},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			err := CheckPolicy(tt.policy)
			if tt.ok && err != nil {
				t.Fatalf("CheckPolicy: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckPolicy = %v, want ErrInvalid", err)
			}
			if tt.ok {
				if _, err := parsePolicy(tt.policy); err != nil {
					t.Fatalf("tkn20 rejects a policy CheckPolicy accepts: %v", err)
				}
			}
		})
	}
}

func literals(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("role: r%d", i)
	}
	return strings.Join(parts, " or ")
}

func TestIssueKeyInvalid(t *testing.T) {
	f := mustFixture(t)
	many := map[string]string{}
	for i := range MaxAttributes + 1 {
		many[fmt.Sprintf("a%d", i)] = "x"
	}
	for name, attrs := range map[string]map[string]string{
		"nil":           nil,
		"empty":         {},
		"empty label":   {"": "x"},
		"empty value":   {"org": ""},
		"dash":          {"org": "st-marys"},
		"space":         {"org": "st marys"},
		"keyword label": {"or": "x"},
		"keyword value": {"org": "and"},
		"too long":      {"org": strings.Repeat("x", MaxTokenLen+1)},
		"too many":      many,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.stmarys.IssueKey(nil, attrs); !errors.Is(err, ErrInvalid) {
				t.Fatalf("IssueKey = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestAccess wraps one data key per policy and checks, for each key, that
// UnwrapKey succeeds exactly when the attributes satisfy the policy. For the
// keys that must fail it also calls tkn20 directly, bypassing UnwrapKey's
// satisfaction pre-check, so the test shows that the cryptography and not
// only the pre-check refuses them.
func TestAccess(t *testing.T) {
	f := mustFixture(t)
	keys := map[string]*AttributeKey{}
	for name, attrs := range map[string]map[string]string{
		"physician": physician, "nurse": nurse, "porter": porter, "cardioDoc": cardioDoc,
		"student": student, "noRole": noRole, "otherOrg": otherOrg,
	} {
		keys[name] = mustKey(t, f.stmarys, attrs)
	}
	tests := []struct {
		name   string
		policy string
		allow  []string
		deny   []string
	}{
		{"single", "org: stmarys",
			[]string{"physician", "nurse", "noRole"}, []string{"otherOrg"}},
		{"and", "org: stmarys and role: physician",
			[]string{"physician", "cardioDoc"}, []string{"nurse", "otherOrg", "noRole"}},
		{"or", "role: physician or role: nurse",
			[]string{"physician", "nurse", "otherOrg"}, []string{"porter", "noRole"}},
		{"and-or", "org: stmarys and (role: physician or role: nurse)",
			[]string{"physician", "nurse", "cardioDoc"}, []string{"porter", "otherOrg", "student"}},
		{"not", "org: stmarys and not role: student",
			[]string{"physician", "cardioDoc", "porter"}, []string{"student", "otherOrg", "noRole"}},
		{"not-group", "org: stmarys and not (role: porter or role: student)",
			[]string{"physician", "nurse"}, []string{"porter", "student", "noRole"}},
		{"three-and", "org: stmarys and dept: cardiology and role: physician",
			[]string{"cardioDoc"}, []string{"physician", "student", "noRole"}},
	}
	dk := seq(0x40, DataKeySize)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustWrap(t, f.stmarys.Public(), tt.policy, dk, rec, ver)
			_, _, ct, err := parseWrapped(w)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.allow {
				k := keys[name]
				if ok, err := k.Satisfies(tt.policy); err != nil || !ok {
					t.Errorf("%s: Satisfies = %v, %v; want true", name, ok, err)
				}
				got, err := UnwrapKey(k, w, rec, ver)
				if err != nil {
					t.Errorf("%s: UnwrapKey: %v", name, err)
				} else if !bytes.Equal(got, dk) {
					t.Errorf("%s: UnwrapKey returned another key", name)
				}
			}
			for _, name := range tt.deny {
				k := keys[name]
				if ok, err := k.Satisfies(tt.policy); err != nil || ok {
					t.Errorf("%s: Satisfies = %v, %v; want false", name, ok, err)
				}
				if _, err := UnwrapKey(k, w, rec, ver); !errors.Is(err, ErrPolicy) || errors.Is(err, ErrIntegrity) {
					t.Errorf("%s: UnwrapKey = %v, want ErrPolicy", name, err)
				}
				if pt, err := k.st().ak.Decrypt(ct); err == nil {
					t.Errorf("%s: tkn20 decrypted without satisfying the policy (%d bytes)", name, len(pt))
				}
			}
		})
	}
}

func TestOtherAuthority(t *testing.T) {
	f := mustFixture(t)
	dk := seq(0x40, DataKeySize)
	policy := "org: stmarys and role: physician"
	w := mustWrap(t, f.stmarys.Public(), policy, dk, rec, ver)
	// Same attributes, other authority (another hospital, or an attacker's
	// own authority that names itself "stmarys").
	foreign := mustKey(t, f.other, physician)
	_, err := UnwrapKey(foreign, w, rec, ver)
	if !errors.Is(err, ErrPolicy) || !errors.Is(err, ErrWrongAuthority) {
		t.Fatalf("UnwrapKey = %v, want ErrPolicy and ErrWrongAuthority", err)
	}
	// Relabel the wrapped key with the other authority's id: the header
	// check passes, tkn20 must still refuse.
	relabelled := bytes.Clone(w)
	id := f.other.ID()
	copy(relabelled[6:38], id[:])
	if _, err := UnwrapKey(foreign, relabelled, rec, ver); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("UnwrapKey of relabelled key = %v, want ErrIntegrity", err)
	}
	// And the other way round: the other authority wraps, stmarys staff fail.
	w2 := mustWrap(t, f.other.Public(), policy, dk, rec, ver)
	if _, err := UnwrapKey(mustKey(t, f.stmarys, physician), w2, rec, ver); !errors.Is(err, ErrWrongAuthority) {
		t.Fatalf("UnwrapKey = %v, want ErrWrongAuthority", err)
	}
}

func TestBinding(t *testing.T) {
	k, _, w := physicianWrap(t, "role: physician")

	for _, tt := range []struct {
		name string
		rec  string
		ver  uint64
	}{
		{"other record", "rec/0002", ver},
		{"other version", rec, ver + 1},
		{"empty record", "", ver},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := UnwrapKey(k, w, tt.rec, tt.ver); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("UnwrapKey = %v, want ErrIntegrity", err)
			}
		})
	}
	// Rewrite the header to claim another record (same length) and ask for
	// that record: the header check passes, the bound hash does not.
	t.Run("relabelled record", func(t *testing.T) {
		moved := bytes.Clone(w)
		copy(moved[40:40+len(rec)], "rec/0002")
		if _, err := UnwrapKey(k, moved, "rec/0002", ver); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("UnwrapKey = %v, want ErrIntegrity", err)
		}
	})
	t.Run("relabelled version", func(t *testing.T) {
		moved := bytes.Clone(w)
		binary.BigEndian.PutUint64(moved[40+len(rec):], ver+1)
		if _, err := UnwrapKey(k, moved, rec, ver+1); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("UnwrapKey = %v, want ErrIntegrity", err)
		}
	})
}

func TestTamper(t *testing.T) {
	k, dk, w := physicianWrap(t, "org: stmarys and (role: physician or role: nurse)")
	n := 48 + len(rec) // header length
	flip := func(i int) []byte {
		b := bytes.Clone(w)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want []error
	}{
		{"magic", flip(0), []error{ErrIntegrity}},
		{"format", flip(4), []error{ErrIntegrity, ErrUnsupported}},
		{"scheme", flip(5), []error{ErrIntegrity, ErrUnsupported}},
		{"authority", flip(6), []error{ErrPolicy, ErrWrongAuthority}},
		{"record id length", flip(39), []error{ErrIntegrity}},
		{"record id", flip(40), []error{ErrIntegrity}},
		{"version", flip(n - 1), []error{ErrIntegrity}},
		{"ciphertext first byte", flip(n), []error{ErrIntegrity}},
		{"ciphertext id", flip(n + 12), []error{ErrIntegrity}},
		{"ciphertext middle", flip(n + (len(w)-n)/2), []error{ErrIntegrity}},
		{"ciphertext last byte", flip(len(w) - 1), []error{ErrIntegrity}},
		{"truncated header", w[:n-1], []error{ErrIntegrity}},
		{"header only", w[:n], []error{ErrIntegrity}},
		{"truncated", w[:len(w)-1], []error{ErrIntegrity}},
		{"trailing byte", append(bytes.Clone(w), 0), []error{ErrIntegrity}},
		{"empty", nil, []error{ErrIntegrity}},
		{"oversized", make([]byte, MaxWrappedSize+1), []error{ErrIntegrity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnwrapKey(k, tt.b, rec, ver)
			if err == nil {
				t.Fatalf("tampered wrapped key unwrapped (equal to original: %v)", bytes.Equal(got, dk))
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Errorf("UnwrapKey = %v, want %v", err, want)
				}
			}
			if strings.Contains(err.Error(), hex.EncodeToString(dk)) {
				t.Errorf("error leaks the data key: %v", err)
			}
		})
	}
	// Sanity: the untampered bytes unwrap.
	if got, err := UnwrapKey(k, w, rec, ver); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("UnwrapKey of the original = %x, %v", got, err)
	}
}

func TestWrapKeyInvalid(t *testing.T) {
	f := mustFixture(t)
	pub := f.stmarys.Public()
	dk := seq(0, DataKeySize)
	tests := []struct {
		name   string
		pub    *PublicParams
		policy string
		dk     []byte
		rec    string
	}{
		{"nil pub", nil, "org: a", dk, rec},
		{"short key", pub, "org: a", dk[:31], rec},
		{"long key", pub, "org: a", append(bytes.Clone(dk), 0), rec},
		{"empty record", pub, "org: a", dk, ""},
		{"long record", pub, "org: a", dk, strings.Repeat("r", MaxRecordIDLen+1)},
		{"bad utf8 record", pub, "org: a", dk, "\xff"},
		{"bad policy", pub, "org: a )", dk, rec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := WrapKey(nil, tt.pub, tt.policy, tt.dk, tt.rec, ver); !errors.Is(err, ErrInvalid) {
				t.Fatalf("WrapKey = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := UnwrapKey(nil, nil, rec, ver); !errors.Is(err, ErrInvalid) {
		t.Fatalf("UnwrapKey(nil key) = %v, want ErrInvalid", err)
	}
}

func TestParseWrapped(t *testing.T) {
	f := mustFixture(t)
	w := mustWrap(t, f.stmarys.Public(), "org: stmarys and (role: physician or role: nurse)",
		seq(0, DataKeySize), rec, ver)
	h, policy, err := ParseWrapped(w)
	if err != nil {
		t.Fatal(err)
	}
	want := WrappedHeader{Format: FormatV1, Scheme: SchemeTKN20, Authority: f.stmarys.ID(), RecordID: rec, Version: ver}
	if h != want {
		t.Errorf("header = %+v, want %+v", h, want)
	}
	if policy != "(org:stmarys and (role:physician or role:nurse))" {
		t.Errorf("policy = %q", policy)
	}
	if got := appendWrappedHeader(nil, &h); !bytes.Equal(got, w[:len(got)]) {
		t.Errorf("re-encoded header differs")
	}
}

// TestGoldenHeader pins the wrapped-key header layout.
func TestGoldenHeader(t *testing.T) {
	var id AuthorityID
	copy(id[:], seq(0xa0, len(id)))
	h := WrappedHeader{Format: FormatV1, Scheme: SchemeTKN20, Authority: id, RecordID: "rec/0001", Version: 3}
	got := appendWrappedHeader(nil, &h)
	golden(t, "wrapped-header-v1.hex", got)
	if len(got) != 48+len(h.RecordID) {
		t.Errorf("header is %d bytes, want %d", len(got), 48+len(h.RecordID))
	}
}

// TestGoldenVector unwraps a wrapped key written by an earlier build with a
// stored attribute key, so that a circl upgrade or a change here that breaks
// wrapped keys already on the ledger fails this test. -update regenerates it.
func TestGoldenVector(t *testing.T) {
	const policy = "org: stmarys and (role: physician or role: nurse)"
	dk := seq(0x40, DataKeySize)
	if *update {
		a, err := Setup(detRand(7))
		if err != nil {
			t.Fatal(err)
		}
		k, err := a.IssueKey(detRand(8), nurse)
		if err != nil {
			t.Fatal(err)
		}
		ke, err := k.MarshalSecret()
		if err != nil {
			t.Fatal(err)
		}
		pe, _ := a.Public().MarshalBinary()
		w, err := WrapKey(detRand(9), a.Public(), policy, dk, rec, ver)
		if err != nil {
			t.Fatal(err)
		}
		writeHex(t, "vector-v1-public.hex", pe)
		writeHex(t, "vector-v1-attrkey.hex", ke)
		writeHex(t, "vector-v1-wrapped.hex", w)
	}
	pub, err := UnmarshalPublicParams(readHex(t, "vector-v1-public.hex"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := UnmarshalAttributeKey(readHex(t, "vector-v1-attrkey.hex"))
	if err != nil {
		t.Fatal(err)
	}
	w := readHex(t, "vector-v1-wrapped.hex")
	if k.Authority() != pub.ID() {
		t.Errorf("stored key is not from the stored authority")
	}
	got, err := UnwrapKey(k, w, rec, ver)
	if err != nil {
		t.Fatalf("stored wrapped key does not unwrap: %v", err)
	}
	if !bytes.Equal(got, dk) {
		t.Fatalf("stored wrapped key unwraps to %x, want %x", got, dk)
	}
}

func TestKeyEncodings(t *testing.T) {
	f := mustFixture(t)
	dk := seq(0x40, DataKeySize)

	pubEnc, err := f.stmarys.Public().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := UnmarshalPublicParams(pubEnc)
	if err != nil {
		t.Fatal(err)
	}
	if pub.ID() != f.stmarys.ID() {
		t.Fatalf("public parameters changed id in a round trip")
	}

	secEnc, err := f.stmarys.MarshalSecret()
	if err != nil {
		t.Fatal(err)
	}
	a2, err := UnmarshalAuthority(secEnc)
	if err != nil {
		t.Fatal(err)
	}
	if a2.ID() != f.stmarys.ID() {
		t.Fatalf("authority changed id in a round trip")
	}
	again, _ := a2.MarshalSecret()
	if !bytes.Equal(again, secEnc) {
		t.Fatalf("authority encoding is not stable")
	}

	// A key issued by the restored authority opens a key wrapped under the
	// decoded public parameters, and survives its own round trip.
	k := mustKey(t, a2, cardioDoc)
	kEnc, err := k.MarshalSecret()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := UnmarshalAttributeKey(kEnc)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Authority() != f.stmarys.ID() || fmt.Sprint(k2.Attributes()) != fmt.Sprint(cardioDoc) {
		t.Fatalf("attribute key round trip: authority %v attrs %v", k2.Authority(), k2.Attributes())
	}
	w := mustWrap(t, pub, "dept: cardiology and role: physician", dk, rec, ver)
	if got, err := UnwrapKey(k2, w, rec, ver); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("UnwrapKey with decoded key = %x, %v", got, err)
	}

	bad := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0xff
		return b
	}
	// labels out of order: swap "dept" and "org" entries by re-encoding by hand.
	unordered := append([]byte(nil), kEnc[:38]...)
	unordered = append(unordered, 2)
	unordered = appendToken(appendToken(unordered, "org"), "stmarys")
	unordered = appendToken(appendToken(unordered, "dept"), "cardiology")
	for _, tt := range []struct {
		name string
		fn   func([]byte) error
		b    []byte
	}{
		{"public magic", unmarshalPub, bad(pubEnc, 0)},
		{"public version", unmarshalPub, bad(pubEnc, 4)},
		{"public truncated", unmarshalPub, pubEnc[:len(pubEnc)-1]},
		{"public trailing", unmarshalPub, append(bytes.Clone(pubEnc), 0)},
		{"public empty", unmarshalPub, nil},
		{"authority magic", unmarshalAuth, bad(secEnc, 0)},
		{"authority scheme", unmarshalAuth, bad(secEnc, 5)},
		{"authority length", unmarshalAuth, bad(secEnc, 6)},
		{"authority truncated", unmarshalAuth, secEnc[:len(secEnc)-1]},
		{"authority trailing", unmarshalAuth, append(bytes.Clone(secEnc), 0)},
		{"key magic", unmarshalKey, bad(kEnc, 0)},
		{"key count zero", unmarshalKey, append(append([]byte(nil), kEnc[:38]...), 0)},
		{"key bad label", unmarshalKey, bad(kEnc, 40)},
		{"key unordered labels", unmarshalKey, unordered},
		{"key truncated", unmarshalKey, kEnc[:len(kEnc)-1]},
		{"key trailing", unmarshalKey, append(bytes.Clone(kEnc), 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.fn(tt.b); !errors.Is(err, ErrBadKey) {
				t.Fatalf("decode = %v, want ErrBadKey", err)
			}
		})
	}
}

func unmarshalPub(b []byte) error  { _, err := UnmarshalPublicParams(b); return err }
func unmarshalAuth(b []byte) error { _, err := UnmarshalAuthority(b); return err }
func unmarshalKey(b []byte) error  { _, err := UnmarshalAttributeKey(b); return err }

// TestRedaction formats keys every way a caller might by mistake and checks
// that neither key material nor attributes appear.
func TestRedaction(t *testing.T) {
	f := mustFixture(t)
	k := mustKey(t, f.stmarys, physician)
	kEnc, _ := k.MarshalSecret()
	sEnc, _ := f.stmarys.MarshalSecret()
	type holder struct {
		A  *Authority
		K  *AttributeKey
		a  Authority
		k  AttributeKey
		KV AttributeKey
	}
	h := holder{A: f.stmarys, K: k, a: *f.stmarys, k: *k, KV: *k}
	var outs []string
	for _, v := range []any{f.stmarys, *f.stmarys, k, *k, h, &h} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("keys", "authority", f.stmarys, "key", k, "holder", h)
	log.Info("values", "authority", *f.stmarys, "key", *k)
	outs = append(outs, buf.String())
	secrets := []string{"physician", "stmarys"}
	// Any 16-byte window of the encodings past their headers, in hex.
	for _, enc := range [][]byte{kEnc[60:], sEnc[len(sEnc)-64:]} {
		secrets = append(secrets, hex.EncodeToString(enc[:16]), string(enc[:16]))
	}
	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("formatted output leaks %q: %s", s, out)
			}
		}
	}
}
