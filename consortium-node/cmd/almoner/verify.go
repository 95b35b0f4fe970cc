package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
)

// cmdVerify verifies, offline and against a genesis file only, a receipt
// proof (almoner receipt --out, the portal's "Download receipt") or a
// gift's proof bundle (the portal's giftProofBundle), and says what each
// receipt proves. A failure names its cause (api.ProofError, api.BundleError).
func cmdVerify(fs *flag.FlagSet, c *common, args []string, out io.Writer) error {
	gpath := fs.String("genesis", "", "genesis file to trust (default HOME/genesis.json)")
	file, err := oneArg(fs, args,
		"verify needs a proof file (from almoner receipt --out) or a gift's proof bundle (from the portal)")
	if err != nil {
		return err
	}
	if *gpath == "" {
		*gpath = c.home + "/genesis.json"
	}
	g, err := genesis.Load(*gpath)
	if err != nil {
		return err
	}
	graw, err := os.ReadFile(*gpath)
	if err != nil {
		return err
	}
	fp := sha256.Sum256(graw)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var probe struct {
		Format string          `json:"format"`
		Steps  json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("%s is not JSON: %w", file, err)
	}
	trust := api.Trust{ChainID: g.ChainID, NodeKeys: g.NodeKeys(), Quorum: g.Quorum()}
	against := fmt.Sprintf("against %s (chain %q, %d nodes, quorum %d; SHA-256 %s)", *gpath, g.ChainID, len(g.Nodes), g.Quorum(), hex.EncodeToString(fp[:]))
	if probe.Format != "" || probe.Steps != nil {
		return verifyBundle(out, file, b, trust, against)
	}
	var p api.Proof
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s is not a receipt proof: %w", file, err)
	}
	if err := p.Verify(trust); err != nil {
		return fmt.Errorf("INVALID: %w", err)
	}
	status := "succeeded"
	if !p.Receipt.OK() {
		status = "failed: " + p.Receipt.Error
	}
	hh := p.Header.Hash()
	fmt.Fprintf(out, "VALID: transaction %s is in block %d of chain %q (header %s, %s), signed by %d of %d nodes (quorum %d); it %s\n",
		p.Receipt.TxID, p.Header.Height, g.ChainID, hex.EncodeToString(hh[:]), blockTime(p.Header.Time), len(p.Signatures), len(g.Nodes), g.Quorum(), status)
	fmt.Fprintf(out, "checked %s\n", against)
	if len(p.Receipt.Events) > 0 {
		fmt.Fprintln(out, "the receipt records:")
		for _, e := range p.Receipt.Events {
			var kv []string
			for _, a := range e.Attrs {
				if a.Value != "" {
					kv = append(kv, a.Key+" "+a.Value)
				}
			}
			fmt.Fprintf(out, "  %s.%s: %s\n", e.Contract, e.Type, strings.Join(kv, ", "))
		}
	}
	if p.TimeForm == api.TimeNumber {
		fmt.Fprintln(out, "note: its header time is a JSON number, which jq or JavaScript round: keep the file as it is, or write it again with almoner receipt --out (the time a string)")
	}
	return nil
}

func verifyBundle(out io.Writer, name string, data []byte, trust api.Trust, against string) error {
	var b api.GiftBundle
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("%s is not a gift's proof bundle: %w", name, err)
	}
	rep, err := b.Verify(trust)
	if err != nil {
		return fmt.Errorf("INVALID: %w", err)
	}
	fmt.Fprintf(out, "VALID: %d receipts of what moved gift %s, each in a block signed by a quorum of the nodes, checked %s\n", len(rep.Steps), rep.Gift, against)
	for i, s := range rep.Steps {
		fmt.Fprintf(out, "%d. %s: block %d, %s, transaction %s\n", i+1, stepTitle[s.Kind], s.Height, s.Time.Format(time.RFC3339), s.TxID)
		for _, l := range s.Proves {
			fmt.Fprintf(out, "   proven: %s\n", l)
		}
		for _, l := range s.PortalSays {
			fmt.Fprintf(out, "   not proven: %s\n", l)
		}
	}
	return nil
}

var stepTitle = map[string]string{
	api.StepGift: "the gift", api.StepMilestoneApproved: "the milestone's approval", api.StepDisbursement: "a disbursement",
	api.StepPayeeConfirmed: "the payee's confirmation", api.StepRefund: "a refund",
}

func blockTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
