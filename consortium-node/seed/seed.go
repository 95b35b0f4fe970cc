package seed

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/genesis/devnet"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// ErrSeeded is returned when the chain already holds the demo data.
var ErrSeeded = errors.New("seed: the chain already holds the demo data")

// Config configures a seeding run.
type Config struct {
	// Home is the dev consortium folder (genesis.json, keys/).
	Home string
	// Client talks to a node of the consortium.
	Client *client.Client
	// FHIRDir holds FHIR JSON bundles (synthea-*.json) used as the
	// patients' records; empty or missing means generated stand-ins.
	FHIRDir string
	// Donors and Gifts size the donation demo (defaults 40 and 300).
	Donors, Gifts int
	// Seed makes amounts and earmarks reproducible (default 1).
	Seed uint64
	// Logger receives progress.
	Logger *slog.Logger
}

// Validate fills defaults and checks the config.
func (c *Config) Validate() error {
	if c.Home == "" || c.Client == nil {
		return errors.New("seed: Home and Client are required")
	}
	if c.Donors <= 0 {
		c.Donors = 40
	}
	if c.Gifts <= 0 {
		c.Gifts = 300
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

type seeder struct {
	cfg   Config
	g     *genesis.File
	keys  map[string]*genesis.KeyFile
	rnd   *rand.Rand
	nonce uint64
	now   time.Time
	node  consortium.Node // the custodian (stmarys's node)
	// lastHash is the SHA-256 of the last uploaded ciphertext.
	lastHash []byte
	// Stats counts what was created, for the caller's summary.
	Stats Stats
}

// Stats summarises a seeding run.
type Stats struct {
	Members, Campaigns, Gifts, Disbursements, Refunds, Records, Consents, Accesses, Claims, Txs int
}

// Run seeds the chain. It returns ErrSeeded if it ran before.
func Run(ctx context.Context, cfg Config) (*Stats, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := genesis.Load(filepath.Join(cfg.Home, "genesis.json"))
	if err != nil {
		return nil, err
	}
	s := &seeder{cfg: cfg, g: g, keys: map[string]*genesis.KeyFile{}, rnd: rand.New(rand.NewPCG(cfg.Seed, 7)), now: time.Now()}
	for _, m := range devnet.Members {
		kf, err := genesis.LoadKeyFile(genesis.KeyPath(cfg.Home, m.ID))
		if err != nil {
			return nil, fmt.Errorf("seed: %w (seed works on dev consortia made by `consortium-node init --dev`)", err)
		}
		s.keys[m.ID] = kf
	}
	nodes, err := cfg.Client.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(nodes, func(n consortium.Node) bool { return n.Org == "stmarys" })
	if i < 0 {
		return nil, errors.New("seed: no node of stmarys to hold the demo records")
	}
	s.node = nodes[i]
	if done, err := s.seeded(ctx); err != nil {
		return nil, err
	} else if done {
		return nil, ErrSeeded
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"members", s.members},
		{"donations", s.donations},
		{"records", s.records},
		{"consents and accesses", s.consents},
		{"claims", s.claims},
	}
	for _, st := range steps {
		start := time.Now()
		if err := st.fn(ctx); err != nil {
			return &s.Stats, fmt.Errorf("seed: %s: %w", st.name, err)
		}
		cfg.Logger.Info("seeded", "step", st.name, "took", time.Since(start).Round(time.Millisecond), "txs", s.Stats.Txs)
	}
	return &s.Stats, nil
}

// seeded reports whether the demo's first member already exists (its
// add_member would be refused): the chain was seeded before.
func (s *seeder) seeded(ctx context.Context) (bool, error) {
	_, err := os.Stat(genesis.KeyPath(s.cfg.Home, donorID(0)))
	return err == nil, nil
}

func donorID(i int) string { return fmt.Sprintf("hope/donor-%03d", i+1) }

type call struct {
	as, contract, method string
	args                 []tx.Arg
}

// submit signs and submits calls in one request, waits for them, and
// fails on the first that did not commit successfully.
func (s *seeder) submit(ctx context.Context, calls ...call) ([]api.TxStatus, error) {
	st, err := s.cfg.Client.Status(ctx)
	if err != nil {
		return nil, err
	}
	var raws [][]byte
	for _, c := range calls {
		kf, ok := s.keys[c.as]
		if !ok {
			return nil, fmt.Errorf("no key for %s", c.as)
		}
		k, err := kf.SignKey()
		if err != nil {
			return nil, err
		}
		s.nonce++
		raw, err := tx.SignEncoded(tx.Body{ChainID: s.g.ChainID, Sender: c.as, Nonce: uint64(s.now.UnixNano()) + s.nonce,
			Expiry: st.Height + 500, Call: tx.Call{Contract: c.contract, Method: c.method, Args: c.args}}, k)
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	var out []api.TxStatus
	for len(raws) > 0 { // the API takes at most api.MaxTxsPerBatch per request
		n := min(len(raws), 1000)
		res, err := s.cfg.Client.Submit(ctx, raws[:n], client.SubmitOptions{Wait: true, Timeout: 60 * time.Second})
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			c := calls[len(out)+i]
			if r.Status != api.StatusCommitted {
				return nil, fmt.Errorf("%s %s.%s: %s %s", c.as, c.contract, c.method, r.Status, r.Error)
			}
			if !r.Receipt.OK() {
				return nil, fmt.Errorf("%s %s.%s failed: %s", c.as, c.contract, c.method, r.Receipt.Error)
			}
		}
		out = append(out, res...)
		raws = raws[n:]
	}
	s.Stats.Txs += len(out)
	return out, nil
}

// addMember adds a member with fresh keys saved in the home's keys/.
func (s *seeder) addMember(ctx context.Context, admin, id, role string) error {
	kf, err := genesis.NewKeyFile(id, nil)
	if err != nil {
		return err
	}
	sk, ek, err := kf.Public()
	if err != nil {
		return err
	}
	if _, err := s.submit(ctx,
		call{admin, identityvocab.Name, identityvocab.MethodAddMember,
			[]tx.Arg{tx.String(identityvocab.ArgID, id), tx.Strings(identityvocab.ArgRoles, []string{role}),
				tx.String(identityvocab.ArgSignKey, sk.String()),
				tx.String(identityvocab.ArgEncKey, ek.String())}}); err != nil {
		return err
	}
	if err := kf.Save(genesis.KeyPath(s.cfg.Home, id)); err != nil {
		return err
	}
	s.keys[id] = kf
	s.Stats.Members++
	return nil
}

var patients = []string{"stmarys/patient-ana", "stmarys/patient-ben", "stmarys/patient-cara"}

func (s *seeder) members(ctx context.Context) error {
	for i := range s.cfg.Donors {
		if err := s.addMember(ctx, "hope/admin", donorID(i), "donor"); err != nil {
			return err
		}
	}
	for _, p := range patients[1:] {
		if err := s.addMember(ctx, "stmarys/admin", p, "patient"); err != nil {
			return err
		}
	}
	return nil
}

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

type campaign struct {
	id, title  string
	milestones []uint64 // amounts (EUR cents)
}

var campaigns = []campaign{
	{"heart-surgery-fund", "Heart surgery for children", []uint64{1_500_000, 1_000_000}},
	{"patient-assistance", "Patient assistance: uncovered hospital bills", []uint64{800_000, 700_000}},
	{"ward-renovation", "Paediatric ward renovation", []uint64{600_000, 900_000, 500_000}},
}

func (s *seeder) donations(ctx context.Context) error {
	const validator = "healthreg/validator"
	for _, c := range campaigns {
		var ms []string
		for i, a := range c.milestones {
			deadline := s.now.Add(time.Duration(30*(i+1)) * 24 * time.Hour).Unix()
			ms = append(ms, fmt.Sprintf("%d %s %d Stage %d of %s", a, validator, deadline, i+1, c.title))
		}
		if _, err := s.submit(ctx,
			call{"hope/officer", donationvocab.Contract, donationvocab.MethodCreateCampaign,
				[]tx.Arg{tx.String(donationvocab.ArgCampaignID, c.id), tx.String(donationvocab.ArgTitle, c.title),
					tx.String(donationvocab.ArgCurrency, "EUR"), tx.Strings(donationvocab.ArgMilestones, ms),
					tx.Strings(donationvocab.ArgBeneficiaries, []string{"stmarys"})}},
			call{"hope/officer", donationvocab.Contract, donationvocab.MethodOpen,
				[]tx.Arg{tx.String(donationvocab.ArgCampaignID, c.id)}}); err != nil {
			return err
		}
		s.Stats.Campaigns++
	}
	// A short campaign whose milestone will be missed and refunded.
	short := s.now.Add(3 * time.Second).Unix()
	if _, err := s.submit(ctx,
		call{"hope/officer", donationvocab.Contract, donationvocab.MethodCreateCampaign,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "winter-coats"),
				tx.String(donationvocab.ArgTitle, "Winter coats drive"),
				tx.String(donationvocab.ArgCurrency, "EUR"),
				tx.Strings(donationvocab.ArgMilestones,
					[]string{fmt.Sprintf("200000 %s %d Coats delivered", validator, short)})}},
		call{"hope/officer", donationvocab.Contract, donationvocab.MethodOpen,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "winter-coats")}}); err != nil {
		return err
	}
	s.Stats.Campaigns++

	// Gifts: amounts between 5 and 250 EUR, some earmarked, spread over
	// the campaigns but never beyond what each still needs.
	room := map[string][]uint64{}
	for _, c := range campaigns {
		room[c.id] = slices.Clone(c.milestones)
	}
	// The demo donor account's gifts come first and are earmarked (drawn
	// first), so that the first disbursements draw on them: their lineage
	// runs to a confirmed payment and to the funded hospital bill.
	calls := []call{
		{"hope/donor-sam", donationvocab.Contract, donationvocab.MethodGive,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, campaigns[0].id),
				tx.Uint(donationvocab.ArgAmount, 25_000), tx.Uint(donationvocab.ArgMilestone, 1)}},
		{"hope/donor-sam", donationvocab.Contract, donationvocab.MethodGive,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, campaigns[1].id), tx.Uint(donationvocab.ArgAmount, 5_000),
				tx.Uint(donationvocab.ArgMilestone, 1)}},
		{"hope/donor-sam", donationvocab.Contract, donationvocab.MethodGive,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, campaigns[2].id), tx.Uint(donationvocab.ArgAmount, 7_500)}},
	}
	room[campaigns[0].id][0] -= 25_000
	room[campaigns[1].id][0] -= 5_000
	room[campaigns[2].id][0] -= 7_500
	for i := range s.cfg.Gifts {
		c := campaigns[s.rnd.IntN(len(campaigns))]
		amount := uint64(500 + s.rnd.IntN(50)*500)
		args := []tx.Arg{tx.String(donationvocab.ArgCampaignID, c.id), tx.Uint(donationvocab.ArgAmount, amount)}
		r := room[c.id]
		if s.rnd.IntN(4) == 0 { // earmarked
			seq := s.rnd.IntN(len(r))
			if r[seq] < amount {
				continue
			}
			r[seq] -= amount
			args = append(args, tx.Uint(donationvocab.ArgMilestone, uint64(seq+1)))
		} else {
			left := amount
			for j := range r {
				take := min(left, r[j])
				r[j] -= take
				left -= take
			}
			if left > 0 {
				continue
			}
		}
		calls = append(calls, call{donorID(i % s.cfg.Donors), donationvocab.Contract, donationvocab.MethodGive, args})
	}
	calls = append(calls,
		call{"hope/donor-sam", donationvocab.Contract, donationvocab.MethodGive,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "winter-coats"), tx.Uint(donationvocab.ArgAmount, 2500)}},
		call{donorID(1), donationvocab.Contract, donationvocab.MethodGive,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "winter-coats"), tx.Uint(donationvocab.ArgAmount, 4000)}})
	if _, err := s.submit(ctx, calls...); err != nil {
		return err
	}
	s.Stats.Gifts += len(calls)

	// Evidence and approval of the first milestone of two campaigns, then
	// disbursements to St Mary's, confirmed by its records clerk.
	for _, c := range campaigns[:2] {
		if _, err := s.submit(ctx,
			call{"hope/officer", donationvocab.Contract, donationvocab.MethodSubmitEvidence,
				[]tx.Arg{tx.String(donationvocab.ArgCampaignID, c.id), tx.Uint(donationvocab.ArgMilestone, 1),
					tx.Bytes(donationvocab.ArgEvidenceHash, hash("evidence "+c.id))}},
			call{validator, donationvocab.Contract, donationvocab.MethodApproveMilestone,
				[]tx.Arg{tx.String(donationvocab.ArgCampaignID, c.id),
					tx.Uint(donationvocab.ArgMilestone, 1)}}); err != nil {
			return err
		}
	}
	if _, err := s.submit(ctx,
		call{"hope/officer", donationvocab.Contract, donationvocab.MethodDisburse,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, campaigns[0].id), tx.Uint(donationvocab.ArgMilestone, 1),
				tx.String(donationvocab.ArgDisbursementID, "hsf-001"), tx.String(donationvocab.ArgPayee, "stmarys"),
				tx.Uint(donationvocab.ArgAmount, 50_000),
				tx.String(donationvocab.ArgPurpose, "Surgery invoice INV-2026-0417"),
				tx.String(donationvocab.ArgPaymentRef, "SEPA-HSF-001"),
				tx.Bytes(donationvocab.ArgEvidenceHash, hash("INV-2026-0417"))}},
		call{"stmarys/clerk", donationvocab.Contract, donationvocab.MethodConfirmReceipt,
			[]tx.Arg{tx.String(donationvocab.ArgDisbursementID, "hsf-001")}}); err != nil {
		return err
	}
	s.Stats.Disbursements++

	// The short campaign's deadline passes: anyone settles it; refunds.
	time.Sleep(time.Until(time.Unix(short+1, 0)))
	if _, err := s.submit(ctx,
		call{donorID(2), donationvocab.Contract, donationvocab.MethodSettleMilestone,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "winter-coats"),
				tx.Uint(donationvocab.ArgMilestone, 1)}}); err != nil {
		return err
	}
	s.Stats.Refunds += 2
	return nil
}

