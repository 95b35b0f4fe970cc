package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// TestClaimsAndPatientsRebuild deletes the portal's read model after
// claims, consents and accesses, and rebuilds it from the node: claims,
// queues, consents, records, access logs and the break-glass queue are
// identical.
func TestClaimsAndPatientsRebuild(t *testing.T) {
	n := testnode.Start(t)
	home := t.TempDir()
	p, stop := startPortalAt(t, n, home)
	clerk, adjuster, ana, privacy := as(t, p, "stmarys/clerk"), as(t, p, "acme/adjuster"), as(t, p, "stmarys/patient-ana"), as(t, p, "stmarys/privacy")
	registerRecord(t, n, "rb-rec", "lab")

	day := time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "rb-c1", "items": []map[string]any{{"serviceCode": "99213", "date": day, "amount": 900}}, "recs": []string{"rb-rec"}})
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "rb-c2", "items": []map[string]any{{"serviceCode": "99215", "date": day, "amount": 400}}})
	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": "rb-c1"})
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
	// The adjuster reads the itemised claim before denying it, under the
	// consent of Ana's that the portal finds.
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "rb-docs", "g": "acme", "p": "claims", "c": []string{"claim"}, "s": start, "e": end})
	if r := adjuster.do(openDocDoc, map[string]any{"c": "rb-c1"}); len(r.Errors) != 0 || dig(r.Data, "openClaimDocument", "verified") != true {
		t.Fatalf("opening the claim's document: %s", r.raw)
	}
	adjuster.ok("adjudicateClaim", adjudicateDoc, map[string]any{"c": "rb-c1", "adj": []map[string]any{{"seq": 1, "approved": 0, "reason": "not-covered"}}, "d": "not-covered"})
	clerk.ok("appealClaim", appealDoc, map[string]any{"c": "rb-c1"})

	ana.ok("grantConsent", grantDoc, map[string]any{"id": "rb-con", "g": "acme", "p": "claims", "c": []string{"lab"}, "s": start, "e": end})
	clerk.ok("requestConsent", requestDoc, map[string]any{"id": "rb-req", "p": "treatment", "c": []string{"lab"}, "s": start, "e": end})
	sendApplied(t, n, p, "acme/adjuster", "record", "access", tx.String("record_id", "rb-rec"), tx.String("purpose", "claims"), tx.String("consent_id", "rb-con"))
	ana.ok("revokeConsent", consentMut("revokeConsent"), map[string]any{"id": "rb-con"})
	sendApplied(t, n, p, "acme/adjuster", "record", "access", tx.String("record_id", "rb-rec"), tx.String("purpose", "claims"), tx.String("consent_id", "rb-con"))
	h := make([]byte, 32)
	h[0] = 7
	sendApplied(t, n, p, "stmarys/dr-lee", "record", "access", tx.String("record_id", "rb-rec"), tx.String("purpose", "treatment"),
		tx.String("break_glass", "life-threatening"), tx.Bytes("note_hash", h))
	sendApplied(t, n, p, "stmarys/dr-lee", "record", "access", tx.String("record_id", "rb-rec"), tx.String("purpose", "treatment"),
		tx.String("break_glass", "mass-casualty"))
	q := nodes(t, privacy.do(bgQueueDoc, nil), "breakGlassQueue")
	if len(q) != 2 {
		t.Fatalf("queue: %v", q)
	}
	privacy.ok("reviewBreakGlass", reviewBGDoc, map[string]any{"a": dig(q[0], "id")})

	snapshot := func(ana, auditor, privacy *client) string {
		t.Helper()
		var b strings.Builder
		for _, r := range []*gqlResult{
			auditor.do(`{ claimQueue(insurer: "acme") { nodes { `+claimFields+` } } a: claimQueue(insurer: "acme", status: APPEALED) { nodes { id } } }`, nil),
			ana.do(consentsDoc, nil),
			ana.do(`{ patientRecords { nodes { id custodian category versions { version ciphertextHash registrar height } erased } } }`, nil),
			auditor.do(accessLogDoc, map[string]any{"p": "stmarys/patient-ana"}),
			privacy.do(`{ breakGlassQueue { nodes { id reviewed noteHash breakGlassReason review { outcome reviewer height } } } }`, nil),
		} {
			if len(r.Errors) != 0 {
				t.Fatalf("snapshot: %s", r.raw)
			}
			b.WriteString(r.raw)
		}
		return b.String()
	}
	before := snapshot(ana, as(t, p, "healthreg/auditor"), privacy)
	for _, want := range []string{`"status":"APPEALED"`, `"documentAccess":"`, `"denialReason":"not-covered"`, `"kind":"REFUSED"`, `"status":"INACTIVE"`, `"status":"PROPOSED"`,
		`"noteHash":"07000000`, `"outcome":"justified"`, `"reviewed":false`} {
		if !strings.Contains(before, want) {
			t.Fatalf("state lacks %s: %s", want, before)
		}
	}
	p2 := rebuilt(t, n, home, p, stop)
	if after := snapshot(as(t, p2, "stmarys/patient-ana"), as(t, p2, "healthreg/auditor"), as(t, p2, "stmarys/privacy")); after != before {
		t.Fatalf("rebuilt read model differs:\nbefore %s\nafter  %s", before, after)
	}
}
