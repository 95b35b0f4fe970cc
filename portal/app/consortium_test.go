package app_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nodeclient "github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/portal/app"
	"github.com/almoner/almoner/portal/internal/testnode"
)

// consortium is four organisations as they deploy: each runs its own node
// and its own portal, with its own home, keystore and accounts; each
// portal holds only its own organisation's keys and talks only to its own
// organisation's node.
type consortium struct {
	c       *testnode.Cluster
	portals map[string]*app.Portal
	homes   map[string]string
}

func startConsortium(t *testing.T) *consortium {
	t.Helper()
	return portalsOf(t, testnode.StartCluster(t, 4), []string{"stmarys", "acme", "hope", "healthreg"}, nil)
}

// portalsOf starts a portal for each of orgs, with its own home, over its
// organisation's node of c; logger, when not nil, gives each portal's
// logger.
func portalsOf(t *testing.T, c *testnode.Cluster, orgs []string, logger func(org string) *slog.Logger) *consortium {
	t.Helper()
	k := &consortium{c: c, portals: map[string]*app.Portal{}, homes: map[string]string{}}
	for _, org := range orgs {
		k.homes[org] = t.TempDir()
		cfg := app.Config{Node: c.Node(org).URL, Home: k.homes[org], DevHome: c.Home, Org: org}
		if logger != nil {
			cfg.Logger = logger(org)
		}
		k.portals[org], _ = runPortal(t, cfg)
	}
	return k
}

// as signs in member on its organisation's portal.
func (k *consortium) as(t *testing.T, member string) *client {
	t.Helper()
	org, _, _ := strings.Cut(member, "/")
	return as(t, k.portals[org], member)
}

