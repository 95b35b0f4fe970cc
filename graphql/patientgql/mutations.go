package patientgql

import (
	"context"
	"time"

	"github.com/graphql-go/graphql"

	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
)

// args reads a mutation's arguments (schema.ArgReader) plus this module's shapes.
type args struct{ schema.ArgReader }

// time adds an RFC 3339 time as Unix seconds.
func (a *args) time(gql, name string, required bool) {
	s, ok := a.In[gql].(string)
	if !ok {
		if required {
			a.Fail(gql + " is required")
		}
		return
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		a.Fail(gql + " must be an RFC 3339 time")
	}
	a.Out = append(a.Out, tx.Int(name, t.Unix()))
}

// version adds the optional record version (a positive number).
func (a *args) version() {
	n, ok := a.In["version"].(int)
	if !ok {
		return
	}
	if n < 1 {
		a.Fail("version must be 1 or more")
		return
	}
	a.Out = append(a.Out, tx.Uint(recordvocab.ArgVersion, uint64(n)))
}

// terms adds a consent's terms (grant and request).
func (a *args) terms() {
	a.Str("id", consentvocab.ArgConsentID)
	a.OptStr("grantee", consentvocab.ArgGrantee)
	a.Str("purpose", consentvocab.ArgPurpose)
	a.Strings("records", consentvocab.ArgRecords)
	a.Strings("categories", consentvocab.ArgCategories)
	a.time("start", consentvocab.ArgStart, true)
	a.time("end", consentvocab.ArgEnd, true)
	a.OptStr("scope", consentvocab.ArgScope)
	a.OptStr("category", consentvocab.ArgCategory)
	a.OptStr("actorRole", consentvocab.ArgActorRole)
}

// onConsent plans a patient's call on an existing consent (answer,
// amendment or revocation): the policy is asked about the consent of its
// patient; a consent the read model does not hold yet is left to the
// ledger.
func (m *mod) onConsent(ctx context.Context, in map[string]any, plan *schema.TxPlan) error {
	c, err := schema.Found(ctx, m.log, "patients: consent", m.rd.Consent, in["id"].(string))
	if err != nil {
		return err
	}
	if c == nil {
		plan.LeftToLedger = "the read model does not hold the consent yet"
		return nil
	}
	plan.On, plan.Refused = []schema.Resource{{Owner: c.Patient}}, "only the consent's patient may do this"
	return nil
}

func (m *mod) registerMutations(b *schema.Builder) error {
	idArg := &graphql.ArgumentConfig{Type: nn(graphql.ID), Description: "The consent id."}
	terms := func(request bool) graphql.FieldConfigArgument {
		f := graphql.FieldConfigArgument{
			"id":         {Type: nn(graphql.ID), Description: "The new consent's id."},
			"grantee":    {Type: graphql.ID, Description: "A member or an organisation."},
			"purpose":    {Type: nn(graphql.String), Description: "treatment, claims, payment, research, public-health or care-coordination."},
			"records":    {Type: graphql.NewList(nn(graphql.ID))},
			"categories": {Type: graphql.NewList(nn(graphql.String))},
			"start":      {Type: nn(graphql.String), Description: "RFC 3339."},
			"end":        {Type: nn(graphql.String), Description: "RFC 3339."},
			"scope":      {Type: graphql.String, Description: "FHIR Consent.scope code."},
			"category":   {Type: graphql.String, Description: "FHIR Consent.category code."},
			"actorRole":  {Type: graphql.String, Description: "FHIR provision.actor.role code."},
		}
		if request {
			f["patient"] = &graphql.ArgumentConfig{Type: nn(graphql.ID)}
			f["grantee"].Description = "Default: the requester."
		} else {
			f["grantee"].Type = nn(graphql.ID)
		}
		return f
	}
	type spec struct {
		name, contract, method, desc string
		obj, act                     string // what the contract asks the policy
		args                         graphql.FieldConfigArgument
		build                        func(a *args)
		// on names what the call acts on (plan.On), or says why the
		// ledger decides (plan.LeftToLedger).
		on func(ctx context.Context, viewer string, in map[string]any, plan *schema.TxPlan) error
	}
	onConsent := func(ctx context.Context, _ string, in map[string]any, plan *schema.TxPlan) error {
		return m.onConsent(ctx, in, plan)
	}
	specs := []spec{
		{"grantConsent", consentvocab.Name, consentvocab.MethodGrant,
			"Grant a consent on the viewer's own records (patients).",
			"consent", "grant", terms(false),
			func(a *args) { a.terms() },
			func(_ context.Context, v string, _ map[string]any, plan *schema.TxPlan) error {
				plan.On, plan.Refused = []schema.Resource{{Owner: v}}, "only a patient grants consents on their own records"
				return nil
			}},
		{"requestConsent", consentvocab.Name, consentvocab.MethodRequest,
			"Ask a patient for a consent; it stays PROPOSED until the patient accepts (physicians, records clerks).",
			"consent", "request", terms(true),
			func(a *args) { a.Str("patient", consentvocab.ArgPatient); a.terms() },
			func(_ context.Context, _ string, in map[string]any, plan *schema.TxPlan) error {
				plan.On = []schema.Resource{{Owner: in["patient"].(string)}}
				plan.Refused = "only a physician or records clerk may request a consent"
				return nil
			}},
		{"acceptConsent", consentvocab.Name, consentvocab.MethodAccept, "Accept a requested consent (its patient).",
			"consent", "grant",
			graphql.FieldConfigArgument{"id": idArg},
			func(a *args) { a.Str("id", consentvocab.ArgConsentID) }, onConsent},
		{"declineConsent", consentvocab.Name, consentvocab.MethodDecline,
			"Decline a requested consent (its patient).", "consent",
			"grant",
			graphql.FieldConfigArgument{"id": idArg},
			func(a *args) { a.Str("id", consentvocab.ArgConsentID) }, onConsent},
		{"amendConsent", consentvocab.Name, consentvocab.MethodAmend,
			"Change an active consent's purpose and/or period (its patient).", "consent", "grant",
			graphql.FieldConfigArgument{"id": idArg, "purpose": {Type: graphql.String}, "start": {Type: graphql.String, Description: "RFC 3339."},
				"end": {Type: graphql.String, Description: "RFC 3339."}},
			func(a *args) {
				a.Str("id", consentvocab.ArgConsentID)
				a.OptStr("purpose", consentvocab.ArgPurpose)
				a.time("start", consentvocab.ArgStart, false)
				a.time("end", consentvocab.ArgEnd, false)
				if len(a.Out) == 1 {
					a.Fail("give purpose, start, end or a combination")
				}
			}, onConsent},
		{"revokeConsent", consentvocab.Name, consentvocab.MethodRevoke,
			"Revoke an active consent, effective from the next transaction (its patient).",
			"consent", "revoke", graphql.FieldConfigArgument{"id": idArg},
			func(a *args) { a.Str("id", consentvocab.ArgConsentID) }, onConsent},
	}
	for _, s := range specs {
		err := b.TxMutation(schema.TxMutation{Name: s.name, Object: s.obj, Action: s.act, Description: s.contract + "." + s.method + ": " + s.desc,
			Args: s.args,
			Plan: func(ctx context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
				a := &args{schema.ArgReader{In: in}}
				s.build(a)
				if a.Err != nil {
					return nil, a.Err
				}
				plan := &schema.TxPlan{Call: schema.Call{Contract: s.contract, Method: s.method, Args: a.Out}}
				return plan, s.on(ctx, v, in, plan)
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
