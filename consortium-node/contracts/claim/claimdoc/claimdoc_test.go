package claimdoc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	"github.com/almoner/almoner/consortium-node/contracts/claim"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

func testKey(t testing.TB) *claimdoc.Key {
	b := make([]byte, claimdoc.KeySize)
	for i := range b {
		b[i] = byte(i)
	}
	k, err := claimdoc.KeyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func anaDoc() *claimdoc.Document {
	return &claimdoc.Document{ClaimID: "claim-1", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: "USD", Created: "2026-10-31",
		Lines: []claimdoc.Line{{Service: claimdoc.Service{Code: "99213-25", Date: "2026-10-30"}, Amount: 15000},
			{Service: claimdoc.Service{Code: "80053", Date: "2026-10-30"}, Amount: 4205}},
		Records: []string{"rec-1"}}
}

// TestFingerprintGolden pins the keyed fingerprints: a change would let
// services claimed before it through again. The values were computed
// independently (Python's hmac over a hand-written CBOR encoding).
func TestFingerprintGolden(t *testing.T) {
	k := testKey(t)
	sv := []claimdoc.Service{{Code: "99213", Date: "2026-10-30"}, {Code: "80053", Date: "2026-10-30"}}
	if got := k.ID(); got != "59431dce1bfc4d488408ed8faa066dc0" {
		t.Fatalf("key id %s", got)
	}
	fp := k.Fingerprint("stmarys", "stmarys/ana", sv)
	if got := fp.String(); got != "ce861c7afc8873a680ee6e4f9cf3b77ed0f1e653297fd1dc494d827d3f906fe3" {
		t.Fatalf("fingerprint %s", got)
	}
	var items []string
	for _, h := range k.ItemFingerprints("stmarys", "stmarys/ana", sv) {
		items = append(items, h.String())
	}
	if want := []string{"007074819ef37738bee7196ecdd4c0c42c4a430a59872f9b4050d27c09a6975e",
		"26eec177f6f1b4594e6c14f0fd9ece7b4b546c4a325046e5a96dea72f026ea15"}; !slices.Equal(items, want) {
		t.Fatalf("item fingerprints %v, want %v", items, want)
	}
	// Order does not matter; provider, patient, services and key do.
	if k.Fingerprint("stmarys", "stmarys/ana", []claimdoc.Service{sv[1], sv[0]}) != fp {
		t.Fatal("the fingerprint depends on the order of the services")
	}
	other, _ := claimdoc.NewKey(nil)
	for name, h := range map[string]ledger.Hash{
		"another provider":    k.Fingerprint("city", "stmarys/ana", sv),
		"another patient":     k.Fingerprint("stmarys", "stmarys/bob", sv),
		"fewer services":      k.Fingerprint("stmarys", "stmarys/ana", sv[:1]),
		"another date":        k.Fingerprint("stmarys", "stmarys/ana", []claimdoc.Service{sv[0], {Code: "80053", Date: "2026-10-29"}}),
		"a service twice":     k.Fingerprint("stmarys", "stmarys/ana", []claimdoc.Service{sv[0], sv[1], sv[1]}),
		"bytes shifted":       k.Fingerprint("stmarys/", "stmarys/an", sv),
		"another key":         other.Fingerprint("stmarys", "stmarys/ana", sv),
		"an item fingerprint": k.ItemFingerprints("stmarys", "stmarys/ana", sv[:1])[0],
	} {
		if h == fp {
			t.Errorf("%s: fingerprint collides", name)
		}
	}
	// Two units of one service on a day are two distinct item keys.
	twice := k.ItemFingerprints("stmarys", "stmarys/ana", []claimdoc.Service{sv[0], sv[0]})
	if twice[0] == twice[1] {
		t.Fatal("repeated services share an item fingerprint")
	}
}

// TestKeyFile: a key survives its file, the file is private and never
// overwritten, and the key never shows in text or logs.
func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, claimdoc.KeyFile("stmarys"))
	k, err := claimdoc.NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	back, err := claimdoc.LoadKey(path)
	if err != nil || back.ID() != k.ID() {
		t.Fatalf("reloaded key %v: %v", back, err)
	}
	if err := k.Save(path); err == nil {
		t.Fatal("Save overwrote a key file")
	}
	raw, _ := os.ReadFile(path)
	secret := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[1])
	for _, s := range []string{k.String(), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), fmt.Sprintf("%v %+v %#v", *k, *k, *k)} {
		if strings.Contains(s, secret) || !strings.Contains(s, k.ID()) {
			t.Fatalf("%q shows the key or not its id", s)
		}
	}
	if err := os.Symlink(path, filepath.Join(dir, "link.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := claimdoc.LoadKey(filepath.Join(dir, "link.key")); !errors.Is(err, claimdoc.ErrKey) {
		t.Fatalf("a link to a key file: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "link.key")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := claimdoc.LoadKey(path); !errors.Is(err, claimdoc.ErrKey) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file: %v", err)
	}
	for _, bad := range []string{"", "almoner claims fingerprint key v1\n" + strings.Repeat("A", 64) + "\n",
		"almoner claims fingerprint key v1\n" + strings.Repeat("a", 62) + "\n", strings.Repeat("a", 64)} {
		if _, err := claimdoc.ParseKey([]byte(bad)); !errors.Is(err, claimdoc.ErrKey) {
			t.Fatalf("ParseKey(%q): %v", bad, err)
		}
	}
	k.Destroy()
	if k.ID() == back.ID() {
		t.Fatal("Destroy left the key")
	}
	// LoadKeys reads a folder of them, by organisation.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := claimdoc.LoadKeys(dir)
	if err != nil || len(keys) != 1 || keys["stmarys"] == nil || keys["stmarys"].ID() != back.ID() {
		t.Fatalf("LoadKeys: %v %v", keys, err)
	}
}