// bundles returns the FHIR bundles to use as records.
func (s *seeder) bundles() [][]byte {
	var out [][]byte
	if s.cfg.FHIRDir != "" {
		paths, _ := filepath.Glob(filepath.Join(s.cfg.FHIRDir, "synthea-*.json"))
		sort.Strings(paths)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
	}
	for len(out) < len(patients)*2 { // stand-ins when no bundles are at hand
		out = append(out, standIn(len(out)))
	}
	return out
}

// standIn is a small synthetic FHIR R4 bundle (made-up demo data: a
// patient, a condition, an allergy, a medication, an encounter and an
// observation) for a demo without Synthea bundles at hand.
func standIn(n int) []byte {
	return []byte(fmt.Sprintf(`{"resourceType":"Bundle","type":"collection","id":"demo-%d","entry":[`+
		`{"resource":{"resourceType":"Patient","id":"p%d","name":[{"family":"Demo","given":["Patient %d"]}],"birthDate":"1970-01-01"}},`+
		`{"resource":{"resourceType":"Condition","id":"c%d","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},`+
		`"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003","display":"Hypertension"}],"text":"Hypertension"},"subject":{"reference":"Patient/p%d"}}},`+
		`{"resource":{"resourceType":"AllergyIntolerance","id":"a%d","code":{"text":"Penicillin"},"patient":{"reference":"Patient/p%d"}}},`+
		`{"resource":{"resourceType":"MedicationRequest","id":"m%d","status":"active","intent":"order",`+
		`"medicationCodeableConcept":{"text":"Lisinopril 10 mg"},"subject":{"reference":"Patient/p%d"}}},`+
		`{"resource":{"resourceType":"Encounter","id":"e%d","status":"finished","class":{"code":"AMB"},"type":[{"text":"Check-up"}],`+
		`"period":{"start":"2026-10-01T09:00:00Z"},"subject":{"reference":"Patient/p%d"}}},`+
		`{"resource":{"resourceType":"Observation","id":"o%d","status":"final","code":{"text":"Blood pressure"},`+
		`"valueQuantity":{"value":128,"unit":"mmHg"},"subject":{"reference":"Patient/p%d"}}}]}`,
		n, n, n, n, n, n, n, n, n, n, n, n, n))
}

