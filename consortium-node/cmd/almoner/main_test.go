package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/nodetest"
)

// startNode runs a real one-node dev consortium (nodetest.Start) and returns its folder and node API address.
func startNode(t *testing.T) (home, addr string) {
	t.Helper()
	n := nodetest.Start(t)
	return n.Home, n.URL
}

func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, &out)
	return out.String(), err
}

func TestCLIJourney(t *testing.T) {
	home, addr := startNode(t)
	common := []string{"--home", home, "--node", addr}

	out, err := cli(t, append([]string{"tx", "--as", "stmarys/admin", "identity", "add_member", "id=stmarys/nurse-1", "roles:strings=records_clerk", "--new-keys"}, common...)...)
	if err != nil {
		t.Fatalf("tx: %v\n%s", err, out)
	}
	var st struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Receipt struct {
			Status int `json:"status"`
		} `json:"receipt"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Status != "committed" || st.Receipt.Status != 1 {
		t.Fatalf("tx result %q: %v", out, err)
	}
	if _, err := os.Stat(genesis.KeyPath(home, "stmarys/nurse-1")); err != nil {
		t.Fatalf("new member's keys not saved: %v", err)
	}

	// The new member can sign with the saved keys.
	if out, err := cli(t, append([]string{"tx", "--as", "stmarys/nurse-1", "identity", "rotate_keys", "id=stmarys/nurse-1", "--new-keys"}, common...)...); err == nil {
		t.Fatalf("--new-keys over an existing key file must refuse, got %s", out)
	}

	proof := filepath.Join(t.TempDir(), "proof.json")
	if out, err := cli(t, append([]string{"receipt", st.ID, "--out", proof}, common...)...); err != nil {
		t.Fatalf("receipt: %v %s", err, out)
	}
	out, err = cli(t, "verify", proof, "--genesis", filepath.Join(home, "genesis.json"))
	if err != nil || !strings.HasPrefix(out, "VALID") {
		t.Fatalf("verify: %v %s", err, out)
	}

	// A tampered proof and a foreign genesis are both refused.
	b, _ := os.ReadFile(proof)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, bytes.Replace(b, []byte(`"records_clerk"`), []byte(`"physician"`), 1), 0o644)
	if out, err := cli(t, "verify", bad, "--genesis", filepath.Join(home, "genesis.json")); err == nil || !strings.Contains(err.Error(), "INVALID") {
		t.Fatalf("tampered proof: %v %s", err, out)
	}
	other := t.TempDir()
	if _, err := devnet.Create(other, devnet.Options{Nodes: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, "verify", proof, "--genesis", filepath.Join(other, "genesis.json")); err == nil {
		t.Fatal("proof verified against another consortium's genesis")
	}

	// A failed call leaves no key file behind.
	out, err = cli(t, append([]string{"tx", "--as", "stmarys/dr-lee", "identity", "add_member", "id=stmarys/x", "roles:strings=patient", "--new-keys"}, common...)...)
	if err != nil || !strings.Contains(out, "org_admin") {
		t.Fatalf("failing tx: %v %s", err, out)
	}
	if _, err := os.Stat(genesis.KeyPath(home, "stmarys/x")); !os.IsNotExist(err) {
		t.Fatal("keys kept for a member that was not added")
	}

	// Build and sign offline, submit later; a replay is refused.
	txf := filepath.Join(t.TempDir(), "tx.cbor")
	if out, err := cli(t, append([]string{"tx", "--as", "stmarys/admin", "identity", "set_roles", "id=stmarys/nurse-1", "roles:strings=records_clerk,patient", "--out", txf}, common...)...); err != nil {
		t.Fatalf("tx --out: %v %s", err, out)
	}
	if out, err := cli(t, append([]string{"submit", txf}, common...)...); err != nil || !strings.Contains(out, "committed") {
		t.Fatalf("submit: %v %s", err, out)
	}
	if _, err := cli(t, append([]string{"submit", txf}, common...)...); err == nil || !strings.Contains(err.Error(), "already committed") {
		t.Fatalf("replay: %v", err)
	}

	for _, which := range []string{"latest", "0", "1"} {
		if out, err := cli(t, append([]string{"block", which}, common...)...); err != nil || !strings.Contains(out, `"header"`) {
			t.Fatalf("block %s: %v %s", which, err, out)
		}
	}
	// A block by its hash is that block.
	out, err = cli(t, append([]string{"block", "1"}, common...)...)
	var b1 struct {
		Hash string `json:"hash"`
	}
	if err != nil || json.Unmarshal([]byte(out), &b1) != nil || len(b1.Hash) != 64 {
		t.Fatalf("block 1: %v %s", err, out)
	}
	if out, err := cli(t, append([]string{"block", b1.Hash}, common...)...); err != nil ||
		!strings.Contains(out, `"hash": "`+b1.Hash+`"`) || !strings.Contains(out, `"height": 1`) {
		t.Fatalf("block %s: %v %s", b1.Hash, err, out)
	}
	if _, err := cli(t, append([]string{"block", "999"}, common...)...); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing block: %v", err)
	}
	if out, err := cli(t, append([]string{"status"}, common...)...); err != nil || !strings.Contains(out, `"height": 3`) {
		t.Fatalf("status: %v %s", err, out)
	}

	// node-change: an approval printed by one admin and another signed on the spot both verify against the
	// change the contract reads from the transaction, which then lacks only the other organisations' approvals
	// (a node actually added would stall this one-node consortium); the only node cannot be removed.
	kf, err := genesis.NewKeyFile("stmarys-node9", nil)
	if err != nil {
		t.Fatal(err)
	}
	sk, ek, err := kf.Public()
	if err != nil {
		t.Fatal(err)
	}
	add := append([]string{"node-change", "add", "--node-id", "stmarys-node9", "--org", "stmarys", "--raft-id", "9",
		"--sign-key", sk.String(), "--enc-key", ek.String(), "--raft-addr", "127.0.0.1:1", "--api-addr", "127.0.0.1:2",
		"--valid-until", "50"}, common...)
	out, err = cli(t, append(add, "--print-approval-as", "acme/admin")...)
	acme, _, _ := strings.Cut(out, "\n")
	if err != nil || !strings.HasPrefix(acme, "acme/admin:") {
		t.Fatalf("node-change --print-approval-as: %v %s", err, out)
	}
	out, err = cli(t, append(add, "--approvals-from", "stmarys/admin", "--approvals", acme)...)
	if err != nil || !strings.Contains(out, "have 2, missing: healthreg, hope") {
		t.Fatalf("node-change add with two approvals: %v %s", err, out)
	}
	out, err = cli(t, append([]string{"node-change", "remove", "--node-id", "stmarys-node1",
		"--approvals-from", "stmarys/admin,acme/admin,hope/admin"}, common...)...)
	if err != nil || !strings.Contains(out, "cannot remove the last node") {
		t.Fatalf("node-change remove of the only node: %v %s", err, out)
	}
}

// TestOneArg: the flags may stand before or after the one positional argument; none, two or a flag the command
// does not know is an error, the command's own (need) for a wrong count.
func TestOneArg(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want, err string
	}{
		{[]string{"x", "--out", "f"}, "x", ""},
		{[]string{"--out", "f", "x"}, "x", ""},
		{nil, "", "needs one thing"},
		{[]string{"x", "--out", "f", "y"}, "", "needs one thing"},
		{[]string{"--nope", "x"}, "", "-nope"},
	} {
		fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		out := fs.String("out", "", "a flag")
		got, err := oneArg(fs, tc.args, "cmd needs one thing")
		if tc.err == "" && (err != nil || got != tc.want || *out != "f") {
			t.Errorf("%q: %q, --out %q, %v; want %q, --out f", tc.args, got, *out, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %q, %v; want an error with %q", tc.args, got, err, tc.err)
		}
	}
}

func TestParseArg(t *testing.T) {
	good := map[string]string{
		"a=b": "string", "n:uint=5": "uint", "i:int=-5": "int", "f:bool=true": "bool",
		"x:bytes=aGk=": "bytes", "l:strings=a,b": "strings", "e:strings=": "strings",
	}
	for in, typ := range good {
		a, err := parseArg(in)
		if err != nil || a.Type.String() != typ {
			t.Errorf("%s: %v %v", in, a.Type, err)
		}
	}
	for _, in := range []string{"novalue", "n:uint=-1", "n:int=x", "b:bool=maybe", "x:bytes=!!", "z:float=1"} {
		if _, err := parseArg(in); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestKeygenRefusesToPrintSecrets(t *testing.T) {
	if _, err := cli(t, "keygen", "--id", "x/y"); err == nil {
		t.Fatal("keygen without --out accepted")
	}
	f := filepath.Join(t.TempDir(), "k.json")
	out, err := cli(t, "keygen", "--id", "stmarys/new", "--out", f)
	if err != nil {
		t.Fatal(err)
	}
	kf, _ := genesis.LoadKeyFile(f)
	if strings.Contains(out, kf.SignSeed) || strings.Contains(out, kf.EncSeed) || !strings.Contains(out, "ed25519:") {
		t.Fatalf("keygen output: %s", out)
	}
}
