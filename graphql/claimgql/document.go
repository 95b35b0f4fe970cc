package claimgql

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/donationgql"
	"github.com/almoner/almoner/graphql/schema"
	"github.com/almoner/almoner/portal/claims"
	"github.com/almoner/almoner/portal/patients"
	"github.com/almoner/almoner/portal/readmodel"
)

// noKey is the answer of a portal that cannot file provider's claims.
func noKey(provider string) error {
	return schema.Errorf(schema.CodeUnavailable,
		"this portal holds no claims fingerprint key of "+provider+", so it cannot file its claims; start it with --claims-keys DIR holding "+claimdoc.KeyFile(provider))
}

func noRecords() error {
	return schema.Errorf(schema.CodeUnavailable, "this portal stores and opens no records")
}

// serviceCode reads a submitClaim item's code: any code of any system
// (default CPT), with its modifiers. For the default system a code
// written the first way, "99213-25", still reads as 99213 with modifier
// 25: CPT codes have no "-".
func serviceCode(in map[string]any) (claimdoc.ServiceCode, error) {
	code, _ := in["serviceCode"].(string)
	system, _ := in["system"].(string)
	var mods []string
	if system == "" || claimdoc.NormalizeSystem(system) == claimdoc.SystemCPT {
		system = claimdoc.SystemCPT
		parts := strings.Split(code, "-")
		legacy := len(parts) > 1
		for _, p := range parts[1:] {
			legacy = legacy && len(p) == 2 && strings.Trim(strings.ToUpper(p), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
		}
		if legacy {
			code, mods = parts[0], parts[1:]
		}
	}
	raw, _ := in["modifiers"].([]any)
	for _, m := range raw {
		s, _ := m.(string)
		mods = append(mods, s)
	}
	return claimdoc.NewServiceCode(system, code, mods, nil)
}

// userMessage is an invalid document's error as users read it.
func userMessage(err error) string {
	return strings.TrimPrefix(err.Error(), claimdoc.ErrInvalid.Error()+": ")
}

// documentInput reads submitClaim's arguments into a claim document.
func documentInput(in map[string]any, provider string, now time.Time) (*claimdoc.Document, error) {
	d := &claimdoc.Document{Provider: provider, Created: now.UTC().Format(time.DateOnly)}
	d.ClaimID, _ = in["id"].(string)
	d.Patient, _ = in["patient"].(string)
	d.Insurer, _ = in["insurer"].(string)
	d.Currency, _ = in["currency"].(string)
	raw, _ := in["items"].([]any)
	for i, r := range raw {
		it, _ := r.(map[string]any)
		date, _ := it["date"].(string)
		amount, err := schema.Minor(it["amount"], d.Currency, donationgql.MaxAmount)
		if err != nil {
			return nil, schema.BadInput(fmt.Sprintf("item %d: amount: %v", i+1, err))
		}
		sc, err := serviceCode(it)
		if err != nil {
			return nil, schema.BadInput(fmt.Sprintf("item %d: %s", i+1, userMessage(err)))
		}
		d.Lines = append(d.Lines, claimdoc.Line{Service: claimdoc.Service{Code: sc.String(), Date: date}, Amount: amount})
	}
	if recs, ok := in["records"].([]any); ok {
		for _, r := range recs {
			s, _ := r.(string)
			d.Records = append(d.Records, s)
		}
	}
	if err := d.Validate(now); err != nil {
		return nil, schema.BadInput(userMessage(err))
	}
	return d, nil
}

// invalidClaim is submitFhirClaim's refusal of a FHIR Claim: BAD_USER_INPUT
// whose message lists every problem and whose extensions carry them as
// {path, reason}.
type invalidClaim struct{ *claimdoc.ClaimError }

func (e invalidClaim) Error() string {
	return "the FHIR Claim cannot be filed: " + userMessage(e.ClaimError)
}

// Extensions implements gqlerrors.ExtendedError.
func (e invalidClaim) Extensions() map[string]any {
	problems := make([]map[string]any, len(e.Problems))
	for i, p := range e.Problems {
		problems[i] = map[string]any{"path": p.Path, "reason": p.Reason}
	}
	return map[string]any{"code": schema.CodeBadUserInput, "problems": problems, "moreProblems": e.More}
}

// fhirClaimID is the claim id of a FHIR Claim filed by provider without
// one given: derived under the provider's claims key from the Claim's id
// or first identifier (claimdoc.Key.ClaimID), so that filing it twice is
// a conflict and the ledger learns nothing from the hospital's own ids.
func fhirClaimID(key *claimdoc.Key, provider string, c *claimdoc.FHIRClaim) (string, error) {
	ck := c.Key()
	if ck == "" {
		return "", schema.BadInput("the FHIR Claim has no id and no identifier: give the claim's id (argument id)")
	}
	return key.ClaimID(provider, ck), nil
}

// document makes a claim's document and its FHIR Claim for provider
// from a filing mutation's arguments.
type document func(ctx context.Context, provider string, key *claimdoc.Key, now time.Time) (*claimdoc.Document, []byte, error)

// filing plans claim.submit by account for the provider argument (default:
// the viewer's organisation): once the policy lets the viewer file that
// provider's claims for the patient, the document is made (doc) and
// stored with the custodian (file), and the call carries its amounts,
// fingerprints and ciphertext hash.
func (m *mod) filing(account string, in map[string]any, doc document) *schema.TxPlan {
	provider, _ := in["provider"].(string)
	if provider == "" {
		provider = schema.OrgOf(account)
	}
	patient, _ := in["patient"].(string)
	return &schema.TxPlan{Call: schema.Call{Contract: claimvocab.Name, Method: claimvocab.MethodSubmit},
		On:      []schema.Resource{{Owner: patient, Org: provider}},
		Refused: "only a physician or records clerk of " + provider + " may file its claims",
		Stage: func(ctx context.Context, call *schema.Call) (any, error) {
			key := m.own.Keys[provider]
			if key == nil {
				return nil, noKey(provider)
			}
			if m.own.Records == nil {
				return nil, noRecords()
			}
			now := time.Now()
			d, fhir, err := doc(ctx, provider, key, now)
			if err != nil {
				return nil, err
			}
			call.Args, err = m.file(ctx, account, key, d, fhir, now)
			return nil, err
		}}
}

// submitClaim files a claim as a hospital's portal does: the itemised
// claim (a FHIR Claim) is sealed for the provider's node, and one
// claim.submit registers it as a record of category "claim" and carries
// only the amounts, the document's id and the keyed fingerprints. No
// service code or date reaches the ledger.
func (m *mod) submitClaim(ctx context.Context, account string, in map[string]any) (*schema.TxPlan, error) {
	return m.filing(account, in, func(ctx context.Context, provider string, _ *claimdoc.Key, now time.Time) (*claimdoc.Document, []byte, error) {
		d, err := documentInput(in, provider, now)
		if err != nil {
			return nil, nil, err
		}
		fhir, err := d.MarshalFHIR()
		if err != nil {
			return nil, nil, m.internal(ctx, "document", err)
		}
		return d, fhir, nil
	}), nil
}

// submitFhirClaim files a hospital's own FHIR R4 Claim: validated
// (claimdoc.ParseFHIR: BAD_USER_INPUT naming every problem by path), kept
// as it came as the claim's encrypted document, with the ledger's amounts
// and keyed fingerprints derived from it and the consortium's patient,
// insurer and claim id from the arguments.
func (m *mod) submitFhirClaim(ctx context.Context, account string, in map[string]any) (*schema.TxPlan, error) {
	return m.filing(account, in, func(ctx context.Context, provider string, key *claimdoc.Key, now time.Time) (*claimdoc.Document, []byte, error) {
		raw, _ := in["claim"].(string)
		fc, err := claimdoc.ParseFHIR([]byte(raw), now)
		var ce *claimdoc.ClaimError
		if errors.As(err, &ce) {
			return nil, nil, invalidClaim{ce}
		} else if err != nil {
			return nil, nil, m.internal(ctx, "FHIR claim", err)
		}
		id, _ := in["id"].(string)
		if id == "" {
			if id, err = fhirClaimID(key, provider, fc); err != nil {
				return nil, nil, err
			}
		}
		patient, _ := in["patient"].(string)
		insurer, _ := in["insurer"].(string)
		var recs []string
		if l, ok := in["records"].([]any); ok {
			for _, r := range l {
				s, _ := r.(string)
				recs = append(recs, s)
			}
		}
		d := fc.Document(id, provider, patient, insurer, recs)
		if err := d.Validate(now); err != nil {
			return nil, nil, schema.BadInput(userMessage(err))
		}
		return d, []byte(raw), nil
	}), nil
}

// file stores document d (its FHIR Claim, fhir) as the claim's encrypted
// record with the custodian and returns claim.submit's arguments: the
// amounts and the fingerprints under key and the document's ciphertext
// hash. One transaction registers the document and files the claim, or
// does neither (a refused claim leaves no record in the patient's list;
// the upload no transaction references is swept after the grace period).
func (m *mod) file(ctx context.Context, v string, key *claimdoc.Key, d *claimdoc.Document, fhir []byte, now time.Time) ([]tx.Arg, error) {
	if _, err := m.rd.Claim(d.ClaimID); err == nil {
		return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("claim %q already exists", d.ClaimID))
	} else if !errors.Is(err, readmodel.ErrNotFound) {
		return nil, m.internal(ctx, "claim", err)
	}
	// The document's version: 1, or the next of an earlier attempt's.
	docID, version := claimdoc.RecordID(d.ClaimID), uint64(1)
	if rec, err := m.docs.Record(docID); err == nil {
		if rec.Custodian != d.Provider || rec.Patient != d.Patient || rec.Category != claimdoc.RecordCategory || rec.Erased || len(rec.Versions) == 0 {
			return nil, schema.Errorf(schema.CodeConflict, fmt.Sprintf("record %q exists and cannot hold this claim; file it under another id", docID))
		}
		version = rec.Versions[len(rec.Versions)-1].Version + 1
	} else if !errors.Is(err, readmodel.ErrNotFound) {
		return nil, m.internal(ctx, "record", err)
	}
	args, err := key.SubmitArgs(d, docID, version, now)
	if err != nil {
		return nil, schema.BadInput(userMessage(err))
	}
	hash, err := m.own.Records.Store(ctx, v, d.Provider, docID, version, fhir)
	if err != nil {
		return nil, schema.StoreErr(ctx, m.log, "claims: storing the document", err)
	}
	// claim.submit registers the document in the claim's own transaction:
	// a refused claim leaves no record (its upload is swept).
	return append(args, tx.Bytes(claimvocab.ArgDocumentCiphertextHash, hash[:])), nil
}

