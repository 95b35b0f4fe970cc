package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/api/client"
	"github.com/almoner/almoner/consortium-node/contracts/claim/claimdoc"
	claimvocab "github.com/almoner/almoner/consortium-node/contracts/claim/vocab"
	consentvocab "github.com/almoner/almoner/consortium-node/contracts/consent/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/consortium"
	donationvocab "github.com/almoner/almoner/consortium-node/contracts/donation/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/identity/memberid"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/contracts/record/registration"
	recordvocab "github.com/almoner/almoner/consortium-node/contracts/record/vocab"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// The workloads: what the timed transactions are. Everything a workload's
// transactions need (members, campaigns, records, consents, claims in
// review) is committed in a setup phase first, which is not timed.
const (
	wOnboard = "onboard" // identity.add_member by an organisation admin (~1.9 KB each)
	wGifts   = "gifts"   // donation.give to a few hot campaigns
	wAccess  = "access"  // record.access under the patient's consent
	wConsent = "consent" // consent.grant by patients
	wClaims  = "claims"  // claim.submit (documents uploaded in setup) and claim.adjudicate, half each
	wMix     = "mix"     // the mission's mix, below
)

var workloads = []string{wOnboard, wGifts, wAccess, wConsent, wClaims, wMix}

// mixShares is the mix per 20 transactions: what a consortium of
// hospitals, an insurer and a charity sends on an ordinary day, as the
// issue that asked for it lists it (gifts to hot campaign accounts, record
// accesses under consent, consent grants, claim submissions and
// adjudications).
var mixShares = []struct {
	kind string
	n    int
}{{"give", 8}, {"access", 5}, {"grant", 2}, {"submit", 3}, {"adjudicate", 2}}

// call is one contract call and who signs it.
type call struct {
	as  string
	c   tx.Call
	key *sign.PrivateKey
}

// gen sets up a workload and then yields its i-th timed call.
type gen struct {
	cl     *client.Client
	g      *genesis.File
	home   string
	run    string // distinguishes this run's ids from an earlier run's
	now    time.Time
	keys   map[string]*sign.PrivateKey
	encKey string // an encryption key to give new members (theirs is never used here)
	nonce  uint64
	n      int // timed transactions

	perCampaign int // gifts per load campaign (giftCampaign)
	gifts       int // gifts yielded so far
	setupTxs    int // transactions committed by the setup

	donors, patients, adjusters []string
	campaigns                   []string
	records, consents           []string // per patient
	docs                        []docHash
	nextDoc                     int
	claimsKey                   *claimdoc.Key
	reviewed                    []string // claims in review, accessed, ready to adjudicate
	nextReview                  int
	custodian                   consortium.Node
}

type docHash struct {
	id, patient string
	doc         *claimdoc.Document
	hash        []byte
}

// counts splits n timed transactions of a workload by kind.
func counts(workload string, n int) map[string]int {
	out := map[string]int{}
	switch workload {
	case wOnboard:
		out["onboard"] = n
	case wGifts:
		out["give"] = n
	case wAccess:
		out["access"] = n
	case wConsent:
		out["grant"] = n
	case wClaims:
		out["submit"] = n - n/2
		out["adjudicate"] = n / 2
	case wMix:
		for i := range n {
			out[mixKind(i)]++
		}
	}
	return out
}

// mixKind is the kind of the mix's i-th transaction: the shares of
// mixShares, interleaved.
func mixKind(i int) string {
	total := 0
	for _, s := range mixShares {
		total += s.n
	}
	r := i % total
	for _, s := range mixShares {
		if r < s.n {
			return s.kind
		}
		r -= s.n
	}
	return mixShares[0].kind
}

func kindOf(workload string, i, n int) string {
	switch workload {
	case wOnboard:
		return "onboard"
	case wGifts:
		return "give"
	case wAccess:
		return "access"
	case wConsent:
		return "grant"
	case wClaims:
		if i < n-n/2 {
			return "submit"
		}
		return "adjudicate"
	default:
		return mixKind(i)
	}
}