// register stores plaintext encrypted as record id on stmarys's node and
// registers it in category cat, as stmarys's records clerk.
func (s *seeder) register(ctx context.Context, id, patient, cat string, plaintext []byte) error {
	sk, err := s.keys["stmarys/clerk"].SignKey()
	if err != nil {
		return err
	}
	if err := s.upload(ctx, sk, id, plaintext); err != nil {
		return err
	}
	if _, err := s.submit(ctx,
		call{"stmarys/clerk", recordvocab.Name, recordvocab.MethodRegister,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, id), tx.Uint(recordvocab.ArgVersion, 1),
				tx.Bytes(recordvocab.ArgCiphertextHash, s.lastHash), tx.String(recordvocab.ArgPatient, patient),
				tx.String(recordvocab.ArgCategory, cat)}}); err != nil {
		return err
	}
	s.Stats.Records++
	return nil
}

// records stores two encrypted records per patient on stmarys's node and
// registers them.
func (s *seeder) records(ctx context.Context) error {
	bundles := s.bundles()
	for i, p := range patients {
		for j, cat := range []string{"bundle", "lab"} {
			id := fmt.Sprintf("rec-%s-%d", p[len("stmarys/patient-"):], j+1)
			if err := s.register(ctx, id, p, cat, bundles[(2*i+j)%len(bundles)]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *seeder) upload(ctx context.Context, sk *sign.PrivateKey, id string, plaintext []byte) error {
	sealed, wrapped, err := envelope.SealFor(nil, s.node.EncKey.Key, s.node.ID, id, 1, plaintext)
	if err != nil {
		return err
	}
	req := &api.UploadRequest{RecordID: id, Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: "stmarys/clerk", Time: time.Now().Unix()}
	if err := api.SignPrivate(req, sk); err != nil {
		return err
	}
	if err := s.cfg.Client.UploadRecord(ctx, req); err != nil {
		return err
	}
	h := sha256.Sum256(sealed)
	s.lastHash = h[:]
	return nil
}

func (s *seeder) consents(ctx context.Context) error {
	start, end := s.now.Add(-time.Minute).Unix(), s.now.Add(365*24*time.Hour).Unix()
	consent := func(as, id, grantee, purpose string, records ...string) call {
		return call{as, consentvocab.Name, consentvocab.MethodGrant,
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, id), tx.String(consentvocab.ArgGrantee, grantee),
				tx.String(consentvocab.ArgPurpose, purpose),
				tx.Strings(consentvocab.ArgRecords, records), tx.Int(consentvocab.ArgStart, start),
				tx.Int(consentvocab.ArgEnd, end)}}
	}
	// Ana's insurer may read two of her records and her itemised claims
	// (the "claim" category) to process her claims; Ben and Cara let it
	// read their itemised claims: Acme adjudicates none unread.
	anaClaims := consent("stmarys/patient-ana", claimsConsent[patients[0]], "acme", "claims", "rec-ana-1", "rec-ana-2")
	anaClaims.args = append(anaClaims.args, tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}))
	claimDocs := func(patient string) call {
		return call{patient, consentvocab.Name, consentvocab.MethodGrant,
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, claimsConsent[patient]),
				tx.String(consentvocab.ArgGrantee, "acme"),
				tx.String(consentvocab.ArgPurpose, "claims"),
				tx.Strings(consentvocab.ArgCategories, []string{record.CategoryClaim}),
				tx.Int(consentvocab.ArgStart, start), tx.Int(consentvocab.ArgEnd, end)}}
	}
	if _, err := s.submit(ctx,
		anaClaims, claimDocs(patients[1]), claimDocs(patients[2]),
		consent("stmarys/patient-ben", "ben-stmarys-treatment", "stmarys", "treatment", "rec-ben-1"),
		consent("stmarys/patient-cara", "cara-research", "healthreg", "research", "rec-cara-2"),
		call{"stmarys/dr-lee", consentvocab.Name, consentvocab.MethodRequest,
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, "cara-followup"),
				tx.String(consentvocab.ArgPatient, "stmarys/patient-cara"),
				tx.String(consentvocab.ArgPurpose, "treatment"),
				tx.Strings(consentvocab.ArgRecords, []string{"rec-cara-1"}), tx.Int(consentvocab.ArgStart, start),
				tx.Int(consentvocab.ArgEnd, end)}},
		call{"stmarys/patient-cara", consentvocab.Name, consentvocab.MethodRevoke,
			[]tx.Arg{tx.String(consentvocab.ArgConsentID, "cara-research")}},
	); err != nil {
		return err
	}
	s.Stats.Consents += 6
	// Accesses: consented, refused (no consent), break-glass and its review.
	res, err := s.submit(ctx,
		call{"acme/adjuster", recordvocab.Name, recordvocab.MethodAccess,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "rec-ana-1"), tx.String(recordvocab.ArgPurpose, "claims"),
				tx.String(recordvocab.ArgConsentID, "ana-acme-claims")}},
		call{"stmarys/dr-lee", recordvocab.Name, recordvocab.MethodAccess,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "rec-ben-1"), tx.String(recordvocab.ArgPurpose, "treatment"),
				tx.String(recordvocab.ArgConsentID, "ben-stmarys-treatment")}},
		call{"acme/adjuster", recordvocab.Name, recordvocab.MethodAccess,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "rec-cara-1"), tx.String(recordvocab.ArgPurpose, "claims")}},
		call{"stmarys/dr-lee", recordvocab.Name, recordvocab.MethodAccess,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "rec-cara-1"), tx.String(recordvocab.ArgPurpose, "treatment"),
				tx.String(recordvocab.ArgBreakGlass, "unconscious-patient")}},
		call{"stmarys/patient-ana", recordvocab.Name, recordvocab.MethodAccess,
			[]tx.Arg{tx.String(recordvocab.ArgRecordID, "rec-ana-2"), tx.String(recordvocab.ArgPurpose, "treatment")}},
	)
	if err != nil {
		return err
	}
	s.Stats.Accesses += len(res)
	if _, err := s.submit(ctx,
		call{"stmarys/privacy", recordvocab.Name, recordvocab.MethodReviewBreakGlass,
			[]tx.Arg{tx.String(recordvocab.ArgAccess, res[3].ID.String()),
				tx.String(recordvocab.ArgOutcome, "justified")}}); err != nil {
		return err
	}
	return nil
}

