package patientdir

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/privacy/keystore"
)

func TestPatientName(t *testing.T) {
	for _, c := range []struct {
		name, fhir, want string
	}{
		{"patient text", `{"resourceType":"Patient","name":[{"text":"Ana  María\tLópez"}]}`, "Ana María López"},
		{"given and family", `{"resourceType":"Patient","name":[{"given":["Ana","María"],"family":"López"}]}`,
			"Ana María López"},
		{"official first", `{"resourceType":"Patient","name":[{"use":"nickname","text":"Annie"},` +
			`{"use":"official","given":["Ana"],"family":"López"}]}`, "Ana López"},
		{"usual without official", `{"resourceType":"Patient","name":[{"use":"old","text":"Ana Pérez"},` +
			`{"use":"usual","text":"Ana López"}]}`, "Ana López"},
		{"synthea digits", `{"resourceType":"Patient","name":[{"given":["Ana761"],"family":"López123"}]}`, "Ana López"},
		{"bundle", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition"}},` +
			`{"resource":{"resourceType":"Patient","name":[{"family":"Demo","given":["Patient 3"]}]}}]}`, "Patient Demo"},
		{"bundle skips a nameless patient", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},` +
			`{"resource":{"resourceType":"Patient","name":[{"text":"Bo"}]}}]}`, "Bo"},
		{"control characters", "{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"Bo\\u0000\\u001b[31m Li\"}]}", "Bo[m Li"},
		{"no patient", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition"}}]}`, ""},
		{"no name", `{"resourceType":"Patient","name":[{"given":["  "]}]}`, ""},
		{"not json", `Patient: Ana`, ""},
		{"claim", `{"resourceType":"Claim","patient":{"display":"Ana"}}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := PatientName([]byte(c.fhir))
			if got != c.want || ok != (c.want != "") {
				t.Fatalf("PatientName = %q, %v; want %q", got, ok, c.want)
			}
		})
	}
	long := strings.Repeat("é", MaxNameLen)
	got, _ := PatientName([]byte(`{"resourceType":"Patient","name":[{"text":"` + long + `"}]}`))
	if len(got) > MaxNameLen || !strings.HasPrefix(long, got) || got == "" {
		t.Fatalf("a long name is cut to %d bytes: %q", len(got), got)
	}
}

func orgKey(t *testing.T, id string, b byte) *keystore.OrgKey {
	t.Helper()
	k, err := keystore.NewOrgKey(id, bytes.Repeat([]byte{b}, keystore.OrgKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDirectory(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(Config{Dir: dir, Key: orgKey(t, "stmarys-1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Put("stmarys", "stmarys/ana", "Ana López"))
	must(d.Put("stmarys", "stmarys/ana", " Ana  María López "))
	must(d.Put("northside", "stmarys/bo", "Bo Li"))
	for _, c := range []struct {
		org, patient, want string
	}{
		{"stmarys", "stmarys/ana", "Ana María López"},
		{"northside", "stmarys/ana", ""},
		{"stmarys", "stmarys/bo", ""},
		{"northside", "stmarys/bo", "Bo Li"},
		{"stmarys", "stmarys/an", ""},
	} {
		got, ok, err := d.Name(c.org, c.patient)
		if err != nil || got != c.want || ok != (c.want != "") {
			t.Fatalf("Name(%s, %s) = %q, %v, %v; want %q", c.org, c.patient, got, ok, err, c.want)
		}
	}
	if got, ok, err := d.AnyName("stmarys/bo"); err != nil || !ok || got != "Bo Li" {
		t.Fatalf("AnyName = %q, %v, %v", got, ok, err)
	}
	if _, ok, err := d.AnyName("stmarys/b"); err != nil || ok {
		t.Fatalf("AnyName of a prefix = %v, %v", ok, err)
	}
	for _, bad := range [][3]string{{"", "p", "n"}, {"o", "", "n"}, {"o", "p", " \t"}, {"o", "p\x00q", "n"}} {
		if err := d.Put(bad[0], bad[1], bad[2]); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Put(%q) = %v, want ErrInvalid", bad, err)
		}
	}

	// At rest, a name is sealed: the folder does not hold it.
	must(d.Close())
	raw, err := Open(Config{Dir: dir, Key: orgKey(t, "stmarys-1", 1)})
	must(err)
	it := raw.db.NewIterator(nil, nil)
	for it.Next() {
		if bytes.Contains(it.Value(), []byte("López")) || bytes.Contains(it.Value(), []byte("Bo Li")) {
			t.Fatalf("entry %q holds the name in the clear", it.Key())
		}
	}
	it.Release()

	// An entry moved to another patient does not open.
	v, err := raw.db.Get(key("stmarys", "stmarys/ana"), nil)
	must(err)
	must(raw.db.Put(key("stmarys", "stmarys/cy"), v, nil))
	if _, _, err := raw.Name("stmarys", "stmarys/cy"); !errors.Is(err, keystore.ErrIntegrity) {
		t.Fatalf("a moved entry opens: %v", err)
	}
	must(raw.Forget("stmarys", "stmarys/ana"))
	must(raw.Forget("stmarys", "stmarys/ana"))
	if _, ok, err := raw.Name("stmarys", "stmarys/ana"); ok || err != nil {
		t.Fatalf("a forgotten name: %v, %v", ok, err)
	}
	must(raw.Close())

	// Another organisation key opens nothing.
	other, err := Open(Config{Dir: dir, Key: orgKey(t, "stmarys-2", 2)})
	must(err)
	defer other.Close()
	if _, _, err := other.Name("northside", "stmarys/bo"); !errors.Is(err, keystore.ErrWrongOrgKey) {
		t.Fatalf("another key: %v", err)
	}
	if _, err := Open(Config{}); err == nil {
		t.Fatal("a directory without a key opened")
	}
}

// TestExportImport: a backup carries the entries sealed as stored; they
// open under the same organisation key after Import, and a malformed or
// foreign export is refused.
func TestExportImport(t *testing.T) {
	key := orgKey(t, "stmarys-1", 1)
	d, err := Open(Config{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Put("stmarys", "stmarys/ana", "Ana López"); err != nil {
		t.Fatal(err)
	}
	if err := d.Put("northside", "stmarys/bo", "Bo Li"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := d.Export(&out); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte("López")) || bytes.Contains(out.Bytes(), []byte("Bo Li")) {
		t.Fatalf("the export holds a name in the clear: %s", out.Bytes())
	}
	dir := t.TempDir() + "/restored"
	if err := Import(dir, out.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := Import(dir, out.Bytes()); err == nil {
		t.Fatal("imported into an existing directory")
	}
	r, err := Open(Config{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range [][3]string{{"stmarys", "stmarys/ana", "Ana López"}, {"northside", "stmarys/bo", "Bo Li"}} {
		if got, ok, err := r.Name(c[0], c[1]); err != nil || !ok || got != c[2] {
			t.Fatalf("restored Name(%s, %s) = %q, %v, %v", c[0], c[1], got, ok, err)
		}
	}
	bads := []string{`{`, `[{"k":"a/b","v":"eA=="}]`, `[{"k":"n/p\u0000o"}]`, `[{"k":"n/nopatientorg","v":"eA=="}]`}
	for _, bad := range bads {
		if err := Import(t.TempDir()+"/bad", []byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Import(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}
