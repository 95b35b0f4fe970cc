package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/seed"
)

// TestSeedDemo loads the demo data into a real dev node (as `make run`
// does), checks that every workflow's events are on the chain, and that a
// second run refuses.
func TestSeedDemo(t *testing.T) {
	bin, home, port := initHome(t)
	p := startNode(t, bin, home)
	cl := waitReady(t, p, home, fmt.Sprintf("127.0.0.1:%d", port))
	defer cl.Close()
	ctx := context.Background()
	st, err := seed.Run(ctx, seed.Config{Home: home, Client: cl.Client, FHIRDir: "../../shared/fhir", Donors: 10, Gifts: 60})
	if err != nil {
		t.Fatal(err)
	}
	// 6 patients' records and 7 itemised claims (the claims' documents).
	if st.Gifts < 50 || st.Claims != 7 || st.Records != 13 || st.Refunds != 2 {
		t.Fatalf("stats %+v", st)
	}
	var demoDays []string // the demo's services were 10 days before the run
	for _, d := range []int{-10, -11} {
		demoDays = append(demoDays, time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly))
	}
	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	gifts, income := 0, uint64(0)
	// What each adjudication relies on: the claim's document and patient,
	// the grant of the access it names, the consent that grant names.
	type claimOf struct{ doc, patient string }
	claims, grants, consents := map[string]claimOf{}, map[string]ledger.Event{}, map[string]ledger.Event{}
	var adjudications []ledger.Event
	head, err := cl.LatestBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for h := uint64(1); h <= head.Header.Height; h++ {
		b, err := cl.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		// No service code or service date of the demo claims is on the
		// chain: not in a transaction's arguments, not in an event.
		var texts []string
		for _, x := range b.Txs {
			for _, a := range x.Body.Call.Args {
				var one string
				var many []string
				if codec.State.Unmarshal(a.Value, &one) == nil {
					texts = append(texts, one)
				} else if codec.State.Unmarshal(a.Value, &many) == nil && a.Name != "item_fingerprints" { // hex digests
					texts = append(texts, many...)
				}
			}
		}
		for _, r := range b.Receipts {
			for _, e := range r.Events {
				for _, a := range e.Attrs {
					texts = append(texts, a.Value)
				}
			}
		}
		for _, s := range texts {
			if isHexDigest(s) { // a hash or an id: its digits are chance, not data
				continue
			}
			for _, code := range append(demoDays, "99213", "99214", "80053", "93000", "71046", "97110", "97140", "99212") {
				if strings.Contains(s, code) {
					t.Fatalf("block %d carries the demo claims' service code or date %s in %q", h, code, s)
				}
			}
		}
		for _, r := range b.Receipts {
			if !r.OK() {
				t.Fatalf("block %d: failed receipt %s", h, r.Error)
			}
			for _, e := range r.Events {
				seen[e.Contract+"."+e.Type]++
				switch e.Contract + "." + e.Type {
				case "claim.claim_submitted":
					claims[e.Attr("claim")] = claimOf{e.Attr("document"), e.Attr("patient")}
				case "record.access_granted":
					grants[e.Attr("access")] = e
				case "consent.consent_granted":
					consents[e.Attr("consent")] = e
				case "claim.claim_adjudicated":
					adjudications = append(adjudications, e)
				}
				if e.Contract == "donation" && e.Type == "gift_received" {
					// Every gift's donation receipt verifies offline against
					// the genesis keys alone (receipt, Merkle paths, quorum
					// of node signatures), and states what the charity got.
					p, err := cl.Proof(ctx, r.TxID)
					if err != nil {
						t.Fatal(err)
					}
					if err := p.Verify(g.ChainID, g.NodeKeys(), g.Quorum()); err != nil {
						t.Fatalf("gift %s: receipt does not verify: %v", r.TxID, err)
					}
					a, _ := strconv.ParseUint(e.Attr("amount"), 10, 64)
					gifts, income = gifts+1, income+a
				}
			}
		}
	}
	for _, want := range []string{"donation.gift_received", "donation.disbursed", "donation.payee_confirmed", "donation.gift_refunded",
		"donation.milestone_missed", "record.record_registered", "record.access_granted", "record.access_refused", "record.break_glass",
		"record.break_glass_reviewed", "consent.consent_granted", "consent.consent_requested", "consent.consent_revoked",
		"claim.claim_submitted", "claim.claim_in_review", "claim.claim_adjudicated", "claim.claim_paid", "claim.claim_appealed", "claim.claim_cancelled"} {
		if seen[want] == 0 {
			t.Errorf("no %s event on the chain", want)
		}
	}
	// Every adjudicated demo claim's document was opened by acme/adjuster
	// under a consent its patient granted, before the adjudication.
	if len(adjudications) < 4 {
		t.Errorf("%d adjudications", len(adjudications))
	}
	for _, e := range adjudications {
		c := claims[e.Attr("claim")]
		a, ok := grants[e.Attr("document_access")]
		if !ok || a.Attr("reader") != "acme/adjuster" || a.Attr("record") != c.doc || a.Attr("purpose") != "claims" {
			t.Errorf("adjudication of %s relies on access %q: %v", e.Attr("claim"), e.Attr("document_access"), a)
			continue
		}
		if g := consents[a.Attr("consent")]; g.Attr("patient") != c.patient || g.Attr("grantee") != "acme" {
			t.Errorf("the read of %s's document relies on consent %q: %v", e.Attr("claim"), a.Attr("consent"), g)
		}
	}
	if gifts != st.Gifts || income == 0 {
		t.Fatalf("%d gift receipts (income %d) for %d gifts", gifts, income, st.Gifts)
	}
	if _, err := seed.Run(ctx, seed.Config{Home: home, Client: cl.Client}); !errors.Is(err, seed.ErrSeeded) {
		t.Fatalf("second run: %v", err)
	}
}

// isHexDigest reports whether s is a hex digest (32 bytes or more), whose
// digits may spell a service code by chance.
func isHexDigest(s string) bool {
	if len(s) < 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