// setup commits what the workload's n timed transactions need.
func (g *gen) setup(ctx context.Context, workload string, n int, progress func(string)) error {
	c := counts(workload, n)
	needPatients := c["access"] > 0 || c["grant"] > 0 || c["submit"] > 0 || c["adjudicate"] > 0
	var adds []call
	if c["give"] > 0 {
		adds = append(adds, g.newMembers("hope/admin", "donor", identityvocab.RoleDonor, 64, &g.donors)...)
	}
	if needPatients {
		adds = append(adds, g.newMembers("stmarys/admin", "patient", identityvocab.RolePatient, 64, &g.patients)...)
	}
	if c["access"] > 0 || c["adjudicate"] > 0 {
		adds = append(adds, g.newMembers("acme/admin", "adjuster", identityvocab.RoleClaimsAdjuster, 8, &g.adjusters)...)
	}
	if len(adds) > 0 {
		progress(fmt.Sprintf("setup: %d members", len(adds)))
		if err := g.commit(ctx, adds); err != nil {
			return err
		}
	}
	if c["give"] > 0 {
		nc := campaignsFor(c["give"], g.perCampaign)
		progress(fmt.Sprintf("setup: %d campaigns", nc))
		if err := g.commit(ctx, g.campaignCalls(nc)); err != nil {
			return err
		}
	}
	if c["access"] > 0 {
		progress(fmt.Sprintf("setup: %d records and consents", len(g.patients)))
		if err := g.recordsAndConsents(ctx); err != nil {
			return err
		}
	}
	if c["submit"] > 0 || c["adjudicate"] > 0 {
		if err := g.claims(ctx, c["submit"], c["adjudicate"], progress); err != nil {
			return err
		}
	}
	return nil
}

// next returns the i-th timed call of the workload.
func (g *gen) next(workload string, i int) (call, error) {
	switch kindOf(workload, i, g.n) {
	case "onboard":
		return g.onboard(i)
	case "give":
		j := g.gifts
		g.gifts++
		ci := giftCampaign(j, g.perCampaign)
		if ci >= len(g.campaigns) {
			return call{}, fmt.Errorf("gift %d: only %d campaigns were set up", j, len(g.campaigns))
		}
		d, c := g.donors[j%len(g.donors)], g.campaigns[ci]
		return g.call(d, donationvocab.Contract, donationvocab.MethodGive, tx.String(donationvocab.ArgCampaignID, c),
			tx.Uint(donationvocab.ArgAmount, uint64(500+(i%50)*100)))
	case "access":
		p := i % len(g.patients)
		return g.call(g.adjusters[i%len(g.adjusters)], recordvocab.Name, recordvocab.MethodAccess,
			tx.String(recordvocab.ArgRecordID, g.records[p]),
			tx.String(recordvocab.ArgPurpose, "claims"), tx.String(recordvocab.ArgConsentID, g.consents[p]))
	case "grant":
		p := g.patients[i%len(g.patients)]
		return g.call(p, consentvocab.Name, consentvocab.MethodGrant,
			tx.String(consentvocab.ArgConsentID, fmt.Sprintf("ld-%s-g%d", g.run, i)),
			tx.String(consentvocab.ArgGrantee, "acme"), tx.String(consentvocab.ArgPurpose, "claims"),
			tx.Strings(consentvocab.ArgCategories, []string{registration.Claim}),
			tx.Int(consentvocab.ArgStart, g.now.Add(-time.Minute).Unix()),
			tx.Int(consentvocab.ArgEnd, g.now.Add(365*24*time.Hour).Unix()))
	case "submit":
		if g.nextDoc >= len(g.docs) {
			return call{}, errors.New("no uploaded claim document left")
		}
		d := g.docs[g.nextDoc]
		g.nextDoc++
		return g.submitCall(d)
	case "adjudicate":
		if g.nextReview >= len(g.reviewed) {
			return call{}, errors.New("no claim in review left")
		}
		id := g.reviewed[g.nextReview]
		g.nextReview++
		return g.call("acme/adjuster", claimvocab.Name, claimvocab.MethodAdjudicate,
			tx.String(claimvocab.ArgClaimID, id),
			tx.Strings(claimvocab.ArgAdjudication, []string{"1:4000"}))
	}
	return call{}, fmt.Errorf("unknown workload %q", workload)
}

func (g *gen) onboard(i int) (call, error) {
	const admin = "stmarys/admin"
	return g.call(admin, identityvocab.Name, identityvocab.MethodAddMember,
		tx.String(identityvocab.ArgID, fmt.Sprintf("%s/load-%s-%d", memberid.OrgOf(admin), g.run, i)),
		tx.Strings(identityvocab.ArgRoles, []string{identityvocab.RolePatient}),
		tx.String(identityvocab.ArgSignKey, g.keys[admin].Public().String()),
		tx.String(identityvocab.ArgEncKey, g.encKey))
}

