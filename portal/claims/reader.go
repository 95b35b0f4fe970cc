package claims

import (
	"errors"
	"slices"

	"github.com/almoner/almoner/portal/readmodel"
)

// Reader answers queries over the claims index; safe for concurrent use.
// Claims it returns are the caller's own copies.
type Reader struct {
	s      *readmodel.Store
	claims *readmodel.Decoded[Claim]
}

// cachedClaims is how many decoded claims a reader keeps (a few pages of
// every insurer's queue; ~1-2 KB each).
const cachedClaims = 4096

// NewReader returns a reader over s (whose registry holds Module).
func NewReader(s *readmodel.Store) *Reader {
	return &Reader{s: s, claims: readmodel.NewDecoded(cachedClaims, readmodel.DecodeJSON[Claim])}
}

// Claim returns a claim (readmodel.ErrNotFound if none).
func (r *Reader) Claim(id string) (*Claim, error) {
	return r.claims.Read(r.s, ModuleName, claimKey(id), (*Claim).clone)
}

// clone copies c with its lists (their elements hold no references).
func (c *Claim) clone() *Claim {
	out := *c
	out.Items = slices.Clone(c.Items)
	out.ItemKeys = slices.Clone(c.ItemKeys)
	out.LinkedRecords = slices.Clone(c.LinkedRecords)
	out.Adjudication = slices.Clone(c.Adjudication)
	out.Appeals = slices.Clone(c.Appeals)
	out.History = slices.Clone(c.History)
	return &out
}

// Page is a page of a list, newest first: Cursors[i] is the cursor of the
// i-th claim; pass the last one as after.
type Page = readmodel.Page

// list scans prefix newest first after the cursor after.
func (r *Reader) list(prefix, after string, limit int) ([]*Claim, Page, error) {
	ids, pg, err := r.s.IDs(ModuleName, prefix, after, true, limit)
	return readmodel.LoadPage(ids, pg, err, "claims: claim", r.Claim)
}

// InsurerQueue returns up to limit claims of an insurer, newest first,
// only those with status when it is not "".
func (r *Reader) InsurerQueue(insurer, status, after string, limit int) ([]*Claim, Page, error) {
	if status != "" {
		return r.list(statusPrefix(insurer, status), after, limit)
	}
	return r.list(insurerPrefix(insurer), after, limit)
}

// ProviderClaims returns up to limit claims a provider filed, newest first.
func (r *Reader) ProviderClaims(provider, after string, limit int) ([]*Claim, Page, error) {
	return r.list(providerPrefix(provider), after, limit)
}

// PatientClaims returns up to limit claims of a patient, newest first.
func (r *Reader) PatientClaims(patient, after string, limit int) ([]*Claim, Page, error) {
	return r.list(patientPrefix(patient), after, limit)
}

// DocumentRead returns the access under which a member of c's insurer read
// the filed version of c's document, as the ledger counts it for
// claim.adjudicate (granted under a consent for purpose "claims", not
// reported undelivered), or "" while none has.
func (r *Reader) DocumentRead(c *Claim) (string, error) {
	b, err := r.s.Get(ModuleName, readKey(c.Document, c.DocumentVersion, c.Insurer))
	if errors.Is(err, readmodel.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(b), nil
}