// TestConsortiumJourneys runs the cross-organisation journeys across four
// separate nodes and portals: St Mary's clerk registers a record on St
// Mary's portal, the patient consents there, and Acme's adjuster reads it
// on Acme's portal (the same bytes: Acme's node relays the signed fetch
// to St Mary's node). With St Mary's node down, the read answers
// UNAVAILABLE and the patient's log shows the granted access as not
// delivered (Acme's portal reports it on the ledger); once the node is
// back the read works without any manual step. No portal holds another organisation's keys or
// accounts, and the node API refuses anonymous reads.
func TestConsortiumJourneys(t *testing.T) {
	start := time.Now()
	k := startConsortium(t)
	t.Logf("4 nodes and 4 portals up in %v", time.Since(start).Round(time.Millisecond))

	// Each portal holds its own organisation's members only.
	for org, p := range k.portals {
		if len(p.DevAccounts) == 0 {
			t.Fatalf("%s's portal has no accounts", org)
		}
		for id := range p.DevAccounts {
			if !strings.HasPrefix(id, org+"/") {
				t.Fatalf("%s's portal holds %s's account and keys", org, id)
			}
		}
	}
	// Its keystore holds its own members' keys only (entry files are
	// named after the member: "<org>_<name>.sign@v1.key").
	for org, home := range k.homes {
		files, err := os.ReadDir(filepath.Join(home, "keystore"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s's keystore: %v (%d files)", org, err, len(files))
		}
		for _, f := range files {
			if !strings.HasPrefix(f.Name(), org+"_") {
				t.Fatalf("%s's portal holds the key %s of another organisation", org, f.Name())
			}
		}
	}
	intruder := newClient(t, k.portals["acme"].URL)
	if r := intruder.loginStatus("stmarys/patient-ana", k.portals["stmarys"].DevAccounts["stmarys/patient-ana"]); r != 401 {
		t.Fatalf("St Mary's patient signing in on Acme's portal: %d", r)
	}

	// The node API (over TLS, authenticated by the node key) serves
	// anonymous callers status only, and a client that does not trust the
	// node's key does not talk to it.
	if _, err := http.Get(k.c.Node("stmarys").URL + "/v1/status"); err == nil {
		t.Fatal("a node API over TLS accepted by a client that does not know the consortium's node keys")
	}
	anon := nodeclient.HTTPClient(nodeclient.NewNodeKeys(k.c.Genesis.NodeKeys()))
	if r, err := anon.Get(k.c.Node("stmarys").URL + "/v1/status"); err != nil || r.StatusCode != 200 {
		t.Fatalf("anonymous status over TLS: %v %v", r, err)
	}
	for _, path := range []string{"/v1/blocks/latest", "/v1/stream", "/v1/nodes", "/v1/policy"} {
		r, err := anon.Get(k.c.Node("stmarys").URL + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 401 {
			t.Fatalf("anonymous GET %s: %d", path, r.StatusCode)
		}
	}

	clerk, ana, adjuster := k.as(t, "stmarys/clerk"), k.as(t, "stmarys/patient-ana"), k.as(t, "acme/adjuster")
	content := `{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%"}}`
	clerk.ok("registerRecord", registerDoc, map[string]any{"id": "rec-x1", "p": "stmarys/patient-ana", "cat": "lab", "c": content})
	now := time.Now().UTC()
	ana.ok("grantConsent", grantDoc, map[string]any{"id": "con-x1", "g": "acme/adjuster", "p": "claims", "r": []string{"rec-x1"},
		"s": now.Add(-time.Hour).Format(time.RFC3339), "e": now.Add(24 * time.Hour).Format(time.RFC3339)})
	read := func() *gqlResult {
		return adjuster.do(readDoc, map[string]any{"r": "rec-x1", "p": "claims", "c": "con-x1"})
	}
	// Acme's portal learns of the record from the blocks its own node
	// follows; until then a read is still allowed (the ledger decides).
	r := read()
	if len(r.Errors) != 0 || dig(r.Data, "readRecord", "content") != content || dig(r.Data, "readRecord", "kind") != "GRANTED" {
		t.Fatalf("adjuster reading on Acme's portal: %s", r.raw)
	}

	// St Mary's node (the custodian) dies: granted, nothing delivered.
	sm := 0
	for i, cn := range k.c.Nodes {
		if cn.Org == "stmarys" {
			sm = i
		}
	}
	waitIndexed(t, ana, adjuster)
	k.c.Stop(sm)
	down := time.Now()
	r = read()
	if r.code() != "UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "the patient's access log says so") {
		t.Fatalf("read with the custodian down: %s", r.raw)
	}
	t.Logf("refused as unavailable in %v", time.Since(down).Round(time.Millisecond))
	k.c.Start(sm)
	var back time.Duration
	for deadline := time.Now().Add(60 * time.Second); ; {
		r = read()
		if len(r.Errors) == 0 {
			back = time.Since(down)
			break
		}
		if r.code() != "UNAVAILABLE" || time.Now().After(deadline) {
			t.Fatalf("read after the custodian restarted: %s", r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if dig(r.Data, "readRecord", "content") != content {
		t.Fatalf("content after restart: %s", r.raw)
	}
	t.Logf("reads work again %v after the custodian stopped (restart included)", back.Round(time.Millisecond))

	// The patient's log on St Mary's portal: two reads by the adjuster
	// delivered, and every attempt while the custodian was down granted
	// but shown as not delivered, with the reason.
	var delivered, undelivered int
	for deadline := time.Now().Add(30 * time.Second); ; {
		delivered, undelivered = 0, 0
		log := ana.do(`{ accessLog(first: 20) { nodes { kind reader delivered undelivered { reason } } } }`, nil)
		for _, e := range nodes(t, log, "accessLog") {
			if dig(e, "reader") != "acme/adjuster" {
				continue
			}
			switch {
			case dig(e, "kind") != "GRANTED":
				t.Fatalf("access log entry: %v", e)
			case dig(e, "delivered") == true && dig(e, "undelivered") == nil:
				delivered++
			case dig(e, "delivered") == false && dig(e, "undelivered", "reason") == "custodian-unreachable":
				undelivered++
			default:
				t.Fatalf("access log entry: %v", e)
			}
		}
		if delivered == 2 && undelivered >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if delivered != 2 || undelivered < 1 {
		t.Fatalf("the patient's log shows %d delivered and %d undelivered reads by the adjuster, want 2 and at least 1",
			delivered, undelivered)
	}
	t.Logf("the patient's log: %d delivered, %d not delivered (custodian-unreachable)", delivered, undelivered)
}

// waitIndexed waits until to's portal has indexed every block from's
// portal has.
func waitIndexed(t *testing.T, from, to *client) {
	t.Helper()
	const doc = `{ nodeStatus { indexedHeight } }`
	want, _ := dig(from.do(doc, nil).Data, "nodeStatus", "indexedHeight").(float64)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if h, _ := dig(to.do(doc, nil).Data, "nodeStatus", "indexedHeight").(float64); h >= want && want > 0 {
			return
		}
	}
	t.Fatalf("the portal never indexed height %v", want)
}

// synced waits until every portal has indexed the highest block any of
// them has.
func (k *consortium) synced(t *testing.T) {
	t.Helper()
	const doc = `{ nodeStatus { indexedHeight } }`
	height := func(p *app.Portal) float64 {
		h, _ := dig(newClient(t, p.URL).do(doc, nil).Data, "nodeStatus", "indexedHeight").(float64)
		return h
	}
	var want float64
	for _, p := range k.portals {
		want = max(want, height(p))
	}
	for org, p := range k.portals {
		deadline := time.Now().Add(30 * time.Second)
		for height(p) < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s's portal never indexed height %v", org, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestConsortiumClaimsAndGovernance files a claim on St Mary's portal,
// works it on Acme's (review, the itemised document opened under the
// patient's consent and verified by content, adjudication with a patient
// share, payment), funds the patient share from a campaign on Hope's
// portal whose milestone the regulator's validator approves on the
// regulator's portal, and changes the policy by a proposal made on one
// portal and approved on two others, each organisation on its own portal.
func TestConsortiumClaimsAndGovernance(t *testing.T) {
	k := startConsortium(t)
	clerk, ana := k.as(t, "stmarys/clerk"), k.as(t, "stmarys/patient-ana")
	adjuster := k.as(t, "acme/adjuster")

	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	items := []map[string]any{{"serviceCode": "99213", "date": day, "amount": 10000}, {"serviceCode": "80053", "date": day, "amount": 5000}}
	clerk.ok("submitClaim", submitDoc, map[string]any{"id": "c-x", "items": items})
	now := time.Now().UTC()
	ana.ok("grantConsent", `mutation($s: String!, $e: String!) { grantConsent(id: "ana-claims-x", grantee: "acme", purpose: "claims",
		categories: ["claim"], start: $s, end: $e, wait: true) { `+txFields+` } }`,
		map[string]any{"s": now.Add(-time.Minute).Format(time.RFC3339), "e": now.Add(24 * time.Hour).Format(time.RFC3339)})
	k.synced(t)
	adjuster.ok("reviewClaim", reviewDoc, map[string]any{"c": "c-x"})
	// Not before Acme has read the itemised claim.
	adj := map[string]any{"c": "c-x", "adj": []map[string]any{{"seq": 1, "approved": 10000}, {"seq": 2, "approved": 2000, "reason": "plan-limit"}}}
	if r := adjuster.do(adjudicateDoc, adj); r.code() != "CONFLICT" || !strings.Contains(string(r.raw), "open the claim's document first") {
		t.Fatalf("adjudicating unread: %s", r.raw)
	}
	// Acme's portal finds Ana's consent on the ledger by itself.
	r := adjuster.do(openDocDoc, map[string]any{"c": "c-x"})
	if d, _ := dig(r.Data, "openClaimDocument").(map[string]any); len(r.Errors) != 0 || d == nil || d["verified"] != true ||
		d["fingerprintsChecked"] != false || len(d["items"].([]any)) != 2 {
		// Acme holds no St Mary's claims key: it checks the document by
		// content, not by fingerprints.
		t.Fatalf("the insurer opening the claim document on its own portal: %s", r.raw)
	}
	adjuster.ok("adjudicateClaim", adjudicateDoc, adj)
	adjuster.ok("payClaim", payDoc, map[string]any{"c": "c-x", "a": 12000})
	k.synced(t)
	r = clerk.do(claimDoc, map[string]any{"id": "c-x"})
	if dig(r.Data, "claim", "status") != "PAID" || dig(r.Data, "claim", "patientShare") != "30.00" {
		t.Fatalf("the claim on St Mary's portal: %s", r.raw)
	}

	// The patient share, funded by a campaign at Hope.
	officer, donor, validator := k.as(t, "hope/officer"), k.as(t, "hope/donor-sam"), k.as(t, "healthreg/validator")
	officer.ok("createCampaign", createDoc, map[string]any{"id": "share-x",
		"ms": milestonesInput("healthreg/validator", []int{3000}, time.Now().Add(30*24*time.Hour))})
	officer.ok("openCampaign", openDoc, map[string]any{"c": "share-x"})
	gift := donor.ok("give", giveDoc, map[string]any{"c": "share-x", "a": 3000})
	officer.ok("submitEvidence", evidenceDoc, map[string]any{"c": "share-x", "m": 1, "h": sha("claim c-x patient share")})
	k.synced(t)
	validator.ok("approveMilestone", approveDoc, map[string]any{"c": "share-x", "m": 1})
	k.synced(t)
	officer.ok("disburse", `mutation($h: String!) { disburse(campaign: "share-x", milestone: 1, id: "share-c-x", payee: "stmarys",
		amount: 3000, purpose: "Patient share of claim c-x", paymentRef: "SEPA-X", evidenceHash: $h, claim: "c-x", wait: true) { `+
		txFields+` } }`, map[string]any{"h": sha("invoice c-x")})
	if l := lineageOf(t, donor, gift); dig(l, "disbursed") != "30.00" {
		t.Fatalf("the donor's gift lineage: %v", l)
	}

	// Governance across portals: proposed at St Mary's, approved at Acme
	// and Hope (3 of 4), in force everywhere.
	id := k.as(t, "stmarys/admin").ok("proposePolicyChange", policyChDoc, map[string]any{"add": []string{reportRule}})
	k.synced(t)
	k.as(t, "acme/admin").ok("approveProposal", approveDoc2, map[string]any{"p": id})
	k.synced(t)
	k.as(t, "hope/admin").ok("approveProposal", approveDoc2, map[string]any{"p": id})
	k.synced(t)
	auditor := k.as(t, "healthreg/auditor")
	if p := proposal(t, auditor, id); p["status"] != "EXECUTED" {
		t.Fatalf("the proposal on the regulator's portal: %v", p)
	}
	if r := auditor.do(policyDoc, nil); !strings.Contains(r.raw, "donor,*,report,read,any,allow") {
		t.Fatalf("the policy on the regulator's portal lacks the approved rule: %s", r.raw)
	}
}
