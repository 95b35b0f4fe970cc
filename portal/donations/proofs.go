package donations

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
)

// ProofStep is one transaction that moved a gift (Kind is one of the
// api.Step* kinds).
type ProofStep struct {
	Kind   string
	TxID   string
	Height uint64
}

// ProofSteps lists the transactions that moved g, as its bundle holds
// them: the gift, then in commit order the approvals of the milestones it
// is allocated to, the disbursements that drew on it, their payees'
// confirmations and its refunds (each transaction once).
func (r *Reader) ProofSteps(g *Gift) ([]ProofStep, error) {
	c, err := r.Campaign(g.Campaign)
	if err != nil {
		return nil, fmt.Errorf("donations: campaign of gift %s: %w", g.ID, err)
	}
	steps := []ProofStep{{Kind: api.StepGift, TxID: g.ID, Height: g.Height}}
	seen := map[string]bool{g.ID: true}
	add := func(kind, id string, height uint64) {
		if id != "" && !seen[id] {
			seen[id] = true
			steps = append(steps, ProofStep{Kind: kind, TxID: id, Height: height})
		}
	}
	for _, a := range g.Allocations {
		if m := c.Milestone(a.Milestone); m != nil && m.Status == vocab.MilestoneApproved {
			add(api.StepMilestoneApproved, m.StatusTx, m.StatusedAt)
		}
	}
	for _, u := range g.Uses {
		switch u.Kind {
		case UseRefund:
			add(api.StepRefund, u.TxID, u.Height)
		case UseDisbursement:
			add(api.StepDisbursement, u.TxID, u.Height)
			d, err := r.Disbursement(u.Disbursement)
			if err != nil {
				return nil, fmt.Errorf("donations: disbursement %s of gift %s: %w", u.Disbursement, g.ID, err)
			}
			if d.Confirmed {
				add(api.StepPayeeConfirmed, d.ConfirmedTx, d.ConfirmedHeight)
			}
		}
	}
	order := map[string]int{api.StepMilestoneApproved: 1, api.StepDisbursement: 2, api.StepPayeeConfirmed: 3, api.StepRefund: 4}
	slices.SortStableFunc(steps[1:], func(a, b ProofStep) int {
		return cmp.Or(cmp.Compare(a.Height, b.Height), cmp.Compare(order[a.Kind], order[b.Kind]))
	})
	return steps, nil
}

// Proofs fetches committed transactions' receipt proofs (the node's
// client; the portal reads as an organisation admin, who may read every
// proof). An error is returned as it is.
type Proofs interface {
	Proof(ctx context.Context, id tx.ID) (*ledger.ReceiptProof, error)
}

// Disclosure says, by the ledger's policy, what a viewer may see of the
// transactions that moved a gift. Errors are the policy's own (internal).
type Disclosure interface {
	// Transaction reports whether the viewer may read every transaction
	// of sender whole (the policy's "chain read" with sender as owner:
	// the sender themselves, auditors, consortium admins).
	Transaction(sender string) (bool, error)
	// Gift reports whether the viewer may read a gift of donor to
	// charity (the policy's "gift read": the donor, the charity's
	// officers).
	Gift(donor, charity string) (bool, error)
}

// Bundle builds the proof bundle of gift g for a viewer: each step's
// proof from proofs, the whole receipt when d allows the viewer the
// transaction, else without the events the viewer may not read (events of
// other contracts, and gift events of donors whose gifts d does not let
// the viewer read), proven by the receipt's leaf hash
// (api.NewBundleStep). The caller has checked that the viewer may read g.
func (r *Reader) Bundle(ctx context.Context, g *Gift, chainID string, proofs Proofs, d Disclosure) (*api.GiftBundle, error) {
	steps, err := r.ProofSteps(g)
	if err != nil {
		return nil, err
	}
	b := &api.GiftBundle{Format: api.BundleFormat, ChainID: chainID, Gift: g.ID, Steps: make([]api.BundleStep, 0, len(steps))}
	gifts := map[string]bool{}
	var policyErr error
	mayReadGift := func(donor string) bool {
		ok, seen := gifts[donor]
		if !seen {
			var err error
			if ok, err = d.Gift(donor, g.Charity); err != nil && policyErr == nil {
				policyErr = err
			}
			gifts[donor] = ok
		}
		return ok
	}
	show := func(e ledger.Event) bool {
		if e.Contract != vocab.Contract {
			return false
		}
		donor := e.Attr(vocab.AttrDonor)
		return donor == "" || mayReadGift(donor)
	}
	for _, s := range steps {
		id, err := tx.ParseID(s.TxID)
		if err != nil {
			return nil, fmt.Errorf("%w: gift %s: step %s has transaction id %q", ErrEvent, g.ID, s.Kind, s.TxID)
		}
		p, err := proofs.Proof(ctx, id)
		if err != nil {
			return nil, err
		}
		signed, err := tx.Decode(p.Tx)
		if err != nil {
			return nil, fmt.Errorf("%w: transaction %s of gift %s: %v", ErrEvent, id, g.ID, err)
		}
		whole, err := d.Transaction(signed.Body.Sender)
		if err != nil {
			return nil, err
		}
		filter := show
		if whole {
			filter = nil
		}
		b.Steps = append(b.Steps, api.NewBundleStep(s.Kind, p, filter))
		if policyErr != nil {
			return nil, policyErr
		}
	}
	return b, nil
}