// TestDocumentRoundTrip: MarshalFHIR writes a FHIR R4 Claim that Parse
// reads back to the same document, with exact decimal amounts.
func TestDocumentRoundTrip(t *testing.T) {
	for _, cur := range []string{"USD", "JPY", "KWD"} {
		d := anaDoc()
		d.Currency = cur
		b, err := d.MarshalFHIR()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["resourceType"] != "Claim" || m["use"] != "claim" {
			t.Fatalf("not a FHIR Claim: %s", b)
		}
		back, err := claimdoc.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", cur, err)
		}
		if back.ClaimID != d.ClaimID || back.Provider != d.Provider || back.Patient != d.Patient || back.Insurer != d.Insurer ||
			back.Currency != cur || back.Created != d.Created || !slices.Equal(back.Lines, d.Lines) || !slices.Equal(back.Records, d.Records) {
			t.Fatalf("%s: round trip %+v, want %+v", cur, back, d)
		}
		if err := back.Validate(now); err != nil {
			t.Fatal(err)
		}
	}
	d := anaDoc()
	b, _ := d.MarshalFHIR()
	for _, want := range []string{`"value": 150.00`, `"value": 42.05`, `"value": 192.05`, `"code": "25"`, `"system": "urn:almoner:member"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("document lacks %s:\n%s", want, b)
		}
	}
}

// TestParseRefuses: what Parse will not read, with a message that says why.
func TestParseRefuses(t *testing.T) {
	good, _ := anaDoc().MarshalFHIR()
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	item := func(m map[string]any) map[string]any { return m["item"].([]any)[0].(map[string]any) }
	example, err := os.ReadFile("../../../../../shared/fhir/claim-example-professional.json")
	if err != nil {
		t.Skipf("the shared FHIR examples are not at hand: %v", err)
	}
	cases := map[string]struct {
		in   []byte
		says string
	}{
		"not JSON":            {[]byte("{"), "not JSON"},
		"trailing data":       {append(slices.Clone(good), []byte(" {}")...), "trailing"},
		"a Patient":           {[]byte(`{"resourceType":"Patient"}`), "not Claim"},
		"too large":           {bytes.Repeat([]byte(" "), claimdoc.MaxDocumentBytes+1), "the most is"},
		"a literal reference": {example, "reference by identifier"},
		"no items":            {edit(func(m map[string]any) { m["item"] = []any{} }), "1 to 50 items"},
		"sequence twice": {edit(func(m map[string]any) {
			m["item"].([]any)[1].(map[string]any)["sequence"] = 1
		}), "item[1].sequence: 1 is the sequence of item[0] too"},
		"fraction of a cent": {edit(func(m map[string]any) {
			item(m)["net"] = map[string]any{"value": json.Number("150.001"), "currency": "USD"}
		}), "item[0].net.value: 150.001 is not a whole number of minor units of USD"},
		"negative amount": {edit(func(m map[string]any) { item(m)["net"] = map[string]any{"value": json.Number("-1"), "currency": "USD"} }), "item[0].net.value: -1 is negative"},
		"quoted amount": {edit(func(m map[string]any) { item(m)["net"] = map[string]any{"value": "150.00", "currency": "USD"} }),
			"item[0].net.value: must be a JSON number"},
		"two currencies": {edit(func(m map[string]any) { item(m)["net"] = map[string]any{"value": json.Number("1"), "currency": "EUR"} }), "one currency"},
		"no net":         {edit(func(m map[string]any) { delete(item(m), "net") }), "item[0].net: required"},
		"two codings": {edit(func(m map[string]any) {
			item(m)["productOrService"] = map[string]any{"coding": []any{map[string]any{"code": "A"}, map[string]any{"code": "B"}}}
		}), "item[0].productOrService.coding: 2 codings"},
		"total not the sum": {edit(func(m map[string]any) { m["total"] = map[string]any{"value": json.Number("1.00"), "currency": "USD"} }),
			"total: 1.00 is not the sum of the items' net amounts (192.05)"},
		"record by literal ref": {edit(func(m map[string]any) {
			m["supportingInfo"].([]any)[0].(map[string]any)["valueReference"] = map[string]any{"reference": "DocumentReference/1"}
		}), "supportingInfo must each be a linked record"},
		"insurer of other system": {edit(func(m map[string]any) {
			m["insurer"] = map[string]any{"identifier": map[string]any{"system": "urn:x", "value": "acme"}}
		}), "insurer"},
		"a property twice": {[]byte(strings.Replace(string(good), `"status": "active",`, `"status": "active", "status": "draft",`, 1)),
			"status: the property is given twice"},
	}
	for name, tc := range cases {
		if _, err := claimdoc.Parse(tc.in); !errors.Is(err, claimdoc.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.says)
		}
	}
}

// TestValidate: service codes, dates, amounts, parties and limits.
func TestValidate(t *testing.T) {
	line := func(code, date string, amount uint64) *claimdoc.Document {
		d := anaDoc()
		d.Lines = []claimdoc.Line{{Service: claimdoc.Service{Code: code, Date: date}, Amount: amount}}
		return d
	}
	cases := map[string]struct {
		d    *claimdoc.Document
		says string
	}{
		"month 13":               {line("99213", "2026-13-01", 1), "YYYY-MM-DD"},
		"30 February":            {line("99213", "2026-02-30", 1), "YYYY-MM-DD"},
		"two-digit year":         {line("99213", "26-10-30", 1), "YYYY-MM-DD"},
		"future service":         {line("99213", "2026-11-02", 1), "after today"},
		"lower-case code":        {line("0001u", "2026-10-30", 1), "not a canonical service code"},
		"modifiers out of order": {line("99213-59-25", "2026-10-30", 1), "not a canonical service code"},
		"modifier repeated":      {line("99213-25-25", "2026-10-30", 1), "not a canonical service code"},
		"space not escaped":      {line("|UV COATING", "2026-10-30", 1), "not a canonical service code"},
		"too many modifiers":     {line("99213-A-B-C-D-E-F-G-H-I-J-K", "2026-10-30", 1), "the most is 10"},
		"long code":              {line(strings.Repeat("A", 65), "2026-10-30", 1), "longer than 64"},
		"period backwards":       {line("99213", "2026-10-30/2026-10-29", 1), "does not end after it starts"},
		"period into the future": {line("99213", "2026-10-30/2026-11-02", 1), "after today"},
		"zero amount":            {line("99213", "2026-10-30", 0), "amount"},
		"huge amount":            {line("99213", "2026-10-30", claimdoc.MaxItemAmount+1), "amount"},
		"no lines":               {&claimdoc.Document{ClaimID: "c1", Provider: "stmarys", Patient: "stmarys/ana", Insurer: "acme", Currency: "USD", Created: "2026-10-31"}, "1 to 50 items"},
		"bad currency":           {func() *claimdoc.Document { d := anaDoc(); d.Currency = "usd"; return d }(), "ISO 4217"},
		"bad patient":            {func() *claimdoc.Document { d := anaDoc(); d.Patient = "ana"; return d }(), "member id"},
		"record twice":           {func() *claimdoc.Document { d := anaDoc(); d.Records = []string{"r1", "r1"}; return d }(), "linked twice"},
		"document as record":     {func() *claimdoc.Document { d := anaDoc(); d.Records = []string{"claim-1.doc"}; return d }(), "linked twice"},
		"long claim id":          {func() *claimdoc.Document { d := anaDoc(); d.ClaimID = strings.Repeat("c", 126); return d }(), "claim id"},
	}
	for name, tc := range cases {
		if err := tc.d.Validate(now); !errors.Is(err, claimdoc.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.says)
		}
	}
	for _, code := range []string{"99213-25-59", "0001U", "0016070", "A0425", "E11.9", "99", "ABCDEFGHIJK", "http://hl7.org/fhir/ex-serviceproduct|EXAM",
		"|1200", "http://example.org/fhir/codesystem/ex-visionservice|UV%20COATING-ROOH", "73560-LT@http://snomed.info/sct|72696002"} {
		if err := line(code, "2026-11-01", 1).Validate(now); err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
}

// TestFileAndVerify files a document the way a hospital's portal does —
// the document as an encrypted record of category "claim", then
// claim.submit with SubmitArgs — and checks the claim on the ledger
// against it as the insurer's portal does, and every kind of mismatch.
func TestFileAndVerify(t *testing.T) {
	c := chaintest.New(t, chaintest.Options{
		Orgs: chaintest.Orgs("stmarys", "acme"),
		Roles: map[string][]string{
			identityvocab.RoleRecordsClerk: {"stmarys/clerk"},
			identityvocab.RolePatient:      {"stmarys/ana", "stmarys/bob"},
		},
	})
	k := chaintest.ClaimsKey("stmarys")
	register := func(id, patient, category string) {
		c.Must("stmarys/clerk", record.Name, recordvocab.MethodRegister, tx.String(recordvocab.ArgRecordID, id),
			tx.Uint(recordvocab.ArgVersion, 1), tx.Bytes(recordvocab.ArgCiphertextHash, bytes.Repeat([]byte{1}, 32)),
			tx.String(recordvocab.ArgPatient, patient), tx.String(recordvocab.ArgCategory, category))
	}
	d := anaDoc()
	register("rec-1", "stmarys/ana", "lab")
	register(claimdoc.RecordID(d.ClaimID), d.Patient, record.CategoryClaim)
	args, err := k.SubmitArgs(d, claimdoc.RecordID(d.ClaimID), 1, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	c.Must("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, args...)
	cl, err := claim.LoadClaim(c.Reader(), d.ClaimID)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(cl.Filed(), d); err != nil {
		t.Fatalf("the filed claim does not verify: %v", err)
	}
	if cl.Claimed() != d.Total() || cl.Document != "claim-1.doc" {
		t.Fatalf("claim %+v", cl)
	}
	// The same services again under another claim id: a duplicate.
	d2 := anaDoc()
	d2.ClaimID = "claim-2"
	register(claimdoc.RecordID(d2.ClaimID), d2.Patient, record.CategoryClaim)
	args2, _ := k.SubmitArgs(d2, claimdoc.RecordID(d2.ClaimID), 1, c.Now)
	if err := c.Call("stmarys/clerk", claim.Name, claimvocab.MethodSubmit, args2...).Err; !errors.Is(err,
		contracts.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	// SubmitArgs validates first.
	bad := anaDoc()
	bad.Lines[0].Code = "office visit"
	if _, err := k.SubmitArgs(bad, "x.doc", 1, c.Now); !errors.Is(err, claimdoc.ErrInvalid) {
		t.Fatalf("SubmitArgs of an invalid document: %v", err)
	}

	// A document whose service is spelled otherwise than canonically is
	// refused, without showing the service: fingerprints of non-canonical
	// spellings would let the same service be filed twice.
	odd := anaDoc()
	odd.Lines[0].Code = "99213-59-25"
	c2 := cl.Filed()
	c2.Fingerprint = k.Fingerprint(odd.Provider, odd.Patient, odd.Services())
	c2.ItemKeys = k.ItemFingerprints(odd.Provider, odd.Patient, odd.Services())
	if err := k.Verify(c2, odd); !errors.Is(err, claimdoc.ErrMismatch) || !strings.Contains(err.Error(), "canonical") || strings.Contains(err.Error(), "99213") {
		t.Fatalf("a non-canonical document verified: %v", err)
	}

	other, _ := claimdoc.NewKey(nil)
	mutate := map[string]func(d *claimdoc.Document){
		"another claim":       func(d *claimdoc.Document) { d.ClaimID = "claim-9" },
		"another patient":     func(d *claimdoc.Document) { d.Patient = "stmarys/bob" },
		"another currency":    func(d *claimdoc.Document) { d.Currency = "EUR" },
		"an amount changed":   func(d *claimdoc.Document) { d.Lines[1].Amount++ },
		"a line dropped":      func(d *claimdoc.Document) { d.Lines = d.Lines[:1] },
		"a service changed":   func(d *claimdoc.Document) { d.Lines[0].Code = "99214" },
		"a date changed":      func(d *claimdoc.Document) { d.Lines[1].Date = "2026-10-29" },
		"records changed":     func(d *claimdoc.Document) { d.Records = nil },
		"lines swapped":       func(d *claimdoc.Document) { d.Lines[0], d.Lines[1] = d.Lines[1], d.Lines[0] },
		"nothing (other key)": func(*claimdoc.Document) {},
	}
	for name, f := range mutate {
		d := anaDoc()
		f(d)
		key := k
		if name == "nothing (other key)" {
			key = other
		}
		err := key.Verify(cl.Filed(), d)
		if !errors.Is(err, claimdoc.ErrMismatch) {
			t.Errorf("%s: %v, want a mismatch", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), "99213") || strings.Contains(err.Error(), "2026-10-30")) {
			t.Errorf("%s: the error shows a service: %v", name, err)
		}
	}
}

// TestImportsOnlyWirePackages: the portal imports this package (it files
// and checks claims), and the portal stays off node internals, so this
// package imports the standard library, the wire packages, the
// contracts' vocabulary packages and money (ISO 4217 decimals, standard
// library only) only.
func TestImportsOnlyWirePackages(t *testing.T) {
	const mod = "github.com/almoner/almoner/consortium-node/"
	wire := []string{mod + "tx", mod + "ledger", mod + "codec", mod + "money", mod + "contracts/vocab",
		mod + "contracts/identity/vocab", mod + "contracts/claim/vocab"}
	paths, _ := filepath.Glob("*.go")
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			if strings.Contains(path, ".") && !slices.Contains(wire, path) {
				t.Errorf("%s imports %s", p, path)
			}
		}
	}
}

// FuzzParse fuzzes the document decoder (documents arrive from billing
// systems and from the custodian's store): no panic; an accepted document
// that validates re-encodes and parses to the same document.
func FuzzParse(f *testing.F) {
	good, _ := anaDoc().MarshalFHIR()
	f.Add(good)
	f.Add([]byte(`{"resourceType":"Claim","item":[{"sequence":1,"productOrService":{"coding":[{"code":"X"}]},"net":{"value":1e400,"currency":"USD"}}]}`))
	f.Add([]byte(`{}`))
	if ex, err := os.ReadFile("../../../../../shared/fhir/claim-example-professional.json"); err == nil {
		f.Add(ex)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := claimdoc.Parse(data)
		if err != nil {
			if !errors.Is(err, claimdoc.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if d.Validate(now) != nil {
			return
		}
		b, err := d.MarshalFHIR()
		if err != nil {
			t.Fatal(err)
		}
		back, err := claimdoc.Parse(b)
		if err != nil || back.ClaimID != d.ClaimID || !slices.Equal(back.Lines, d.Lines) || !slices.Equal(back.Records, d.Records) || back.Currency != d.Currency {
			t.Fatalf("re-encoded document differs: %+v vs %+v (%v)", back, d, err)
		}
	})
}
