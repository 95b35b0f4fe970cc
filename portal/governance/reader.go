package governance

import (
	"encoding/json"
	"fmt"
	"strconv"

	govvocab "github.com/almoner/almoner/consortium-node/contracts/governance/vocab"
	"github.com/almoner/almoner/portal/readmodel"
)

// Reader answers queries over the governance index; safe for concurrent
// use.
type Reader struct {
	s *readmodel.Store
}

// NewReader returns a reader over s (whose registry holds Module).
func NewReader(s *readmodel.Store) *Reader { return &Reader{s: s} }

// Proposal returns a proposal (readmodel.ErrNotFound if none).
func (r *Reader) Proposal(id string) (*Proposal, error) {
	b, err := r.s.Get(ModuleName, proposalKey(id))
	if err != nil {
		return nil, err
	}
	var p Proposal
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: governance record %q: %v", readmodel.ErrCorrupt, id, err)
	}
	return &p, nil
}

// Page is a page of a list, newest first: Cursors[i] is the cursor of the
// i-th proposal; pass the last one as after.
type Page = readmodel.Page

// Proposals returns up to limit proposals, newest first, after the cursor
// after ("" for the first), only those with status when it is not "".
func (r *Reader) Proposals(status, after string, limit int) ([]*Proposal, Page, error) {
	prefix := allKey("")
	if status != "" {
		prefix = statusPrefix(status)
	}
	ids, pg, err := r.s.IDs(ModuleName, prefix, after, true, limit)
	return readmodel.LoadPage(ids, pg, err, "governance: proposal", r.Proposal)
}

// Consortium is the current organisations and threshold.
type Consortium struct {
	Orgs    []string
	Percent uint64
}

// Needed is how many organisations must approve a proposal now.
func (c *Consortium) Needed() int { return Needed(len(c.Orgs), c.Percent) }

// Consortium returns the organisations and the threshold as of the
// applied block.
func (r *Reader) Consortium() (*Consortium, error) {
	c := &Consortium{}
	b, err := r.s.Get(ModuleName, orgsKey)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c.Orgs); err != nil {
		return nil, fmt.Errorf("%w: governance organisations: %v", readmodel.ErrCorrupt, err)
	}
	b, err = r.s.Get(ModuleName, thresholdKey)
	if err != nil {
		return nil, err
	}
	if c.Percent, err = strconv.ParseUint(string(b), 10, 64); err != nil {
		return nil, fmt.Errorf("%w: governance threshold: %v", readmodel.ErrCorrupt, err)
	}
	return c, nil
}

// Tally counts p's votes: an open proposal against the current
// organisations and threshold (c, from Consortium), as the next vote will
// be counted; a closed one against those of its last vote or its closing.
func (p *Proposal) Tally(c *Consortium) Tally {
	if p.Status == govvocab.StatusOpen {
		return TallyOf(p, c.Orgs, c.Percent)
	}
	return TallyOf(p, p.Orgs, p.Percent)
}
