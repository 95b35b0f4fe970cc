// Command portalseed loads a consortium's demo journeys through its
// organisations' own portals, as their people would: each step signs in
// on the portal of the member's organisation (accounts from
// consortium.json, written by make consortium) and runs GraphQL mutations
// there, so every transaction is signed by a portal holding only its own
// organisation's keys. It records, consents and reads a record across
// organisations, files and pays a claim, funds its patient share from a
// campaign approved by the regulator's validator, and gives a gift. It
// runs once, on a new consortium (make consortium keeps a marker).
//
//	portalseed .almoner/consortium/consortium.json
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/almoner/almoner/graphql/gqlclient"
)

type consortium struct {
	Orgs []struct {
		Org      string            `json:"org"`
		Portal   string            `json:"portal"`
		Accounts map[string]string `json:"accounts"`
	} `json:"orgs"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: portalseed CONSORTIUM_JSON")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// session is a member signed in on their organisation's portal.
type session struct {
	who string
	c   *gqlclient.Client
}

func signIn(ctx context.Context, c *consortium, member string) (*session, error) {
	org, _, _ := strings.Cut(member, "/")
	for _, o := range c.Orgs {
		if o.Org != org {
			continue
		}
		gc, err := gqlclient.New(gqlclient.Config{URL: o.Portal})
		if err != nil {
			return nil, fmt.Errorf("the portal of %s: %w", org, err)
		}
		if _, err := gc.SignIn(ctx, member, o.Accounts[member]); err != nil {
			return nil, fmt.Errorf("%s signing in on %s: %w", member, o.Portal, err)
		}
		return &session{who: member, c: gc}, nil
	}
	return nil, fmt.Errorf("no portal for %s in consortium.json", member)
}

// do runs a GraphQL operation; an error, or a committed transaction the
// ledger refused, is an error.
func (s *session) do(ctx context.Context, query string, vars map[string]any) (map[string]any, error) {
	var data map[string]any
	if err := s.c.Run(ctx, query, vars, &data); err != nil {
		return nil, fmt.Errorf("%s: %w", s.who, err)
	}
	for _, v := range data {
		if m, ok := v.(map[string]any); ok {
			if rc, ok := m["receipt"].(map[string]any); ok && rc["status"] == "FAILED" {
				msg, _ := rc["error"].(string)
				return nil, fmt.Errorf("%s: the ledger refused: %s", s.who, msg)
			}
		}
	}
	return data, nil
}

const txFields = `id status receipt { status error }`

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var c consortium
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ctx := context.Background()
	as := map[string]*session{}
	for _, m := range []string{"stmarys/clerk", "stmarys/patient-ana", "acme/adjuster", "hope/officer", "hope/donor-sam",
		"healthreg/validator"} {
		if as[m], err = signIn(ctx, &c, m); err != nil {
			return err
		}
	}
	start := time.Now()
	now := time.Now().UTC()
	steps := []struct {
		what, who, doc string
		vars           map[string]any
	}{
		{"St Mary's registers Ana's lab result", "stmarys/clerk",
			`mutation($c: String!) { registerRecord(id: "demo-lab-1", patient: "stmarys/patient-ana", category: "lab", content: $c, wait: true) { ` +
				txFields + ` } }`,
			map[string]any{"c": `{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`}},
		{"Ana consents to Acme reading it for claims", "stmarys/patient-ana",
			`mutation($s: String!, $e: String!) { grantConsent(id: "demo-consent-1", grantee: "acme/adjuster", purpose: "claims",
				records: ["demo-lab-1"], start: $s, end: $e, wait: true) { ` + txFields + ` } }`,
			map[string]any{"s": now.Add(-time.Minute).Format(time.RFC3339), "e": now.Add(90 * 24 * time.Hour).Format(time.RFC3339)}},
		{"Ana consents to Acme opening her claim documents", "stmarys/patient-ana",
			`mutation($s: String!, $e: String!) { grantConsent(id: "demo-consent-claims", grantee: "acme", purpose: "claims",
				categories: ["claim"], start: $s, end: $e, wait: true) { ` + txFields + ` } }`,
			map[string]any{"s": now.Add(-time.Minute).Format(time.RFC3339), "e": now.Add(90 * 24 * time.Hour).Format(time.RFC3339)}},
		{"St Mary's files a claim against Acme", "stmarys/clerk",
			`mutation($d: String!) { submitClaim(id: "demo-claim-1", patient: "stmarys/patient-ana", insurer: "acme", currency: "EUR",
				items: [{serviceCode: "99213", date: $d, amount: "100.00"}, {serviceCode: "80053", date: $d, amount: "50.00"}], wait: true) { ` +
				txFields + ` } }`,
			map[string]any{"d": now.AddDate(0, 0, -1).Format(time.DateOnly)}},
		{"Acme's adjuster reads the lab result at St Mary's, on Acme's portal", "acme/adjuster",
			`mutation { readRecord(record: "demo-lab-1", purpose: "claims", consent: "demo-consent-1") { kind recordId } }`, nil},
		{"Acme reviews the claim", "acme/adjuster", `mutation { reviewClaim(claim: "demo-claim-1", wait: true) { ` + txFields + ` } }`, nil},
		{"Acme opens the itemised claim document", "acme/adjuster",
			`mutation { openClaimDocument(claim: "demo-claim-1", consent: "demo-consent-claims") { verified } }`, nil},
		{"Acme adjudicates (the second item partly: plan limit)", "acme/adjuster",
			`mutation { adjudicateClaim(claim: "demo-claim-1", adjudication: [{seq: 1, approved: "100.00"},
				{seq: 2, approved: "20.00", reason: "plan-limit"}], wait: true) { ` + txFields + ` } }`, nil},
		{"Acme pays", "acme/adjuster",
			`mutation { payClaim(claim: "demo-claim-1", paymentRef: "ACME-DEMO-1", amount: "120.00", wait: true) { ` + txFields + ` } }`, nil},
		{"Hope opens a campaign for Ana's share, validated by the regulator", "hope/officer",
			`mutation($dl: String!) { createCampaign(id: "demo-share-ana", title: "Ana's share of her hospital bill", currency: "EUR",
				beneficiaries: ["stmarys"], milestones: [{title: "Hospital bill", amount: "30.00", validator: "healthreg/validator", deadline: $dl}],
				wait: true) { ` + txFields + ` } }`,
			map[string]any{"dl": now.AddDate(0, 2, 0).Format(time.RFC3339)}},
		{"Hope opens it", "hope/officer", `mutation { openCampaign(campaign: "demo-share-ana", wait: true) { ` + txFields + ` } }`, nil},
		{"Sam gives", "hope/donor-sam", `mutation { give(campaign: "demo-share-ana", amount: "30.00", wait: true) { ` + txFields + ` } }`, nil},
		{"Hope submits the invoice as evidence", "hope/officer",
			`mutation($h: String!) { submitEvidence(campaign: "demo-share-ana", milestone: 1, evidenceHash: $h, wait: true) { ` + txFields + ` } }`,
			map[string]any{"h": sha("St Mary's invoice for claim demo-claim-1")}},
		{"The regulator's validator approves it, on the regulator's portal", "healthreg/validator",
			`mutation { approveMilestone(campaign: "demo-share-ana", milestone: 1, wait: true) { ` + txFields + ` } }`, nil},
		{"Hope pays the patient share to St Mary's", "hope/officer",
			`mutation($h: String!) { disburse(campaign: "demo-share-ana", milestone: 1, id: "demo-share-paid", payee: "stmarys", amount: "30.00",
				purpose: "Patient share of claim demo-claim-1", paymentRef: "SEPA-DEMO-1", evidenceHash: $h, claim: "demo-claim-1",
				wait: true) { ` + txFields + ` } }`,
			map[string]any{"h": sha("St Mary's invoice for claim demo-claim-1")}},
	}
	for i, st := range steps {
		t0 := time.Now()
		var err error
		for try := 0; try < 50; try++ {
			// A portal acts on what its read model has indexed: a step
			// right after another organisation's may need a moment.
			_, err = as[st.who].do(ctx, st.doc, st.vars)
			if err == nil || !retryable(err) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, st.what, err)
		}
		fmt.Printf("  %2d. %-72s %s on %s (%v)\n", i+1, st.what, st.who, as[st.who].c.URL(), time.Since(t0).Round(time.Millisecond))
	}
	fmt.Printf("demo journeys loaded through the portals in %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// retryable: the acting portal has not indexed another organisation's
// step yet, or a node is briefly unavailable.
func retryable(err error) bool {
	var re *gqlclient.ResponseError
	if errors.As(err, &re) && (re.Code() == "NOT_FOUND" || re.Code() == "UNAVAILABLE") {
		return true
	}
	return strings.Contains(err.Error(), "no claim")
}
