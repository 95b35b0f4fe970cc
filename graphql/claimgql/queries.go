package claimgql

import (
	"context"
	"errors"
	"strings"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
)

var connArgs = schema.ForwardConnArgs(nil)

type lister func(after string, limit int) ([]*claims.Claim, claims.Page, error)

// page runs a forward page of a newest-first list.
func (m *mod) page(ctx context.Context, args map[string]any, kind string, l lister) (*schema.Connection, error) {
	return schema.ForwardConnection(m.cfg, args, kind, l, func(err error) error { return m.internal(ctx, kind, err) })
}

// orgArg returns the org argument or the viewer's organisation, after
// checking that the viewer may read that organisation's claims.
func (m *mod) orgArg(ctx context.Context, args map[string]any, name, what string) (string, string, error) {
	v, err := schema.Account(ctx)
	if err != nil {
		return "", "", err
	}
	org, _ := args[name].(string)
	if org == "" {
		org = schema.OrgOf(v)
	}
	err = m.cfg.Require(ctx, schema.Question{Obj: "claim", Act: "read", Org: org}, "only "+what+" of "+org+" or an auditor may read its claims")
	if err != nil {
		return "", "", err
	}
	return v, org, nil
}

func (m *mod) registerQueries(b *schema.Builder) error {
	type query struct {
		name string
		f    *graphql.Field
	}
	qs := []query{
		{"claim", &graphql.Field{Type: m.claim, Args: graphql.FieldConfigArgument{"id": {Type: nn(graphql.ID)}},
			Description: "A claim (its insurer's adjusters, its provider's staff, its patient, auditors; null if none).",
			Resolve:     schema.ByID("id", m.readable)}},
		{"claimQueue", &graphql.Field{Type: nn(m.conn),
			Args: schema.ForwardConnArgs(graphql.FieldConfigArgument{
				"insurer": {Type: graphql.ID, Description: "The insurer (default: the viewer's organisation; auditors may name any)."},
				"status":  {Type: m.status, Description: "Only claims with this status."},
			}),
			Description: "An insurer's claims, newest first (its adjusters, auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				_, org, err := m.orgArg(p.Context, p.Args, "insurer", "the adjusters")
				if err != nil {
					return nil, err
				}
				status, _ := p.Args["status"].(string)
				return m.page(p.Context, p.Args, "claimq", func(after string, limit int) ([]*claims.Claim, claims.Page, error) {
					return m.rd.InsurerQueue(org, status, after, limit)
				})
			}}},
		{"providerClaims", &graphql.Field{Type: nn(m.conn),
			Args:        schema.ForwardConnArgs(graphql.FieldConfigArgument{"provider": {Type: graphql.ID, Description: "Default: the viewer's organisation."}}),
			Description: "The claims a provider filed, newest first (its staff who read claims, auditors).",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				_, org, err := m.orgArg(p.Context, p.Args, "provider", "the staff")
				if err != nil {
					return nil, err
				}
				return m.page(p.Context, p.Args, "claimp", func(after string, limit int) ([]*claims.Claim, claims.Page, error) {
					return m.rd.ProviderClaims(org, after, limit)
				})
			}}},
		{"myClaims", &graphql.Field{Type: nn(m.conn), Args: connArgs, Description: "The viewer's own claims as a patient, newest first.",
			Resolve: func(p graphql.ResolveParams) (any, error) {
				v, err := schema.Account(p.Context)
				if err != nil {
					return nil, err
				}
				return m.page(p.Context, p.Args, "myclaim", func(after string, limit int) ([]*claims.Claim, claims.Page, error) {
					return m.rd.PatientClaims(v, after, limit)
				})
			}}},
	}
	qs = append(qs,
		query{"claimResponse", m.fhirResponse("claim response", (*claimdoc.FHIRClaim).ClaimResponse,
			"The claim's FHIR R4 ClaimResponse (JSON), rendered on the caller's copy of the claim's FHIR Claim (document), which must be the "+
				"claim's: its amounts (and parties where it names them) the ledger's and, on a portal holding the provider's claims key, its "+
				"fingerprints too. For readers of the claim who hold its Claim without reading the record — the provider's staff above all; "+
				"openClaimDocument answers the same with a read of the document. Null when there is no such claim.")},
		query{"explanationOfBenefit", m.fhirResponse("explanation of benefit", (*claimdoc.FHIRClaim).ExplanationOfBenefit,
			"The claim's FHIR R4 ExplanationOfBenefit (JSON), rendered as claimResponse is.")})
	for _, q := range qs {
		if err := b.Query(q.name, q.f); err != nil {
			return err
		}
	}
	return nil
}

// fhirResponse is a query that renders a claim's FHIR response (render)
// on the caller's copy of the claim's FHIR Claim, for whoever may read the
// claim. The caller brings the services, so nothing is read from the
// record: the portal only checks that the Claim is the claim's (by content
// and, holding the provider's key, by fingerprints) before rendering the
// ledger's decision on it.
func (m *mod) fhirResponse(name string, render func(*claimdoc.FHIRClaim, claimdoc.Decision) ([]byte, error), desc string) *graphql.Field {
	return &graphql.Field{Type: graphql.String, Description: desc,
		Args: graphql.FieldConfigArgument{"claim": {Type: nn(graphql.ID), Description: "The claim id."},
			"document": {Type: nn(graphql.String), Description: "The claim's FHIR R4 Claim (JSON) as filed."}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			c, err := m.readable(p.Context, p.Args["claim"].(string))
			if c == nil || err != nil {
				return nil, err
			}
			lc, err := filed(c)
			if err != nil {
				return nil, m.internal(p.Context, "claim", err)
			}
			doc, _ := p.Args["document"].(string)
			d, fc, err := claimdoc.Read([]byte(doc), lc)
			var ce *claimdoc.ClaimError
			if errors.As(err, &ce) {
				return nil, invalidClaim{ce}
			} else if err != nil {
				return nil, m.internal(p.Context, name, err)
			}
			if key := m.own.Keys[c.Provider]; key != nil {
				err = key.Verify(lc, d)
			} else {
				err = claimdoc.VerifyContent(lc, d)
			}
			if err != nil {
				return nil, schema.BadInput("the document is not claim " + c.ID + "'s: " + strings.TrimPrefix(err.Error(), claimdoc.ErrMismatch.Error()+": "))
			}
			out, err := render(fc, c.Decision())
			if err != nil {
				return nil, m.internal(p.Context, name, err)
			}
			return string(out), nil
		}}
}