// call builds a call signed by as, whose key must be known.
func (g *gen) call(as, contract, method string, args ...tx.Arg) (call, error) {
	k, ok := g.keys[as]
	if !ok {
		return call{}, fmt.Errorf("no key for %s", as)
	}
	return call{as: as, key: k, c: tx.Call{Contract: contract, Method: method, Args: args}}, nil
}

// sign signs c with a fresh nonce, expiring expiry blocks on.
func (g *gen) sign(c call, expiry uint64) ([]byte, error) {
	g.nonce++
	return tx.SignEncoded(tx.Body{ChainID: g.g.ChainID, Sender: c.as, Nonce: g.nonce, Expiry: expiry, Call: c.c}, c.key)
}

// newMembers returns add_member calls for n new members of admin's
// organisation with role, keeping their keys and ids (in *ids).
func (g *gen) newMembers(admin, prefix, role string, n int, ids *[]string) []call {
	var out []call
	for i := range n {
		k, err := sign.GenerateKey(sign.Ed25519, nil)
		if err != nil {
			panic(err) // crypto/rand failing is not something to go on from
		}
		id := fmt.Sprintf("%s/ld-%s-%s-%d", memberid.OrgOf(admin), g.run, prefix, i)
		g.keys[id] = k
		*ids = append(*ids, id)
		c, _ := g.call(admin, identityvocab.Name, identityvocab.MethodAddMember, tx.String(identityvocab.ArgID, id),
			tx.Strings(identityvocab.ArgRoles, []string{role}),
			tx.String(identityvocab.ArgSignKey, k.Public().String()), tx.String(identityvocab.ArgEncKey, g.encKey))
		out = append(out, c)
	}
	return out
}

// hotCampaigns is how many campaigns take gifts at once (hot accounts:
// gifts in flight together land on these few); defaultGiftsPerCampaign is
// how many gifts each takes before the next takes its place: a million, as
// a popular appeal has (a milestone's escrow queue is kept in chunks, so
// the n-th gift costs what the first did; --gifts-per-campaign lowers it).
const (
	hotCampaigns            = 4
	defaultGiftsPerCampaign = 1_000_000
)

// campaignsFor is how many campaigns gifts gifts need, perCampaign each,
// hotCampaigns at a time (a multiple of hotCampaigns).
func campaignsFor(gifts, perCampaign int) int {
	per := hotCampaigns * perCampaign
	return hotCampaigns * max(1, (gifts+per-1)/per)
}

// giftCampaign is the index of the campaign that takes gift j: gifts go
// round the hotCampaigns of their group, and each group of hotCampaigns
// campaigns takes hotCampaigns*perCampaign gifts, so no campaign takes more
// than perCampaign.
func giftCampaign(j, perCampaign int) int {
	return j/(hotCampaigns*perCampaign)*hotCampaigns + j%hotCampaigns
}

// campaignCalls creates and opens n campaigns with one milestone that
// no load fills.
func (g *gen) campaignCalls(n int) []call {
	var out []call
	deadline := g.now.Add(365 * 24 * time.Hour).Unix()
	for i := range n {
		id := fmt.Sprintf("ld-%s-c%d", g.run, i)
		g.campaigns = append(g.campaigns, id)
		ms := fmt.Sprintf("%d healthreg/validator %d Load stage", uint64(1)<<49, deadline)
		create, _ := g.call("hope/officer", donationvocab.Contract, donationvocab.MethodCreateCampaign,
			tx.String(donationvocab.ArgCampaignID, id),
			tx.String(donationvocab.ArgTitle, "Load campaign "+id), tx.String(donationvocab.ArgCurrency, "EUR"),
			tx.Strings(donationvocab.ArgMilestones, []string{ms}),
			tx.Strings(donationvocab.ArgBeneficiaries, []string{"stmarys"}))
		open, _ := g.call("hope/officer", donationvocab.Contract, donationvocab.MethodOpen,
			tx.String(donationvocab.ArgCampaignID, id))
		out = append(out, create, open)
	}
	return out
}