// claimsConsent names each demo patient's consent that lets Acme read
// their itemised claims (purpose "claims", category "claim").
var claimsConsent = map[string]string{patients[0]: "ana-acme-claims", patients[1]: "ben-acme-claims", patients[2]: "cara-acme-claims"}

// claims files claims in every state, and funds one patient's share from
// the patient-assistance campaign. Each claim is filed as a hospital's
// portal files it: the itemised claim (a FHIR Claim) as an encrypted
// record of category "claim", then claim.submit with its amounts and the
// fingerprints under St Mary's claims fingerprint key.
func (s *seeder) claims(ctx context.Context) error {
	key, err := claimdoc.LoadKey(filepath.Join(s.cfg.Home, claimdoc.KeyDir, claimdoc.KeyFile("stmarys")))
	if err != nil {
		return err
	}
	defer key.Destroy()
	day := s.now.AddDate(0, 0, -10).UTC().Format("2006-01-02")
	type cl struct {
		id, patient string
		items       []string
		adjudicate  []string // "" when not adjudicated
		denial      string
		review, pay bool
		appeal      string
		cancel      bool
	}
	claims := []cl{
		{id: "clm-submitted", patient: patients[0], items: []string{"99213:" + day + ":15000"}},
		{id: "clm-in-review", patient: patients[1], items: []string{"99214:" + day + ":21000"}, review: true},
		{id: "clm-approved", patient: patients[2], items: []string{"80053:" + day + ":4200"}, review: true, adjudicate: []string{"1:4200"}},
		{id: "clm-partial-paid", patient: patients[0], items: []string{"93000:" + day + ":9000", "71046:" + day + ":16000"}, review: true,
			adjudicate: []string{"1:9000", "2:6000:plan-limit"}, pay: true},
		{id: "clm-denied", patient: patients[1], items: []string{"97110:" + day + ":7000"}, review: true,
			adjudicate: []string{"1:0:not-covered"}, denial: "not-covered"},
		{id: "clm-appealed", patient: patients[2], items: []string{"97140:" + day + ":6500"}, review: true,
			adjudicate: []string{"1:0:missing-documentation"}, denial: "missing-documentation", appeal: "documentation-added"},
		{id: "clm-cancelled", patient: patients[0], items: []string{"99212:" + day + ":8000"}, cancel: true},
	}
	for _, c := range claims {
		d := &claimdoc.Document{ClaimID: c.id, Provider: "stmarys", Patient: c.patient, Insurer: "acme", Currency: "EUR",
			Created: s.now.UTC().Format(time.DateOnly)}
		for _, it := range c.items {
			var code, date string
			var amount uint64
			if _, err := fmt.Sscanf(strings.ReplaceAll(it, ":", " "), "%s %s %d", &code, &date, &amount); err != nil {
				return fmt.Errorf("demo item %q: %w", it, err)
			}
			d.Lines = append(d.Lines, claimdoc.Line{Service: claimdoc.Service{Code: code, Date: date}, Amount: amount})
		}
		doc := claimdoc.RecordID(c.id)
		args, err := key.SubmitArgs(d, doc, 1, s.now)
		if err != nil {
			return err
		}
		fhir, err := d.MarshalFHIR()
		if err != nil {
			return err
		}
		// The document is uploaded, then registered by claim.submit itself
		// (document_ciphertext_hash), as the portal files a claim.
		sk, err := s.keys["stmarys/clerk"].SignKey()
		if err != nil {
			return err
		}
		if err := s.upload(ctx, sk, doc, fhir); err != nil {
			return err
		}
		s.Stats.Records++
		args = append(args, tx.Bytes(claimvocab.ArgDocumentCiphertextHash, s.lastHash))
		calls := []call{{"stmarys/clerk", claimvocab.Name, claimvocab.MethodSubmit, args}}
		if c.review {
			calls = append(calls,
				call{"acme/adjuster", claimvocab.Name, claimvocab.MethodReview,
					[]tx.Arg{tx.String(claimvocab.ArgClaimID, c.id)}})
		}
		if c.adjudicate != nil {
			// Acme's adjuster reads the itemised claim under the patient's
			// consent before deciding it (the ledger requires it).
			calls = append(calls,
				call{"acme/adjuster", recordvocab.Name, recordvocab.MethodAccess,
					[]tx.Arg{tx.String(recordvocab.ArgRecordID, doc), tx.String(recordvocab.ArgPurpose, "claims"),
						tx.String(recordvocab.ArgConsentID, claimsConsent[c.patient]), tx.Uint(recordvocab.ArgVersion, 1)}})
			s.Stats.Accesses++
			args := []tx.Arg{tx.String(claimvocab.ArgClaimID, c.id),
				tx.Strings(claimvocab.ArgAdjudication, c.adjudicate)}
			if c.denial != "" {
				args = append(args, tx.String(claimvocab.ArgDenialReason, c.denial))
			}
			calls = append(calls, call{"acme/adjuster", claimvocab.Name, claimvocab.MethodAdjudicate, args})
		}
		if c.pay {
			calls = append(calls,
				call{"acme/adjuster", claimvocab.Name, claimvocab.MethodPay,
					[]tx.Arg{tx.String(claimvocab.ArgClaimID, c.id),
						tx.String(claimvocab.ArgPaymentRef, "ACH-"+c.id), tx.Uint(claimvocab.ArgAmount, 15000)}})
		}
		if c.appeal != "" {
			calls = append(calls,
				call{"stmarys/clerk", claimvocab.Name, claimvocab.MethodAppeal,
					[]tx.Arg{tx.String(claimvocab.ArgClaimID, c.id), tx.String(claimvocab.ArgReason, c.appeal)}})
		}
		if c.cancel {
			calls = append(calls,
				call{"stmarys/clerk", claimvocab.Name, claimvocab.MethodCancel,
					[]tx.Arg{tx.String(claimvocab.ArgClaimID, c.id)}})
		}
		for _, one := range calls { // in order: each step needs the previous one committed
			if _, err := s.submit(ctx, one); err != nil {
				return err
			}
		}
		s.Stats.Claims++
	}
	// The bridge: the patient's share (10,000) of the partially paid claim
	// is funded by the patient-assistance campaign and paid to St Mary's.
	if _, err := s.submit(ctx,
		call{"hope/officer", donationvocab.Contract, donationvocab.MethodDisburse,
			[]tx.Arg{tx.String(donationvocab.ArgCampaignID, "patient-assistance"),
				tx.Uint(donationvocab.ArgMilestone, 1), tx.String(donationvocab.ArgDisbursementID, "pa-001"),
				tx.String(donationvocab.ArgPayee, "stmarys"), tx.Uint(donationvocab.ArgAmount, 10000),
				tx.String(donationvocab.ArgPurpose, "Patient share of claim clm-partial-paid"),
				tx.String(donationvocab.ArgPaymentRef, "SEPA-PA-001"),
				tx.Bytes(donationvocab.ArgEvidenceHash, hash("clm-partial-paid bill")),
				tx.String(donationvocab.ArgClaim, "clm-partial-paid")}},
		call{"stmarys/clerk", donationvocab.Contract, donationvocab.MethodConfirmReceipt,
			[]tx.Arg{tx.String(donationvocab.ArgDisbursementID, "pa-001")}}); err != nil {
		return err
	}
	s.Stats.Disbursements++
	return nil
}
