package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/consent"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/testseed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

type actor struct {
	id   string
	sign *sign.PrivateKey
	enc  *envelope.ReaderKey
}

func loadActor(t *testing.T, home, id string) actor {
	t.Helper()
	kf, sk := signKeyFile(t, home, id)
	ek, err := kf.ReaderKey()
	if err != nil {
		t.Fatal(err)
	}
	return actor{id: id, sign: sk, enc: ek}
}

// blockReader reads committed blocks (a node's API client).
type blockReader interface {
	Block(ctx context.Context, height uint64) (*api.Block, error)
}

// checkAccessTrail reads blocks 0 to head and checks that record rec-1's audit trail is the insurer's refused,
// granted and refused access, in that order; it returns every transaction and event of those blocks as text, for
// the plaintext scan.
func checkAccessTrail(t *testing.T, cl blockReader, head uint64) string {
	t.Helper()
	var trail []string
	var ledgerBytes bytes.Buffer
	for h := uint64(0); h <= head; h++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		b, err := cl.Block(ctx, h)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range b.Receipts {
			ledgerBytes.Write(b.Txs[i].Raw)
			for _, e := range r.Events {
				fmt.Fprintf(&ledgerBytes, "%v", e)
				if e.Contract == record.Name && strings.HasPrefix(e.Type, "access_") && e.Attr("record") == "rec-1" {
					trail = append(trail, e.Type+":"+e.Attr("reader"))
				}
			}
		}
	}
	want := []string{"access_refused:acme/adjuster", "access_granted:acme/adjuster", "access_refused:acme/adjuster"}
	if strings.Join(trail, " ") != strings.Join(want, " ") {
		t.Fatalf("audit trail %v, want %v", trail, want)
	}
	return ledgerBytes.String()
}

// fhirRecord is the record the privacy journeys keep: the shared synthetic FHIR bundle, or a small generated one
// when the shared data is not there.
func fhirRecord(t *testing.T) []byte {
	t.Helper()
	plaintext, err := os.ReadFile("../../shared/fhir/synthea-1.json")
	if err != nil {
		t.Logf("shared FHIR data not found (%v); using a generated bundle", err)
		plaintext = []byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient",` +
			`"name":[{"family":"Zyxwvutsrq","given":["Ana"]}],"birthDate":"1961-07-14"}}]}`)
	}
	return plaintext
}