// recordsAndConsents registers a small record per patient at St Mary's
// (uploaded to its node first, as a portal does) and a consent letting
// Acme read it for claims.
func (g *gen) recordsAndConsents(ctx context.Context) error {
	var regs, grants []call
	for i, p := range g.patients {
		id := fmt.Sprintf("ld-%s-r%d", g.run, i)
		plain := fmt.Sprintf(`{"resourceType":"Bundle","type":"collection","id":%q,"entry":[]}`, id)
		h, err := g.upload(ctx, id, []byte(plain))
		if err != nil {
			return err
		}
		reg, _ := g.call("stmarys/clerk", recordvocab.Name, recordvocab.MethodRegister,
			tx.String(recordvocab.ArgRecordID, id),
			tx.Uint(recordvocab.ArgVersion, 1),
			tx.Bytes(recordvocab.ArgCiphertextHash, h), tx.String(recordvocab.ArgPatient, p),
			tx.String(recordvocab.ArgCategory, "lab"))
		cid := fmt.Sprintf("ld-%s-k%d", g.run, i)
		grant, _ := g.call(p, consentvocab.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, cid),
			tx.String(consentvocab.ArgGrantee, "acme"),
			tx.String(consentvocab.ArgPurpose, "claims"), tx.Strings(consentvocab.ArgRecords, []string{id}),
			tx.Int(consentvocab.ArgStart, g.now.Add(-time.Minute).Unix()),
			tx.Int(consentvocab.ArgEnd, g.now.Add(365*24*time.Hour).Unix()))
		regs, grants = append(regs, reg), append(grants, grant)
		g.records, g.consents = append(g.records, id), append(g.consents, cid)
	}
	if err := g.commit(ctx, regs); err != nil {
		return err
	}
	return g.commit(ctx, grants)
}

// claims uploads submits claim documents for the timed claim.submit
// transactions, and files, reviews and reads adjudicate claims so that the
// timed claim.adjudicate transactions find them in review and read.
func (g *gen) claims(ctx context.Context, submits, adjudicates int, progress func(string)) error {
	key, err := claimdoc.LoadKey(filepath.Join(g.home, claimdoc.KeyDir, claimdoc.KeyFile("stmarys")))
	if err != nil {
		return fmt.Errorf("the claims workloads need St Mary's claims key (a dev consortium's): %w", err)
	}
	g.claimsKey = key
	// A consent per patient letting Acme read their claim documents.
	var grants []call
	consent := map[string]string{}
	for i, p := range g.patients {
		cid := fmt.Sprintf("ld-%s-cc%d", g.run, i)
		consent[p] = cid
		c, _ := g.call(p, consentvocab.Name, consentvocab.MethodGrant, tx.String(consentvocab.ArgConsentID, cid),
			tx.String(consentvocab.ArgGrantee, "acme"),
			tx.String(consentvocab.ArgPurpose, "claims"),
			tx.Strings(consentvocab.ArgCategories, []string{registration.Claim}),
			tx.Int(consentvocab.ArgStart, g.now.Add(-time.Minute).Unix()),
			tx.Int(consentvocab.ArgEnd, g.now.Add(365*24*time.Hour).Unix()))
		grants = append(grants, c)
	}
	if err := g.commit(ctx, grants); err != nil {
		return err
	}
	progress(fmt.Sprintf("setup: uploading %d claim documents", submits+adjudicates))
	docs, err := g.uploadClaims(ctx, submits+adjudicates)
	if err != nil {
		return err
	}
	g.docs = docs[:submits]
	staged := docs[submits:]
	if len(staged) == 0 {
		return nil
	}
	progress(fmt.Sprintf("setup: %d claims filed, in review and read", len(staged)))
	var sub, rev, read []call
	for _, d := range staged {
		s, err := g.submitCall(d)
		if err != nil {
			return err
		}
		r, _ := g.call("acme/adjuster", claimvocab.Name, claimvocab.MethodReview,
			tx.String(claimvocab.ArgClaimID, d.doc.ClaimID))
		a, _ := g.call("acme/adjuster", recordvocab.Name, recordvocab.MethodAccess,
			tx.String(recordvocab.ArgRecordID, d.id),
			tx.String(recordvocab.ArgPurpose, "claims"),
			tx.String(recordvocab.ArgConsentID, consent[d.patient]), tx.Uint(recordvocab.ArgVersion, 1))
		sub, rev, read = append(sub, s), append(rev, r), append(read, a)
		g.reviewed = append(g.reviewed, d.doc.ClaimID)
	}
	for _, step := range [][]call{sub, rev, read} { // each step needs the one before committed
		if err := g.commit(ctx, step); err != nil {
			return err
		}
	}
	return nil
}

