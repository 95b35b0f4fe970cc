package donationgql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/donations"
	"github.com/almoner/almoner/portal/readmodel"
	"github.com/almoner/almoner/privacy/integrity"
)

// disclosure answers donations.Disclosure for the request's viewer from
// the ledger's policy, asked the way the contracts ask it.
type disclosure struct {
	ctx context.Context
	cfg *schema.Config
}

var _ donations.Disclosure = disclosure{}

// Transaction: "chain read" of the sender's transactions (the sender,
// auditors and consortium admins in the default policy).
func (d disclosure) Transaction(sender string) (bool, error) {
	return d.cfg.Allowed(d.ctx, schema.Question{Obj: "chain", Act: "read", Owner: sender})
}

// Gift: "gift read" of a donor's gift to charity (the donor, the
// charity's officers in the default policy).
func (d disclosure) Gift(donor, charity string) (bool, error) {
	return d.cfg.Allowed(d.ctx, schema.Question{Obj: "gift", Act: "read", Owner: donor, Org: charity})
}

// giftProofBundle is the query of a gift's proof bundle.
func (m *mod) giftProofBundle() *graphql.Field {
	return &graphql.Field{Type: schema.JSON,
		Args: graphql.FieldConfigArgument{"gift": {Type: nn(graphql.ID), Description: "The gift id (its giving transaction's id)."}},
		Description: "The receipt proofs of every transaction that moved the gift, as one JSON document (format almoner/gift-proofs/v1) " +
			"to verify offline with `almoner verify` or in the browser: the gift, the approvals of its milestones, the disbursements " +
			"that drew on it and their payees' confirmations, its refunds. Receipt events the viewer may not read (other donors' gifts) " +
			"are left out, the receipt then proven by its hash. For whom the policy lets read the gift (gift read) or its transaction " +
			"(chain read); null if there is no such gift. Header times are strings of digits: the document survives JSON.parse and jq.",
		Resolve: func(p graphql.ResolveParams) (any, error) {
			_, g, err := m.gift(p.Context, p.Args["gift"].(string))
			if g == nil || err != nil {
				return nil, err
			}
			d := disclosure{ctx: p.Context, cfg: m.cfg}
			ok, err := d.Gift(g.Donor, g.Charity)
			if err == nil && !ok {
				ok, err = d.Transaction(g.Donor)
			}
			if err != nil {
				return nil, m.internal(p.Context, "policy", err)
			}
			if !ok {
				return nil, schema.Forbidden("only the donor, a charity officer of " + g.Charity + " or an auditor may fetch this gift's proofs")
			}
			b, err := m.rd.Bundle(p.Context, g, m.cfg.ChainID, m.cfg.Node, d)
			if err != nil {
				return nil, m.nodeErr(p.Context, "gift proofs", err)
			}
			raw, err := json.Marshal(b)
			if err != nil {
				return nil, m.internal(p.Context, "gift proofs", err)
			}
			var out any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&out); err != nil {
				return nil, m.internal(p.Context, "gift proofs", err)
			}
			return out, nil
		}}
}

// nodeErr maps an error of building a bundle as the core module maps the
// node's: what the node answered with a 4xx, and integrity failures (the
// index's own, or a bundle that fails its checks), are internal; anything
// else (the node down, a 5xx, a timeout) is
// UNAVAILABLE.
func (m *mod) nodeErr(ctx context.Context, what string, err error) error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.StatusCode < 500 || errors.Is(err, integrity.ErrFailed) ||
		errors.Is(err, readmodel.ErrNotFound) {
		return m.internal(ctx, what, err)
	}
	m.log.WarnContext(ctx, "node unavailable", "op", what, "err", err)
	return schema.Errorf(schema.CodeUnavailable, "the consortium node is unavailable; try again")
}
