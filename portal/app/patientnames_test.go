package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/almoner/almoner/portal/internal/testnode"
)

// patientBundle is a FHIR bundle whose Patient is called name.
func patientBundle(t *testing.T, name string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": []any{
		map[string]any{"resource": map[string]any{"resourceType": "Patient",
			"name": []any{map[string]any{"use": "official", "text": name}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPatientNames: a patient's name comes from the custodian's records,
// off the ledger. Registered through St Mary's portal, a record's FHIR
// Patient.name goes into the portal's directory; its staff whom the
// policy lets read the patient's record metadata (the clerk, the
// physician, the privacy officer) and the patient see it as patientName
// on records, access entries and the break-glass queue and through
// patientNames; the hospital's own admin (not a reader of record
// metadata under the policy), the insurer's adjuster and the regulator's
// auditor (who may read the access log but not record metadata) get null. A record
// registered without the portal has no name until it is read there (a
// physician's break-glass read notes it). Erasing the patient's last
// record at the hospital forgets the name. No log line holds a name.
func TestPatientNames(t *testing.T) {
	n := testnode.Start(t)
	p, logs := startPortalLogged(t, n)
	clerk, ana, drLee := as(t, p, "stmarys/clerk"), as(t, p, "stmarys/patient-ana"), as(t, p, "stmarys/dr-lee")
	privacy, adjuster, auditor := as(t, p, "stmarys/privacy"), as(t, p, "acme/adjuster"), as(t, p, "healthreg/auditor")
	const (
		first  = "Ana Quintessa-Marlowe"
		second = "Ana Quintessa-Marlowe de Lisle"
	)
	names := `query($c: ID) { patientNames(patients: ["stmarys/patient-ana", "stmarys/patient-zed"], custodian: $c) {
		patient name } }`
	nameOf := func(c *client, custodian string) any {
		t.Helper()
		r := c.do(names, map[string]any{"c": custodian})
		list, _ := r.Data["patientNames"].([]any)
		if len(r.Errors) != 0 || len(list) != 2 || dig(list[0], "patient") != "stmarys/patient-ana" ||
			dig(list[1], "name") != nil {
			t.Fatalf("patientNames: %s", r.raw)
		}
		return dig(list[0], "name")
	}

	// Before any record: nobody sees a name.
	if got := nameOf(clerk, ""); got != nil {
		t.Fatalf("a name before any record: %v", got)
	}
	clerk.ok("registerRecord", registerDoc,
		map[string]any{"id": "rec-n1", "p": "stmarys/patient-ana", "cat": "bundle", "c": patientBundle(t, first)})
	for _, c := range []struct {
		who, custodian string
		c              *client
		want           any
	}{
		{"clerk", "", clerk, first}, {"physician", "", drLee, first}, {"privacy officer", "", privacy, first},
		{"patient", "", ana, first}, {"patient", "stmarys", ana, first},
		{"adjuster", "", adjuster, nil}, {"adjuster", "stmarys", adjuster, nil}, {"auditor", "stmarys", auditor, nil},
		{"clerk", "acme", clerk, nil}, {"hospital's admin", "", as(t, p, "stmarys/admin"), nil},
	} {
		if got := nameOf(c.c, c.custodian); got != c.want {
			t.Fatalf("the %s asking %q: name %v, want %v", c.who, c.custodian, got, c.want)
		}
	}
	recs := nodes(t, clerk.do(`{ patientRecords(patient: "stmarys/patient-ana", first: 10) { nodes { id patientName } } }`,
		nil), "patientRecords")
	if len(recs) != 1 || dig(recs[0], "patientName") != first {
		t.Fatalf("the clerk's record list: %v", recs)
	}
	own := nodes(t, ana.do(`{ patientRecords(first: 10) { nodes { patientName } } }`, nil), "patientRecords")
	if r := own; dig(r[0], "patientName") != first {
		t.Fatalf("the patient's own records: %v", r)
	}

	// A second record, registered without the portal: its name reaches
	// the directory when a physician of the custodian reads it here.
	storeRecord(t, n, "rec-n2", "lab", []byte(patientBundle(t, second)))
	bg := map[string]any{"r": "rec-n2", "why": "unconscious-patient", "note": sha("note")}
	if r := drLee.do(breakGlassDoc, bg); len(r.Errors) != 0 {
		t.Fatalf("breakGlassRead: %s", r.raw)
	}
	if got := nameOf(clerk, ""); got != second {
		t.Fatalf("after the read, the clerk sees %v", got)
	}
	q := nodes(t, privacy.do(`{ breakGlassQueue(first: 10) { nodes { recordId patient patientName } } }`, nil),
		"breakGlassQueue")
	if len(q) != 1 || dig(q[0], "patientName") != second {
		t.Fatalf("the privacy officer's queue: %v", q)
	}
	q = nodes(t, auditor.do(`{ breakGlassQueue(custodian: "stmarys", first: 10) { nodes { recordId patientName } } }`,
		nil), "breakGlassQueue")
	if len(q) != 1 || dig(q[0], "patientName") != nil {
		t.Fatalf("the auditor's view of the queue: %v", q)
	}
	l := nodes(t, ana.do(`{ accessLog(first: 10) { nodes { kind patientName } } }`, nil), "accessLog")
	if len(l) == 0 || dig(l[0], "patientName") != second {
		t.Fatalf("the patient's access log: %v", l)
	}
	l = nodes(t, auditor.do(`{ accessLog(patient: "stmarys/patient-ana", first: 10) { nodes { kind patientName } } }`,
		nil), "accessLog")
	if len(l) == 0 || dig(l[0], "patientName") != nil {
		t.Fatalf("the auditor's access log shows a name: %v", l)
	}
	if r := newClient(t, p.URL).do(names, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous patientNames: %s", r.raw)
	}
	many := make([]string, 201)
	for i := range many {
		many[i] = "stmarys/patient-ana"
	}
	r := clerk.do(`query($p: [ID!]!) { patientNames(patients: $p) { name } }`, map[string]any{"p": many})
	if r.code() != "BAD_USER_INPUT" {
		t.Fatalf("201 patients: %s", r.raw)
	}
	// Erasing a record keeps the name while another record of the
	// patient stays at the hospital; erasing the last forgets it.
	clerk.ok("eraseRecord", eraseDoc, map[string]any{"r": "rec-n1", "confirm": "rec-n1"})
	if got := nameOf(clerk, ""); got != second {
		t.Fatalf("after erasing one of two records: %v", got)
	}
	clerk.ok("eraseRecord", eraseDoc, map[string]any{"r": "rec-n2", "confirm": "rec-n2"})
	for _, c := range []*client{clerk, ana} {
		if got := nameOf(c, ""); got != nil {
			t.Fatalf("after erasing the last record: %v", got)
		}
	}
	if s := logs.String(); strings.Contains(s, "Quintessa") {
		t.Fatal("a patient's name is in the portal's logs")
	}
}