// privateKeysLeft lists the private-store keys ("p/...") in the database of node id, stopped, under home.
func privateKeysLeft(t *testing.T, home, id string) []string {
	t.Helper()
	db, err := store.OpenDB(filepath.Join(home, "data", id, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it := db.NewIterator(util.BytesPrefix([]byte("p/")), nil)
	defer it.Release()
	var left []string
	for it.Next() {
		left = append(left, string(it.Key()))
	}
	return left
}

// scanForPlaintext probes haystack with 200 random 24-byte windows of plaintext (skipping blank ones) and fails
// the test, naming the seed, if one is there; it returns how many windows it probed and the seed.
func scanForPlaintext(t *testing.T, plaintext []byte, haystack string) (probes int, seed uint64) {
	t.Helper()
	seed = rand.Uint64()
	r := testseed.NewRand(seed)
	for range 200 {
		off := r.IntN(len(plaintext) - 24)
		probe := string(plaintext[off : off+24])
		if strings.TrimSpace(probe) == "" || strings.Count(probe, " ") > 12 {
			continue
		}
		probes++
		if strings.Contains(haystack, probe) {
			t.Fatalf("plaintext found outside the encrypted store (seed %d, offset %d): %q", seed, off, probe)
		}
	}
	return probes, seed
}

// sealForNode encrypts plaintext as version 1 of record rec-1 for the custodian node and returns the clerk's
// upload request, not yet signed, and the ciphertext. Before the caller uploads it, it checks that upload
// refuses a tampered ciphertext (409), an upload by the insurer (403) and a request changed after the clerk
// signed it (403); the request comes back signed by the clerk.
func sealForNode(t *testing.T, node genesis.Node, clerk, insurer actor, plaintext []byte,
	upload func(*api.UploadRequest) error) (*api.UploadRequest, []byte) {
	t.Helper()
	sealed, wrapped, err := envelope.SealFor(nil, node.EncKey.Key, node.ID, "rec-1", 1, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	up := &api.UploadRequest{RecordID: "rec-1", Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: clerk.id,
		Time: time.Now().Unix()}
	bad := *up
	bad.Sealed = append([]byte(nil), sealed...)
	bad.Sealed[len(bad.Sealed)-1] ^= 1
	_ = api.SignPrivate(&bad, clerk.sign)
	if err := upload(&bad); statusCode(err) != 409 {
		t.Fatalf("tampered ciphertext: %v", err)
	}
	byInsurer := *up
	byInsurer.Uploader = insurer.id
	_ = api.SignPrivate(&byInsurer, insurer.sign)
	if err := upload(&byInsurer); statusCode(err) != 403 {
		t.Fatalf("upload by an insurer: %v", err)
	}
	_ = api.SignPrivate(up, clerk.sign)
	forged := *up
	forged.Version = 2 // signature no longer matches
	if err := upload(&forged); statusCode(err) != 403 {
		t.Fatalf("forged request: %v", err)
	}
	return up, sealed
}

// TestMedicalRecordPrivacyEndToEnd is the privacy issue's journey against
// a real node process: a hospital stores an encrypted FHIR record; the
// insurer cannot read it; the patient consents; the insurer reads exactly
// the same bytes; the patient revokes and the next read is refused; every
// decision is on the ledger; erasure makes the record unreadable for
// everyone; and no plaintext appears on the ledger, in logs or in errors.
func TestMedicalRecordPrivacyEndToEnd(t *testing.T) {
	bin, home, port := initHome(t)
	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := startNode(t, bin, home)
	cl := waitReady(t, p, home, fmt.Sprintf("127.0.0.1:%d", port))
	defer cl.Close()
	ctx := context.Background()

	plaintext := fhirRecord(t)
	clerk, ana, adjuster, doctor := loadActor(t, home, "stmarys/clerk"), loadActor(t, home, "stmarys/patient-ana"),
		loadActor(t, home, "acme/adjuster"), loadActor(t, home, "stmarys/dr-lee")
	node := g.Nodes[0]
	var errs []string // every error text the test saw, for the plaintext scan
	seq := uint64(0)
	send := func(a actor, contract, method string, args ...tx.Arg) api.TxStatus {
		t.Helper()
		seq++
		st, err := cl.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, err := tx.Sign(tx.Body{ChainID: g.ChainID, Sender: a.id, Nonce: seq, Expiry: st.Height + 100,
			Call: tx.Call{Contract: contract, Method: method, Args: args}}, a.sign)
		if err != nil {
			t.Fatal(err)
		}
		res, err := cl.SubmitTx(ctx, s, client.SubmitOptions{Wait: true})
		if err != nil || res.Status != api.StatusCommitted {
			t.Fatalf("%s.%s by %s: %+v %v", contract, method, a.id, res, err)
		}
		if !res.Receipt.OK() {
			t.Fatalf("%s.%s by %s failed: %s", contract, method, a.id, res.Receipt.Error)
		}
		return res
	}
	fetch := func(a actor, access tx.ID) (*api.FetchResponse, error) {
		req := &api.FetchRequest{AccessID: access, Reader: a.id, Time: time.Now().Unix()}
		if err := api.SignPrivate(req, a.sign); err != nil {
			t.Fatal(err)
		}
		resp, err := cl.FetchRecord(ctx, req)
		if err != nil {
			errs = append(errs, err.Error())
		}
		return resp, err
	}

	// 1. The hospital encrypts and stores the record, then registers it.
	// Tampered uploads and uploads by the wrong people are refused.
	up, sealed := sealForNode(t, node, clerk, adjuster, plaintext, func(r *api.UploadRequest) error {
		err := cl.UploadRecord(ctx, r)
		if err != nil {
			errs = append(errs, err.Error())
		}
		return err
	})
	if err := cl.UploadRecord(ctx, up); err != nil {
		t.Fatal(err)
	}
	hash := envelope.CiphertextHash(sealed)
	send(clerk, record.Name, "register", tx.String("record_id", "rec-1"), tx.Uint("version", 1), tx.Bytes("ciphertext_hash", hash[:]),
		tx.String("patient", ana.id), tx.String("category", "bundle"))

	// 2. The insurer cannot read it: the access is refused, on the ledger.
	refused := send(adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := refused.Receipt.Events[0]; ev.Type != "access_refused" {
		t.Fatalf("access without consent: %v", ev)
	}
	if _, err := fetch(adjuster, refused.ID); statusCode(err) != 403 {
		t.Fatalf("fetch without consent: %v", err)
	}

	// 3. The patient grants the insurer 30 days for claims.
	now := time.Now()
	send(ana, consent.Name, "grant", tx.String("consent_id", "c-claims"), tx.String("grantee", adjuster.id), tx.String("purpose", "claims"),
		tx.Strings("records", []string{"rec-1"}), tx.Int("start", now.Add(-time.Minute).Unix()), tx.Int("end", now.Add(30*24*time.Hour).Unix()))

	// 4. The insurer commits an access, fetches, decrypts: the same bytes.
	granted := send(adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := granted.Receipt.Events[0]; ev.Type != "access_granted" {
		t.Fatalf("consented access: %v", ev)
	}
	resp, err := fetch(adjuster, granted.ID)
	if err != nil {
		t.Fatal(err)
	}
	rdk, err := envelope.Unwrap(adjuster.enc, adjuster.id, resp.Wrapped, "rec-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := envelope.Open(rdk, resp.Sealed, "rec-1", 1)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("decrypted record differs (err %v)", err)
	}
	if _, err := envelope.Unwrap(doctor.enc, doctor.id, resp.Wrapped, "rec-1", 1); err == nil {
		t.Fatal("the key released to the insurer opens for someone else")
	}
	if _, err := fetch(doctor, granted.ID); statusCode(err) != 403 {
		t.Fatalf("someone else used the insurer's access: %v", err)
	}

	// 5. The patient revokes: the next read is refused at once.
	send(ana, consent.Name, "revoke", tx.String("consent_id", "c-claims"))
	revokedAt := time.Now()
	if _, err := fetch(adjuster, granted.ID); statusCode(err) != 403 || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("fetch after revocation: %v", err)
	}
	t.Logf("time from the revocation's commit (as the client saw it) to the refusal: %v", time.Since(revokedAt))
	again := send(adjuster, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "claims"), tx.String("consent_id", "c-claims"))
	if ev := again.Receipt.Events[0]; ev.Type != "access_refused" || !strings.Contains(ev.Attr("reason"), "revoked") {
		t.Fatalf("access after revocation: %v", ev)
	}

	// 6. The audit trail shows both refusals and the granted access, in order.
	ledgerBytes := checkAccessTrail(t, cl, mustStatus(t, cl).Height)

	// 7. Erasure: a physician's emergency access works until the patient
	// erases the record; afterwards nobody can read it.
	glass := send(doctor, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("break_glass", "unconscious-patient"))
	if _, err := fetch(doctor, glass.ID); err != nil {
		t.Fatalf("break-glass fetch: %v", err)
	}
	send(ana, record.Name, "erase", tx.String("record_id", "rec-1"))
	if _, err := fetch(doctor, glass.ID); statusCode(err) != 410 {
		t.Fatalf("fetch after erasure: %v", err)
	}
	after := send(doctor, record.Name, "access", tx.String("record_id", "rec-1"), tx.String("purpose", "treatment"), tx.String("break_glass", "life-threatening"))
	if ev := after.Receipt.Events[0]; ev.Type != "access_refused" {
		t.Fatalf("access after erasure: %v", ev)
	}
	if err := cl.UploadRecord(ctx, up); statusCode(err) != 410 {
		t.Fatalf("re-upload after erasure: %v", err)
	}
	stop(t, p, os.Interrupt)
	logs := p.stderr.String()
	// Crypto-shredding: nothing of the record is left in the node's store
	// but the erasure tombstone.
	if left := privateKeysLeft(t, home, node.ID); strings.Join(left, ",") != "p/erased/rec-1" {
		t.Fatalf("private store after erasure holds %v, want only the tombstone", left)
	}

	// 8. No plaintext anywhere: ledger (transactions and events), node log,
	// errors. Probe with many windows of the record.
	scanForPlaintext(t, plaintext, ledgerBytes+logs+strings.Join(errs, "\n"))
}
