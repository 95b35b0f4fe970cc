// Command almoner is the Almoner command-line client: generate keys,
// build, sign and submit transactions, fetch blocks and receipts, and
// verify a receipt proof or a gift's proof bundle offline against a
// genesis file.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	consortiumvocab "github.com/almoner/almoner/consortium-node/contracts/consortium/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/governance"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/seed"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/keystore"
	"github.com/almoner/almoner/privacy/sign"
)

const usage = `usage: almoner COMMAND [flags]

  status                                 node status
  keygen --id ID [--out FILE]            new signing + encryption keys
  tx --as MEMBER CONTRACT METHOD [ARG...] [--wait] [--out FILE] [--new-keys]
                                         build, sign and submit a transaction;
                                         ARG is name=value (string) or name:TYPE=value
                                         with TYPE uint, int, bool, bytes (base64),
                                         strings (comma-separated)
  submit FILE [--wait]                   submit a signed transaction file
  block [HEIGHT|latest|HASH]             show a block with receipts
  receipt TXID [--out FILE]              fetch a receipt with its inclusion proof
  verify FILE [--genesis FILE]           verify offline a receipt proof, or a gift's proof bundle
                                         (the portal's giftProofBundle, "Download all receipts"),
                                         and say what each receipt proves
  keystore-import --id ID --keystore DIR [--remove-plain]
                                         move HOME/keys/<id>.json into an encrypted keystore
                                         (passphrase in $ALMONER_KEYSTORE_PASSPHRASE)
  node-change add|remove --node-id ID [--org O --raft-id N --sign-key K --enc-key K --raft-addr A --api-addr A]
              [--approvals-from ADMIN,...] [--approvals APPROVAL,...] [--print-approval-as ADMIN] [--valid-for N]
                                         add or remove a consortium node; approvals from admins of a
                                         majority of organisations (signed here from HOME/keys, or collected
                                         with --print-approval-as); the first approver submits
  seed [--fhir DIR] [--donors N] [--gifts N]
                                         load the dev consortium's demo data (once per chain)
  policy                                 the authorisation rules in force and the approval threshold
  proposal ID                            a governance proposal: state, who approved, who is missing

Governance proposals are transactions of the governance contract, e.g.:
  almoner tx --as stmarys/admin governance propose kind=change_policy \
      add_rules:strings="donor * report read any allow" valid_for:uint=604800
  almoner tx --as acme/admin governance approve proposal=<ID>      (or reject, withdraw)
Kinds: add_org, remove_org, add_node, remove_node, change_policy, set_threshold (docs/policies.md).

Common flags: --node ADDR (default 127.0.0.1:7070), --home DIR (default .almoner/dev),
  --identity MEMBER (sign node API reads as this member; default: a consortium admin, auditor or
  organisation admin whose key HOME holds)
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type common struct {
	node, home, keystore, identity string
	timeout                        time.Duration
}

// client returns a node API client (over TLS for an https:// --node,
// trusting the node keys of HOME's genesis.json) that signs its reads as --identity
// (default: a consortium admin, auditor or organisation admin whose key
// HOME holds, in that order), as the node requires for blocks, proofs,
// the policy and proposals. Without such a key it is anonymous and the
// node says what it refuses.
func (c *common) client() *client.Client {
	var hc *http.Client
	var keys *client.NodeKeys
	g, gerr := genesis.Load(filepath.Join(c.home, "genesis.json"))
	if gerr == nil {
		// A node API over TLS is authenticated by its node key.
		keys = client.NewNodeKeys(g.NodeKeys())
		hc = client.HTTPClient(keys)
	}
	cl := client.New(c.node, hc)
	id := c.identity
	if id == "" {
		id = c.defaultIdentity()
	}
	if id == "" {
		return cl
	}
	kf, err := c.keys(id)
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: no key for %s (%v); reading anonymously\n", id, err)
		return cl
	}
	key, err := kf.SignKey()
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: key of %s: %v; reading anonymously\n", id, err)
		return cl
	}
	cl.Authenticate(id, key)
	if keys != nil && strings.HasPrefix(c.node, "https://") {
		c.trustLedgerNodes(g, keys, id, key)
	}
	return cl
}

// trustLedgerNodes adds the keys of nodes added after genesis (from the
// ledger, read from a genesis node over TLS) when --node is not a genesis
// node, so that the CLI can authenticate it too.
func (c *common) trustLedgerNodes(g *genesis.File, keys *client.NodeKeys, id string, key *sign.PrivateKey) {
	target := strings.TrimPrefix(c.node, "https://")
	for _, n := range g.Nodes {
		if n.APIAddr == target {
			return
		}
	}
	for _, n := range g.Nodes {
		gc := client.New("https://"+n.APIAddr, client.HTTPClient(keys))
		gc.Authenticate(id, key)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ns, err := gc.Nodes(ctx)
		cancel()
		if err == nil {
			m := map[string]sign.PublicKey{}
			for _, x := range ns {
				m[x.ID] = x.SignKey
			}
			keys.Add(m)
			return
		}
	}
}

// defaultIdentity picks the member to sign node API reads as: the first
// genesis member holding consortium_admin, then auditor, then org_admin,
// whose key file is in HOME/keys.
func (c *common) defaultIdentity() string {
	g, err := genesis.Load(filepath.Join(c.home, "genesis.json"))
	if err != nil {
		return ""
	}
	for _, role := range []string{identityvocab.RoleConsortiumAdmin, identityvocab.RoleAuditor,
		identityvocab.RoleOrgAdmin} {
		for _, m := range g.Members {
			if m.HasRole(role) {
				if _, err := os.Stat(genesis.KeyPath(c.home, m.ID)); err == nil || c.keystore != "" {
					return m.ID
				}
			}
		}
	}
	return ""
}

// keys reads a member's keys from the keystore (when --keystore is set) or
// from the development key file in HOME/keys.
func (c *common) keys(id string) (*genesis.KeyFile, error) {
	return genesis.LoadKeys(c.home, c.keystore, id)
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.node, "node", envOr("ALMONER_NODE", "127.0.0.1:7070"), "node API address")
	fs.StringVar(&c.home, "home", envOr("ALMONER_HOME", ".almoner/dev"), "consortium folder with genesis.json and keys/")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "request timeout")
	fs.StringVar(&c.identity, "identity", os.Getenv("ALMONER_IDENTITY"),
		"member or node to sign node API reads as (default: a consortium admin, auditor or org admin whose key HOME holds)")
	fs.StringVar(&c.keystore, "keystore", os.Getenv("ALMONER_KEYSTORE"), "read private keys from this keystore (passphrase in $"+genesis.PassphraseEnv+") instead of HOME/keys")
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// parseInterspersed parses flags that may appear before or after the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// oneArg parses fs's flags (before or after the positional arguments) and returns the one positional argument;
// without exactly one, the error is need, which says what the command takes.
func oneArg(fs *flag.FlagSet, args []string, need string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", errors.New(need)
	}
	return pos[0], nil
}

// show asks the node with get, through c's client and within --timeout, and prints the answer as JSON. get takes
// the client first, so that a method expression such as (*client.Client).Status serves.
func show[T any](c *common, out io.Writer, get func(*client.Client, context.Context) (T, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	v, err := get(c.client(), ctx)
	if err != nil {
		return err
	}
	return printJSON(out, v)
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var c common
	c.register(fs)
	switch cmd {
	case "status":
		if _, err := parseInterspersed(fs, args); err != nil {
			return err
		}
		return show(&c, out, (*client.Client).Status)
	case "keygen":
		return cmdKeygen(fs, args, out)
	case "tx":
		return cmdTx(fs, &c, args, out)
	case "submit":
		return cmdSubmit(fs, &c, args, out)
	case "block":
		return cmdBlock(fs, &c, args, out)
	case "receipt":
		return cmdReceipt(fs, &c, args, out)
	case "verify":
		return cmdVerify(fs, &c, args, out)
	case "node-change":
		return cmdNodeChange(fs, &c, args, out)
	case "keystore-import":
		return cmdKeystoreImport(fs, &c, args, out)
	case "seed":
		fhir := fs.String("fhir", "../shared/fhir", "folder of FHIR bundles (synthea-*.json) used as the demo records")
		donors := fs.Int("donors", 40, "demo donors")
		gifts := fs.Int("gifts", 300, "demo gifts")
		if _, err := parseInterspersed(fs, args); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		st, err := seed.Run(ctx, seed.Config{Home: c.home, Client: c.client(), FHIRDir: *fhir, Donors: *donors, Gifts: *gifts, Logger: log})
		if errors.Is(err, seed.ErrSeeded) {
			fmt.Fprintln(out, "demo data already loaded")
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "demo data loaded: %d members, %d campaigns, %d gifts, %d disbursements, %d refunds, %d records, %d consents, %d accesses, %d claims (%d transactions)\n",
			st.Members, st.Campaigns, st.Gifts, st.Disbursements, st.Refunds, st.Records, st.Consents, st.Accesses, st.Claims, st.Txs)
		return nil
	case "policy":
		if _, err := parseInterspersed(fs, args); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		p, err := c.client().Policy(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "# policy as of block %d; proposals need approvals from more than %d%% of organisations\n", p.Height, p.ThresholdPercent)
		for _, r := range p.Rules {
			fmt.Fprintf(out, "p, %s\n", strings.ReplaceAll(r.String(), ",", ", "))
		}
		return nil
	case "proposal":
		id, err := oneArg(fs, args, "proposal needs the proposal id (the id of the transaction that proposed it)")
		if err != nil {
			return err
		}
		return show(&c, out, func(cl *client.Client, ctx context.Context) (*governance.View, error) {
			return cl.Proposal(ctx, id)
		})
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdKeygen(fs *flag.FlagSet, args []string, out io.Writer) error {
	id := fs.String("id", "", "member or node id the keys are for")
	file := fs.String("out", "", "write the key file here (mode 0600); default: print only public keys and refuse")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *id == "" || *file == "" {
		return errors.New("keygen needs --id and --out (private keys are never printed)")
	}
	kf, err := genesis.NewKeyFile(*id, nil)
	if err != nil {
		return err
	}
	if err := kf.Save(*file); err != nil {
		return err
	}
	return printPublic(out, kf)
}

func printPublic(out io.Writer, kf *genesis.KeyFile) error {
	sk, ek, err := kf.Public()
	if err != nil {
		return err
	}
	return printJSON(out, map[string]string{"id": kf.ID, "sign_key": sk.String(), "enc_key": ek.String()})
}

// parseArg parses name=value or name:type=value.
func parseArg(s string) (tx.Arg, error) {
	lhs, val, ok := strings.Cut(s, "=")
	if !ok {
		return tx.Arg{}, fmt.Errorf("argument %q: want name=value or name:type=value", s)
	}
	name, typ, _ := strings.Cut(lhs, ":")
	if typ == "" {
		typ = "string"
	}
	switch typ {
	case "string":
		return tx.String(name, val), nil
	case "uint":
		u, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return tx.Arg{}, fmt.Errorf("argument %q: %w", name, err)
		}
		return tx.Uint(name, u), nil
	case "int":
		i, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return tx.Arg{}, fmt.Errorf("argument %q: %w", name, err)
		}
		return tx.Int(name, i), nil
	case "bool":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return tx.Arg{}, fmt.Errorf("argument %q: %w", name, err)
		}
		return tx.Bool(name, b), nil
	case "bytes":
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return tx.Arg{}, fmt.Errorf("argument %q: bytes must be base64: %w", name, err)
		}
		return tx.Bytes(name, b), nil
	case "strings":
		var l []string
		if val != "" {
			l = strings.Split(val, ",")
		}
		return tx.Strings(name, l), nil
	default:
		return tx.Arg{}, fmt.Errorf("argument %q: unknown type %q (string, uint, int, bool, bytes, strings)", name, typ)
	}
}

func cmdTx(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	as := fs.String("as", "", "sender member id (its key is read from HOME/keys)")
	keyFile := fs.String("key", "", "key file of the sender (default HOME/keys/<member>.json)")
	wait := fs.Bool("wait", true, "wait for the commit and print the receipt")
	outFile := fs.String("out", "", "write the signed transaction here instead of submitting it")
	expiryIn := fs.Uint64("expiry-in", defaultExpiryIn, "blocks from now until the transaction expires")
	newKeys := fs.Bool("new-keys", false, "generate keys for the member named by the id argument, save them in HOME/keys and pass sign_key and enc_key")
	chainID := fs.String("chain-id", "", "chain id (default: from HOME/genesis.json)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *as == "" || len(pos) < 2 {
		return errors.New("tx needs --as MEMBER, a contract and a method, e.g.: almoner tx --as stmarys/admin identity add_member id=stmarys/nurse-1 roles:strings=records_clerk --new-keys")
	}
	call := tx.Call{Contract: pos[0], Method: pos[1]}
	var newID, newKeyPath string
	for _, a := range pos[2:] {
		arg, err := parseArg(a)
		if err != nil {
			return err
		}
		if arg.Name == identityvocab.ArgID {
			newID, _ = tx.Args{arg}.String(identityvocab.ArgID)
		}
		call.Args = append(call.Args, arg)
	}
	if *newKeys {
		if newID == "" {
			return errors.New("--new-keys needs an id=<member> argument")
		}
		kf, err := genesis.NewKeyFile(newID, nil)
		if err != nil {
			return err
		}
		path := genesis.KeyPath(c.home, newID)
		if err := kf.Save(path); err != nil {
			return fmt.Errorf("saving the new member's keys: %w", err)
		}
		newKeyPath = path
		sk, ek, err := kf.Public()
		if err != nil {
			return err
		}
		call.Args = append(call.Args, tx.String(identityvocab.ArgSignKey, sk.String()),
			tx.String(identityvocab.ArgEncKey, ek.String()))
		fmt.Fprintf(os.Stderr, "saved keys of %s in %s\n", newID, path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cl := c.client()
	s, err := txSigner{as: *as, keyFile: *keyFile, chainID: *chainID, expiryIn: *expiryIn, offline: *outFile != ""}.
		sign(ctx, c, cl, call)
	if err != nil {
		return err
	}
	if *outFile != "" {
		raw, err := s.Encode()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*outFile, raw, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote signed transaction %s to %s\n", tx.HashID(raw), *outFile)
		return nil
	}
	st, err := cl.SubmitTx(ctx, s, client.SubmitOptions{Wait: *wait})
	if newKeyPath != "" && (err != nil || (st.Receipt != nil && !st.Receipt.OK())) {
		os.Remove(newKeyPath) // the member was not added: do not keep unused keys
	}
	if err != nil {
		return err
	}
	return printJSON(out, st)
}

// defaultExpiryIn is how many blocks after the node's height a transaction the CLI signs stays valid, unless
// tx --expiry-in says otherwise.
const defaultExpiryIn = 100

// txSigner is who signs a transaction for the CLI and for how long it stays valid: the sender (as), its key file
// (default: the sender's in HOME/keys or the keystore), the chain (default: HOME/genesis.json's) and the blocks
// after the node's height until it expires. An offline transaction, written to a file to submit later, is signed
// even when the node does not answer (its expiry then counts from height 0).
type txSigner struct {
	as, keyFile, chainID string
	expiryIn             uint64
	offline              bool
}

// sign signs call for s with a random nonce, asking cl for the node's height.
func (s txSigner) sign(ctx context.Context, c *common, cl *client.Client, call tx.Call) (*tx.Signed, error) {
	var kf *genesis.KeyFile
	var err error
	if s.keyFile != "" {
		kf, err = genesis.LoadKeyFile(s.keyFile)
	} else {
		kf, err = c.keys(s.as)
	}
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	key, err := kf.SignKey()
	if err != nil {
		return nil, err
	}
	if s.chainID == "" {
		g, err := genesis.Load(filepath.Join(c.home, "genesis.json"))
		if err != nil {
			return nil, fmt.Errorf("%w (or pass --chain-id)", err)
		}
		s.chainID = g.ChainID
	}
	var height uint64
	if st, err := cl.Status(ctx); err == nil {
		height = st.Height
	} else if !s.offline {
		return nil, err
	}
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, err
	}
	return tx.Sign(tx.Body{ChainID: s.chainID, Sender: s.as, Nonce: binary.BigEndian.Uint64(nb[:]),
		Expiry: height + 1 + s.expiryIn, Call: call}, key)
}

func cmdSubmit(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	wait := fs.Bool("wait", true, "wait for the commit")
	file, err := oneArg(fs, args, "submit needs one file with a signed transaction (from almoner tx --out)")
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return show(c, out, func(cl *client.Client, ctx context.Context) (api.TxStatus, error) {
		res, err := cl.Submit(ctx, [][]byte{raw}, client.SubmitOptions{Wait: *wait})
		if err != nil {
			return api.TxStatus{}, err
		}
		if res[0].Error != "" {
			return api.TxStatus{}, fmt.Errorf("transaction %s rejected: %s", res[0].ID, res[0].Error)
		}
		return res[0], nil
	})
}

func cmdBlock(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	which := "latest"
	if len(pos) > 0 {
		which = pos[0]
	}
	switch {
	case which == "latest":
		return show(c, out, (*client.Client).LatestBlock)
	case len(which) == 64:
		h, err := ledger.ParseHash(which)
		if err != nil {
			return err
		}
		return show(c, out, func(cl *client.Client, ctx context.Context) (*api.Block, error) {
			return cl.BlockByHash(ctx, h)
		})
	default:
		h, err := strconv.ParseUint(which, 10, 64)
		if err != nil {
			return fmt.Errorf("block: want a height, \"latest\" or a 64-hex hash, got %q", which)
		}
		return show(c, out, func(cl *client.Client, ctx context.Context) (*api.Block, error) { return cl.Block(ctx, h) })
	}
}

func cmdReceipt(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	outFile := fs.String("out", "", "also write the proof to this file (for almoner verify)")
	arg, err := oneArg(fs, args, "receipt needs a transaction id")
	if err != nil {
		return err
	}
	id, err := tx.ParseID(arg)
	if err != nil {
		return err
	}
	return show(c, out, func(cl *client.Client, ctx context.Context) (*api.Proof, error) {
		p, err := cl.Proof(ctx, id)
		if err != nil {
			return nil, err
		}
		// The form for files: the header time a string, exact through any
		// JSON tool (api.Proof).
		jp := api.NewProof(p)
		if *outFile != "" {
			b, _ := json.MarshalIndent(jp, "", "  ")
			if err := os.WriteFile(*outFile, append(b, '\n'), 0o644); err != nil {
				return nil, err
			}
		}
		return jp, nil
	})
}

func cmdNodeChange(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	nodeID := fs.String("node-id", "", "node id")
	org := fs.String("org", "", "organisation of a new node")
	raftID := fs.Uint64("raft-id", 0, "raft id of a new node (never used before)")
	signKey := fs.String("sign-key", "", "signing key of a new node (ed25519:..., from almoner keygen)")
	encKey := fs.String("enc-key", "", "encryption key of a new node (xwing:..., from almoner keygen)")
	raftAddr := fs.String("raft-addr", "", "raft address of a new node")
	apiAddr := fs.String("api-addr", "", "API address of a new node")
	from := fs.String("approvals-from", "", "comma-separated admins whose keys in HOME/keys sign approvals")
	given := fs.String("approvals", "", "comma-separated approvals collected with --print-approval-as")
	printAs := fs.String("print-approval-as", "", "only print this admin's approval of the change")
	validFor := fs.Uint64("valid-for", 200, "blocks the approvals stay valid")
	validUntil := fs.Uint64("valid-until", 0, "explicit last height (all approvers must use the same)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "add" && pos[0] != "remove") || *nodeID == "" {
		return errors.New("node-change needs add or remove and --node-id")
	}
	g, err := genesis.Load(filepath.Join(c.home, "genesis.json"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cl := c.client()
	if *validUntil == 0 {
		st, err := cl.Status(ctx)
		if err != nil {
			return fmt.Errorf("%w (or give --valid-until)", err)
		}
		*validUntil = st.Height + *validFor
	}
	ch := &consortium.Change{Action: consortiumvocab.ActionRemoveNode, Node: consortium.Node{ID: *nodeID},
		ValidUntil: *validUntil}
	if pos[0] == "add" {
		k, err := sign.ParsePublicKey(*signKey)
		if err != nil {
			return fmt.Errorf("--sign-key: %w", err)
		}
		ek, err := identity.ParseEncryptionKey(*encKey)
		if err != nil {
			return fmt.Errorf("--enc-key: %w", err)
		}
		ch.Action = consortiumvocab.ActionAddNode
		ch.Node = consortium.Node{ID: *nodeID, Org: *org, RaftID: *raftID, SignKey: k, EncKey: ek, RaftAddr: *raftAddr, APIAddr: *apiAddr}
		if err := ch.Node.Validate(); err != nil {
			return err
		}
	}
	approve := func(admin string) (string, error) {
		kf, err := c.keys(admin)
		if err != nil {
			return "", err
		}
		k, err := kf.SignKey()
		if err != nil {
			return "", err
		}
		return consortium.Approve(g.ChainID, ch, admin, k)
	}
	if *printAs != "" {
		a, err := approve(*printAs)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n(valid until height %d; every approver must use the same --valid-until)\n", a, *validUntil)
		return nil
	}
	var approvals []string
	if *given != "" {
		approvals = strings.Split(*given, ",")
	}
	var submitter string
	for _, admin := range strings.Split(*from, ",") {
		if admin == "" {
			continue
		}
		if submitter == "" {
			submitter = admin
		}
		a, err := approve(admin)
		if err != nil {
			return err
		}
		approvals = append(approvals, a)
	}
	if submitter == "" && len(approvals) > 0 {
		submitter, _, _ = strings.Cut(approvals[0], ":")
	}
	if submitter == "" {
		return errors.New("give --approvals-from and/or --approvals")
	}
	sctx, scancel := context.WithTimeout(context.Background(), c.timeout)
	defer scancel()
	s, err := txSigner{as: submitter, chainID: g.ChainID, expiryIn: defaultExpiryIn}.sign(sctx, c, cl,
		tx.Call{Contract: consortium.Name, Method: ch.Action, Args: consortium.ChangeArgs(ch, approvals)})
	if err != nil {
		return err
	}
	st, err := cl.SubmitTx(sctx, s, client.SubmitOptions{Wait: true})
	if err != nil {
		return err
	}
	return printJSON(out, st)
}

func cmdKeystoreImport(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	id := fs.String("id", "", "member or node id whose key file to import")
	removePlain := fs.Bool("remove-plain", false, "delete the unencrypted key file after importing")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *id == "" || c.keystore == "" {
		return errors.New("keystore-import needs --id and --keystore")
	}
	p, err := genesis.PassphraseFromEnv()
	if err != nil {
		return err
	}
	path := genesis.KeyPath(c.home, *id)
	kf, err := genesis.LoadKeyFile(path)
	if err != nil {
		return err
	}
	ks, err := keystore.Open(c.keystore, keystore.Options{KDF: keystore.DefaultKDF})
	if err != nil {
		return err
	}
	if err := genesis.ImportKeyFile(ks, kf, p); err != nil {
		return err
	}
	if _, err := genesis.LoadFromKeystore(ks, *id, p); err != nil {
		return fmt.Errorf("imported keys do not read back: %w", err)
	}
	if *removePlain {
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "imported the keys of %s into %s\n", *id, c.keystore)
	return nil
}