// filed rebuilds from the index what the ledger holds of c (what
// claimdoc.Verify compares).
func filed(c *claims.Claim) (claimdoc.Filed, error) {
	f := claimdoc.Filed{ID: c.ID, Provider: c.Provider, Patient: c.Patient, Insurer: c.Insurer, Currency: c.Currency,
		Records: c.LinkedRecords, KeyID: c.KeyID}
	for _, it := range c.Items {
		f.Amounts = append(f.Amounts, it.Amount)
	}
	parse := func(s string) (ledger.Hash, error) {
		var h ledger.Hash
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != len(h) {
			return h, fmt.Errorf("claimgql: claim %q: fingerprint %q", c.ID, s)
		}
		copy(h[:], b)
		return h, nil
	}
	var err error
	if f.Fingerprint, err = parse(c.Fingerprint); err != nil {
		return f, err
	}
	for _, s := range c.ItemKeys {
		h, err := parse(s)
		if err != nil {
			return f, err
		}
		f.ItemKeys = append(f.ItemKeys, h)
	}
	return f, nil
}

// claimDocument is what openClaimDocument answers.
type claimDocument struct {
	c        *claims.Claim
	access   tx.ID
	consent  string // the consent the access relied on ("" when none)
	version  uint64
	doc      *claimdoc.Document
	fc       *claimdoc.FHIRClaim // the FHIR Claim it was read from
	fhir     string
	verified bool
	// fingerprintsChecked: the portal holds the provider's key and the
	// fingerprints on the ledger are the document's.
	fingerprintsChecked bool
	problem             string
}

