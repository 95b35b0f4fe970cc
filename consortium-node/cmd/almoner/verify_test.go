package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/apitest"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// txID runs `almoner tx` and returns the committed transaction's id.
func txID(t *testing.T, common []string, args ...string) tx.ID {
	t.Helper()
	out, err := cli(t, append(append([]string{"tx"}, args...), common...)...)
	var st api.TxStatus
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.Receipt == nil || !st.Receipt.OK() {
		t.Fatalf("tx %v: %v\n%s", args, err, out)
	}
	return st.ID
}

// TestVerifyNamesTheCause: `almoner verify` accepts a receipt after a JSON
// round trip and refuses each kind of change with its cause in words.
func TestVerifyNamesTheCause(t *testing.T) {
	home, addr := startNode(t)
	common := []string{"--home", home, "--node", addr}
	id := txID(t, common, "--as", "stmarys/admin", "identity", "add_member", "id=stmarys/nurse-2", "roles:strings=records_clerk", "--new-keys")
	dir := t.TempDir()
	file := filepath.Join(dir, "receipt.json")
	if out, err := cli(t, append([]string{"receipt", id.String(), "--out", file}, common...)...); err != nil {
		t.Fatalf("receipt: %v %s", err, out)
	}
	good, _ := os.ReadFile(file)
	var p api.Proof
	if err := json.Unmarshal(good, &p); err != nil || p.TimeForm != api.TimeString {
		t.Fatalf("almoner receipt --out does not write the time as a string: %v\n%s", err, good)
	}
	old, _ := json.Marshal(p.ReceiptProof) // the node's own form
	exact := strconv.FormatInt(p.Header.Time, 10)
	other := t.TempDir()
	if _, err := devnet.Create(other, devnet.Options{Nodes: 1, ChainID: "another-chain"}); err != nil {
		t.Fatal(err)
	}
	twin := t.TempDir()
	if _, err := devnet.Create(twin, devnet.Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, genesis string
		data          []byte
		want          string
	}{
		{"as written", "", good, "VALID: transaction " + id.String()},
		{"through JSON.parse", "", apitest.ThroughFloats(t, good), "VALID"},
		{"the node's form", "", old, "note: its header time is a JSON number"},
		{"the node's form through JSON.parse", "", apitest.ThroughFloats(t, old), "INVALID: the receipt's header time was probably changed: it is " +
			strconv.FormatFloat(float64(p.Header.Time), 'f', -1, 64) + ", a JSON number above 2^53"},
		{"the node's form through jq 1.6", "", bytes.Replace(old, []byte(exact), []byte(strconv.FormatFloat(float64(p.Header.Time), 'g', -1, 64)), 1),
			"INVALID: the receipt's header time was changed: it is 1."},
		{"an edited event", "", bytes.Replace(good, []byte(`"records_clerk"`), []byte(`"physician"`), 1), "INVALID: the receipt was changed: its status, error or events"},
		{"an edited time", "", bytes.Replace(good, []byte(exact), []byte(strconv.FormatInt(p.Header.Time+1, 10)), 1), "INVALID: the header of block"},
		{"another consortium's genesis", filepath.Join(other, "genesis.json"), good, `INVALID: the receipt is for chain "almoner-dev", but the genesis file trusted here is for chain "another-chain"`},
		{"a genesis with the same names", filepath.Join(twin, "genesis.json"), good, "or the genesis file trusted here is not the consortium's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, "case.json")
			if err := os.WriteFile(f, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			g := c.genesis
			if g == "" {
				g = filepath.Join(home, "genesis.json")
			}
			out, err := cli(t, "verify", f, "--genesis", g)
			got := out
			if err != nil {
				got = "INVALID" + strings.TrimPrefix(err.Error(), "INVALID")
			}
			if !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestVerifyBundle: a gift's bundle of real node proofs (gift, approval,
// disbursement, confirmation) verifies with `almoner verify` after a JSON
// round trip and says in words what each receipt proves; a changed step
// is named.
func TestVerifyBundle(t *testing.T) {
	home, addr := startNode(t)
	common := []string{"--home", home, "--node", addr}
	deadline := time.Now().Add(30 * 24 * time.Hour).Unix()
	txID(t, common, "--as", "hope/officer", "donation", "create_campaign", "campaign_id=c1", "title=Surgery", "currency=EUR",
		fmt.Sprintf("milestones:strings=5000 healthreg/validator %d Operation", deadline), "beneficiaries:strings=stmarys")
	txID(t, common, "--as", "hope/officer", "donation", "open", "campaign_id=c1")
	gift := txID(t, common, "--as", "hope/donor-sam", "donation", "give", "campaign_id=c1", "amount:uint=1234")
	evidence := "evidence_hash:bytes=" + strings.Repeat("A", 43) + "="
	txID(t, common, "--as", "hope/officer", "donation", "submit_evidence", "campaign_id=c1", "milestone:uint=1", evidence)
	approve := txID(t, common, "--as", "healthreg/validator", "donation", "approve_milestone", "campaign_id=c1", "milestone:uint=1")
	disb := txID(t, common, "--as", "hope/officer", "donation", "disburse", "campaign_id=c1", "milestone:uint=1", "disbursement_id=d1",
		"payee=stmarys", "amount:uint=1000", "purpose=Operation invoice", "payment_ref=SEPA-1", evidence)
	confirm := txID(t, common, "--as", "stmarys/clerk", "donation", "confirm_receipt", "disbursement_id=d1")

	g, err := genesis.Load(filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	admin := client.New(addr, nil) // as the portal reads: an organisation admin
	kf, _ := genesis.LoadKeyFile(genesis.KeyPath(home, "hope/admin"))
	key, _ := kf.SignKey()
	admin.Authenticate("hope/admin", key)
	b := api.GiftBundle{Format: api.BundleFormat, ChainID: g.ChainID, Gift: gift.String()}
	for _, s := range []struct {
		kind string
		id   tx.ID
	}{{api.StepGift, gift}, {api.StepMilestoneApproved, approve}, {api.StepDisbursement, disb}, {api.StepPayeeConfirmed, confirm}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := admin.Proof(ctx, s.id)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		b.Steps = append(b.Steps, api.NewBundleStep(s.kind, p, func(ledger.Event) bool { return true }))
	}
	data, _ := json.MarshalIndent(b, "", "  ")
	file := filepath.Join(t.TempDir(), "bundle.json")
	os.WriteFile(file, apitest.ThroughFloats(t, data), 0o600)
	out, err := cli(t, "verify", file, "--genesis", filepath.Join(home, "genesis.json"))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, want := range []string{
		"VALID: 4 receipts of what moved gift " + gift.String(),
		"1. the gift: block 3,",
		"proven: hope/donor-sam gave 12.34 EUR to campaign c1 of hope; allocated: 12.34 EUR to milestone 1.",
		"2. the milestone's approval:", "proven: healthreg/validator approved milestone 1 of campaign c1",
		"proven: hope/officer paid 10.00 EUR from milestone 1 of campaign c1 to stmarys for “Operation invoice” (payment reference SEPA-1, disbursement d1); 10.00 EUR of it came from this gift.",
		"proven: stmarys/clerk confirmed that stmarys received disbursement d1.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify says\n%s\nnot %q", out, want)
		}
	}
	if strings.Contains(out, "not proven") {
		t.Errorf("a whole bundle with unproven words:\n%s", out)
	}
	os.WriteFile(file, bytes.Replace(data, []byte(`"SEPA-1"`), []byte(`"SEPA-2"`), 1), 0o600)
	if _, err := cli(t, "verify", file, "--genesis", filepath.Join(home, "genesis.json")); err == nil ||
		!strings.Contains(err.Error(), "INVALID: step 3 (a disbursement): the receipt was changed") {
		t.Fatalf("a changed payment reference: %v", err)
	}
	t.Logf("almoner verify says:\n%s", out)
}