// uploadClaims makes n one-item claim documents for distinct services and
// uploads each, from 8 connections.
func (g *gen) uploadClaims(ctx context.Context, n int) ([]docHash, error) {
	docs := make([]docHash, n)
	day := g.now.AddDate(0, 0, -3).UTC().Format(time.DateOnly)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := fmt.Sprintf("ld-%s-m%d", g.run, i)
				p := g.patients[i%len(g.patients)]
				d := &claimdoc.Document{ClaimID: id, Provider: "stmarys", Patient: p, Insurer: "acme", Currency: "EUR",
					Created: g.now.UTC().Format(time.DateOnly),
					Lines:   []claimdoc.Line{{Service: claimdoc.Service{Code: fmt.Sprintf("L%07d", i), Date: day}, Amount: 4000}}}
				fhir, err := d.MarshalFHIR()
				var h []byte
				if err == nil {
					h, err = g.upload(ctx, claimdoc.RecordID(id), fhir)
				}
				if err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					continue
				}
				docs[i] = docHash{id: claimdoc.RecordID(id), patient: p, doc: d, hash: h}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return docs, first
}

func (g *gen) submitCall(d docHash) (call, error) {
	args, err := g.claimsKey.SubmitArgs(d.doc, d.id, 1, g.now)
	if err != nil {
		return call{}, err
	}
	args = append(args, tx.Bytes(claimvocab.ArgDocumentCiphertextHash, d.hash))
	return g.call("stmarys/clerk", claimvocab.Name, claimvocab.MethodSubmit, args...)
}

// upload seals plaintext as version 1 of record id and stores it on St
// Mary's node as its records clerk, returning the ciphertext's SHA-256.
func (g *gen) upload(ctx context.Context, id string, plaintext []byte) ([]byte, error) {
	sealed, wrapped, err := envelope.SealFor(nil, g.custodian.EncKey.Key, g.custodian.ID, id, 1, plaintext)
	if err != nil {
		return nil, err
	}
	req := &api.UploadRequest{RecordID: id, Version: 1, Sealed: sealed, Wrapped: wrapped, Uploader: "stmarys/clerk",
		Time: time.Now().Unix()}
	if err := api.SignPrivate(req, g.keys["stmarys/clerk"]); err != nil {
		return nil, err
	}
	if err := g.cl.UploadRecord(ctx, req); err != nil {
		return nil, fmt.Errorf("uploading %s: %w", id, err)
	}
	h := sha256.Sum256(sealed)
	return h[:], nil
}

// commit signs calls, submits them in requests of 1,000 and fails unless
// every one committed successfully.
func (g *gen) commit(ctx context.Context, calls []call) error {
	st, err := g.cl.Status(ctx)
	if err != nil {
		return err
	}
	g.setupTxs += len(calls)
	for chunk := range slices.Chunk(calls, 1000) {
		raws := make([][]byte, len(chunk))
		for i, c := range chunk {
			if raws[i], err = g.sign(c, st.Height+g.g.Params.ReplayWindow); err != nil {
				return err
			}
		}
		res, err := g.cl.Submit(ctx, raws, client.SubmitOptions{Wait: true, Timeout: 120 * time.Second})
		if err != nil {
			return err
		}
		for i, r := range res {
			if r.Status != api.StatusCommitted || r.Receipt == nil || !r.Receipt.OK() {
				why := r.Error
				if r.Receipt != nil && r.Receipt.Error != "" {
					why = r.Receipt.Error
				}
				return fmt.Errorf("setup %s %s.%s: %s %s", chunk[i].as, chunk[i].c.Contract, chunk[i].c.Method, r.Status, why)
			}
		}
	}
	return nil
}

// loadKeys reads the dev members' signing keys the workloads use.
func (g *gen) loadKeys() error {
	for _, id := range []string{"stmarys/admin", "stmarys/clerk", "acme/admin", "acme/adjuster", "hope/admin", "hope/officer"} {
		kf, err := genesis.LoadKeyFile(genesis.KeyPath(g.home, id))
		if err != nil {
			return fmt.Errorf("%w (the workloads run on a dev consortium: consortium-node init)", err)
		}
		k, err := kf.SignKey()
		if err != nil {
			return err
		}
		g.keys[id] = k
		if id == "stmarys/admin" {
			ek, err := kf.EncryptionKey()
			if err != nil {
				return err
			}
			g.encKey = ek.String()
		}
	}
	return nil
}

// findCustodian picks St Mary's node, which holds the uploads.
func (g *gen) findCustodian(ctx context.Context) error {
	nodes, err := g.cl.Nodes(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(nodes, func(n consortium.Node) bool { return n.Org == "stmarys" })
	if i < 0 {
		return errors.New("no node of stmarys to hold the records")
	}
	g.custodian = nodes[i]
	return nil
}

func validWorkload(w string) error {
	if !slices.Contains(workloads, w) {
		return fmt.Errorf("--workload %q: one of %s", w, strings.Join(workloads, ", "))
	}
	return nil
}