// response renders the ledger's decision on the document as a FHIR
// resource (render: ClaimResponse or ExplanationOfBenefit); null unless
// the document verified against the claim.
func (d *claimDocument) response(render func(*claimdoc.FHIRClaim, claimdoc.Decision) ([]byte, error)) (any, error) {
	if !d.verified || d.fc == nil {
		return nil, nil
	}
	b, err := render(d.fc, d.c.Decision())
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// claimsConsent returns the consent under which viewer v, a member of
// claim c's insurer, may read c's document at now: an active consent of
// c's patient granted to v or v's organisation, for purpose "claims",
// covering the document (by its id or its category "claim"), within its
// period ("" when there is none). Of several, it prefers one granted to
// v, then the one that lasts longest, then the smallest id. The ledger
// checks the consent again when it decides the access.
func (m *mod) claimsConsent(v string, c *claims.Claim, now time.Time) (string, error) {
	cs, err := m.docs.ActiveConsents(c.Patient)
	if err != nil {
		return "", err
	}
	var best *patients.Consent
	better := func(a, b *patients.Consent) bool { // a before b
		if ar, br := a.Grantee == v, b.Grantee == v; ar != br {
			return ar
		}
		if a.End != b.End {
			return a.End > b.End
		}
		return a.ID < b.ID
	}
	for _, k := range cs {
		switch {
		case k.Patient != c.Patient || k.Status != consentvocab.StatusActive || k.Purpose != claimdoc.Purpose,
			k.Grantee != v && k.Grantee != schema.OrgOf(v),
			!slices.Contains(k.Records, c.Document) && !slices.Contains(k.Categories, claimdoc.RecordCategory),
			now.Unix() < k.Start || now.Unix() >= k.End:
			continue
		}
		if best == nil || better(k, best) {
			best = k
		}
	}
	if best == nil {
		return "", nil
	}
	return best.ID, nil
}

// openClaimDocument reads a claim's itemised document: it signs
// record.access for the document's filed version (purpose "claims",
// naming the patient's consent: the one given or, for a member of the
// claim's insurer, one the patient granted that the portal finds), and,
// once the ledger grants it, fetches the ciphertext from the custodian
// and opens it with the viewer's key. The answer says whether the
// document matches the claim on the ledger (amounts, parties,
// fingerprints under this portal's key). The insurer's first such read
// is what claim.adjudicate requires. The portal asks the policy about the
// claim (claim read); the access itself the ledger decides and records.
func (m *mod) openClaimDocument(ctx context.Context, v string, in map[string]any) (*schema.TxPlan, error) {
	id, _ := in["claim"].(string)
	c, err := schema.Found(ctx, m.log, "claims: claim", m.rd.Claim, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, schema.Errorf(schema.CodeNotFound, fmt.Sprintf("no claim %q", id))
	}
	consent, _ := in["consent"].(string)
	plan := &schema.TxPlan{On: readingClaim(c), Refused: readRefused,
		Call: schema.Call{Contract: recordvocab.Name, Method: recordvocab.MethodAccess,
			Args: []tx.Arg{tx.String(recordvocab.ArgRecordID, c.Document),
				tx.String(recordvocab.ArgPurpose, claimdoc.Purpose), tx.Uint(recordvocab.ArgVersion, c.DocumentVersion)}}}
	plan.Stage = func(ctx context.Context, call *schema.Call) (any, error) {
		if m.own.Records == nil {
			return nil, noRecords()
		}
		if consent == "" && schema.OrgOf(v) == c.Insurer {
			if consent, err = m.claimsConsent(v, c, time.Now()); err != nil {
				return nil, m.internal(ctx, "consents", err)
			}
			if consent == "" {
				return nil, schema.Forbidden(fmt.Sprintf("no active consent of %s lets %s read the itemised claim of %q: the patient grants one "+
					"to %s (purpose %q, category %q), or name a consent", c.Patient, v, c.ID, c.Insurer, claimdoc.Purpose, claimdoc.RecordCategory))
			}
		}
		if consent != "" {
			call.Args = append(call.Args, tx.String(recordvocab.ArgConsentID, consent))
		}
		return nil, nil
	}
	plan.Done = func(ctx context.Context, res *schema.TxResult, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return m.openedDocument(ctx, c, consent, res)
	}
	return plan, nil
}

// openedDocument fetches and checks claim c's document released by the
// access res (relying on consent).
func (m *mod) openedDocument(ctx context.Context, c *claims.Claim, consent string, res *schema.TxResult) (*claimDocument, error) {
	if res.Receipt == nil {
		return nil, schema.Errorf(schema.CodeUnavailable, "the access was not committed in time; try again")
	}
	if !res.Receipt.OK() {
		return nil, schema.Forbidden("the ledger refused the access: " + res.Receipt.Error)
	}
	for _, e := range res.Receipt.Events {
		if e.Type == "access_refused" {
			return nil, schema.Forbidden("the ledger refused the access: " + e.Attr(recordvocab.AttrReason))
		}
	}
	want, err := m.docs.VersionHash(c.Document, c.DocumentVersion)
	if err != nil {
		return nil, m.internal(ctx, "document version", err)
	}
	v, _ := schema.Account(ctx)
	opened, err := m.own.Records.Open(ctx, v, res.ID)
	if err == nil {
		err = opened.Check(c.Document, c.DocumentVersion, want)
	}
	if err != nil {
		return nil, m.cfg.NotDelivered(ctx, res.ID, err)
	}
	out := &claimDocument{c: c, access: res.ID, consent: consent, version: opened.Version, fhir: string(opened.Plaintext)}
	lc, err := filed(c)
	if err != nil {
		return nil, m.internal(ctx, "claim", err)
	}
	d, fc, err := claimdoc.Read(opened.Plaintext, lc)
	switch {
	case err != nil:
		out.problem = "the document is not a FHIR Claim this portal can read: " + userMessage(err)
	default:
		out.doc, out.fc = d, fc
		key := m.own.Keys[c.Provider]
		if key != nil {
			err = key.Verify(lc, d)
		} else {
			err = claimdoc.VerifyContent(lc, d)
		}
		if err != nil {
			out.problem = strings.TrimPrefix(err.Error(), claimdoc.ErrMismatch.Error()+": ")
		} else {
			out.verified, out.fingerprintsChecked = true, key != nil
		}
	}
	if !out.verified {
		m.log.WarnContext(ctx, "a claim document did not verify", "claim", c.ID, "access", res.ID.String())
	}
	return out, nil
}

func (m *mod) registerDocumentMutations(b *schema.Builder) error {
	itemInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "ClaimItemInput", Fields: graphql.InputObjectConfigFieldMap{
		"serviceCode": {Type: nn(graphql.String), Description: "The code billed, of any system and any case (up to 64 characters), e.g. 99213, " +
			"j1100, exam; in the default system (CPT) \"99213-25\" is 99213 with modifier 25."},
		"system": {Type: graphql.String, Description: "The code's system (a URI); default CPT, http://www.ama-assn.org/go/cpt."},
		"modifiers": {Type: graphql.NewList(nn(graphql.String)), Description: "Modifier codes, in any order and case. Only those that name a " +
			"site (LT, RT, F1, ...) make it another service than the same code without them."},
		"date":   {Type: nn(graphql.String), Description: "Service date YYYY-MM-DD (not after today), or a period YYYY-MM-DD/YYYY-MM-DD."},
		"amount": {Type: nn(Amount), Description: "In the claim's currency: \"80.50\" (or a number of minor units)."},
	}})
	recordsArg := &graphql.ArgumentConfig{Type: graphql.NewList(nn(graphql.ID)), Description: "Linked records of the patient held by the provider."}
	providerArg := &graphql.ArgumentConfig{Type: graphql.ID, Description: "Default: the viewer's organisation."}
	if err := b.TxMutation(schema.TxMutation{Name: "submitClaim", Object: "claim", Action: "submit",
		Description: "File a claim for the viewer's hospital (physicians, records clerks). The itemised claim (codes, dates, amounts) becomes an " +
			"encrypted record of category \"claim\" on the hospital's node; the ledger gets the amounts, the record's id and keyed fingerprints " +
			"that stop a second claim for the same services at any insurer. Returns the claim.submit transaction. A hospital with a FHIR Claim " +
			"files it as it is with submitFhirClaim.",
		Args: graphql.FieldConfigArgument{
			"id": {Type: nn(graphql.ID), Description: "The new claim's id."}, "patient": {Type: nn(graphql.ID)},
			"insurer": {Type: nn(graphql.ID)}, "currency": {Type: nn(graphql.String), Description: "ISO 4217."},
			"items":    {Type: nn(graphql.NewList(nn(itemInput)))},
			"records":  recordsArg,
			"provider": providerArg,
		},
		Plan: m.submitClaim}); err != nil {
		return err
	}
	if err := b.TxMutation(schema.TxMutation{Name: "submitFhirClaim", Object: "claim", Action: "submit",
		Description: "File a hospital's own FHIR R4 Claim (JSON) for the viewer's hospital (physicians, records clerks): professional, " +
			"institutional, oral, vision or pharmacy; codes of any system and case, modifiers, body sites, quantities, unit prices, contained " +
			"resources. It must be an active Claim of use claim with 1 to 50 items, each billing one coding on a day no later than today, with a " +
			"net amount (or a unitPrice) in one currency, net = quantity × unitPrice × factor; anything else is BAD_USER_INPUT naming every " +
			"problem by path (extensions.problems: [{path, reason}]). The Claim is kept as it came, its own patient and insurer references " +
			"included, as the claim's encrypted document; the ledger gets each item's net amount and keyed fingerprints of its services. " +
			"Returns the claim.submit transaction.",
		Args: graphql.FieldConfigArgument{
			"claim":   {Type: nn(graphql.String), Description: "The FHIR R4 Claim, JSON (at most 256 KiB)."},
			"patient": {Type: nn(graphql.ID), Description: "The consortium's patient member the claim is for (the Claim's own patient reference is the hospital's)."},
			"insurer": {Type: nn(graphql.ID), Description: "The consortium's insurer organisation it is filed with."},
			"id": {Type: graphql.ID, Description: "The new claim's id; by default one derived from the Claim's id (or first identifier) " +
				"under the hospital's claims key, \"<provider>-<20 hex digits>\": the same Claim gets the same id, and the ledger learns " +
				"nothing from the hospital's own ids."},
			"records":  recordsArg,
			"provider": providerArg,
		},
		Plan: m.submitFhirClaim}); err != nil {
		return err
	}
	line := graphql.NewObject(graphql.ObjectConfig{Name: "ClaimDocumentItem", Fields: graphql.Fields{
		"seq":      field(nn(graphql.Int), func(l lineT) any { return l.seq }, "The item's position, 1-based: the ledger's item seq."),
		"sequence": field(nn(graphql.Int), func(l lineT) any { return l.Sequence }, "The item's sequence in the FHIR Claim."),
		"serviceCode": field(nn(graphql.String), func(l lineT) any { return l.Service.Display() },
			"The code billed with its modifiers, normalised (upper case, modifiers sorted): 99213-25."),
		"system":    field(graphql.String, func(l lineT) any { return schema.OptString(l.System) }, "The code's system, as written."),
		"code":      field(nn(graphql.String), func(l lineT) any { return l.Code }, "The code billed, as written."),
		"modifiers": field(schema.List(graphql.String), func(l lineT) any { return nonNil(l.Modifiers) }, "Modifier codes, as written."),
		"display":   field(graphql.String, func(l lineT) any { return schema.OptString(l.Display) }, "The code's display or text, if any."),
		"date": field(nn(graphql.String), func(l lineT) any { return l.Date },
			"Date of service, YYYY-MM-DD, or YYYY-MM-DD/YYYY-MM-DD over a period."),
		"quantity":  field(graphql.String, func(l lineT) any { return schema.OptString(l.Quantity) }, "quantity.value, as written."),
		"unitPrice": field(graphql.String, func(l lineT) any { return schema.OptString(l.UnitPrice) }, "unitPrice.value, as written."),
		"amount":    field(nn(Amount), func(l lineT) any { return amount(l.Net, l.cur) }, "Claimed (net), in the claim's currency."),
	}})
	fhirResource := func(name string, render func(*claimdoc.FHIRClaim, claimdoc.Decision) ([]byte, error), desc string) *graphql.Field {
		return &graphql.Field{Type: graphql.String, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
			d, ok := p.Source.(*claimDocument)
			if !ok {
				return nil, nil
			}
			out, err := d.response(render)
			if err != nil {
				return nil, m.internal(p.Context, name, err)
			}
			return out, nil
		}}
	}
	doc := graphql.NewObject(graphql.ObjectConfig{Name: "ClaimDocument",
		Description: "A claim's itemised document, released to the viewer by a committed access and checked against the claim on the ledger.",
		Fields: graphql.Fields{
			"claim":    field(nn(graphql.ID), func(d *claimDocument) any { return d.c.ID }),
			"accessTx": field(nn(graphql.ID), func(d *claimDocument) any { return d.access.String() }, "The record.access transaction that released it."),
			"consent": field(graphql.ID, func(d *claimDocument) any { return schema.OptString(d.consent) },
				"The patient's consent the access relied on (null for the patient's own read)."),
			"version": field(nn(graphql.Int), func(d *claimDocument) any { return int(d.version) }),
			"verified": field(nn(graphql.Boolean), func(d *claimDocument) any { return d.verified },
				"True when the document is a FHIR Claim this portal reads and its currency, amounts (and, where it names them, parties and linked records) are the claim's on the ledger (and, with fingerprintsChecked, its fingerprints)."),
			"problem": field(graphql.String, func(d *claimDocument) any { return schema.OptString(d.problem) }, "Why verified is false."),
			"fingerprintsChecked": field(nn(graphql.Boolean), func(d *claimDocument) any { return d.fingerprintsChecked },
				"True when this portal holds the provider's claims key and the claim's fingerprints on the ledger are those of the document's services (a hospital's own portal; an insurer's portal checks the content only)."),
			"created": field(graphql.String, func(d *claimDocument) any {
				if d.doc == nil {
					return nil
				}
				return d.doc.Created
			}),
			"items": field(schema.List(line), func(d *claimDocument) any {
				out := []lineT{}
				if d.fc != nil {
					for i := range d.fc.Items {
						out = append(out, &docLine{FHIRItem: &d.fc.Items[i], seq: i + 1, cur: d.c.Currency})
					}
				}
				return out
			}),
			"fhir": field(nn(graphql.String), func(d *claimDocument) any { return d.fhir }, "The document as released: FHIR R4 Claim JSON."),
			"claimResponse": fhirResource("claim response", (*claimdoc.FHIRClaim).ClaimResponse,
				"The insurer's response as the ledger has it, as a FHIR R4 ClaimResponse (JSON): outcome, per item the submitted and benefit "+
					"amounts with reduction reasons (http://terminology.hl7.org/CodeSystem/adjudication), totals, payment. Null unless verified."),
			"explanationOfBenefit": fhirResource("explanation of benefit", (*claimdoc.FHIRClaim).ExplanationOfBenefit,
				"The same as a FHIR R4 ExplanationOfBenefit (JSON), with the document's items (services, dates, quantities, prices) beside "+
					"their adjudication. Null unless verified."),
		}})
	return b.TxMutation(schema.TxMutation{Name: "openClaimDocument", Object: "claim", Action: "read", Type: nn(doc), Wait: true,
		Description: "Read a claim's itemised document (record.access of its filed version, purpose claims). An adjuster of the claim's insurer " +
			"reads it under the patient's consent: the one named, or else an active one the patient granted to the adjuster or the insurer for " +
			"claims that covers the document (FORBIDDEN, with nothing signed, when there is none); the patient needs none. A refusal is on the " +
			"ledger and says why. The insurer must have read the document before adjudicateClaim. The answer carries the claim's FHIR " +
			"ClaimResponse and ExplanationOfBenefit: they show the services, so each fetch is such a read on the ledger.",
		Args: graphql.FieldConfigArgument{"claim": {Type: nn(graphql.ID)},
			"consent": {Type: graphql.ID, Description: "The patient's consent relied on; by default, for the insurer's adjusters, one the portal finds."}},
		Plan: m.openClaimDocument})
}

// docLine is an item of an opened document, its position and the claim's
// currency.
type docLine struct {
	*claimdoc.FHIRItem
	seq int
	cur string
}

type lineT = *docLine

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
