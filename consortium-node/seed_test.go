package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/seed"
)

// TestSeedDemo loads the demo data into a real dev node (as `make run`
// does), checks that every workflow's events are on the chain, and that a
// second run refuses.
func TestSeedDemo(t *testing.T) {
	dir := t.TempDir()
	bin := buildDaemon(t, dir)
	home := filepath.Join(dir, "home")
	port := freePort(t)
	if out, err := exec.Command(bin, "init", "--home", home, "--base-port", fmt.Sprint(port)).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	p := startNode(t, bin, home)
	cl := waitReady(t, p, fmt.Sprintf("127.0.0.1:%d", port))
	defer cl.Close()
	ctx := context.Background()
	st, err := seed.Run(ctx, seed.Config{Home: home, Client: cl.Client, FHIRDir: "../../shared/fhir", Donors: 10, Gifts: 60})
	if err != nil {
		t.Fatal(err)
	}
	if st.Gifts < 50 || st.Claims != 7 || st.Records != 6 || st.Refunds != 2 {
		t.Fatalf("stats %+v", st)
	}
	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	gifts, income := 0, uint64(0)
	head, err := cl.LatestBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for h := uint64(1); h <= head.Header.Height; h++ {
		b, err := cl.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Receipts {
			if !r.OK() {
				t.Fatalf("block %d: failed receipt %s", h, r.Error)
			}
			for _, e := range r.Events {
				seen[e.Contract+"."+e.Type]++
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
	if gifts != st.Gifts || income == 0 {
		t.Fatalf("%d gift receipts (income %d) for %d gifts", gifts, income, st.Gifts)
	}
	if _, err := seed.Run(ctx, seed.Config{Home: home, Client: cl.Client}); !errors.Is(err, seed.ErrSeeded) {
		t.Fatalf("second run: %v", err)
	}
}
