package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
)

// TestMedicalRecordPrivacyAcrossNodes is TestMedicalRecordPrivacyEndToEnd
// on a consortium of four node processes, one per organisation, each with
// its encryption key. The record lives only on its custodian's node
// (St Mary's): the clerk uploads and registers there; the insurer commits
// its accesses through its own (ACME) node and fetches from St Mary's,
// while other nodes refuse to serve or store it; the patient consents,
// revokes and erases through other nodes, and each decision takes effect
// on the custodian node once it has applied the block. No plaintext
// appears on the ledger, in any node's log or in any error.
func TestMedicalRecordPrivacyAcrossNodes(t *testing.T) {
	start := time.Now()
	c := newFaultCluster(t, 4, false)
	g, home := c.g, c.home
	byOrg := map[string]int{}
	for i, n := range g.Nodes {
		byOrg[n.Org] = i
		kf, err := genesis.LoadKeyFile(genesis.KeyPath(home, n.ID))
		if err != nil {
			t.Fatal(err)
		}
		if kf.EncSeed == "" || n.EncKey.Key == nil {
			t.Fatalf("node %s has no encryption key (enc_seed %q)", n.ID, kf.EncSeed)
		}
	}
	want := map[string]string{"stmarys": "stmarys-node1", "acme": "acme-node2", "hope": "hope-node3", "healthreg": "healthreg-node4"}
	for org, id := range want {
		if i, ok := byOrg[org]; !ok || g.Nodes[i].ID != id {
			t.Fatalf("init --nodes 4: no node %s for %s (nodes %v)", id, org, g.Nodes)
		}
	}
	sm, acme, hope, reg := byOrg["stmarys"], byOrg["acme"], byOrg["hope"], byOrg["healthreg"]
	for i := range c.nodes {
		c.start(i, "--log-level", "info") // the plaintext scan reads everything they log
	}
	c.waitLeader(-1, 60*time.Second)
	for i := range c.nodes {
		c.waitUp(i, 60*time.Second)
	}
	t.Logf("4 nodes up in %v", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()

	plaintext := fhirRecord(t)
	clerk, ana, adjuster, doctor := loadActor(t, home, "stmarys/clerk"), loadActor(t, home, "stmarys/patient-ana"),
		loadActor(t, home, "acme/adjuster"), loadActor(t, home, "stmarys/dr-lee")
	custodian := g.Nodes[sm]
	var errs []string // every error text the test saw, for the plaintext scan
	seq := uint64(0)

	// send commits a transaction through node via and returns its status
	// as that node saw it committed.
	send := func(via int, a actor, contract, method string, args ...tx.Arg) api.TxStatus {
		t.Helper()
		seq++
		st := c.mustStatus(via)
		s, err := tx.Sign(tx.Body{ChainID: g.ChainID, Sender: a.id, Nonce: seq, Expiry: st.Height + 100,
			Call: tx.Call{Contract: contract, Method: method, Args: args}}, a.sign)
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		res, err := c.nodes[via].cl.SubmitTx(cctx, s, client.SubmitOptions{Wait: true, Timeout: 30 * time.Second})
		cancel()
		if err != nil {
			t.Fatalf("%s.%s by %s via %s: %v", contract, method, a.id, c.nodes[via].id, err)
		}
		if res.Status == api.StatusPending {
			// Slow machine: wait for it on the node it was sent to.
			deadline := time.Now().Add(60 * time.Second)
			for {
				p, err := c.proof(via, res.ID)
				if err == nil {
					res = api.TxStatus{ID: res.ID, Status: api.StatusCommitted, Height: p.Header.Height, Index: int(p.Index), Receipt: &p.Receipt}
					break
				}
				if !errors.Is(err, client.ErrNotFound) || time.Now().After(deadline) {
					t.Fatalf("%s.%s by %s via %s: pending, then %v", contract, method, a.id, c.nodes[via].id, err)
				}
				c.checkAlive()
				time.Sleep(100 * time.Millisecond)
			}
		}
		if res.Status != api.StatusCommitted || res.Receipt == nil {
			t.Fatalf("%s.%s by %s via %s: %+v", contract, method, a.id, c.nodes[via].id, res)
		}
		if !res.Receipt.OK() {
			t.Fatalf("%s.%s by %s via %s failed: %s", contract, method, a.id, c.nodes[via].id, res.Receipt.Error)
		}
		return res
	}
	// applied waits until node i has applied height h.
	applied := func(i int, h uint64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			st := c.mustStatus(i)
			if st.Height >= h {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s at height %d, not %d, after 60s", c.nodes[i].id, st.Height, h)
			}
			c.checkAlive()
			time.Sleep(20 * time.Millisecond)
		}
	}
	fetch := func(from int, a actor, access tx.ID) (*api.FetchResponse, error) {
		req := &api.FetchRequest{AccessID: access, Reader: a.id, Time: time.Now().Unix()}
		if err := api.SignPrivate(req, a.sign); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		resp, err := c.nodes[from].cl.FetchRecord(cctx, req)
		if err != nil {
			errs = append(errs, err.Error())
		}
		return resp, err
	}
	upload := func(to int, req *api.UploadRequest) error {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := c.nodes[to].cl.UploadRecord(cctx, req)
		if err != nil {
			errs = append(errs, err.Error())
		}
		return err
	}
	others := c.othersThan(sm)

	// 1. The hospital encrypts the record for its own node, stores it
	// there and registers it through it.
	up, sealed := sealForNode(t, custodian, clerk, adjuster, plaintext, func(r *api.UploadRequest) error {
		return upload(sm, r)
	})
	// Another organisation's node does not take St Mary's records (403,
	// not 503: it has an encryption key, the uploader is not its staff).
	for _, i := range others {
		if err := upload(i, up); statusCode(err) != 403 || !strings.Contains(err.Error(), g.Nodes[i].Org+"'s node") {
			t.Fatalf("upload of a St Mary's record to %s: %v; want 403 (the uploader is not %s staff)", c.nodes[i].id, err, g.Nodes[i].Org)
		}
	}
	if err := upload(sm, up); err != nil {
		t.Fatal(err)
	}
	hash := envelope.CiphertextHash(sealed)
	send(sm, clerk, record.Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash[:]),
		tx.String("patient", ana.id), tx.String("category", "bundle"))

	// 2. The insurer cannot read it: the access, committed through its own
	// node, is refused on the ledger, and the custodian refuses the fetch.
	refused := send(acme, adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := refused.Receipt.Events[0]; ev.Type != "access_refused" {
		t.Fatalf("access without consent: %v", ev)
	}
	applied(sm, refused.Height)
	if _, err := fetch(sm, adjuster, refused.ID); statusCode(err) != 403 {
		t.Fatalf("fetch without consent: %v", err)
	}

	// 3. The patient grants the insurer 30 days for claims, via the
	// charity's node.
	now := time.Now()
	send(hope, ana, consent.Name, "grant", tx.String("consent_id", "c-claims"), tx.String("grantee", adjuster.id), tx.String("purpose", "claims"),
		tx.Strings("records", []string{"rec-1"}), tx.Int("start", now.Add(-time.Minute).Unix()), tx.Int("end", now.Add(30*24*time.Hour).Unix()))

	// 4. The insurer commits an access through its node and fetches from
	// the custodian: the same bytes. Its own node (and every other
	// non-custodian) relays the signed request to St Mary's node over the
	// node transport and hands back what the custodian released.
	granted := send(acme, adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := granted.Receipt.Events[0]; ev.Type != "access_granted" {
		t.Fatalf("consented access: %v", ev)
	}
	opens := func(resp *api.FetchResponse) bool {
		rdk, err := envelope.Unwrap(adjuster.enc, adjuster.id, resp.Wrapped, "rec-1", 1)
		if err != nil {
			return false
		}
		got, err := envelope.Open(rdk, resp.Sealed, "rec-1", 1)
		return err == nil && bytes.Equal(got, plaintext)
	}
	for _, i := range others {
		applied(i, granted.Height)
		resp, err := fetch(i, adjuster, granted.ID)
		if err != nil || !opens(resp) {
			t.Fatalf("fetch relayed by %s, which is not the custodian: %v", c.nodes[i].id, err)
		}
	}
	applied(sm, granted.Height)
	resp, err := fetch(sm, adjuster, granted.ID)
	if err != nil || !opens(resp) {
		t.Fatalf("fetch from the custodian: %v", err)
	}
	// The custodian down: a relayed fetch and the reachability check
	// answer 503 unavailable (retryable), and work again once it is back.
	c.kill(sm)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := c.nodes[acme].cl.CustodianReachable(cctx, "stmarys"); statusCode(err) != 503 {
		t.Fatalf("custodian reachable while its node is down: %v", err)
	}
	cancel()
	if _, err := fetch(acme, adjuster, granted.ID); statusCode(err) != 503 ||
		!strings.Contains(err.Error(), "unavailable") {
		t.Fatalf("fetch relayed to a dead custodian: %v; want 503 unavailable", err)
	}
	c.start(sm, "--log-level", "info")
	c.waitUp(sm, 60*time.Second)
	cctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	if err := c.nodes[acme].cl.CustodianReachable(cctx, "stmarys"); err != nil {
		t.Fatalf("custodian back: %v", err)
	}
	cancel()
	if resp, err := fetch(acme, adjuster, granted.ID); err != nil || !opens(resp) {
		t.Fatalf("fetch relayed after the custodian restarted: %v", err)
	}
	if _, err := envelope.Unwrap(doctor.enc, doctor.id, resp.Wrapped, "rec-1", 1); err == nil {
		t.Fatal("the key released to the insurer opens for someone else")
	}
	if _, err := fetch(sm, doctor, granted.ID); statusCode(err) != 403 {
		t.Fatalf("someone else used the insurer's access: %v", err)
	}

	// 5. The patient revokes via the charity's node: once the custodian
	// has applied the revocation, the next read is refused.
	revoke := send(hope, ana, consent.Name, "revoke", tx.String("consent_id", "c-claims"))
	revokedAt := time.Now()
	applied(sm, revoke.Height)
	if _, err := fetch(sm, adjuster, granted.ID); statusCode(err) != 403 || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("fetch after revocation: %v", err)
	}
	t.Logf("time from the revocation's commit (on the node it was sent to) to the custodian's refusal: %v", time.Since(revokedAt))
	again := send(acme, adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := again.Receipt.Events[0]; ev.Type != "access_refused" || !strings.Contains(ev.Attr("reason"), "revoked") {
		t.Fatalf("access after revocation: %v", ev)
	}

	// 6. Every node holds the same ledger; its audit trail shows both
	// refusals and the granted access, in order.
	sts := c.converge(60 * time.Second)
	ledgerBytes := checkAccessTrail(t, c.nodes[reg].cl, sts[0].Height)

	// 7. Erasure: a physician's emergency access works until the patient
	// erases the record (via the regulator's node); once the custodian
	// has applied the erasure, nobody can read it and it shreds its copy.
	glass := send(sm, doctor, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("break_glass", "unconscious-patient"))
	if _, err := fetch(sm, doctor, glass.ID); err != nil {
		t.Fatalf("break-glass fetch: %v", err)
	}
	erase := send(reg, ana, record.Name, "erase", tx.String("record_id", "rec-1"))
	applied(sm, erase.Height)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := fetch(sm, doctor, glass.ID)
		if statusCode(err) == 410 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fetch after erasure: %v; want 410", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	after := send(acme, doctor, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("break_glass", "life-threatening"))
	if ev := after.Receipt.Events[0]; ev.Type != "access_refused" {
		t.Fatalf("access after erasure: %v", ev)
	}
	applied(sm, after.Height)
	if err := upload(sm, up); statusCode(err) != 410 {
		t.Fatalf("re-upload after erasure: %v", err)
	}
	c.converge(60 * time.Second)
	c.stopAll()

	// Crypto-shredding: the custodian's store holds nothing of the record
	// but the erasure tombstone; no other node ever held any of it.
	for i, nd := range c.nodes {
		left := privateKeysLeft(t, home, nd.id)
		wantLeft := ""
		if i == sm {
			wantLeft = "p/erased/rec-1"
		}
		if strings.Join(left, ",") != wantLeft {
			t.Errorf("private store of %s after erasure holds %v, want %q", nd.id, left, wantLeft)
		}
	}

	// 8. No plaintext anywhere: ledger (transactions and events), every
	// node's log, errors. Probe with many windows of the record.
	var logs strings.Builder
	for _, nd := range c.nodes {
		b, err := os.ReadFile(nd.logPath)
		if err != nil {
			t.Fatal(err)
		}
		logs.Write(b)
	}
	// The scan covers what the nodes log at info level.
	if cl := faultTail(c.nodes[sm].logPath, 1000, 1<<20); !strings.Contains(cl, "released a record") || !strings.Contains(cl, "erased a record") {
		t.Fatalf("the custodian's log does not show the release and the erasure:\n%s", faultTail(c.nodes[sm].logPath, 40, 6000))
	}
	haystack := ledgerBytes + logs.String() + strings.Join(errs, "\n")
	probes, seed := scanForPlaintext(t, plaintext, haystack)
	t.Logf("plaintext scan (seed %d): %d probes over %d bytes of ledger, logs and errors found nothing; %v", seed, probes, len(haystack),
		time.Since(start).Round(time.Millisecond))
}
