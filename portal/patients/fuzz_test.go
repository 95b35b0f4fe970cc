package patients_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts/chaintest"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/rmtest"
	"github.com/almoner/almoner/portal/internal/testnode/testchain"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// FuzzPatientEvents feeds one transaction with arbitrary record and
// consent events and arguments, after the first n blocks of a real chain
// of records, consents, accesses, break-glass and its review, through the
// follower into a read model with this module. Whatever the input: no
// panic; a block the module refuses fails with readmodel.ErrCorrupt and
// leaves the index exactly as it was; a block it accepts leaves the
// patient-facing indexes consistent (a record's versions are 1..n; every
// entry of a patient's access log is an access to that patient's record at
// that place; every entry of a custodian's break-glass queue is a
// break-glass access to its records, reviewed exactly when filed as
// reviewed; every consent has its history). The seeds are the real chain's
// transactions at their own heights: those must be accepted and give the
// very index the real chain gives.
func FuzzPatientEvents(f *testing.F) {
	newHarness(f).Fuzz(f)
}

// consistent checks the patient-facing indexes against the records they
// point at.
func consistent(t testing.TB, s *readmodel.Store) {
	t.Helper()
	r := patients.NewReader(s)
	scan := func(prefix string, fn func(k, v string)) {
		t.Helper()
		if err := s.Scan(patients.ModuleName, prefix, "", false, func(k string, v []byte) bool { fn(k, string(v)); return true }); err != nil {
			t.Fatalf("scan %s: %v", prefix, err)
		}
	}
	pts := map[string]bool{}
	scan("r/", func(k, v string) {
		var rec patients.Record
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for i, ver := range rec.Versions {
			if ver.Version != uint64(i+1) {
				t.Fatalf("record %q: versions %+v are not 1..n", rec.ID, rec.Versions)
			}
		}
		pts[rec.Patient] = true
	})
	scan("pa/", func(k, id string) {
		rest := strings.TrimPrefix(k, "pa/")
		i := strings.LastIndex(rest, "/")
		patient, seq := rest[:i], rest[i+1:]
		a, err := r.Access(id)
		if err != nil || a.Patient != patient || a.Seq != seq {
			t.Fatalf("access log entry %s -> %s: %+v %v", k, id, a, err)
		}
		pts[patient] = true
	})
	scan("bg/", func(k, id string) {
		parts := strings.Split(strings.TrimPrefix(k, "bg/"), "/")
		custodian, state, seq := strings.Join(parts[:len(parts)-2], "/"), parts[len(parts)-2], parts[len(parts)-1]
		a, err := r.Access(id)
		if err != nil || a.Kind != patients.AccessBreakGlass || a.Custodian != custodian || a.Seq != seq || (a.Review != nil) != (state == "1") {
			t.Fatalf("break-glass queue entry %s -> %s: %+v %v", k, id, a, err)
		}
	})
	scan("c/", func(k, v string) {
		var c patients.Consent
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if len(c.History) == 0 {
			t.Fatalf("consent %q has no history", c.ID)
		}
		pts[c.Patient] = true
	})
	for p := range pts {
		if _, _, err := r.AccessLog(p, "", 100); err != nil {
			t.Fatalf("access log of %q: %v", p, err)
		}
		if _, err := r.ActiveConsents(p); err != nil {
			t.Fatalf("active consents of %q: %v", p, err)
		}
	}
}

// newHarness runs a real chain of records, consents, accesses,
// break-glass and its review, and indexes it, checking the indexes after
// every block.
func newHarness(f *testing.F) *rmtest.Harness {
	c := testchain.New(f)
	do := c.Do
	clerk, dr, pat, adj, priv := "stmarys/clerk", "stmarys/dr-lee", "stmarys/patient-ana", "acme/adjuster", "stmarys/privacy"
	period := func() []tx.Arg {
		return []tx.Arg{tx.Int("start", c.Exec.Now.Unix()), tx.Int("end", c.Exec.Now.Add(7*24*time.Hour).Unix())}
	}
	reg := func(id string, v uint64, cat string) {
		args := []tx.Arg{tx.String("record_id", id), tx.Uint("version", v), tx.Bytes("ciphertext_hash", chaintest.Seed(id+fmt.Sprint(v)))}
		if v == 1 {
			args = append(args, tx.String("patient", pat), tx.String("category", cat))
		}
		do(clerk, recordvocab.Name, recordvocab.MethodRegister, args...)
	}
	reg("r-lab", 1, "lab")
	reg("r-lab", 2, "")
	reg("r-scan", 1, "imaging")
	do(pat, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "treatment"))
	do(dr, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "treatment"))
	do(pat, consentvocab.Name, consentvocab.MethodGrant,
		append(period(), tx.String(consentvocab.ArgConsentID, "c-acme"), tx.String(consentvocab.ArgGrantee, "acme"),
			tx.String(consentvocab.ArgPurpose, "claims"),
			tx.Strings(consentvocab.ArgCategories, []string{"lab"}), tx.String(consentvocab.ArgScope, "treatment"))...)
	do(adj, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "claims"), tx.String(recordvocab.ArgConsentID, "c-acme"))
	do(dr, consentvocab.Name, consentvocab.MethodRequest,
		append(period(), tx.String(consentvocab.ArgConsentID, "c-req"), tx.String(consentvocab.ArgPatient, pat),
			tx.String(consentvocab.ArgPurpose, "treatment"),
			tx.Strings(consentvocab.ArgRecords, []string{"r-scan"}))...)
	do(pat, consentvocab.Name, consentvocab.MethodAccept, tx.String(consentvocab.ArgConsentID, "c-req"))
	do(dr, consentvocab.Name, consentvocab.MethodRequest,
		append(period(), tx.String(consentvocab.ArgConsentID, "c-no"), tx.String(consentvocab.ArgPatient, pat),
			tx.String(consentvocab.ArgPurpose, "research"),
			tx.Strings(consentvocab.ArgRecords, []string{"r-scan"}))...)
	do(pat, consentvocab.Name, consentvocab.MethodDecline, tx.String(consentvocab.ArgConsentID, "c-no"))
	do(pat, consentvocab.Name, consentvocab.MethodAmend, tx.String(consentvocab.ArgConsentID, "c-acme"),
		tx.Int(consentvocab.ArgEnd, c.Exec.Now.Add(24*time.Hour).Unix()))
	do(pat, consentvocab.Name, consentvocab.MethodRevoke, tx.String(consentvocab.ArgConsentID, "c-acme"))
	do(adj, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "claims"), tx.String(recordvocab.ArgConsentID, "c-acme"))
	bg := do(dr, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-scan"),
		tx.String(recordvocab.ArgPurpose, "treatment"), tx.String(recordvocab.ArgBreakGlass, "life-threatening"),
		tx.Bytes(recordvocab.ArgNoteHash, chaintest.Seed("note")))
	do(dr, recordvocab.Name, recordvocab.MethodAccess, tx.String(recordvocab.ArgRecordID, "r-lab"),
		tx.String(recordvocab.ArgPurpose, "treatment"), tx.String(recordvocab.ArgBreakGlass, "urgent-treatment"))
	do(priv, recordvocab.Name, recordvocab.MethodReviewBreakGlass, tx.String(recordvocab.ArgAccess, bg.String()),
		tx.String(recordvocab.ArgOutcome, "justified"), tx.Bytes(recordvocab.ArgNoteHash, chaintest.Seed("review")))
	do(pat, recordvocab.Name, recordvocab.MethodErase, tx.String(recordvocab.ArgRecordID, "r-scan"))
	return rmtest.NewHarness(f, c, patients.Module(), consistent)
}
